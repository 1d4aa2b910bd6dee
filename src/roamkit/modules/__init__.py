"""OCPI modules. Each registers itself in ``registry`` so routes, ``/ocpi/versions``
and the version details are generated from one list and cannot drift."""
