"""eMSP side of commands: send one to a CPO partner, record its immediate answer, take
the result on our ``response_url`` and time it out when none comes (2.2.1
#mod_commands_flow, 2.1.1 mod_commands.md §1).

The call is made synchronously (a driver waits for it), outside any transaction: the
record is written first (``sent``), so a result that overtakes the answer (a fast
Charge Point) finds it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.commands import codec, records, reservations
from roamkit.modules.commands.records import OUT
from roamkit.modules.tokens import service as tokens
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.partners.routing import routing_headers
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database
from roamkit.store.tables import CommandRecord, Partner

PATH = "emsp/commands"
"""Where our commands Sender interface is mounted (``response_url`` points below it)."""


class CommandRequest(BaseModel):
    """``POST /api/commands``: a command for a CPO partner. Which fields a type needs
    follows its request object (2.2.1 #mod_commands_object_description)."""

    partner: str
    type: c.CommandType
    location_id: str | None = Field(None, max_length=36)
    evse_uid: str | None = Field(None, max_length=36)
    connector_id: str | None = Field(None, max_length=36)
    token_uid: str | None = Field(None, max_length=36)
    """One of our own tokens (2.2.1 #mod_commands_startsession_object: the eMSP uses
    only its own tokens)."""
    token_type: c.TokenType | None = None
    session_id: str | None = Field(None, max_length=36)
    reservation_id: str | None = Field(None, max_length=36)
    """RESERVE_NOW: made up when absent; CANCEL_RESERVATION: required."""
    expiry_date: datetime | None = None
    authorization_reference: str | None = Field(None, max_length=36)

    @model_validator(mode="after")
    def _fields_of_type(self) -> CommandRequest:
        needed = {
            c.CommandType.START_SESSION: ("location_id", "token_uid"),
            c.CommandType.STOP_SESSION: ("session_id",),
            c.CommandType.RESERVE_NOW: ("location_id", "token_uid", "expiry_date"),
            c.CommandType.CANCEL_RESERVATION: ("reservation_id",),
            c.CommandType.UNLOCK_CONNECTOR: ("location_id", "evse_uid", "connector_id"),
        }[self.type]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.type.value} needs {', '.join(missing)}")
        if self.connector_id and not self.evse_uid and self.type is c.CommandType.START_SESSION:
            raise ValueError(
                "connector_id needs evse_uid (2.2.1 #mod_commands_startsession_object)"
            )
        return self


def parse_request(body: dict[str, Any]) -> CommandRequest:
    return records.parse_body(CommandRequest, body, "command")


async def _own_token(session: AsyncSession, req: CommandRequest) -> c.Token:
    """Our token, checked as we would authorize it (2.2.1 #mod_commands_startsession_object:
    the eMSP authorizes before it sends; the CPO will not)."""
    types = (req.token_type.value,) if req.token_type else tokens.TYPES
    found = await tokens.find_own(session, req.token_uid or "", types)
    if found is None:
        raise NotFound(f"Unknown token {req.token_uid!r}: commands use our own tokens")
    token = c.Token.model_validate(found[0])
    if not token.valid:
        raise InvalidParameters(f"Token {req.token_uid!r} is not valid")
    return token


def _reservation_id(version: str) -> str:
    """A new reservation id; an integer for a 2.1.1 partner (its ``reservation_id`` is int)."""
    if version == "2.1.1":
        return str(secrets.randbelow(10**12) + 1)
    return secrets.token_hex(8)


def _body(req: CommandRequest, response_url: str, token: c.Token | None) -> codec.Body:
    fields = req.model_dump(
        exclude_none=True, exclude={"partner", "type", "token_uid", "token_type"}
    )
    fields["response_url"] = response_url
    if token is not None:
        fields["token"] = token
    model = c.COMMAND_BODIES[req.type]
    try:
        return model.model_validate(fields)  # type: ignore[return-value]
    except ValidationError as exc:
        raise invalid_object(exc, req.type.value) from None


