"""CDRs on the wire, per version (2.1.1 ones are read by ``modules.received``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import cdrs as conv211
from roamkit.models.v211 import cdrs as w211
from roamkit.modules import received
from roamkit.protocol.errors import NotFound

CDR = received.Kind(c.CDR, w211.CDR, conv211.to_canonical, "CDR")


async def parse_post(
    version: str, body: Any, ctx: ConversionContext, session: AsyncSession
) -> tuple[c.CDR, c.Location | None]:
    """(canonical CDR, the Location a 2.1.1 CDR embeds)."""
    return await received.read(version, body, ctx, session, CDR)


def parse_listed(version: str, body: Any, ctx: ConversionContext) -> c.CDR:
    """A CDR from the CPO's GET list (``sync.pull``)."""
    return received.read_listed(version, body, ctx, CDR)


def to_wire(version: str, cdr: c.CDR, location: c.Location | None) -> dict[str, Any]:
    if version != "2.1.1":
        return cdr.model_dump(mode="json", exclude_none=True)
    try:
        return conv211.from_canonical(cdr, location=location).model_dump(
            mode="json", exclude_none=True
        )
    except ConversionError as exc:
        raise NotFound(f"This CDR cannot be expressed in OCPI 2.1.1: {exc}") from None
