"""OCPI 2.1.1 ⇄ canonical converters, one module per OCPI module.

Every module has ``to_canonical(obj_v211, ctx)`` and
``from_canonical(obj_canonical, ctx=None)`` for its main object, PATCH-body
converters where 2.1.1 has PATCH, and named converters for the other objects.
Each module's docstring lists what 2.1.1 cannot express and what we do.
"""

from roamkit.domain.v211 import (
    cdrs,
    commands,
    credentials,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)

__all__ = [
    "cdrs",
    "commands",
    "credentials",
    "locations",
    "sessions",
    "tariffs",
    "tokens",
    "versions",
]
