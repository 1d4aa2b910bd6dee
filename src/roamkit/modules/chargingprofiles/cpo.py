"""CPO side of charging profiles (the Receiver, 2.2.1 #mod_charging_profiles_cpo_interface):
what we answer at once, what the charger side gets, the result posted to the
partner's ``response_url``, and the ActiveChargingProfile updates we owe a partner
that set a profile (#mod_charging_profiles_msp_put_method).

The charger side (an OCPP backend) takes the waiting requests from the same hook as
commands (``GET /api/charger/commands``, types SET_PROFILE, GET_PROFILE,
CLEAR_PROFILE) and reports with ``POST /api/charger/commands/{id}/result``; it reports
changes of a session's active profile with ``PUT /api/sessions/{id}/charging-profile``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import state as rows
from roamkit.modules.commands import records
from roamkit.modules.commands.records import IN
from roamkit.modules.locations import service as locations
from roamkit.partners.repository import REGISTERED, endpoint_url
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.protocol.timeutil import utcnow
from roamkit.store import objects
from roamkit.store.tables import ChargingProfileState, ChargingSession, CommandRecord, Partner

log = logging.getLogger("roamkit.chargingprofiles")

MODULE = "chargingprofiles"
SET, GET, CLEAR = "SET_PROFILE", "GET_PROFILE", "CLEAR_PROFILE"
KINDS = (SET, GET, CLEAR)
ACTIVE_KEY = "active_charging_profile"
"""Where the charger side's last reported ActiveChargingProfile of one of our sessions
is kept, in ``ChargingSession.state`` (per session, whoever set profiles on it)."""

Response = c.ChargingProfileResponseType
Result = c.ChargingProfileResultType


def response(settings: Settings, result: Response) -> c.ChargingProfileResponse:
    """The immediate answer; ``timeout`` is what the charger side gets (221-CP-1)."""
    return c.ChargingProfileResponse(result=result, timeout=settings.command_timeout)


async def find_session(
    session: AsyncSession, session_id: str, *, lock: bool = False
) -> ChargingSession | None:
    """Our session; ids are CiString (2.2.1 #types_cistring_type), so a partner that
    changed the case still finds it. ``lock``: for writing its state (meter updates
    write it too)."""
    found = await session.get(ChargingSession, session_id, with_for_update=lock or None)
    if found is None:
        stmt = select(ChargingSession).where(func.lower(ChargingSession.id) == session_id.lower())
        found = await session.scalar(stmt.with_for_update() if lock else stmt)
    return found


async def _check(session: AsyncSession, partner: Partner, session_id: str) -> Response | None:
    """Why we would not hand the request on, or None. Only the eMSP whose token started
    the session may touch it (module intro, CHECKLIST 221-CP-3): any other party is told
    the session is unknown, so it learns nothing about sessions of other eMSPs."""
    charging = await find_session(session, session_id)
    if charging is None or charging.audience_id != partner.id:
        return Response.UNKNOWN_SESSION
    if charging.status != "ACTIVE":
        return Response.REJECTED
    row = await objects.get_own(session, locations.MODULE, charging.state["location_id"])
    evse = None
    if row is not None:
        evse = locations.find_evse(locations.load(row), charging.state["evse_uid"])
    if evse is None or c.Capability.CHARGING_PROFILE_CAPABLE not in (evse.capabilities or []):
        return Response.NOT_SUPPORTED
    return None


async def receive(
    session: AsyncSession,
    settings: Settings,
    partner: Partner,
    kind: str,
    session_id: str,
    request: dict[str, Any],
    response_url: str,
    correlation_id: str | None,
) -> c.ChargingProfileResponse:
    """Check what we can check here, then hand the request to the charger side
    (2.2.1 #mod_charging_profiles_flow). Every request is recorded, answered or not."""
    now = utcnow()
    charging = await find_session(session, session_id)
    rec = CommandRecord(
        id=records.new_id(),
        direction=IN,
        partner_id=partner.id,
        module=MODULE,
        kind=kind,
        request={**request, "response_url": response_url},
        response_url=response_url,
        session_id=charging.id if charging is not None else session_id,
        correlation_id=correlation_id,
        created_at=now,
        updated_at=now,
    )
    refused = await _check(session, partner, session_id)
    answer = response(settings, refused or Response.ACCEPTED)
    rec.response = answer.model_dump(mode="json", exclude_none=True)
    if refused is not None:
        rec.state = records.REJECTED
    else:
        rec.state = records.WAITING
        rec.deadline_at = now + timedelta(seconds=settings.command_timeout)
    session.add(rec)
    return answer


class Report(BaseModel):
    """``POST /api/charger/commands/{id}/result`` for a charging profile request: what
    the Charge Point answered, and for GET_PROFILE the profile it calculated."""

    result: Result
    profile: c.ActiveChargingProfile | None = None
    """Required when a GET_PROFILE is ACCEPTED; only for GET_PROFILE."""
    message: str | None = Field(None, max_length=512)
    """Accepted for the shared ``roamkit charger report``; the results have no message."""


async def report(
    session: AsyncSession, settings: Settings, rec: CommandRecord, body: dict[str, Any]
) -> None:
    """The charger side's result: stored, and posted to the partner's ``response_url``."""
    try:
        req = Report.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "charging profile result") from None
    if rec.kind == GET and req.result is Result.ACCEPTED and req.profile is None:
        raise InvalidParameters("An ACCEPTED GET_PROFILE needs the profile the EVSE calculated")
    if rec.kind != GET and req.profile is not None:
        raise InvalidParameters(
            f"profile is only for GET_PROFILE; report a changed active profile of a "
            f"{rec.kind} with PUT /api/sessions/{rec.session_id}/charging-profile"
        )
    await finish(session, settings, rec, req.result, req.profile)


async def finish(
    session: AsyncSession,
    settings: Settings,
    rec: CommandRecord,
    result: Result,
    profile: c.ActiveChargingProfile | None = None,
    *,
    state: str = records.DONE,
) -> None:
    """End a waiting request with ``result``; a SET accepted makes the partner one we
    keep up to date with the session's active profile (221-CP-2)."""
    outcome = _result_object(rec.kind, result, profile)
    body = outcome.model_dump(mode="json", exclude_none=True)
    if result is Result.ACCEPTED:
        await _accepted(session, rec, profile)
    await records.finish(session, settings, rec, body, lambda _: body, state=state)


def _result_object(
    kind: str, result: Result, profile: c.ActiveChargingProfile | None
) -> c.ActiveChargingProfileResult | c.ChargingProfileResult | c.ClearProfileResult:
    """The result object of the request's kind (2.2.1 #mod_charging_profiles_cpo_post_request_body);
    the profile only with an ACCEPTED GET."""
    if kind == GET:
        shown = profile if result is Result.ACCEPTED else None
        return c.ActiveChargingProfileResult(result=result, profile=shown)
    if kind == SET:
        return c.ChargingProfileResult(result=result)
    return c.ClearProfileResult(result=result)


async def _accepted(
    session: AsyncSession, rec: CommandRecord, profile: c.ActiveChargingProfile | None
) -> None:
    if rec.session_id is None:
        return
    if rec.kind == SET:
        found = await rows.get_or_make(session, IN, rec.partner_id, rec.session_id)
    else:
        found = await rows.get(session, IN, rec.partner_id, rec.session_id)
    if rec.kind == SET:
        found.profile = rec.request.get("charging_profile")
    elif rec.kind == CLEAR and found is not None:
        # Updates go on: once set, the partner hears of every change for the session,
        # now showing the EVSE's maximum (#mod_charging_profiles_msp_put_method).
        found.profile = None
    elif rec.kind == GET and found is not None and profile is not None:
        found.active = profile.model_dump(mode="json", exclude_none=True)
    if found is not None:
        found.updated_at = utcnow()


async def timeout(session: AsyncSession, settings: Settings, rec: CommandRecord) -> None:
    """The charger side never reported: REJECTED is posted. ChargingProfileResultType has
    no TIMEOUT (2.2.1 #mod_charging_profiles_resulttype_enum); UNKNOWN means the EVSE
    found no matching profile, which it never said. REJECTED is the one answer that is
    safe to act on: the request did not take effect as far as we know, so the partner
    must not count on the profile (or on its removal). The record says ``timed_out``."""
    await finish(session, settings, rec, Result.REJECTED, state=records.TIMED_OUT)
    rec.error = "the Charge Point did not answer in time"


records.HANDLERS[MODULE] = records.ChargerHandler(report, timeout)


async def active_changed(
    session: AsyncSession, settings: Settings, session_id: str, active: c.ActiveChargingProfile
) -> list[str]:
    """The charger side reports the session's ActiveChargingProfile changed: keep it, and
    queue a PUT of it for every partner that once set a profile on the session with
    success, never for anyone else (2.2.1 #mod_charging_profiles_msp_put_method,
    CHECKLIST 221-CP-2). Returns the names of the partners it goes to."""
    charging = await find_session(session, session_id, lock=True)
    if charging is None:
        raise NotFound(f"Unknown session {session_id!r}")
    if charging.status != "ACTIVE":
        raise InvalidParameters(
            f"Session {charging.id!r} is {charging.status}: active profiles are for ongoing "
            "sessions"
        )
    wire = active.model_dump(mode="json", exclude_none=True)
    charging.state = {**charging.state, ACTIVE_KEY: wire}
    subscribed = list(
        await session.scalars(
            select(ChargingProfileState).where(
                ChargingProfileState.direction == IN,
                ChargingProfileState.session_id == charging.id,
            )
        )
    )
    now = utcnow()
    sent_to: list[str] = []
    for row in subscribed:
        row.active = wire
        row.updated_at = now
        partner = await session.get(Partner, row.partner_id)
        if partner is None or partner.status != REGISTERED:
            continue
        base = endpoint_url(partner, MODULE, "SENDER")
        if base is None:
            log.warning("partner %s has no chargingprofiles SENDER endpoint", partner.name)
            continue
        await records.queue_call(
            session,
            settings,
            MODULE,
            partner,
            f"{base.rstrip('/')}/{charging.id}",
            wire,
            method="PUT",
            object_id=charging.id,  # one session's updates arrive in order
        )
        sent_to.append(partner.name)
    return sent_to