async def send(
    db: Database, client: PartnerClient, settings: Settings, req: CommandRequest
) -> tuple[CommandRecord, str]:
    """Send the command; returns the record (as it stands after the answer) and the
    partner's name."""
    now = utcnow()
    record_id = records.new_id()
    async with db.session() as session:
        partner = await records.sendable_partner(session, req.partner)
        version = partner.version or "2.2.1"
        base = repo.endpoint_url(partner, "commands", "RECEIVER")
        token = None
        if req.type in (c.CommandType.START_SESSION, c.CommandType.RESERVE_NOW):
            token = await _own_token(session, req)
        if req.type is c.CommandType.RESERVE_NOW and req.reservation_id is None:
            req = req.model_copy(update={"reservation_id": _reservation_id(version)})
        response_url = f"{settings.base_url}/ocpi/{version}/{PATH}/{req.type.value}/{record_id}"
        body = _body(req, response_url, token)
        rec = CommandRecord(
            id=record_id,
            direction=OUT,
            partner_id=partner.id,
            module="commands",
            kind=req.type.value,
            state=records.SENT,
            request=body.model_dump(mode="json", exclude_none=True),
            response_url=response_url,
            session_id=req.session_id,
            reservation_id=req.reservation_id,
            created_at=now,
            updated_at=now,
        )
        session.add(rec)
        wire: dict[str, Any] | None = None
        try:
            wire = codec.request_to_wire(version, body)
        except codec.ConversionError as exc:
            rec.state, rec.error = records.REJECTED, f"not sent: {exc}"
            rec.response = {"result": "NOT_SUPPORTED", "timeout": 0}
        if base is None and wire is not None:
            rec.state, rec.error = records.REJECTED, "partner has no commands endpoint"
            rec.response, wire = {"result": "NOT_SUPPORTED", "timeout": 0}, None
        if wire is not None and isinstance(body, c.ReserveNow):
            await _track_reservation(session, partner, body, record_id)
        headers = routing_headers(settings, partner)
        token_out, encoding, name = partner.token_out or "", partner.token_encoding, partner.name
    if wire is None:
        return rec, name
    url = f"{base.rstrip('/')}/{req.type.value}" if base else ""
    outcome: dict[str, Any]
    try:
        reply = await client.call(
            "POST",
            url,
            token=token_out,
            version=version,
            encoding=encoding,
            json=wire,
            headers=headers,
            expect_success=False,
        )
        outcome = _answer(version, reply.data, reply.status_code, reply.status_message, settings)
    except PartnerCallError as exc:
        outcome = {"error": str(exc)}
    async with db.session() as session:
        rec = await records.get(session, record_id, lock=True)
        records.apply_answer(rec, outcome, settings)
        failed = rec.state in (records.REJECTED, records.FAILED)
        if failed and rec.kind == c.CommandType.RESERVE_NOW.value:
            await _reservation_from_result(session, rec, c.CommandResultType.REJECTED)
    return rec, name


def _answer(
    version: str, data: Any, status_code: int, message: str | None, settings: Settings
) -> dict[str, Any]:
    """The CPO's answer (``records.read_answer``) in the partner's version."""
    return records.read_answer(
        lambda d: codec.response_from_wire(version, d, settings.command_timeout),
        c.CommandResponse(result=c.CommandResponseType.REJECTED, timeout=0),
        data,
        status_code,
        message,
    )


async def result_arrived(
    session: AsyncSession, partner: Partner, record_id: str, kind: str, result: c.CommandResult
) -> None:
    """The CPO posted the Charge Point's result to our ``response_url``. Only the partner
    we sent the command to may; a late result (after we timed out) is still kept."""
    rec = await session.get(CommandRecord, record_id, with_for_update=True)
    if rec is None or rec.direction != OUT or rec.partner_id != partner.id or rec.kind != kind:
        raise NotFound(f"Unknown command {record_id!r}")
    first = rec.result is None
    rec.result = result.model_dump(mode="json", exclude_none=True)
    if rec.state in (records.SENT, records.ACCEPTED, records.TIMED_OUT):
        records.close(rec, records.DONE, utcnow())
    if rec.reservation_id and (first or result.result is c.CommandResultType.CANCELED_RESERVATION):
        await _reservation_from_result(session, rec, result.result)


async def _track_reservation(
    session: AsyncSession, partner: Partner, body: c.ReserveNow, command_id: str
) -> None:
    data = {
        "token_uid": body.token.uid,
        "authorization_reference": body.authorization_reference,
        "command_id": command_id,
    }
    await reservations.request(session, OUT, partner.id, body, data)


async def _reservation_from_result(
    session: AsyncSession, rec: CommandRecord, result: c.CommandResultType
) -> None:
    """What the CPO's result means for our reservation (a late result for one that
    has moved on changes nothing)."""
    accepted = result is c.CommandResultType.ACCEPTED
    if result is c.CommandResultType.CANCELED_RESERVATION:
        await reservations.set_status(session, OUT, rec.partner_id, rec.reservation_id, "cancelled")
    elif rec.kind == c.CommandType.RESERVE_NOW.value:
        found = await reservations.find(session, OUT, rec.partner_id, rec.reservation_id, lock=True)
        if found is not None:
            reservations.settle(found, rec.id, accepted)
    elif rec.kind == c.CommandType.CANCEL_RESERVATION.value and accepted:
        await reservations.set_status(session, OUT, rec.partner_id, rec.reservation_id, "cancelled")
