"""Charger events at our own charge points (CPO side): start, meter updates, stop.

The charger side (an OCPP backend) reports through the management API. Each event
is stored as a meter sample of a ``ChargingSession``; from the samples the tariff
engine builds the charging periods and prices them (``roamkit.pricing``), and the
OCPI Session derived from that is stored and pushed to the token's eMSP: PUT on
start, PATCH on updates (at most one per ``session_push_interval``, the rest folded
into the next), PATCH on completion; then the CDR is built and POSTed
(2.2.1 #mod_sessions_push_model, #mod_cdrs_push_model).

Sessions that end badly (the charger side says so) become ``INVALID`` and get no CDR
(2.2.1 #mod_sessions_sessionstatus_enum: "will not be billed").
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit import pricing
from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.models.base import DateTime
from roamkit.modules.cdrs import own as own_cdrs
from roamkit.modules.embedded import embedded_location
from roamkit.modules.locations import service as locations
from roamkit.modules.sessions import service
from roamkit.modules.tariffs import service as tariffs
from roamkit.modules.tokens import service as tokens
from roamkit.partners.repository import REGISTERED, has_party
from roamkit.protocol.errors import InvalidParameters, NotFound, OcpiError
from roamkit.protocol.timeutil import utcnow
from roamkit.store import objects
from roamkit.store.objects import OWN
from roamkit.store.tables import (
    ChargingSession,
    CommandRecord,
    Partner,
    Reservation,
    StoredObject,
)
from roamkit.sync import outbox

HEARTBEAT = timedelta(minutes=5)
"""A running session reaches its eMSP at least this often, meter updates or not."""


class UnknownToken(OcpiError):
    http_status = 404


# --------------------------------------------------------------------------- requests


class StartSession(BaseModel):
    """``POST /api/sessions``: the charger side reports a started session."""

    id: str | None = Field(None, max_length=36)
    """Our session id; made up when absent."""
    token_uid: str | None = Field(None, max_length=36)
    """Required unless ``command_id`` or ``cdr_token`` says whose session it is."""
    token_type: c.TokenType | None = None
    """Absent: any type with this uid (RFID first)."""
    cdr_token: c.CdrToken | None = None
    """A token no eMSP pushed to us (e.g. known only from real-time authorization)."""
    location_id: str = Field(max_length=36)
    evse_uid: str = Field(max_length=36)
    connector_id: str = Field(max_length=36)
    start: DateTime | None = None
    meter_start: Decimal = Field(Decimal(0), ge=0)
    """Meter reading at the start, kWh; later readings are absolute like this one."""
    auth_method: c.AuthMethod = c.AuthMethod.WHITELIST
    authorization_reference: str | None = Field(None, max_length=36)
    meter_id: str | None = Field(None, max_length=255)
    reservation_id: str | None = Field(None, max_length=36)
    """Our reservation (the id the charger side got with RESERVE_NOW) this session uses:
    the Session the reservation made (status RESERVATION) becomes ACTIVE under the same
    id, with the reservation's token and eMSP (2.2.1 #mod_sessions_reservation)."""
    command_id: str | None = Field(None, max_length=36)
    """The START_SESSION command (``GET /api/charger/commands``) this session answers: the
    token, its eMSP and the authorization reference come from it, and the command's
    result ACCEPTED is posted if it was not reported yet (2.2.1 #mod_commands_flow)."""

    @model_validator(mode="after")
    def _whose(self) -> StartSession:
        whose = (self.token_uid, self.cdr_token, self.command_id, self.reservation_id)
        if all(w is None for w in whose):
            raise ValueError(
                "one of token_uid, cdr_token, command_id or reservation_id is required"
            )
        return self


class MeterUpdate(BaseModel):
    """``POST /api/sessions/{id}/meter``: a meter reading during the session."""

    at: DateTime | None = None
    meter: Decimal = Field(ge=0)
    """Absolute reading, kWh (same scale as ``meter_start``)."""
    charging: bool | None = None
    """State from now on: false once the EV stops drawing energy while still plugged in
    (parking). Absent: charging if energy flowed since the last reading, else as before."""
    current: Decimal | None = Field(None, ge=0)
    """A, summed over phases."""
    power: Decimal | None = Field(None, ge=0)
    """kW."""


