"""Sessions on the wire, per version (2.1.1 ones are read by ``modules.received``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import sessions as conv211
from roamkit.models.v211 import sessions as w211
from roamkit.modules import received
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object

SESSION = received.Kind(c.Session, w211.Session, conv211.to_canonical, "Session")


async def parse_put(
    version: str, body: Any, ctx: ConversionContext, session: AsyncSession
) -> tuple[c.Session, c.Location | None]:
    """(canonical session, the Location a 2.1.1 session embeds)."""
    return await received.read(version, body, ctx, session, SESSION)


def parse_listed(version: str, body: Any, ctx: ConversionContext) -> c.Session:
    """A session from the CPO's GET list (``sync.pull``)."""
    return received.read_listed(version, body, ctx, SESSION)


async def parse_patch(
    version: str, body: Any, ctx: ConversionContext, session: AsyncSession
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameters("PATCH body must be a JSON object")
    try:
        if version != "2.1.1":
            patch = c.SessionPatch.model_validate(body)
        else:
            wire = w211.SessionPatch.model_validate(body)
            token = (
                await received.own_token_by_auth_id(session, wire.auth_id) if wire.auth_id else None
            )
            patch = conv211.patch_to_canonical(wire, ctx, token=token)
    except ValidationError as exc:
        raise invalid_object(exc, "session patch") from None
    except ConversionError as exc:
        raise InvalidParameters(f"Session PATCH cannot be read: {exc}") from None
    return patch.model_dump(mode="json", exclude_unset=True)


def to_wire(version: str, obj: c.Session, location: c.Location | None) -> dict[str, Any]:
    if version != "2.1.1":
        return obj.model_dump(mode="json", exclude_none=True)
    if location is None:
        raise NotFound(f"Session {obj.id!r} cannot be shown in 2.1.1: its Location is unknown")
    try:
        return conv211.from_canonical(obj, location=location).model_dump(
            mode="json", exclude_none=True
        )
    except ConversionError as exc:
        raise NotFound(f"This session cannot be expressed in OCPI 2.1.1: {exc}") from None
