"""The lifecycle of asynchronous requests (``CommandRecord``): commands and charging
profile requests share it (2.2.1 #mod_commands_flow, #mod_charging_profiles_flow).

Sent by us ("out", eMSP/SCSP side): ``sent`` → ``accepted`` (waiting for the result
until ``deadline_at``) → ``done`` (result received) or ``timed_out``; or ``rejected``
(the answer was not ACCEPTED, or we could not express it) or ``failed`` (the call
failed). Received by us ("in", CPO side): ``waiting`` (the charger side has it until
``deadline_at``) → ``done`` (its result is posted to ``response_url``) or ``timed_out``
(TIMEOUT is posted); ``rejected`` when we answered anything but ACCEPTED.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, check_url
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.protocol.headers import CORRELATION_ID
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store.tables import CommandRecord, Partner
from roamkit.sync import outbox

M = TypeVar("M", bound=BaseModel)

OUT, IN = "out", "in"
SENT, ACCEPTED, REJECTED, FAILED = "sent", "accepted", "rejected", "failed"
WAITING, DONE, TIMED_OUT = "waiting", "done", "timed_out"
OPEN_STATES = (ACCEPTED, WAITING)
"""States with a deadline: the ticker ends them when it passes."""


def new_id() -> str:
    return str(uuid.uuid4())


CORRELATION_MAX = 64
"""Length of ``commands.correlation_id``; a longer header value is not carried on."""


def correlation_id(headers: Mapping[str, str]) -> str | None:
    """The request's X-Correlation-ID, to carry on to the result (when it fits)."""
    value = headers.get(CORRELATION_ID)
    return value if value and len(value) <= CORRELATION_MAX else None


def check_response_url(settings: Settings, partner: Partner, url: str) -> None:
    """A ``response_url`` we will call with the partner's token: an http(s) URL (https
    unless ROAMKIT_ALLOW_INSECURE_URLS); from a party behind a hub, on the hub's own host
    (we call it with our token at the hub, which no other host may see)."""
    try:
        check_url(url, settings.allow_insecure_urls)
    except PartnerCallError as exc:
        raise InvalidParameters(f"response_url: {exc}") from None
    if partner.via_id is not None:
        hosts = {urlsplit(e.url).netloc for e in partner.endpoints}
        if urlsplit(url).netloc not in hosts:
            raise InvalidParameters("response_url must point at the hub the request came through")


def outcome(rec: CommandRecord) -> str | None:
    """What came of it, in one word: the result when there is one, else the answer."""
    if rec.result is not None:
        return str(rec.result.get("result"))
    if rec.state == TIMED_OUT:
        return "TIMEOUT"
    if rec.response is not None:
        return str(rec.response.get("result"))
    return None


def record_json(rec: CommandRecord, partner_name: str | None = None) -> dict[str, Any]:
    """A record as the management API and the CLI show it."""
    return {
        "id": rec.id,
        "direction": rec.direction,
        "partner": partner_name,
        "module": rec.module,
        "type": rec.kind,
        "state": rec.state,
        "outcome": outcome(rec),
        "request": rec.request,
        "response": rec.response,
        "result": rec.result,
        "response_url": rec.response_url,
        "session_id": rec.session_id,
        "reservation_id": rec.reservation_id,
        "deadline": format_datetime(rec.deadline_at) if rec.deadline_at else None,
        "error": rec.error,
        "created_at": format_datetime(rec.created_at),
        "updated_at": format_datetime(rec.updated_at),
    }


async def sendable_partner(session: AsyncSession, name: str) -> Partner:
    """The partner a request of ours goes to (management API): registered, with a token."""
    partner = await repo.get_by_name(session, name)
    if partner is None:
        raise NotFound(f"Unknown partner {name!r}")
    if partner.status != repo.REGISTERED or not partner.token_out:
        raise InvalidParameters(f"Partner {name!r} is {partner.status}, not registered")
    return partner