class StopSession(BaseModel):
    """``POST /api/sessions/{id}/stop``: the session ended (cable unplugged)."""

    at: DateTime | None = None
    meter: Decimal | None = Field(None, ge=0)
    invalid: bool = False
    """The session ended badly (charger fault, rejected authorization ...): INVALID, no CDR."""
    reason: str | None = Field(None, max_length=255)


# --------------------------------------------------------------------------- state


def _dump(sample: pricing.MeterSample) -> list[Any]:
    """A sample as stored in ``ChargingSession.state``: compact, exact (Decimal text)."""
    return [
        sample.at.isoformat(),
        str(sample.energy_kwh),
        sample.charging,
        None if sample.current is None else str(sample.current),
        None if sample.power is None else str(sample.power),
    ]


def _load(raw: list[Any]) -> pricing.MeterSample:
    at, kwh, charging, current, power = raw
    return pricing.MeterSample(
        datetime.fromisoformat(at),
        Decimal(kwh),
        charging,
        None if current is None else Decimal(current),
        None if power is None else Decimal(power),
    )


def _samples(state: dict[str, Any]) -> list[pricing.MeterSample]:
    """Energies since the session start; ``charging`` is the state until the next one."""
    return [_load(raw) for raw in state["samples"]]


def _segments(state: dict[str, Any]) -> list[tuple[datetime, c.Tariff | None]]:
    """(from, tariff) in time order: one entry unless ``tariff_change_policy=current``
    saw the connector's tariff replaced."""
    return [
        (
            datetime.fromisoformat(seg["from"]),
            None if seg["tariff"] is None else c.Tariff.model_validate(seg["tariff"]),
        )
        for seg in state["tariffs"]
    ]


@dataclass(slots=True)
class Priced:
    periods: list[c.ChargingPeriod]
    pricing: pricing.Pricing | None
    tariffs: list[c.Tariff]


def price_state(state: dict[str, Any], end: datetime) -> Priced:
    """Charging periods from the samples (one tariff segment after the other) and
    their price at ``end``."""
    samples = _samples(state)
    segments = _segments(state)
    tz = state["time_zone"]
    start = datetime.fromisoformat(state["start"])
    periods: list[c.ChargingPeriod] = []
    for i, (since, tariff) in enumerate(segments):
        until = segments[i + 1][0] if i + 1 < len(segments) else None
        part = [s for s in samples if s.at >= since and (until is None or s.at < until)]
        if not part or part[0].at > since:  # the segment starts between two readings
            before = [s for s in samples if s.at < since]
            if before:
                prev = before[-1]
                part.insert(0, pricing.MeterSample(since, prev.energy_kwh, prev.charging))
        if not part:
            continue
        seg_end = min(until, end) if until is not None else end
        periods += pricing.build_charging_periods(
            tariff,
            part,
            end=seg_end,
            time_zone=tz,
            session_start=start,
            # Every reading starts a period: what was sent stays as it was, so a PATCH
            # only appends (2.2.1 #mod_sessions_patch_method); the spec allows periods
            # in between (#mod_cdrs_charging_period).
            merge=False,
        )
    used = [t for _, t in segments if t is not None]
    if not used:
        return Priced(periods, None, [])
    priced = pricing.price_periods(used, periods, start=start, end=end, time_zone=tz)
    return Priced(periods, priced, used)


def _digest(periods: list[dict[str, Any]]) -> str:
    return hashlib.sha1(orjson.dumps(periods)).hexdigest()


# --------------------------------------------------------------------------- lookups


async def _partners(session: AsyncSession) -> list[Partner]:
    return list(await session.scalars(select(Partner).where(Partner.status == REGISTERED)))


