"""The server's session ticker: sends the session PATCHes the push throttle held
back, and the 5-minute heartbeat of running sessions (``charging.push_due``).
One per server process; on PostgreSQL several share the work (``SKIP LOCKED``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.modules.sessions import charging
from roamkit.modules.ticker import Ticker


class SessionTicker(Ticker):
    name = "session ticker"

    async def anything_due(self, session: AsyncSession, now: datetime) -> bool:
        return await charging.anything_due(session, now)

    async def run_due(self, session: AsyncSession, now: datetime) -> None:
        await charging.push_due(session, self.settings, now)
