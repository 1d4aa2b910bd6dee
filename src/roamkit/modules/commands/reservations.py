"""Reservations as both sides keep them (``Reservation`` rows): found by the eMSP's
``reservation_id`` per partner, replaced by a ReserveNow with the same id (2.2.1
#mod_commands_reservenow_object)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.modules.commands import records
from roamkit.store.tables import Reservation

LIVE = ("requested", "active")
"""Statuses of a reservation that still holds (it may be cancelled or expire)."""


async def find(
    session: AsyncSession, direction: str, partner_id: int, reservation_id: str | None
) -> Reservation | None:
    return await session.scalar(
        select(Reservation).where(
            Reservation.direction == direction,
            Reservation.partner_id == partner_id,
            Reservation.reservation_id == reservation_id,
        )
    )


async def upsert(
    session: AsyncSession,
    direction: str,
    partner_id: int,
    body: c.ReserveNow,
    data: dict[str, Any],
) -> Reservation:
    """The reservation ``body`` asks for, new or replacing the one with its id; our own
    ``id`` stays the same across replacements."""
    found = await find(session, direction, partner_id, body.reservation_id)
    if found is None:
        found = Reservation(
            id=records.new_id(),
            direction=direction,
            partner_id=partner_id,
            reservation_id=body.reservation_id,
        )
        session.add(found)
    found.location_id = body.location_id
    found.evse_uid = body.evse_uid
    found.expiry_date = body.expiry_date
    found.status = "requested"
    found.data = data
    return found


async def set_status(
    session: AsyncSession, direction: str, partner_id: int, reservation_id: str | None, status: str
) -> None:
    """Move a live reservation on (an ended one stays as it ended)."""
    found = await find(session, direction, partner_id, reservation_id)
    if found is not None and found.status in LIVE:
        found.status = status