async def _command(
    session: AsyncSession, settings: Settings, req: StartSession
) -> tuple[StartSession, c.CdrToken, int]:
    """A session a START_SESSION command asked for: the command's token (the CPO need
    not know it, 2.2.1 #mod_commands_startsession_object) and its eMSP."""
    rec = await session.get(CommandRecord, req.command_id or "", with_for_update=True)
    if rec is None or rec.direction != "in" or rec.kind != "START_SESSION":
        raise InvalidParameters(f"No START_SESSION command {req.command_id!r} from a partner")
    if rec.state == "waiting":
        from roamkit.modules.commands import cpo

        await cpo.finish(session, settings, rec, c.CommandResultType.ACCEPTED)
    return _on_behalf(req, rec.request, rec.partner_id)


def _on_behalf(
    req: StartSession, asked: dict[str, Any], partner_id: int
) -> tuple[StartSession, c.CdrToken, int]:
    """A session an eMSP asked for (a command, a reservation: ``asked`` holds its token
    and authorization reference): the token's data, the eMSP, auth_method COMMAND."""
    reference = req.authorization_reference or asked.get("authorization_reference")
    update = {"auth_method": c.AuthMethod.COMMAND, "authorization_reference": reference}
    token = c.Token.model_validate(asked["token"])
    return req.model_copy(update=update), _cdr_token(token), partner_id


async def _token(session: AsyncSession, req: StartSession) -> tuple[c.CdrToken, int | None]:
    """The session's token and the partner (eMSP) it belongs to: None for our own."""
    partners = await _partners(session)
    if req.cdr_token is not None:
        t = req.cdr_token
        owner = next((p.id for p in partners if has_party(p, t.country_code, t.party_id)), None)
        return t, owner
    types = (req.token_type.value,) if req.token_type else tokens.TYPES
    uid = req.token_uid or ""
    rows = await tokens.find_partner_tokens(session, [p.id for p in partners], uid, types)
    if rows:
        token = tokens.load(rows[0])
        return _cdr_token(token), rows[0].owner_id
    own = await tokens.find_own(session, uid, types)
    if own is not None:
        return _cdr_token(c.Token.model_validate(own[0])), None
    raise UnknownToken(
        f"Unknown token {req.token_uid!r}: no eMSP pushed it and it is not ours; "
        "pass cdr_token to start a session for it anyway"
    )


def _cdr_token(token: c.Token) -> c.CdrToken:
    return c.CdrToken(
        country_code=token.country_code,
        party_id=token.party_id,
        uid=token.uid,
        type=token.type,
        contract_id=token.contract_id,
    )


async def _connector_tariff(
    session: AsyncSession, connector: c.Connector, at: datetime
) -> c.Tariff | None:
    """The connector's tariff for an ordinary session at ``at``: the first of its
    ``tariff_ids`` we hold that is valid then, preferring one without a ``type``
    or REGULAR (PROFILE_* and AD_HOC_PAYMENT are for other sessions,
    #mod_tariffs_tariff_type)."""
    found: list[c.Tariff] = []
    for tariff_id in connector.tariff_ids or []:
        row = await objects.get_own(session, tariffs.MODULE, tariff_id)
        if row is None:
            continue
        tariff = tariffs.load(row)
        if tariff.start_date_time and at < tariff.start_date_time:
            continue
        if tariff.end_date_time and at >= tariff.end_date_time:
            continue
        found.append(tariff)
    regular = [t for t in found if t.type in (None, c.TariffType.REGULAR)]
    return (regular or found or [None])[0]


async def _record(session: AsyncSession, session_id: str) -> ChargingSession:
    rec = await session.get(ChargingSession, session_id, with_for_update=True)
    if rec is None:
        raise NotFound(f"Unknown session {session_id!r}")
    return rec


# --------------------------------------------------------------------------- events


async def start(session: AsyncSession, settings: Settings, req: StartSession) -> c.Session:
    now = utcnow()
    started = req.start or now
    session_id = req.id or _new_id(started)
    replaces = None
    if req.reservation_id is not None:
        req, cdr_token, audience = await _reserved(session, req)
        session_id = req.reservation_id or session_id
        replaces = await _reserved_session(session, settings, session_id)
    elif req.command_id is not None:
        req, cdr_token, audience = await _command(session, settings, req)
    else:
        cdr_token, audience = await _token(session, req)
    if replaces is None and await session.get(ChargingSession, session_id) is not None:
        raise InvalidParameters(f"Session {session_id!r} already exists")
    return await _open(
        session, settings, req, session_id, cdr_token, audience, c.SessionStatus.ACTIVE, replaces
    )


