"""CPO side of commands: what we answer at once, what the charger side gets, and the
result posted to the eMSP's ``response_url`` (2.2.1 #mod_commands_flow, 2.1.1
mod_commands.md §1).

The charger side (an OCPP backend) is reached through the management API
(``api.charger``): it takes the waiting requests, does the work and reports the
result; we post it on. If it never reports, the result TIMEOUT is posted when
``ROAMKIT_COMMAND_TIMEOUT`` runs out (the ``timeout`` we announced).
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.commands import codec, records, reservations
from roamkit.modules.commands.records import IN
from roamkit.modules.locations import service as locations
from roamkit.modules.sessions import charging
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store import objects
from roamkit.store.tables import ChargingSession, CommandRecord, Partner, Reservation

Capability = c.Capability
_NEEDS: dict[c.CommandType, Capability] = {
    c.CommandType.START_SESSION: Capability.REMOTE_START_STOP_CAPABLE,
    c.CommandType.RESERVE_NOW: Capability.RESERVABLE,
    c.CommandType.UNLOCK_CONNECTOR: Capability.UNLOCK_CAPABLE,
}
"""The EVSE capability a command needs (2.2.1 #mod_locations_capability_enum)."""

_arrived: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)
"""Per event loop (tests run several nodes in one process, one loop each): set when a
request for the charger side arrives, so a long poll of ``GET /api/charger/commands``
answers at once instead of at its next look."""


def arrival() -> asyncio.Event:
    loop = asyncio.get_running_loop()
    event = _arrived.get(loop)
    if event is None:
        event = _arrived[loop] = asyncio.Event()
    return event


class Answer(Exception):
    """Not ACCEPTED: the CommandResponse to give, nothing for the charger side."""

    def __init__(self, result: c.CommandResponseType, message: str) -> None:
        super().__init__(message)
        self.result = result
        self.message = message


def display(text: str | None) -> list[c.DisplayText] | None:
    """A message for the partner (DisplayText is at most 512 characters)."""
    return [c.DisplayText(language="en", text=text[:512])] if text else None


def response(
    settings: Settings, result: c.CommandResponseType, text: str | None = None
) -> c.CommandResponse:
    return c.CommandResponse(result=result, timeout=settings.command_timeout, message=display(text))


async def receive(
    session: AsyncSession,
    settings: Settings,
    partner: Partner,
    kind: c.CommandType,
    body: codec.Body,
    correlation_id: str | None,
) -> tuple[c.CommandResponse, CommandRecord | None]:
    """Check what we can check here, then hand the command to the charger side.
    An unknown location raises ``UnknownLocation`` (2003, CHECKLIST 221-CM-7)."""
    now = utcnow()
    rec = CommandRecord(
        id=records.new_id(),
        direction=IN,
        partner_id=partner.id,
        module="commands",
        kind=kind.value,
        request=body.model_dump(mode="json", exclude_none=True),
        response_url=str(body.response_url),
        correlation_id=correlation_id,
        created_at=now,
        updated_at=now,
    )
    try:
        await _check(session, partner, kind, body, rec)
    except Answer as no:
        rec.state = records.REJECTED
        answer = response(settings, no.result, no.message)
        rec.response = answer.model_dump(mode="json", exclude_none=True)
        session.add(rec)
        return answer, rec
    if kind is c.CommandType.RESERVE_NOW:
        assert isinstance(body, c.ReserveNow)
        rec.reservation_id = await _reserve(session, partner, body, rec.id)
    answer = response(settings, c.CommandResponseType.ACCEPTED)
    rec.state = records.WAITING
    rec.response = answer.model_dump(mode="json", exclude_none=True)
    rec.deadline_at = now + timedelta(seconds=settings.command_timeout)
    session.add(rec)
    return answer, rec


