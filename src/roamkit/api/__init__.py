"""Management API for the platform's own systems and the CLI, under ``/api``.

Guarded by ``ADMIN_TOKEN`` (``Authorization: Bearer <token>`` or ``Token <token>``);
answers in the same envelope as OCPI so clients need one parser.
"""