async def _open(
    session: AsyncSession,
    settings: Settings,
    req: StartSession,
    session_id: str,
    cdr_token: c.CdrToken,
    audience: int | None,
    status: c.SessionStatus,
    replaces: StoredObject | None = None,
) -> c.Session:
    """A new charging session (or a reservation's, status RESERVATION): its snapshots,
    the OCPI Session stored (over ``replaces``, a reservation's Session) and pushed."""
    now = utcnow()
    started = req.start or now
    row = await objects.get_own(session, locations.MODULE, req.location_id)
    if row is None:
        raise locations.UnknownLocation(f"Unknown location {req.location_id!r}")
    location = locations.load(row)
    _, connector = locations.charging_point(location, req.evse_uid, req.connector_id)
    tariff = await _connector_tariff(session, connector, started)
    state: dict[str, Any] = {
        "location_id": location.id,
        "evse_uid": req.evse_uid,
        "connector_id": req.connector_id,
        "cdr_token": cdr_token.model_dump(mode="json", exclude_none=True),
        "auth_method": req.auth_method.value,
        "authorization_reference": req.authorization_reference,
        "meter_id": req.meter_id,
        "currency": tariff.currency if tariff else "EUR",
        "time_zone": location.time_zone,
        "tariffs": [
            {
                "from": started.isoformat(),
                "tariff": None
                if tariff is None
                else tariff.model_dump(mode="json", exclude_none=True),
            }
        ],
        "meter_start": str(req.meter_start),
        "samples": [_dump(pricing.MeterSample(started, Decimal(0), True))],
        "start": started.isoformat(),
        "pushed_periods": 0,
        "pushed_digest": _digest([]),
    }
    rec = ChargingSession(id=session_id, status=status.value, audience_id=audience, state=state)
    session.add(rec)
    obj, _ = _session_object(settings, session_id, state, status, started, now)
    await service.store(
        session,
        service.key(OWN, settings.country_code, settings.party_id, session_id),
        obj,
        replaces,
        location=location,
        audience_id=audience,
    )
    await _push(session, settings, rec, obj, "PUT", now)
    return obj


# --------------------------------------------------------------------------- reservations


async def reserve(
    session: AsyncSession,
    settings: Settings,
    reservation: Reservation,
    evse_uid: str | None,
    connector_id: str | None,
) -> c.Session | None:
    """The Session a successful reservation makes, status RESERVATION, under our
    reservation id (2.2.1 #mod_sessions_reservation); pushed to the eMSP. Where the
    reservation names no EVSE, the first reservable one of the location stands in
    (a Session needs an EVSE and a connector). None when it exists already."""
    if await session.get(ChargingSession, reservation.id) is not None:
        return None  # a replaced reservation keeps its Session
    row = await objects.get_own(session, locations.MODULE, reservation.location_id)
    if row is None:
        return None  # the location went away meanwhile: nothing to show
    location = locations.load(row)
    evse = None
    for candidate in location.evses or []:
        wanted = evse_uid or reservation.evse_uid
        if candidate.uid == wanted or (
            wanted is None and c.Capability.RESERVABLE in (candidate.capabilities or [])
        ):
            evse = candidate
            break
    if evse is None or not evse.connectors:
        return None
    connector = connector_id or evse.connectors[0].id
    req = StartSession(
        id=reservation.id,
        reservation_id=reservation.id,
        location_id=location.id,
        evse_uid=evse.uid,
        connector_id=connector,
    )
    req, cdr_token, audience = _on_behalf(req, reservation.data, reservation.partner_id)
    status = c.SessionStatus.RESERVATION
    return await _open(session, settings, req, reservation.id, cdr_token, audience, status)


