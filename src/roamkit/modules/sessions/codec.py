"""Sessions on the wire, per version. A 2.1.1 Session names its token only by
``auth_id`` and embeds its Location (mod_sessions.md §3.1): the receiver looks the
token up among its own (``own_token_by_auth_id``) and keeps the Location."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import locations as loc211
from roamkit.domain.v211 import sessions as conv211
from roamkit.models.v211 import sessions as w211
from roamkit.modules.tokens import service as tokens
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.store import objects
from roamkit.store.tables import StoredObject


async def own_token_by_auth_id(session: AsyncSession, auth_id: str) -> c.Token | None:
    """Our own token whose 2.1.1 ``auth_id`` (canonical ``contract_id``) this is.
    Not indexed: 2.1.1 sessions and CDRs are rare next to the rest of the traffic."""
    rows = await session.scalars(
        select(StoredObject).where(
            StoredObject.module == tokens.MODULE,
            StoredObject.owner_id == objects.OWN,
            StoredObject.data["contract_id"].as_string() == auth_id,
        )
    )
    row = rows.first()
    return None if row is None else tokens.load(row)


async def parse_put(
    version: str, body: Any, ctx: ConversionContext, session: AsyncSession
) -> tuple[c.Session, c.Location | None]:
    """(canonical session, the Location a 2.1.1 session embeds)."""
    try:
        if version != "2.1.1":
            return c.Session.model_validate(body), None
        wire = w211.Session.model_validate(body)
        token = await own_token_by_auth_id(session, wire.auth_id)
        location = loc211.to_canonical(wire.location, ctx)
        return conv211.to_canonical(wire, ctx, token=token), location
    except ValidationError as exc:
        raise invalid_object(exc, "session") from None
    except ConversionError as exc:
        raise InvalidParameters(f"Session cannot be read: {exc}") from None


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
            token = await own_token_by_auth_id(session, wire.auth_id) if wire.auth_id else None
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
