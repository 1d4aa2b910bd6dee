"""The Alembic migrations build exactly the schema ``store.tables`` declares: a
migration that forgot a column or an index shows here, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from roamkit.store.db import Database
from roamkit.store.tables import Base
from support import fresh_database


def _diff(url: str) -> list[object]:
    async def run() -> list[object]:
        db = Database(url)
        try:
            await db.migrate()
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_migrations_match_the_tables(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "schema") as url:
        diff = _diff(url)
    # SQLite and PostgreSQL report DateTime(timezone=True) columns alike; anything
    # else (a missing table, column, index or constraint) is a real difference.
    assert [d for d in diff if not _type_only(d)] == []


def _type_only(entry: object) -> bool:
    first = entry[0] if isinstance(entry, list) else entry
    return isinstance(first, tuple) and first[0] in ("modify_type", "modify_nullable")
