"""The object store: OCPI objects as canonical JSON plus pre-serialized wire JSON.

List pages are assembled from the stored wire bytes of the partner's version
(DESIGN.md §2): no object is validated or serialized on the hot read path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.protocol.timeutil import utcnow
from roamkit.store import changes
from roamkit.store.tables import StoredObject

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
    wire_v221: bytes,
    wire_v211: bytes | None,
    row: StoredObject | None = None,
) -> tuple[StoredObject, bool]:
    """Insert or replace; returns (row, created)."""
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
    changes.touch(session, key.module)
    return row, created


@dataclass(frozen=True, slots=True)
class ListFilter:
    module: str
    owner_id: int
    date_from: datetime | None = None
    date_to: datetime | None = None
    published_only: bool = False


def _where(f: ListFilter, version: str) -> list[Any]:
    clauses: list[Any] = [StoredObject.module == f.module, StoredObject.owner_id == f.owner_id]
    if f.published_only:
        clauses.append(StoredObject.published.is_(True))
    if version == "2.1.1":
        clauses.append(StoredObject.wire_v211.is_not(None))
    if f.date_from is not None:
        clauses.append(StoredObject.last_updated >= f.date_from)  # inclusive (221-P-1)
    if f.date_to is not None:
        clauses.append(StoredObject.last_updated < f.date_to)  # exclusive
    return clauses


async def count(session: AsyncSession, f: ListFilter, version: str) -> int:
    return int(await session.scalar(select(func.count()).where(*_where(f, version))) or 0)


async def page_wire(
    session: AsyncSession, f: ListFilter, version: str, offset: int, limit: int
) -> Sequence[bytes]:
    """Wire bytes of one page, oldest first by creation (211-P-3, 221-P-3)."""
    column = StoredObject.wire_v211 if version == "2.1.1" else StoredObject.wire_v221
    rows = await session.scalars(
        select(column)
        .where(*_where(f, version))
        .order_by(StoredObject.id)
        .offset(offset)
        .limit(limit)
    )
    return [b for b in rows if b is not None]  # never None: filtered in _where


async def remove(session: AsyncSession, row: StoredObject) -> None:
    await session.delete(row)
    changes.touch(session, row.module)