def parse_body(model: type[M], body: dict[str, Any], what: str) -> M:
    """A management API body as ``model``; invalid fields answer 2001 with the reasons."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, what) from None


async def get(session: AsyncSession, record_id: str, *, lock: bool = False) -> CommandRecord:
    rec = await session.get(CommandRecord, record_id, with_for_update=lock)
    if rec is None:
        raise NotFound(f"Unknown command {record_id!r}")
    return rec


async def post_to_partner(
    session: AsyncSession,
    settings: Settings,
    rec: CommandRecord,
    partner: Partner,
    json: dict[str, Any],
    *,
    method: str = "POST",
    url: str | None = None,
    object_id: str | None = None,
) -> None:
    """Queue a request to the partner through the durable outbox, in this transaction:
    a ``response_url`` that is down gets it later, never loses it (retries, backoff)."""
    await queue_call(
        session,
        settings,
        rec.module,
        partner,
        url or rec.response_url or "",
        json,
        method=method,
        object_id=object_id or rec.id,
        correlation_id=rec.correlation_id,
    )


async def queue_call(
    session: AsyncSession,
    settings: Settings,
    module: str,
    partner: Partner,
    url: str,
    json: dict[str, Any],
    *,
    method: str,
    object_id: str,
    correlation_id: str | None = None,
) -> None:
    """``post_to_partner`` without a record: also for calls no request started (a
    changed ActiveChargingProfile, 2.2.1 #mod_charging_profiles_msp_put_method).
    Calls with the same ``object_id`` reach the partner in the order queued."""
    await outbox.enqueue(
        session,
        module,
        method,
        settings.country_code,
        settings.party_id,
        object_id,
        body={"url": url, "json": json, "correlation_id": correlation_id},
        partners=[partner],
    )


def close(rec: CommandRecord, state: str, now: datetime) -> None:
    rec.state = state
    rec.deadline_at = None
    rec.updated_at = now


async def finish(
    session: AsyncSession,
    settings: Settings,
    rec: CommandRecord,
    result: dict[str, Any],
    wire: Callable[[str], dict[str, Any]],
    *,
    state: str = DONE,
) -> None:
    """End a request we received with ``result`` (canonical JSON) and queue it for the
    partner's ``response_url``; ``wire(version)`` gives the body in the partner's version."""
    rec.result = result
    close(rec, state, utcnow())
    partner = await session.get(Partner, rec.partner_id)
    if partner is not None:  # else the partner is gone: nobody to tell
        await post_to_partner(session, settings, rec, partner, wire(partner.version or "2.2.1"))


@dataclass(frozen=True, slots=True)
class ChargerHandler:
    """How the charger side's report and the timeout end a received request of one
    module (``commands``, ``chargingprofiles``)."""

    report: Callable[[AsyncSession, Settings, CommandRecord, dict[str, Any]], Awaitable[None]]
    """Validates the charger side's JSON report and finishes the record."""
    timeout: Callable[[AsyncSession, Settings, CommandRecord], Awaitable[None]]


HANDLERS: dict[str, ChargerHandler] = {}
"""Per module; each module registers its own on import."""


def read_answer(
    parse: Callable[[Any], BaseModel],
    rejected: BaseModel,
    data: Any,
    status_code: int,
    message: str | None,
) -> dict[str, Any]:
    """A CPO's immediate answer as ``{"response": ...}`` and/or ``{"error": ...}``. An
    OCPI error may come without the response object (or with one, as 2003 for an unknown
    location, 2.2.1 #mod_commands_cpo_post_method): it counts as ``rejected``."""
    success = 1000 <= status_code < 2000
    try:
        response = parse(data)
    except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        if success:
            return {"error": f"answer is no {type(rejected).__name__}: {str(data)[:300]}"}
        response = rejected
    out: dict[str, Any] = {"response": response.model_dump(mode="json", exclude_none=True)}
    if not success:
        out["error"] = f"OCPI {status_code}" + (f": {message}" if message else "")
    return out


def apply_answer(rec: CommandRecord, outcome: dict[str, Any], settings: Settings) -> None:
    """Record the answer to a request we sent: ACCEPTED waits for the result until the
    partner's ``timeout`` plus our grace; a result that overtook the answer stays."""
    now = utcnow()
    rec.updated_at = now
    rec.error = outcome.get("error")
    response = outcome.get("response")
    if response is None:
        if rec.state == SENT:
            rec.state = FAILED
        return
    rec.response = response
    if rec.state != SENT:
        return
    if response["result"] != "ACCEPTED" or rec.error:
        rec.state = REJECTED
        return
    rec.state = ACCEPTED
    wait = int(response.get("timeout") or settings.command_timeout)
    rec.deadline_at = now + timedelta(seconds=wait + settings.command_result_grace)