async def _check(
    session: AsyncSession,
    partner: Partner,
    kind: c.CommandType,
    body: codec.Body,
    rec: CommandRecord,
) -> None:
    if isinstance(body, c.StopSession):
        charging = await session.get(ChargingSession, body.session_id)
        if charging is None or charging.audience_id != partner.id:
            raise Answer(c.CommandResponseType.UNKNOWN_SESSION, "Unknown session")
        if charging.status != "ACTIVE":
            raise Answer(c.CommandResponseType.REJECTED, f"Session is {charging.status}")
        rec.session_id = body.session_id
        return
    if isinstance(body, c.CancelReservation):
        found = await reservations.find(session, IN, partner.id, body.reservation_id)
        if found is None or found.status not in reservations.LIVE:
            raise Answer(c.CommandResponseType.REJECTED, "Unknown reservation")
        rec.reservation_id = found.id
        return
    if isinstance(body, c.StartSession) and body.connector_id and not body.evse_uid:
        raise InvalidParameters("connector_id needs evse_uid (#mod_commands_startsession_object)")
    row = await objects.get_own(session, locations.MODULE, body.location_id)
    if row is None:
        raise locations.UnknownLocation(f"Unknown location {body.location_id!r}")
    location = locations.load(row)
    evse_uid = getattr(body, "evse_uid", None)
    evses = location.evses or []
    if evse_uid is not None:
        evse = locations.find_evse(location, evse_uid)
        if evse is None:
            raise Answer(c.CommandResponseType.REJECTED, f"Unknown EVSE {evse_uid!r}")
        evses = [evse]
    needs = _NEEDS[kind]
    capable = [e for e in evses if needs in (e.capabilities or [])]
    if not capable:
        raise Answer(c.CommandResponseType.NOT_SUPPORTED, f"No EVSE here is {needs.value}")
    connector_id = getattr(body, "connector_id", None)
    unknown = evse_uid is not None and connector_id is not None
    if unknown and locations.find_connector(capable[0], connector_id) is None:
        raise Answer(c.CommandResponseType.REJECTED, f"Unknown connector {connector_id!r}")
    if (
        isinstance(body, c.StartSession)
        and evse_uid is not None
        and connector_id is None
        and Capability.START_SESSION_CONNECTOR_REQUIRED in (capable[0].capabilities or [])
    ):
        raise Answer(c.CommandResponseType.REJECTED, "This EVSE needs connector_id")
    if isinstance(body, c.ReserveNow) and body.expiry_date <= utcnow():
        raise Answer(c.CommandResponseType.REJECTED, "expiry_date has passed")


async def _reserve(
    session: AsyncSession, partner: Partner, body: c.ReserveNow, command_id: str
) -> str:
    """The reservation under our own id, which is what the charger side gets: ids are
    per eMSP (2.2.1 #mod_commands_reservenow_object)."""
    data = {
        "token": body.token.model_dump(mode="json", exclude_none=True),
        "authorization_reference": body.authorization_reference,
        "command_id": command_id,
    }
    return (await reservations.request(session, IN, partner.id, body, data)).id


class Report(BaseModel):
    """``POST /api/charger/commands/{id}/result`` for a command: the Charge Point's result."""

    result: c.CommandResultType
    message: str | None = Field(None, max_length=512)
    evse_uid: str | None = Field(None, max_length=36)
    """RESERVE_NOW: the EVSE the Charge Point reserved (for the reservation's Session,
    when the eMSP named none); default: the one asked for, else the first reservable."""
    connector_id: str | None = Field(None, max_length=36)


async def report(
    session: AsyncSession, settings: Settings, rec: CommandRecord, body: dict[str, Any]
) -> None:
    """The charger side's result: stored, and posted to the partner's ``response_url``."""
    try:
        req = Report.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "command result") from None
    await finish(session, settings, rec, req.result, req.message, req.evse_uid, req.connector_id)


