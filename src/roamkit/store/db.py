"""Engine and sessions. One ``Database`` per app instance; SQLite gets WAL and a
busy timeout so the server, the CLI and the push worker can share the file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """Accept plain ``sqlite:///`` / ``postgresql://`` URLs and pick the async driver."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        # orjson for JSON columns: documents are written on every change of every object.
        kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A write transaction, committed on success.

        On SQLite it starts with ``BEGIN IMMEDIATE``: writers queue for the write
        lock before they read, so a read-modify-write (an EVSE inside its
        location's document) cannot lose a concurrent update. ``SELECT ... FOR
        UPDATE`` does that on PostgreSQL. Read-only work uses ``sessions()``.
        """
        if not self.is_sqlite:
            async with self.sessions() as session, session.begin():
                yield session
            return
        # One writer at a time in this process: SQLite's own busy handler waits by
        # sleeping (up to 100 ms a try), which turns contention into seconds.
        async with self._write_lock, self.sessions() as session, session.begin():
            await session.execute(text("BEGIN IMMEDIATE"))
            yield session

    async def migrate(self) -> None:
        """Bring the schema to head (Alembic), safely from several workers at once."""
        from roamkit.store.migrate import upgrade_connection

        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7216454)")
            await conn.run_sync(upgrade_connection)

    async def dispose(self) -> None:
        await self.engine.dispose()


class JsonText(bytes):
    """A document already serialised (pydantic's ``to_json``): written to a JSON
    column as it is, so bulk writers do not serialise each object twice."""


def _json_dumps(value: Any) -> str:
    if isinstance(value, JsonText):
        return value.decode()
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    # 8 kB pages, for new files only (an existing file keeps its size). A location is
    # ~2.2 kB: a 4 kB page holds one and wastes the rest, so a 10,000-location pull logs
    # ~9,500 pages and copies each again at the checkpoint; with 8 kB ~3,500 (the insert
    # alone 0.21 -> 0.15 s, the pull 8 % faster). 16 kB cost the push path (p99 179 ms ->
    # 5.6 s, session 5); 8 kB did not (p99 36 -> 25 ms). bench/RESULTS.md, sessions 5, 7.
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def run_migrations(url: str) -> None:
    """Synchronous entry point for ``roamkit init``."""

    async def _run() -> None:
        db = Database(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(_run())
