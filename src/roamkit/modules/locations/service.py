"""Locations: the rules of the module, independent of version and transport
(2.2.1 mod_locations.asciidoc, 2.1.1 mod_locations.md).

- Locations, EVSEs and Connectors are never deleted; an EVSE leaves with
  status REMOVED (221-L-1).
- A child's change sets the parent's ``last_updated`` too (221-L-2, 211-P-5),
  so date filters find the location.
- A write older than what is stored changes nothing (the partner's data may
  arrive out of order; the newer copy wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.v211 import locations as conv211
from roamkit.modules.results import Outcome
from roamkit.modules.wirejson import wire_forms
from roamkit.protocol.errors import NotFound, invalid_object
from roamkit.protocol.status import StatusCode
from roamkit.protocol.timeutil import format_datetime, parse_datetime
from roamkit.store import changes, objects
from roamkit.store.objects import ObjectKey
from roamkit.store.tables import StoredObject

MODULE = "locations"


class UnknownLocation(NotFound):
    status_code = StatusCode.UNKNOWN_LOCATION


def key(owner_id: int, country_code: str, party_id: str, location_id: str) -> ObjectKey:
    return ObjectKey(MODULE, owner_id, country_code.upper(), party_id.upper(), location_id)


def load(row: StoredObject) -> c.Location:
    return c.Location.model_validate(row.data)


def is_public(location: c.Location) -> bool:
    """What a partner without 2.2.1's publish flag may see (2.1.1 §1: a location
    without a valid EVSE is expired)."""
    return visible(location.publish, [e.status for e in location.evses or []])


def visible(publish: bool | None, statuses: list[str]) -> bool:
    """``is_public`` from the publish flag and the EVSE statuses (StrEnum or str)."""
    return bool(publish) and (not statuses or any(s != c.Status.REMOVED for s in statuses))


async def store(
    session: AsyncSession, k: ObjectKey, location: c.Location, row: StoredObject | None
) -> Outcome:
    data, wire_v221, wire_v211 = wire_forms(
        location, conv211.from_canonical, served=k.owner_id == objects.OWN
    )
    _, created = await objects.save(
        session,
        k,
        data=data,
        last_updated=location.last_updated,
        published=is_public(location),
        wire_v221=wire_v221,
        wire_v211=wire_v211,
        row=row,
    )
    return Outcome.CREATED if created else Outcome.UPDATED


def _validated(data: dict[str, Any]) -> c.Location:
    try:
        return c.Location.model_validate(data)
    except ValidationError as exc:
        raise invalid_object(exc, "resulting location", limit=5) from None


def _stale(current: datetime, incoming: datetime | None) -> bool:
    return incoming is not None and incoming < current


@dataclass(slots=True)
class Target:
    """Where in a location a write lands."""

    location_id: str
    evse_uid: str | None = None
    connector_id: str | None = None


async def put_location(session: AsyncSession, owner_id: int, location: c.Location) -> Outcome:
    k = key(owner_id, location.country_code, location.party_id, location.id)
    row = await objects.get(session, k, for_update=True)
    if row is not None and _stale(row.last_updated, location.last_updated):
        return Outcome.UNCHANGED
    return await store(session, k, location, row)


async def _existing(session: AsyncSession, k: ObjectKey) -> tuple[StoredObject, dict[str, Any]]:
    row = await objects.get(session, k, for_update=True)
    if row is None:
        raise UnknownLocation(f"Unknown location {k.object_id!r}: PUT the location first")
    return row, dict(row.data)


def _find(items: list[dict[str, Any]], field: str, value: str) -> int | None:
    for i, item in enumerate(items):
        if str(item.get(field)) == value:
            return i
    return None


async def put_evse(session: AsyncSession, k: ObjectKey, evse: c.EVSE) -> Outcome:
    row, doc = await _existing(session, k)
    evses = list(doc.get("evses") or [])
    i = _find(evses, "uid", evse.uid)
    if i is not None and _stale(c.EVSE.model_validate(evses[i]).last_updated, evse.last_updated):
        return Outcome.UNCHANGED
    new = evse.model_dump(mode="json", exclude_none=True)
    if i is None:
        evses.append(new)
    else:
        evses[i] = new
    doc["evses"] = evses
    _bump(doc, evse.last_updated)
    await store(session, k, _validated(doc), row)
    return Outcome.CREATED if i is None else Outcome.UPDATED


async def put_connector(
    session: AsyncSession, k: ObjectKey, evse_uid: str, connector: c.Connector
) -> Outcome:
    row, doc = await _existing(session, k)
    evses = list(doc.get("evses") or [])
    ei = _find(evses, "uid", evse_uid)
    if ei is None:
        raise NotFound(f"Unknown EVSE {evse_uid!r} in location {k.object_id!r}")
    evse = dict(evses[ei])
    connectors = list(evse.get("connectors") or [])
    ci = _find(connectors, "id", connector.id)
    if ci is not None and _stale(
        c.Connector.model_validate(connectors[ci]).last_updated, connector.last_updated
    ):
        return Outcome.UNCHANGED
    new = connector.model_dump(mode="json", exclude_none=True)
    if ci is None:
        connectors.append(new)
    else:
        connectors[ci] = new
    evse["connectors"] = connectors
    _bump(evse, connector.last_updated)
    evses[ei] = evse
    doc["evses"] = evses
    _bump(doc, connector.last_updated)
    await store(session, k, _validated(doc), row)
    return Outcome.CREATED if ci is None else Outcome.UPDATED


def _bump(doc: dict[str, Any], when: datetime) -> None:
    """Parent ``last_updated`` follows the child (221-L-2), never going backwards."""
    old = doc.get("last_updated")
    if old is None or parse_datetime(old) < when:
        doc["last_updated"] = when.isoformat()


async def patch(
    session: AsyncSession,
    k: ObjectKey,
    target: Target,
    fields: dict[str, Any],
    last_updated: datetime,
) -> Outcome:
    """Apply a PATCH (only the sent fields) at location, EVSE or connector level."""
    row, doc = await _existing(session, k)
    fields = {**fields, "last_updated": last_updated.isoformat()}
    if target.evse_uid is None:
        if _stale(row.last_updated, last_updated):
            return Outcome.UNCHANGED
        for identity in ("id", "country_code", "party_id"):  # never change (221-L-7)
            fields.pop(identity, None)
        doc.update(fields)
        await store(session, k, _validated(doc), row)
        return Outcome.UPDATED
    evses = list(doc.get("evses") or [])
    ei = _find(evses, "uid", target.evse_uid)
    if ei is None:
        raise NotFound(f"Unknown EVSE {target.evse_uid!r} in location {k.object_id!r}")
    evse = dict(evses[ei])
    if target.connector_id is None:
        if _stale(parse_datetime(evse["last_updated"]), last_updated):
            return Outcome.UNCHANGED
        fields.pop("uid", None)
        evse.update(fields)
    else:
        connectors = list(evse.get("connectors") or [])
        ci = _find(connectors, "id", target.connector_id)
        if ci is None:
            raise NotFound(f"Unknown connector {target.connector_id!r} in EVSE {target.evse_uid!r}")
        if _stale(parse_datetime(connectors[ci]["last_updated"]), last_updated):
            return Outcome.UNCHANGED
        fields.pop("id", None)
        connectors[ci] = {**connectors[ci], **fields}
        evse["connectors"] = connectors
        _bump(evse, last_updated)
    evses[ei] = evse
    doc["evses"] = evses
    _bump(doc, last_updated)
    await store(session, k, _validated(doc), row)
    return Outcome.UPDATED


_T = StoredObject.__table__.c
_STATUS_ROW = (
    sa_select(_T.id, _T.data, _T.wire_v211)
    .where(
        _T.module == bindparam("module"),
        _T.owner_id == bindparam("owner_id"),
        _T.country_code == bindparam("country_code"),
        _T.party_id == bindparam("party_id"),
        _T.object_id == bindparam("object_id"),
    )
    .with_for_update()
)
_STATUS_WRITE = (
    update(StoredObject.__table__)
    .where(_T.id == bindparam("row_id"))
    .values(
        data=bindparam("data"),
        last_updated=bindparam("last_updated"),
        published=bindparam("published"),
        wire_v221=bindparam("wire_v221"),
        wire_v211=bindparam("wire_v211"),
    )
)


async def set_evse_status(
    session: AsyncSession, k: ObjectKey, evse_uid: str, status: c.Status, when: datetime
) -> Outcome:
    """An EVSE's status, the write a CPO makes most often: the stored documents
    (canonical and both wire forms) are patched in place rather than the whole
    location validated and rendered again. Both versions name the same statuses
    (2.1.1 mod_locations.md §4.4.4, 2.2.1 mod_locations.asciidoc Status enum), and
    ``last_updated`` of the EVSE and the location follow (221-L-2)."""
    params = {
        "module": k.module,
        "owner_id": k.owner_id,
        "country_code": k.country_code,
        "party_id": k.party_id,
        "object_id": k.object_id,
    }
    row = (await session.execute(_STATUS_ROW, params)).one_or_none()
    if row is None:
        raise UnknownLocation(f"Unknown location {k.object_id!r}: PUT the location first")
    doc: dict[str, Any] = row.data
    evse = _evse_of(doc, evse_uid)
    if evse is None:
        raise NotFound(f"Unknown EVSE {evse_uid!r} in location {k.object_id!r}")
    if _stale(parse_datetime(evse["last_updated"]), when):
        return Outcome.UNCHANGED
    stamp = format_datetime(when)
    _set_status(doc, evse, status.value, stamp, when)
    wire_v211 = row.wire_v211
    if wire_v211 is not None:
        doc211 = orjson.loads(wire_v211)
        evse211 = _evse_of(doc211, evse_uid)
        if evse211 is not None:
            _set_status(doc211, evse211, status.value, stamp, when)
            wire_v211 = orjson.dumps(doc211)
    wire_v221 = orjson.dumps(doc)
    await session.execute(
        _STATUS_WRITE,
        {
            "row_id": row.id,
            "data": doc,
            "last_updated": parse_datetime(doc["last_updated"]),
            "published": _public_doc(doc),
            "wire_v221": wire_v221,
            "wire_v211": wire_v211,
        },
    )
    changes.touch(session, MODULE)
    return Outcome.UPDATED


def _evse_of(doc: dict[str, Any], uid: str) -> dict[str, Any] | None:
    for evse in doc.get("evses") or []:
        if evse.get("uid") == uid:
            return evse  # type: ignore[no-any-return]
    return None


def _set_status(
    doc: dict[str, Any], evse: dict[str, Any], status: str, stamp: str, when: datetime
) -> None:
    evse["status"] = status
    evse["last_updated"] = stamp
    if parse_datetime(doc["last_updated"]) < when:
        doc["last_updated"] = stamp


def _public_doc(doc: dict[str, Any]) -> bool:
    """``is_public`` on the stored document."""
    return visible(doc.get("publish"), [e.get("status") for e in doc.get("evses") or []])


def select(location: c.Location, target: Target) -> c.Location | c.EVSE | c.Connector:
    """The object a GET addresses inside a location."""
    if target.evse_uid is None:
        return location
    evse = find_evse(location, target.evse_uid)
    if evse is None:
        raise NotFound(f"Unknown EVSE {target.evse_uid!r} in location {location.id!r}")
    if target.connector_id is None:
        return evse
    connector = find_connector(evse, target.connector_id)
    if connector is None:
        raise NotFound(f"Unknown connector {target.connector_id!r} in EVSE {target.evse_uid!r}")
    return connector


def find_evse(location: c.Location, evse_uid: str) -> c.EVSE | None:
    return next((e for e in location.evses or [] if e.uid == evse_uid), None)


def find_connector(evse: c.EVSE, connector_id: str) -> c.Connector | None:
    return next((x for x in evse.connectors if x.id == connector_id), None)


def charging_point(
    location: c.Location, evse_uid: str, connector_id: str
) -> tuple[c.EVSE, c.Connector]:
    """The EVSE and connector a session uses; ``UnknownLocation`` (2003) otherwise."""
    evse = find_evse(location, evse_uid)
    if evse is None:
        raise UnknownLocation(f"Location {location.id!r} has no EVSE {evse_uid!r}")
    connector = find_connector(evse, connector_id)
    if connector is None:
        raise UnknownLocation(
            f"Location {location.id!r} EVSE {evse_uid!r} has no connector {connector_id!r}"
        )
    return evse, connector
