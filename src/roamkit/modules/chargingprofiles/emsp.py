"""eMSP/SCSP side of charging profiles (the Sender, 2.2.1 #mod_charging_profiles_emsp_interface):
send a request to a CPO partner, record its immediate answer, take the result on our
``response_url`` and the ActiveChargingProfile updates the CPO PUTs to us.

As with commands (``modules.commands.emsp``) the call is made synchronously, outside
any transaction, after the record is written (``sent``): a result that overtakes the
answer (a fast Charge Point) finds it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import state as rows
from roamkit.modules.chargingprofiles.cpo import CLEAR, GET, MODULE, SET
from roamkit.modules.commands import records
from roamkit.modules.commands.records import OUT
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.partners.routing import routing_headers
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database
from roamkit.store.tables import CommandRecord, Partner

VERSION = "2.2.1"
"""The module exists in OCPI 2.2.1 only (new in 2.2)."""
PATH = "emsp/chargingprofiles"
"""Where our Sender interface is mounted."""
RESULTS = "results"
"""``response_url`` = ``{PATH}/results/{record id}``: its own path segment, so it never
meets ``PUT {PATH}/{session_id}`` (#mod_charging_profiles_msp_post_method leaves the
structure to the Sender)."""
DEFAULT_DURATION = 900
"""GET: 15 minutes, inside the 5-60 minutes the spec gives as a useful horizon."""
KIND = {"set": SET, "get": GET, "clear": CLEAR}
METHOD = {SET: "PUT", GET: "GET", CLEAR: "DELETE"}


def _one_decimal(value: Decimal | None, what: str) -> None:
    if value is not None and value != value.quantize(Decimal("0.1")):
        raise ValueError(f"{what} accepts at most one digit fraction (e.g. 8.1)")


class ProfileRequest(BaseModel):
    """``POST /api/chargingprofiles``: a request for a CPO partner's session."""

    partner: str
    session_id: str = Field(min_length=1, max_length=36)
    """The CPO's session id (as its Session objects carry it)."""
    action: Literal["set", "get", "clear"]
    charging_profile: c.ChargingProfile | None = None
    """Required for ``set``."""
    duration: int | None = Field(None, gt=0)
    """``get``: seconds of ActiveChargingProfile wanted (default 900)."""

    @model_validator(mode="after")
    def _fields_of_action(self) -> ProfileRequest:
        if self.action == "set":
            profile = self.charging_profile
            if profile is None:
                raise ValueError("set needs charging_profile")
            _one_decimal(profile.min_charging_rate, "min_charging_rate")
            for period in profile.charging_profile_period or []:
                _one_decimal(period.limit, "limit")
        return self


def parse_request(body: dict[str, Any]) -> ProfileRequest:
    return records.parse_body(ProfileRequest, body, "charging profile request")


def results_url(settings: Settings, record_id: str) -> str:
    return f"{settings.base_url}/ocpi/{VERSION}/{PATH}/{RESULTS}/{record_id}"


