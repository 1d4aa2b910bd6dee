"""``ChargingProfileState`` rows, one per (direction, partner, session): found, or made
and found, under a row lock. Two writers of the same row at once (on the eMSP side a
result POST and an ActiveChargingProfile PUT often arrive together) must not both
insert it: the second would fail on the unique key and be answered 409."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.protocol.timeutil import utcnow
from roamkit.store.tables import ChargingProfileState


async def get(
    session: AsyncSession, direction: str, partner_id: int, session_id: str
) -> ChargingProfileState | None:
    return await session.scalar(
        select(ChargingProfileState)
        .where(
            ChargingProfileState.direction == direction,
            ChargingProfileState.partner_id == partner_id,
            ChargingProfileState.session_id == session_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_or_make(
    session: AsyncSession, direction: str, partner_id: int, session_id: str
) -> ChargingProfileState:
    """The row, inserted first when missing (INSERT ... ON CONFLICT DO NOTHING)."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(ChargingProfileState)
        .values(
            direction=direction, partner_id=partner_id, session_id=session_id, updated_at=utcnow()
        )
        .on_conflict_do_nothing()
    )
    found = await get(session, direction, partner_id, session_id)
    assert found is not None
    return found