async def finish(
    session: AsyncSession,
    settings: Settings,
    rec: CommandRecord,
    result: c.CommandResultType,
    message: str | None = None,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> None:
    """End a waiting command with ``result`` and queue it for the partner."""
    outcome = c.CommandResult(result=result, message=display(message))
    await _reservation_outcome(session, settings, rec, result, evse_uid, connector_id)
    timed_out = result is c.CommandResultType.TIMEOUT
    await records.finish(
        session,
        settings,
        rec,
        outcome.model_dump(mode="json", exclude_none=True),
        lambda version: codec.result_to_wire(version, outcome),
        state=records.TIMED_OUT if timed_out else records.DONE,
    )


async def timeout(session: AsyncSession, settings: Settings, rec: CommandRecord) -> None:
    await finish(
        session, settings, rec, c.CommandResultType.TIMEOUT, "The Charge Point did not answer"
    )


records.HANDLERS["commands"] = records.ChargerHandler(report, timeout)


async def _reservation_outcome(
    session: AsyncSession,
    settings: Settings,
    rec: CommandRecord,
    result: c.CommandResultType,
    evse_uid: str | None,
    connector_id: str | None,
) -> None:
    """A reservation that holds gets its Session (2.2.1 partners: status RESERVATION,
    #mod_sessions_reservation); one cancelled ends it. A result for a reservation that
    has moved on (cancelled meanwhile, expired) changes nothing."""
    if rec.reservation_id is None:
        return
    found = await session.get(Reservation, rec.reservation_id, with_for_update=True)
    if found is None:
        return
    accepted = result is c.CommandResultType.ACCEPTED
    if rec.kind == c.CommandType.RESERVE_NOW.value:
        settled = reservations.settle(found, rec.id, accepted)
        partner = await session.get(Partner, found.partner_id)
        if settled == reservations.ACTIVATED and partner and partner.version != "2.1.1":
            await charging.reserve(session, settings, found, evse_uid, connector_id)
    elif rec.kind == c.CommandType.CANCEL_RESERVATION.value and accepted and _live(found):
        found.status = "cancelled"
        await charging.release(session, settings, found.id)


def _live(found: Reservation) -> bool:
    return found.status in reservations.LIVE


async def cancel_reservation(
    session: AsyncSession, settings: Settings, reservation_id: str, message: str | None
) -> Reservation:
    """The CPO cancels a reservation itself (a defect, roadworks): CANCELED_RESERVATION
    goes to the ReserveNow's ``response_url`` (2.2.1 #mod_commands_flow)."""
    found = await session.get(Reservation, reservation_id, with_for_update=True)
    if found is None or found.direction != IN:
        raise NotFound(f"Unknown reservation {reservation_id!r}")
    if found.status not in reservations.LIVE:
        raise InvalidParameters(f"Reservation {reservation_id!r} is {found.status}")
    found.status = "cancelled"
    await charging.release(session, settings, found.id)
    command = await session.get(CommandRecord, found.data.get("command_id", ""))
    partner = await session.get(Partner, found.partner_id)
    # 2.1.1 has no such message: a second result on the ReserveNow's response_url would
    # read as REJECTED there (its CommandResponseType has no CANCELED_RESERVATION).
    if command is not None and partner is not None and partner.version != "2.1.1":
        outcome = c.CommandResult(
            result=c.CommandResultType.CANCELED_RESERVATION, message=display(message)
        )
        body = codec.result_to_wire(partner.version or "2.2.1", outcome)
        await records.post_to_partner(
            session, settings, command, partner, body, object_id=f"{command.id}-cancel"
        )
    return found


def _waiting(untaken: bool) -> Select[tuple[CommandRecord]]:
    stmt = select(CommandRecord).where(
        CommandRecord.direction == IN, CommandRecord.state == records.WAITING
    )
    if untaken:
        stmt = stmt.where(CommandRecord.handed_at.is_(None))
    return stmt.order_by(CommandRecord.created_at)


async def pending(
    session: AsyncSession, limit: int = 100, *, untaken: bool = False
) -> list[CommandRecord]:
    """Requests waiting for the charger side, oldest first (``untaken``: only those
    nobody took yet)."""
    return list(await session.scalars(_waiting(untaken).limit(limit)))


async def take(session: AsyncSession, limit: int = 100) -> list[CommandRecord]:
    """Hand out waiting requests nobody took yet, each once: a backend that long-polls
    never gets what it is already working on again (several processes may take:
    ``SKIP LOCKED`` on PostgreSQL, the write lock on SQLite)."""
    stmt = _waiting(untaken=True).limit(limit)
    if session.bind.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(await session.scalars(stmt))
    now = utcnow()
    for rec in rows:
        rec.handed_at = now
    return rows


def charger_view(rec: CommandRecord) -> dict[str, Any]:
    """What the charger side needs to act: the request, with our reservation id in place
    of the eMSP's (the charger side never sees ids an eMSP chose, 221-CM-4)."""
    out: dict[str, Any] = {
        "id": rec.id,
        "module": rec.module,
        "type": rec.kind,
        "deadline": format_datetime(rec.deadline_at) if rec.deadline_at else None,
        "taken": rec.handed_at is not None,
        "request": {k: v for k, v in rec.request.items() if k != "response_url"},
    }
    if rec.session_id:
        out["session_id"] = rec.session_id
    if rec.reservation_id:
        out["reservation_id"] = rec.reservation_id
        out["request"].pop("reservation_id", None)
    return out
