"""Reservations as both sides keep them (``Reservation`` rows): found by the eMSP's
``reservation_id`` per partner; a ReserveNow with the same id replaces the reservation
(2.2.1 #mod_commands_reservenow_object).

A replacement of a reservation that holds is kept aside (``data["pending"]``) until the
Charge Point accepts it: if it does not, the reservation it was to replace still holds.
A ``reservation_id`` used again after its reservation ended is a new reservation, with a
new id of ours (the old one names a Session, maybe a CDR)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.modules.commands import records
from roamkit.store.tables import Reservation

LIVE = ("requested", "active")
"""Statuses of a reservation that still holds (it may be cancelled or expire)."""

ACTIVATED, REPLACED, KEPT, FAILED = "activated", "replaced", "kept", "failed"


async def find(
    session: AsyncSession,
    direction: str,
    partner_id: int,
    reservation_id: str | None,
    *,
    lock: bool = False,
) -> Reservation | None:
    stmt = select(Reservation).where(
        Reservation.direction == direction,
        Reservation.partner_id == partner_id,
        Reservation.reservation_id == reservation_id,
    )
    return await session.scalar(stmt.with_for_update() if lock else stmt)


async def request(
    session: AsyncSession,
    direction: str,
    partner_id: int,
    body: c.ReserveNow,
    data: dict[str, Any],
) -> Reservation:
    """The reservation ``body`` asks for (``data`` names its ``command_id``)."""
    found = await find(session, direction, partner_id, body.reservation_id, lock=True)
    asked = {
        "location_id": body.location_id,
        "evse_uid": body.evse_uid,
        "expiry_date": body.expiry_date.isoformat(),
    }
    if found is not None and found.status == "active":
        found.data = {**found.data, "pending": {**asked, "data": data}}
        return found
    if found is not None and found.status != "requested":
        await session.delete(found)  # ended: its id stays with its Session and CDR
        await session.flush()
        found = None
    if found is None:
        found = Reservation(
            id=records.new_id(),
            direction=direction,
            partner_id=partner_id,
            reservation_id=body.reservation_id,
        )
        session.add(found)
    _apply(found, asked, data)
    found.status = "requested"
    return found


def _apply(found: Reservation, asked: dict[str, Any], data: dict[str, Any]) -> None:
    found.location_id = asked["location_id"]
    found.evse_uid = asked["evse_uid"]
    found.expiry_date = datetime.fromisoformat(asked["expiry_date"])
    found.data = data


def settle(found: Reservation, command_id: str, accepted: bool) -> str | None:
    """The Charge Point's answer to the ReserveNow ``command_id``: ``activated`` or
    ``failed`` for a new reservation, ``replaced`` or ``kept`` for a replacement; None
    when the reservation has moved on (cancelled, expired, replaced again)."""
    if found.status not in LIVE:
        return None
    pending = found.data.get("pending")
    if pending is not None and pending["data"].get("command_id") == command_id:
        if accepted:
            _apply(found, pending, pending["data"])
            return REPLACED
        found.data = {k: v for k, v in found.data.items() if k != "pending"}
        return KEPT
    if found.status == "requested" and found.data.get("command_id") == command_id:
        found.status = "active" if accepted else "failed"
        return ACTIVATED if accepted else FAILED
    return None


async def set_status(
    session: AsyncSession, direction: str, partner_id: int, reservation_id: str | None, status: str
) -> None:
    """Move a live reservation on (an ended one stays as it ended)."""
    found = await find(session, direction, partner_id, reservation_id, lock=True)
    if found is not None and found.status in LIVE:
        found.status = status
