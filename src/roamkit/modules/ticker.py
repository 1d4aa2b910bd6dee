"""A server's periodic job over the database, on every server process: each tick a
read-only look, and a write transaction only when there is something due (on SQLite
the write lock is not taken by idle ticks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database

log = logging.getLogger("roamkit.ticker")


class Ticker:
    """Subclasses say what is due (``anything_due``) and do it (``run_due``)."""

    name = "ticker"

    def __init__(self, db: Database, settings: Settings, tick: float = 1.0) -> None:
        self.db = db
        self.settings = settings
        self.tick = tick
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def anything_due(self, session: AsyncSession, now: datetime) -> bool:
        raise NotImplementedError

    async def run_due(self, session: AsyncSession, now: datetime) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Let a round in progress finish: cancelling it inside a database call would
        leave the SQLite driver's thread answering a loop that is gone."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.tick)
                return
            try:
                now = utcnow()
                async with self.db.sessions() as session:
                    due = await self.anything_due(session, now)
                if due:
                    async with self.db.session() as session:
                        await self.run_due(session, now)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad row must not stop the job for every other
                log.exception("%s", self.name)
