"""The deadline keeper for asynchronous requests, on every server process: a request
the charger side never answered gets the result TIMEOUT posted (CPO side); a command
whose result never came is marked timed out (eMSP side); reservations past their
``expiry_date`` expire on both sides (2.2.1 #mod_commands_reservenow_object)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.modules.commands import records
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database
from roamkit.store.tables import CommandRecord, Reservation

log = logging.getLogger("roamkit.commands")

TICK = 1.0
LIVE_RESERVATION = ("requested", "active")


def _overdue(now: datetime):  # type: ignore[no-untyped-def]
    return CommandRecord.state.in_(records.OPEN_STATES), CommandRecord.deadline_at <= now


async def anything_due(session: AsyncSession, now: datetime) -> bool:
    """A read-only look first: most ticks find nothing, and take no write lock."""
    overdue = exists().where(*_overdue(now))
    expired = exists().where(
        Reservation.status.in_(LIVE_RESERVATION), Reservation.expiry_date <= now
    )
    return bool(await session.scalar(select(or_(overdue, expired))))


async def run_due(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """End what is overdue; returns how many records and reservations it touched."""
    stmt = select(CommandRecord).where(*_overdue(now)).order_by(CommandRecord.deadline_at)
    if session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers share the work
    done = 0
    for rec in await session.scalars(stmt.limit(200)):
        if rec.direction == records.IN:
            handler = records.HANDLERS.get(rec.module)
            if handler is not None:
                await handler.timeout(session, settings, rec)
        else:
            records.close(rec, records.TIMED_OUT, now)
            rec.error = rec.error or "no result came before the deadline"
        done += 1
    result = await session.execute(
        update(Reservation)
        .where(Reservation.status.in_(LIVE_RESERVATION), Reservation.expiry_date <= now)
        .values(status="expired", updated_at=now)
    )
    return done + int(result.rowcount or 0)  # type: ignore[attr-defined]


class CommandTicker:
    def __init__(self, db: Database, settings: Settings, tick: float = TICK) -> None:
        self.db = db
        self.settings = settings
        self.tick = tick
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Let a round in progress finish (as ``SessionTicker.stop``)."""
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
                    due = await anything_due(session, now)
                if due:
                    async with self.db.session() as session:
                        await run_due(session, self.settings, now)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad row must not stop every deadline
                log.exception("command ticker")
