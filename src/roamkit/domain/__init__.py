"""The canonical domain model and the converters at the edge (DESIGN.md §2).

Decision: the canonical model IS the OCPI 2.2.1 wire model
(``roamkit.models.v221``), the richer of the two versions. Inside roamkit
every object has that one shape: it is what the store keeps, what the
management API speaks and what business logic reads. Import canonical types
from ``roamkit.domain.canonical`` (never from a version package), so the
choice stays in one place. A 2.2.1 partner gets canonical objects as they
are; a 2.1.1 partner gets them through ``roamkit.domain.v211``.

Converter API (``roamkit.domain.v211.<module>``, one module per OCPI module:
locations, tariffs, tokens, sessions, cdrs, commands, credentials, versions)::

    to_canonical(obj_v211, ctx: ConversionContext, ...) -> canonical object
    from_canonical(obj_canonical, ctx: ConversionContext | None = None, ...) -> 2.1.1 object
    *_patch_to_canonical / patch_to_canonical(patch_v211 | dict, ctx) -> canonical patch
    *_patch_from_canonical / patch_from_canonical(patch | dict, ctx) -> 2.1.1 patch

``ConversionContext`` (``domain.context``) names the owner party of the 2.1.1
connection (the partner's ``country_code``/``party_id`` from its credentials,
its role, our own party) and the documented fallbacks. What 2.2.1 requires
and 2.1.1 lacks is filled from the context or with a documented placeholder
(``#NA``, ``publish=True``); what 2.1.1 cannot express is mapped to the
closest value or dropped, as each module's docstring lists. A value that
cannot be converted at all raises ``ConversionError`` (a ``ValueError``);
output is always validated by the target model (pydantic ``ValidationError``,
also a ``ValueError``, e.g. for a 2.1.1 id longer than 2.2.1's 36 characters).
Money stays ``Decimal`` throughout.
"""

from roamkit.domain.context import NA, ConversionContext, ConversionError

__all__ = ["NA", "ConversionContext", "ConversionError"]