async def send(
    db: Database, client: PartnerClient, settings: Settings, req: ProfileRequest
) -> tuple[CommandRecord, str]:
    """Send the request to the partner's Receiver; returns the record (as it stands
    after the answer) and the partner's name."""
    now = utcnow()
    record_id = records.new_id()
    kind = KIND[req.action]
    response_url = results_url(settings, record_id)
    fields: dict[str, Any] = {}
    if kind == SET:
        assert req.charging_profile is not None
        profile = req.charging_profile.model_dump(mode="json", exclude_none=True)
        fields = {"charging_profile": profile}
    elif kind == GET:
        fields = {"duration": req.duration or DEFAULT_DURATION}
    async with db.session() as session:
        partner = await records.sendable_partner(session, req.partner)
        base = None
        if partner.version == VERSION:
            base = repo.endpoint_url(partner, MODULE, "RECEIVER")
        rec = CommandRecord(
            id=record_id,
            direction=OUT,
            partner_id=partner.id,
            module=MODULE,
            kind=kind,
            state=records.SENT,
            request={**fields, "response_url": response_url},
            response_url=response_url,
            session_id=req.session_id,
            created_at=now,
            updated_at=now,
        )
        session.add(rec)
        if base is None:
            rec.state = records.REJECTED
            rec.error = f"partner has no {MODULE} receiver endpoint (OCPI {VERSION} only)"
            rec.response = {"result": "NOT_SUPPORTED", "timeout": 0}
        headers = routing_headers(settings, partner)
        token_out, encoding, name = partner.token_out or "", partner.token_encoding, partner.name
    if base is None:
        return rec, name
    url = f"{base.rstrip('/')}/{quote(req.session_id, safe='')}"  # a CiString may hold "/"
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    if kind == SET:
        body = {**fields, "response_url": response_url}
    else:
        params = {**fields, "response_url": response_url}
    try:
        reply = await client.call(
            METHOD[kind],
            url,
            token=token_out,
            version=VERSION,
            encoding=encoding,
            json=body,
            params=params,
            headers=headers,
            expect_success=False,
        )
        outcome = _answer(reply.data, reply.status_code, reply.status_message)
    except PartnerCallError as exc:
        outcome = {"error": str(exc)}
    async with db.session() as session:
        rec = await records.get(session, record_id, lock=True)
        records.apply_answer(rec, outcome, settings)
    return rec, name


def _answer(data: Any, status_code: int, message: str | None) -> dict[str, Any]:
    """The CPO's answer (``records.read_answer``)."""
    return records.read_answer(
        c.ChargingProfileResponse.model_validate,
        c.ChargingProfileResponse(result=c.ChargingProfileResponseType.REJECTED, timeout=0),
        data,
        status_code,
        message,
    )


_RESULTS: dict[str, type[Any]] = {
    GET: c.ActiveChargingProfileResult,
    SET: c.ChargingProfileResult,
    CLEAR: c.ClearProfileResult,
}
"""The result object each request gets (#mod_charging_profiles_cpo_post_request_body)."""


async def result_arrived(
    session: AsyncSession, partner: Partner, record_id: str, body: Any
) -> None:
    """The CPO posted the Charge Point's result to our ``response_url``. Only the partner
    we sent the request to may; a late result (after we timed out) is still kept."""
    rec = await session.get(CommandRecord, record_id, with_for_update=True)
    if rec is None or rec.direction != OUT or rec.partner_id != partner.id or rec.module != MODULE:
        raise NotFound(f"Unknown charging profile request {record_id!r}")
    if not isinstance(body, dict):
        raise InvalidParameters("the result must be a JSON object")
    try:
        result = _RESULTS[rec.kind].model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, _RESULTS[rec.kind].__name__) from None
    rec.result = result.model_dump(mode="json", exclude_none=True)
    if rec.state in (records.SENT, records.ACCEPTED, records.TIMED_OUT):
        records.close(rec, records.DONE, utcnow())
    if result.result is not c.ChargingProfileResultType.ACCEPTED or rec.session_id is None:
        return
    if rec.kind == GET and result.profile is None:
        return
    state = await rows.get_or_make(session, OUT, partner.id, rec.session_id)
    if rec.kind == SET:
        state.profile = rec.request.get("charging_profile")
    elif rec.kind == CLEAR:
        state.profile = None
    else:
        state.active = result.profile.model_dump(mode="json", exclude_none=True)
    state.updated_at = utcnow()


async def active_arrived(
    session: AsyncSession, partner: Partner, session_id: str, active: c.ActiveChargingProfile
) -> None:
    """The CPO PUT a changed ActiveChargingProfile (#mod_charging_profiles_msp_put_method);
    kept per partner and session, so one CPO never overwrites another's."""
    state = await rows.get_or_make(session, OUT, partner.id, session_id)
    state.active = active.model_dump(mode="json", exclude_none=True)
    state.updated_at = utcnow()
