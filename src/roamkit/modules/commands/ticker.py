"""The deadline keeper for asynchronous requests, on every server process: a request
the charger side never answered gets the result TIMEOUT posted (CPO side); a command
whose result never came is marked timed out (eMSP side); reservations past their
``expiry_date`` expire on both sides (2.2.1 #mod_commands_reservenow_object)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.modules.commands import records, reservations
from roamkit.modules.sessions import charging
from roamkit.modules.ticker import Ticker
from roamkit.store.tables import CommandRecord, Reservation


def _overdue(now: datetime):  # type: ignore[no-untyped-def]
    return CommandRecord.state.in_(records.OPEN_STATES), CommandRecord.deadline_at <= now


async def anything_due(session: AsyncSession, now: datetime) -> bool:
    """A read-only look first: most ticks find nothing, and take no write lock."""
    overdue = exists().where(*_overdue(now))
    expired = exists().where(
        Reservation.status.in_(reservations.LIVE), Reservation.expiry_date <= now
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
    expired = select(Reservation).where(
        Reservation.status.in_(reservations.LIVE), Reservation.expiry_date <= now
    )
    if session.bind.dialect.name != "sqlite":
        expired = expired.with_for_update(skip_locked=True)
    for found in await session.scalars(expired.limit(200)):
        found.status = "expired"
        found.updated_at = now
        if found.direction == records.IN:  # its Session ends (2.2.1 #mod_sessions_reservation)
            await charging.release(session, settings, found.id)
        done += 1
    return done


class CommandTicker(Ticker):
    name = "command ticker"

    async def anything_due(self, session: AsyncSession, now: datetime) -> bool:
        return await anything_due(session, now)

    async def run_due(self, session: AsyncSession, now: datetime) -> None:
        await run_due(session, self.settings, now)
