"""Sessions: rules independent of version and transport (2.2.1 mod_sessions.asciidoc,
2.1.1 mod_sessions.md).

A write older than the stored session changes nothing, and the same update twice
changes nothing: a PUT or PATCH that leaves the document as it is answers
"unchanged", and a 2.2.1 PATCH appends only the charging periods the stored
session does not have yet (#mod_sessions_patch_method appends; a repeated PATCH
must not append twice). Sessions are never deleted (#mod_sessions_push_model).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import sessions as conv211
from roamkit.modules.embedded import embedded_location, plain, with_location
from roamkit.modules.results import Outcome
from roamkit.modules.wirejson import v211_bytes
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.store import objects
from roamkit.store.objects import ObjectKey
from roamkit.store.tables import StoredObject

MODULE = "sessions"


def key(owner_id: int, country_code: str, party_id: str, session_id: str) -> ObjectKey:
    return ObjectKey(MODULE, owner_id, country_code.upper(), party_id.upper(), session_id)


def load(row: StoredObject) -> c.Session:
    return c.Session.model_validate(row.data)


async def store(
    session: AsyncSession,
    k: ObjectKey,
    obj: c.Session,
    row: StoredObject | None,
    *,
    location: c.Location | None = None,
    audience_id: int | None = None,
) -> Outcome:
    """Write the session; our own sessions also get their wire bytes per version
    (2.1.1 embeds the Location, so it needs ``location``)."""
    plain_data = obj.model_dump(mode="json", exclude_none=True)
    data = with_location(plain_data, location)
    wire_v221 = wire_v211 = None
    if k.owner_id == objects.OWN:
        wire_v221 = orjson.dumps(plain_data)
        if location is not None:
            ctx = ConversionContext(country_code=obj.country_code, party_id=obj.party_id)
            wire_v211 = v211_bytes(
                obj, lambda s, _ctx: conv211.from_canonical(s, location=location), ctx
            )
    _, created = await objects.save(
        session,
        k,
        data=data,
        last_updated=obj.last_updated,
        published=True,
        wire_v221=wire_v221,
        wire_v211=wire_v211,
        row=row,
        audience_id=audience_id,
    )
    return Outcome.CREATED if created else Outcome.UPDATED


def _same(row: StoredObject, data: dict[str, Any]) -> bool:
    return plain(row.data) == plain(data)


async def put_session(
    session: AsyncSession, owner_id: int, obj: c.Session, location: c.Location | None = None
) -> Outcome:
    """Receiver PUT: replaces the whole session, its charging periods included
    (CHECKLIST 221-S-2)."""
    k = key(owner_id, obj.country_code, obj.party_id, obj.id)
    row = await objects.get(session, k, for_update=True)
    if row is not None:
        if obj.last_updated < row.last_updated:
            return Outcome.UNCHANGED
        if _same(row, obj.model_dump(mode="json", exclude_none=True)):
            return Outcome.UNCHANGED
        if location is None:
            location = embedded_location(row.data)
    return await store(session, k, obj, row, location=location)


def append_periods(
    stored: list[dict[str, Any]] | None, new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """2.2.1 PATCH appends charging periods (#mod_sessions_patch_method). Periods that
    start no later than the last stored one are taken as already received (a repeated
    PATCH), so appending is idempotent; replacing periods takes a PUT (221-S-3)."""
    periods = list(stored or [])
    last = _start(periods[-1]) if periods else None
    for period in sorted(new, key=_start):
        if last is None or _start(period) > last:
            periods.append(period)
            last = _start(period)
    return periods


def _start(period: dict[str, Any]) -> datetime:
    return c.ChargingPeriod.model_validate(period).start_date_time


async def patch_session(
    session: AsyncSession,
    k: ObjectKey,
    fields: dict[str, Any],
    last_updated: datetime,
    *,
    append: bool,
) -> Outcome:
    """Receiver PATCH. ``append``: 2.2.1 (periods are appended); 2.1.1 does not say,
    and a PATCH replaces the fields it carries, so there the list is replaced."""
    row = await objects.get(session, k, for_update=True)
    if row is None:
        raise NotFound(f"Unknown session {k.object_id!r}: PUT it first")
    if last_updated < row.last_updated:
        return Outcome.UNCHANGED
    for locked in ("country_code", "party_id", "id"):
        if locked in fields and str(fields[locked]).upper() != str(row.data[locked]).upper():
            raise InvalidParameters(f"PATCH cannot change a session's {locked}")
    doc = plain(row.data)
    periods = fields.pop("charging_periods", None)
    doc.update(fields)
    if periods:
        doc["charging_periods"] = (
            append_periods(doc.get("charging_periods"), periods) if append else periods
        )
    doc["last_updated"] = last_updated.isoformat()
    try:
        obj = c.Session.model_validate(doc)
    except ValidationError as exc:
        raise invalid_object(exc, "resulting session", limit=5) from None
    if _same(row, obj.model_dump(mode="json", exclude_none=True)):
        return Outcome.UNCHANGED
    try:
        location = embedded_location(row.data)
    except (ValidationError, ConversionError):
        location = None
    return await store(session, k, obj, row, location=location)
