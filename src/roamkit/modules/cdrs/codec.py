"""CDRs on the wire, per version. A 2.1.1 CDR names its token only by ``auth_id``
and embeds its Location (mod_cdrs.md §3.1)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import cdrs as conv211
from roamkit.domain.v211 import locations as loc211
from roamkit.models.v211 import cdrs as w211
from roamkit.modules.sessions.codec import own_token_by_auth_id
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object


async def parse_post(
    version: str, body: Any, ctx: ConversionContext, session: AsyncSession
) -> tuple[c.CDR, c.Location | None]:
    """(canonical CDR, the Location a 2.1.1 CDR embeds)."""
    try:
        if version != "2.1.1":
            return c.CDR.model_validate(body), None
        wire = w211.CDR.model_validate(body)
        token = await own_token_by_auth_id(session, wire.auth_id)
        location = loc211.to_canonical(wire.location, ctx)
        return conv211.to_canonical(wire, ctx, token=token), location
    except ValidationError as exc:
        raise invalid_object(exc, "CDR") from None
    except ConversionError as exc:
        raise InvalidParameters(f"CDR cannot be read: {exc}") from None


def to_wire(version: str, cdr: c.CDR, location: c.Location | None) -> dict[str, Any]:
    if version != "2.1.1":
        return cdr.model_dump(mode="json", exclude_none=True)
    try:
        return conv211.from_canonical(cdr, location=location).model_dump(
            mode="json", exclude_none=True
        )
    except ConversionError as exc:
        raise NotFound(f"This CDR cannot be expressed in OCPI 2.1.1: {exc}") from None