async def release(session: AsyncSession, settings: Settings, session_id: str) -> None:
    """A reservation that ended without a charging session (cancelled, expired): its
    Session becomes COMPLETED (2.2.1 #mod_sessions_reservation). No CDR: we do not
    bill reservations."""
    rec = await session.get(ChargingSession, session_id, with_for_update=True)
    if rec is None or rec.status != c.SessionStatus.RESERVATION.value:
        return
    now = utcnow()
    rec.status = c.SessionStatus.COMPLETED.value
    obj, _ = _session_object(
        settings, session_id, dict(rec.state), c.SessionStatus.COMPLETED, now, now
    )
    await _save_object(session, settings, rec, obj)
    await _push(session, settings, rec, obj, "PATCH", now)


async def _reserved(
    session: AsyncSession, req: StartSession
) -> tuple[StartSession, c.CdrToken, int]:
    """A session that uses our reservation: its token and eMSP; the reservation is used."""
    found = await session.get(Reservation, req.reservation_id or "", with_for_update=True)
    if found is None or found.direction != "in":
        raise InvalidParameters(f"No reservation {req.reservation_id!r} of a partner")
    if found.status not in ("requested", "active"):
        raise InvalidParameters(f"Reservation {req.reservation_id!r} is {found.status}")
    found.status = "used"
    return _on_behalf(req, found.data, found.partner_id)


async def _reserved_session(
    session: AsyncSession, settings: Settings, session_id: str
) -> StoredObject | None:
    """The reservation's Session (RESERVATION) that the charging session takes over:
    its charger record goes, its OCPI Session is overwritten (same id, now ACTIVE)."""
    rec = await session.get(ChargingSession, session_id, with_for_update=True)
    if rec is None:
        return None
    if rec.status != c.SessionStatus.RESERVATION.value:
        raise InvalidParameters(f"Session {session_id!r} already exists")
    await session.delete(rec)
    await session.flush()
    k = service.key(OWN, settings.country_code, settings.party_id, session_id)
    return await objects.get(session, k, for_update=True)


async def meter(
    session: AsyncSession, settings: Settings, session_id: str, req: MeterUpdate
) -> c.Session:
    now = utcnow()
    rec = await _record(session, session_id)
    if rec.status != "ACTIVE":
        raise InvalidParameters(f"Session {session_id!r} is {rec.status}, not ACTIVE")
    state = dict(rec.state)
    _add_sample(state, req.at or now, req.meter, req.charging, req.current, req.power)
    if settings.tariff_change_policy == "current":
        await _follow_tariff(session, state, req.at or now)
    rec.state = state
    obj, _ = _session_object(
        settings, session_id, state, c.SessionStatus.ACTIVE, _last_at(state), now
    )
    await _save_object(session, settings, rec, obj)
    due = rec.pushed_at is None or now - rec.pushed_at >= timedelta(
        seconds=settings.session_push_interval
    )
    if due:
        await _push(session, settings, rec, obj, "PATCH", now)
    else:  # folded into the next push, which the ticker sends when due
        assert rec.pushed_at is not None
        rec.push_due_at = rec.pushed_at + timedelta(seconds=settings.session_push_interval)
    return obj


async def stop(
    session: AsyncSession, settings: Settings, session_id: str, req: StopSession
) -> tuple[c.Session, c.CDR | None]:
    now = utcnow()
    rec = await _record(session, session_id)
    if rec.status != "ACTIVE":
        raise InvalidParameters(f"Session {session_id!r} is {rec.status} already")
    state = dict(rec.state)
    at = req.at or now
    last = _samples(state)[-1]
    if req.meter is not None:
        _add_sample(state, at, req.meter, False, None, None)
    elif at < last.at:
        raise InvalidParameters(f"Stop at {at.isoformat()} is before the last reading")
    status = c.SessionStatus.INVALID if req.invalid else c.SessionStatus.COMPLETED
    if req.reason:
        state["reason"] = req.reason
    rec.state = state
    rec.status = status.value
    rec.push_due_at = None
    obj, priced = _session_object(settings, session_id, state, status, at, now)
    location = await _save_object(session, settings, rec, obj)
    await _push(session, settings, rec, obj, "PATCH", now)
    if status is c.SessionStatus.INVALID:
        return obj, None
    cdr = own_cdrs.build(obj, location, priced.tariffs, priced.pricing, now)
    await own_cdrs.store_and_push(session, cdr, location, rec.audience_id)
    return obj, cdr


