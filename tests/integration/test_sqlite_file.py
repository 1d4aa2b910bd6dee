"""How roamkit lays out its SQLite files (``store.db._sqlite_pragmas``): new files get
8 kB pages (a ~2 kB location document per 4 kB page wasted half of every page a pull
wrote), WAL and ``synchronous=NORMAL``; a file made earlier with other pages keeps them
and keeps working."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from roamkit.store.db import Database


async def _settings(url: str) -> tuple[int, str, int, int]:
    db = Database(url)
    try:
        await db.migrate()
        async with db.session() as session:
            await session.execute(
                text(
                    "INSERT INTO quarantine (module, reason, payload, created_at) "
                    "VALUES ('locations', 'r', 'p', '2026-01-01 00:00:00.000000')"
                )
            )
        async with db.sessions() as session:
            page = (await session.execute(text("PRAGMA page_size"))).scalar_one()
            journal = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
            sync = (await session.execute(text("PRAGMA synchronous"))).scalar_one()
            rows = (await session.execute(text("SELECT count(*) FROM quarantine"))).scalar_one()
        return page, journal, sync, rows
    finally:
        await db.dispose()


def test_a_new_file_gets_8_kb_pages_and_wal(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    assert asyncio.run(_settings(url)) == (8192, "wal", 1, 1)  # 1: NORMAL


def test_an_existing_4_kb_file_keeps_its_pages(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size=4096")
    con.execute("CREATE TABLE earlier (x INTEGER)")  # the file exists with 4 kB pages
    con.close()
    assert asyncio.run(_settings(f"sqlite+aiosqlite:///{path}")) == (4096, "wal", 1, 1)
