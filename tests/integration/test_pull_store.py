"""The pull's bulk writes (``roamkit.store.bulk``) on a real database (SQLite and
PostgreSQL): a page may update an object that the partner's own push made newer while
the pull was running; the older copy must not win (the pull writes by key with a
``last_updated`` guard)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import select

from roamkit.store.db import Database, JsonText
from roamkit.store.tables import StoredObject
from roamkit.sync.pull import _INSERT, _UPDATE_DOCUMENTS
from support import fresh_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = {"k_module": "locations", "k_owner": 7, "k_cc": "NL", "k_pid": "CPO", "k_oid": "L1"}


def _values(version: int, last_updated: datetime) -> dict[str, object]:
    return {
        **KEY,
        "data": JsonText(orjson.dumps({"version": version})),
        "last_updated": last_updated,
        "published": True,
        "wire_v221": None,
        "wire_v211": None,
    }


async def _run(url: str) -> list[tuple[dict[str, int], datetime]]:
    db = Database(url)
    try:
        await db.migrate()
        async with db.session() as session:
            row = {
                "module": "locations",
                "owner_id": 7,
                "country_code": "NL",
                "party_id": "CPO",
                "object_id": "L1",
                "created_at": T0,
            }
            await _INSERT.run(session, [{**row, **_values(1, T0)}])
        for version, seconds in ((2, 5), (3, 1), (4, 5)):  # newer, older, same: only 2 lands
            async with db.session() as session:
                await _UPDATE_DOCUMENTS.run(
                    session, [_values(version, T0 + timedelta(seconds=seconds))]
                )
        async with db.sessions() as session:
            stmt = select(StoredObject.data, StoredObject.last_updated).where(
                StoredObject.owner_id == 7, StoredObject.object_id == "L1"
            )
            return [tuple(r) for r in await session.execute(stmt)]  # type: ignore[misc]
    finally:
        await db.dispose()


def test_a_pulled_copy_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "pullstore") as url:
        rows = asyncio.run(_run(url))
    assert rows == [({"version": 2}, T0 + timedelta(seconds=5))]


# --------------------------------------------------------------------------- bulk insert


def _objects(owner: int, n: int) -> list[dict[str, object]]:
    """Rows with the awkward values: quotes, backslashes, non-ASCII, an emoji, an
    empty document, binary with NUL bytes, NULL binary, false."""
    rows = []
    for i in range(n):
        doc = {"id": f'L"{i}\\', "name": "Zürich ☕ 🚗", "n": i} if i % 7 else {}
        rows.append(
            {
                "module": "locations",
                "owner_id": owner,
                "country_code": "NL",
                "party_id": "CPO",
                "object_id": f"L{i:03d}-é\"'\\",
                "created_at": T0,
                "data": JsonText(orjson.dumps(doc)) if i % 2 else doc,
                "last_updated": T0 + timedelta(seconds=i, microseconds=i),
                "published": bool(i % 3),
                "wire_v221": b"\x00\xff" + bytes([i % 256]) if i % 5 else None,
                "wire_v211": None,
            }
        )
    return rows


async def _insert_both_ways(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The same rows through ``BulkStatement`` (SQLite: one json_each statement) and
    through the ORM's own executemany; what the database holds must be identical."""
    from sqlalchemy import insert, text

    db = Database(url)
    cols = (
        "object_id, country_code, party_id, module, data, last_updated, published, "
        "wire_v221, wire_v211, created_at"
    )
    typed = ", ".join(f"{c.strip()}" for c in cols.split(","))
    try:
        await db.migrate()
        async with db.session() as session:
            await _INSERT.run(session, _objects(11, 60))
            await session.execute(insert(StoredObject), _objects(12, 60))
        async with db.sessions() as session:
            found = []
            for owner in (11, 12):
                rows = await session.execute(
                    text(f"SELECT {typed} FROM objects WHERE owner_id = :o ORDER BY id"),
                    {"o": owner},
                )
                found.append([tuple(r) for r in rows])
            return found[0], found[1]
    finally:
        await db.dispose()


def test_bulk_insert_stores_exactly_what_the_orm_stores_in_input_order(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "bulkinsert") as url:
        bulk, orm = asyncio.run(_insert_both_ways(url))
    assert len(bulk) == 60
    assert bulk == orm  # same text, same types, same order (ids follow the input)
    assert [r[0] for r in bulk] == [f"L{i:03d}-é\"'\\" for i in range(60)]