async def anything_due(session: AsyncSession, now: datetime) -> bool:
    """A read (no write lock) the ticker asks first: an idle node stays idle."""
    found = await session.scalar(
        select(ChargingSession.id)
        .where(ChargingSession.push_due_at <= now, ChargingSession.status == "ACTIVE")
        .limit(1)
    )
    return found is not None


async def push_due(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Send the PATCHes the throttle held back, and the 5-minute heartbeat of running
    sessions; called by the server's ticker. Returns how many went out."""
    due = await session.scalars(
        select(ChargingSession)
        .where(ChargingSession.push_due_at <= now, ChargingSession.status == "ACTIVE")
        .order_by(ChargingSession.push_due_at)
        .limit(200)
        .with_for_update(skip_locked=True)
    )
    count = 0
    for rec in due:
        row = await objects.get(
            session, service.key(OWN, settings.country_code, settings.party_id, rec.id)
        )
        if row is None:
            rec.push_due_at = None
            continue
        obj = service.load(row)
        if rec.pushed_at is not None and now - rec.pushed_at >= HEARTBEAT:
            # Nothing new from the charger: the cost so far, as of now.
            priced = price_state(rec.state, now)
            cost = priced.pricing.total_cost.to_price() if priced.pricing else obj.total_cost
            obj = obj.model_copy(update={"total_cost": cost, "last_updated": now})
            await _save_object(session, settings, rec, obj)
        await _push(session, settings, rec, obj, "PATCH", now)
        count += 1
    return count


# --------------------------------------------------------------------------- helpers


def _new_id(started: datetime) -> str:
    return f"{started:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"


def _last_at(state: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(state["samples"][-1][0])


def _add_sample(
    state: dict[str, Any],
    at: datetime,
    reading: Decimal,
    charging: bool | None,
    current: Decimal | None,
    power: Decimal | None,
) -> None:
    samples = _samples(state)
    last = samples[-1]
    kwh = reading - Decimal(state["meter_start"])
    if at < last.at:
        raise InvalidParameters(
            f"Reading at {at.isoformat()} is older than the last one ({last.at.isoformat()})"
        )
    if kwh < last.energy_kwh:
        raise InvalidParameters(
            f"Meter went backwards: {reading} kWh after "
            f"{last.energy_kwh + Decimal(state['meter_start'])}"
        )
    flowed = kwh > last.energy_kwh
    # The interval just closed: charging if energy flowed, else as declared at its start.
    last = replace(last, charging=last.charging or flowed)
    state_now = charging if charging is not None else (True if flowed else last.charging)
    new = pricing.MeterSample(at, kwh, state_now, current, power)
    if at == last.at:
        samples[-1] = new
    else:
        samples[-1] = last
        samples.append(new)
    state["samples"] = [_dump(s) for s in samples]


async def _follow_tariff(session: AsyncSession, state: dict[str, Any], at: datetime) -> None:
    """``tariff_change_policy=current``: a connector given another tariff starts a new
    segment priced with it. Only another tariff *id* counts: a CDR names each period's
    tariff by id (#mod_cdrs_chargingperiod_class) and lists one Tariff per id, so two
    versions of one tariff in one CDR could not be told apart by the eMSP; a tariff
    changed in place, or a connector left without a tariff, keeps the one in use."""
    row = await objects.get_own(session, locations.MODULE, state["location_id"])
    if row is None:
        return
    try:
        _, connector = locations.charging_point(
            locations.load(row), state["evse_uid"], state["connector_id"]
        )
    except OcpiError:
        return
    tariff = await _connector_tariff(session, connector, at)
    if tariff is None:
        return
    used = {(seg["tariff"] or {}).get("id") for seg in state["tariffs"]}
    if tariff.id not in used:
        new_doc = tariff.model_dump(mode="json", exclude_none=True)
        state["tariffs"] = [*state["tariffs"], {"from": at.isoformat(), "tariff": new_doc}]


def _session_object(
    settings: Settings,
    session_id: str,
    state: dict[str, Any],
    status: c.SessionStatus,
    end: datetime,
    now: datetime,
) -> tuple[c.Session, Priced]:
    """The OCPI Session as the samples say now, and its pricing (the CDR's, at the end)."""
    priced = price_state(state, end)
    total = priced.pricing.total_cost.to_price() if priced.pricing else c.Price(excl_vat=0)
    kwh = _samples(state)[-1].energy_kwh
    finished = status in (c.SessionStatus.COMPLETED, c.SessionStatus.INVALID)
    obj = c.Session(
        country_code=settings.country_code,
        party_id=settings.party_id,
        id=session_id,
        start_date_time=datetime.fromisoformat(state["start"]),
        end_date_time=end if finished else None,
        kwh=kwh,
        cdr_token=c.CdrToken.model_validate(state["cdr_token"]),
        auth_method=c.AuthMethod(state["auth_method"]),
        authorization_reference=state.get("authorization_reference"),
        location_id=state["location_id"],
        evse_uid=state["evse_uid"],
        connector_id=state["connector_id"],
        meter_id=state.get("meter_id"),
        currency=state["currency"],
        charging_periods=priced.periods or None,
        total_cost=total,
        status=status,
        last_updated=now,
    )
    return obj, priced


async def _save_object(
    session: AsyncSession, settings: Settings, rec: ChargingSession, obj: c.Session
) -> c.Location:
    """Store the new state of the OCPI Session; returns its Location snapshot."""
    k = service.key(OWN, settings.country_code, settings.party_id, rec.id)
    row = await objects.get(session, k, for_update=True)
    location = embedded_location(row.data) if row is not None else None
    if location is None:  # the snapshot is taken at the start; this is a repair
        loc_row = await objects.get_own(session, locations.MODULE, obj.location_id)
        if loc_row is None:
            raise locations.UnknownLocation(f"Unknown location {obj.location_id!r}")
        location = locations.load(loc_row)
    await service.store(session, k, obj, row, location=location, audience_id=rec.audience_id)
    return location


async def _push(
    session: AsyncSession,
    settings: Settings,
    rec: ChargingSession,
    obj: c.Session,
    method: str,
    now: datetime,
) -> None:
    """Queue the session for its eMSP. A PATCH carries what changed and only the new
    charging periods (2.2.1 PATCH appends them, #mod_sessions_patch_method); when the
    periods already sent changed (a period grew or was split), it becomes a PUT of
    the whole session, the only way to replace periods (CHECKLIST 221-S-3)."""
    state = dict(rec.state)
    periods = [p.model_dump(mode="json", exclude_none=True) for p in obj.charging_periods or []]
    sent = state.get("pushed_periods", 0)
    body: dict[str, Any] | None = None
    if method == "PATCH":
        if len(periods) >= sent and _digest(periods[:sent]) == state.get("pushed_digest"):
            body = {
                "kwh": obj.model_dump(mode="json")["kwh"],
                "status": obj.status.value,
                "last_updated": obj.model_dump(mode="json")["last_updated"],
            }
            if obj.total_cost is not None:
                body["total_cost"] = obj.total_cost.model_dump(mode="json", exclude_none=True)
            if obj.end_date_time is not None:
                body["end_date_time"] = obj.model_dump(mode="json")["end_date_time"]
            if periods[sent:]:
                body["charging_periods"] = periods[sent:]
        else:
            method = "PUT"
    state["pushed_periods"] = len(periods)
    state["pushed_digest"] = _digest(periods)
    rec.state = state
    rec.pushed_at = now
    rec.push_due_at = now + HEARTBEAT if obj.status is c.SessionStatus.ACTIVE else None
    if rec.audience_id is None:
        return
    partners = [
        p for p in await outbox.receivers(session, service.MODULE) if p.id == rec.audience_id
    ]
    await outbox.enqueue(
        session,
        service.MODULE,
        method,
        obj.country_code,
        obj.party_id,
        obj.id,
        body=body,
        partners=partners,
    )
