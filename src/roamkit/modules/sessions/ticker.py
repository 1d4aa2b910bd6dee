"""The server's session ticker: sends the session PATCHes the push throttle held
back, and the 5-minute heartbeat of running sessions (``charging.push_due``).
One per server process; on PostgreSQL several share the work (``SKIP LOCKED``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from roamkit.config import Settings
from roamkit.modules.sessions import charging
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database

log = logging.getLogger("roamkit.sessions")

TICK = 1.0
"""Seconds between two looks; a held-back PATCH leaves at most this late."""


class SessionTicker:
    def __init__(self, db: Database, settings: Settings, tick: float = TICK) -> None:
        self.db = db
        self.settings = settings
        self.tick = tick
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

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
                    due = await charging.anything_due(session, now)
                if due:  # only then the write transaction (on SQLite: the write lock)
                    async with self.db.session() as session:
                        await charging.push_due(session, self.settings, now)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad row must not stop the ticker for every session
                log.exception("session ticker")
