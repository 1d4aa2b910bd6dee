"""Management API for commands and the charger side's hook.

eMSP side: ``POST /api/commands`` sends a command to a CPO partner and answers the
record with the CPO's immediate answer; ``GET /api/commands[?direction=&state=]``,
``GET /api/commands/{id}`` follow it until it ends (``state`` and ``outcome``);
``GET /api/reservations``.

CPO side, the hook an OCPP backend plugs into: ``GET /api/charger/commands?wait=N``
lists the requests partners sent that wait for the charger side (commands and charging
profile requests; a long poll of up to N seconds when there are none);
``POST /api/charger/commands/take?wait=N`` hands out each of them once (the backend's loop);
``POST /api/charger/commands/{id}/result`` reports what the Charge Point did, and we
post it to the partner; ``POST /api/charger/reservations/{id}/cancel`` cancels a
reservation from our side (the eMSP is told CANCELED_RESERVATION).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from roamkit.api.auth import require_admin
from roamkit.modules.commands import cpo, emsp, records
from roamkit.modules.deps import ClientDep, DatabaseDep, SettingsDep
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, json_body
from roamkit.protocol.timeutil import format_datetime
from roamkit.store.tables import CommandRecord, Partner, Reservation

router = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])

LIST_LIMIT = 1000
MAX_WAIT = 60.0


async def _object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a JSON object")
    return body


async def _names(session: Any) -> dict[int, str]:
    return {p.id: p.name for p in await session.scalars(select(Partner))}


@router.post("/commands")
async def send_command(
    request: Request, db: DatabaseDep, client: ClientDep, settings: SettingsDep
) -> OcpiResponse:
    req = emsp.parse_request(await _object(request))
    rec, name = await emsp.send(db, client, settings, req)
    return ocpi_response(records.record_json(rec, name), http_status=201)


@router.get("/commands")
async def list_commands(
    db: DatabaseDep,
    direction: str | None = None,
    state: str | None = None,
    limit: int = Query(100, ge=1, le=LIST_LIMIT),
) -> OcpiResponse:
    stmt = select(CommandRecord).order_by(CommandRecord.created_at.desc()).limit(limit)
    if direction:
        stmt = stmt.where(CommandRecord.direction == direction)
    if state:
        stmt = stmt.where(CommandRecord.state == state)
    async with db.sessions() as session:
        names = await _names(session)
        rows = list(await session.scalars(stmt))
    return ocpi_response([records.record_json(r, names.get(r.partner_id)) for r in rows])


@router.get("/commands/{record_id}")
async def get_command(record_id: str, db: DatabaseDep) -> OcpiResponse:
    async with db.sessions() as session:
        rec = await records.get(session, record_id)
        partner = await session.get(Partner, rec.partner_id)
    return ocpi_response(records.record_json(rec, partner.name if partner else None))


def _reservation_json(r: Reservation, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "direction": r.direction,
        "partner": names.get(r.partner_id),
        "reservation_id": r.reservation_id,
        "location_id": r.location_id,
        "evse_uid": r.evse_uid,
        "status": r.status,
        "expiry_date": format_datetime(r.expiry_date),
        **{k: v for k, v in r.data.items() if v is not None},
        "updated_at": format_datetime(r.updated_at),
    }


@router.get("/reservations")
async def list_reservations(db: DatabaseDep, status: str | None = None) -> OcpiResponse:
    stmt = select(Reservation).order_by(Reservation.created_at.desc()).limit(LIST_LIMIT)
    if status:
        stmt = stmt.where(Reservation.status == status)
    async with db.sessions() as session:
        names = await _names(session)
        rows = list(await session.scalars(stmt))
    return ocpi_response([_reservation_json(r, names) for r in rows])


async def _long_poll(
    wait: float, look: Callable[[], Awaitable[list[dict[str, Any]]]]
) -> OcpiResponse:
    """Answer what ``look`` finds, or look again when a request arrives in this process
    (at least every second, for those arriving elsewhere) until ``wait`` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        arrived = cpo.arrival()
        arrived.clear()
        views = await look()
        left = deadline - loop.time()
        if views or left <= 0:
            return ocpi_response(views)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout=min(left, 1.0))


@router.get("/charger/commands")
async def pending_for_charger(
    db: DatabaseDep, wait: float = Query(0, ge=0, le=MAX_WAIT)
) -> OcpiResponse:
    """The waiting requests; with ``wait``, answers as soon as there is one (or when
    ``wait`` seconds pass). Requests stay listed until their result is reported."""

    async def look() -> list[dict[str, Any]]:
        async with db.sessions() as session:
            return [cpo.charger_view(r) for r in await cpo.pending(session)]

    return await _long_poll(wait, look)


@router.post("/charger/commands/take")
async def take_for_charger(
    db: DatabaseDep,
    wait: float = Query(0, ge=0, le=MAX_WAIT),
    limit: int = Query(100, ge=1, le=LIST_LIMIT),
) -> OcpiResponse:
    """Hands out each waiting request once (a long poll of up to ``wait`` seconds): the
    loop an OCPP backend runs. What it took stays in ``GET /api/charger/commands``
    until reported, for a backend that restarts."""

    async def look() -> list[dict[str, Any]]:
        async with db.sessions() as session:  # a look first: no write lock while idle
            if not await cpo.pending(session, 1, untaken=True):
                return []
        async with db.session() as session:
            return [cpo.charger_view(r) for r in await cpo.take(session, limit)]

    return await _long_poll(wait, look)


@router.post("/charger/commands/{record_id}/result")
async def charger_result(
    record_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    body = await _object(request)
    async with db.session() as session:
        rec = await records.get(session, record_id, lock=True)
        if rec.direction != records.IN:
            raise NotFound(f"Command {record_id!r} is not one a partner sent us")
        if rec.state != records.WAITING:
            raise InvalidParameters(f"Command {record_id!r} is {rec.state}: nothing to report")
        await records.HANDLERS[rec.module].report(session, settings, rec, body)
        partner = await session.get(Partner, rec.partner_id)
        shown = records.record_json(rec, partner.name if partner else None)
    return ocpi_response(shown)


@router.post("/charger/reservations/{reservation_id}/cancel")
async def cancel_reservation(
    reservation_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    raw = await request.body()
    body = await _object(request) if raw.strip() else {}
    message = body.get("message") if isinstance(body.get("message"), str) else None
    async with db.session() as session:
        found = await cpo.cancel_reservation(session, settings, reservation_id, message)
        names = await _names(session)
        shown = _reservation_json(found, names)
    return ocpi_response(shown)
