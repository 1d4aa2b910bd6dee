"""The object store: OCPI objects as canonical JSON plus pre-serialized wire JSON.

List pages are assembled from the stored wire bytes of the partner's version
(DESIGN.md §2): no object is validated or serialized on the hot read path.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.protocol.timeutil import utcnow
from roamkit.store import changes
from roamkit.store.tables import StoredObject, UtcDateTime

OWN = 0
"""``owner_id`` of our own data; partner data carries the partner's id."""


@dataclass(frozen=True, slots=True)
class ObjectKey:
    module: str
    owner_id: int
    country_code: str
    party_id: str
    object_id: str


async def get(
    session: AsyncSession, key: ObjectKey, *, for_update: bool = False
) -> StoredObject | None:
    params = {
        "module": key.module,
        "owner_id": key.owner_id,
        "country_code": key.country_code.upper(),
        "party_id": key.party_id.upper(),
        "object_id": key.object_id,
    }
    return await session.scalar(_GET_FOR_UPDATE if for_update else _GET, params)


# Built once: constructing the statement per call cost more than running it.
_GET = select(StoredObject).where(
    StoredObject.module == bindparam("module"),
    StoredObject.owner_id == bindparam("owner_id"),
    StoredObject.country_code == bindparam("country_code"),
    StoredObject.party_id == bindparam("party_id"),
    StoredObject.object_id == bindparam("object_id"),
)
_GET_FOR_UPDATE = _GET.with_for_update()


async def get_own(session: AsyncSession, module: str, object_id: str) -> StoredObject | None:
    """Our own object by id alone: the sender interface's URLs carry no party."""
    return await session.scalar(
        select(StoredObject).where(
            StoredObject.module == module,
            StoredObject.owner_id == OWN,
            StoredObject.object_id == object_id,
        )
    )


async def save(
    session: AsyncSession,
    key: ObjectKey,
    *,
    data: dict[str, Any],
    last_updated: datetime,
    published: bool,
    wire_v221: bytes | None,
    wire_v211: bytes | None,
    row: StoredObject | None = None,
    audience_id: int | None = None,
) -> tuple[StoredObject, bool]:
    """Insert or replace; returns (row, created). ``audience_id``: the one partner an
    own session or CDR concerns (see ``StoredObject.audience_id``)."""
    created = row is None
    if row is None:
        row = StoredObject(
            module=key.module,
            owner_id=key.owner_id,
            country_code=key.country_code.upper(),
            party_id=key.party_id.upper(),
            object_id=key.object_id,
            created_at=utcnow(),
        )
        session.add(row)
    row.data = data
    row.last_updated = last_updated
    row.published = published
    row.wire_v221 = wire_v221
    row.wire_v211 = wire_v211
    row.audience_id = audience_id
    changes.touch(session, key.module)
    return row, created


@dataclass(frozen=True, slots=True)
class ListFilter:
    module: str
    owner_id: int
    date_from: datetime | None = None
    date_to: datetime | None = None
    published_only: bool = False
    audience_id: int | None = None
    """Only objects concerning this partner (own sessions and CDRs)."""


@lru_cache(maxsize=64)
def _ids_statement(
    version: str, published_only: bool, has_from: bool, has_to: bool, has_audience: bool = False
) -> Select[Any]:
    """The ids matching one shape of list filter, oldest first; built once (on the hot
    path building and hashing a fresh statement cost more than running it)."""
    t = StoredObject.__table__.c
    clauses: list[Any] = [t.module == bindparam("module"), t.owner_id == bindparam("owner_id")]
    if published_only:
        clauses.append(t.published.is_(True))
    if has_audience:
        clauses.append(t.audience_id == bindparam("audience_id"))
    if version == "2.1.1":
        clauses.append(t.wire_v211.is_not(None))
    if has_from:
        clauses.append(t.last_updated >= bindparam("date_from", type_=UtcDateTime))  # inclusive
    if has_to:
        clauses.append(t.last_updated < bindparam("date_to", type_=UtcDateTime))  # exclusive
    return select(t.id).where(*clauses).order_by(t.id)


_T = StoredObject.__table__.c
_WIRE_BY_IDS = {
    version: select(column)
    .where(_T.id.in_(bindparam("ids", expanding=True)), column.is_not(None))
    .order_by(_T.id)
    for version, column in (("2.1.1", _T.wire_v211), ("2.2.1", _T.wire_v221))
}


async def list_ids(session: AsyncSession, f: ListFilter, version: str) -> array[int]:
    """Ids of every object a list request matches, in the order pages are served
    (by creation, 211-P-3 / 221-P-3). The page is then a slice: no SQL OFFSET walk."""
    stmt = _ids_statement(
        version,
        f.published_only,
        f.date_from is not None,
        f.date_to is not None,
        f.audience_id is not None,
    )
    params = {
        "module": f.module,
        "owner_id": f.owner_id,
        "date_from": f.date_from,
        "date_to": f.date_to,
        "audience_id": f.audience_id,
    }
    conn = await session.connection()
    return array("q", (row[0] for row in await conn.execute(stmt, params)))


async def wire_by_ids(session: AsyncSession, ids: Sequence[int], version: str) -> list[bytes]:
    """Wire bytes of the given objects in ``version``, ordered by id."""
    if not ids:
        return []
    stmt = _WIRE_BY_IDS["2.1.1" if version == "2.1.1" else "2.2.1"]
    conn = await session.connection()
    return [row[0] for row in await conn.execute(stmt, {"ids": list(ids)})]


async def remove(session: AsyncSession, row: StoredObject) -> None:
    await session.delete(row)
    changes.touch(session, row.module)
