"""ChargingProfiles Receiver interface (the CPO's, 2.2.1 #mod_charging_profiles_cpo_interface):
``GET {chargingprofiles}/{session_id}?duration=&response_url=``, ``PUT .../{session_id}``
(SetChargingProfile), ``DELETE .../{session_id}?response_url=``. Each answers a
ChargingProfileResponse at once; the Charge Point's result follows on ``response_url``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import cpo
from roamkit.modules.commands import records
from roamkit.modules.commands.cpo import arrival
from roamkit.modules.deps import Caller, DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, invalid_object, json_body

SESSION_ID_MAX = 36
"""session_id is CiString(36) (#mod_charging_profiles_msp_get_request_parameters)."""
URL_MAX = 255


def _session_id(session_id: str, headers: dict[str, str]) -> str:
    if not session_id or len(session_id) > SESSION_ID_MAX:
        raise InvalidParameters(
            f"session_id must be 1 to {SESSION_ID_MAX} characters", headers=headers
        )
    return session_id


def _response_url(raw: str | None, headers: dict[str, str]) -> str:
    """``response_url`` is required on every Receiver method: the result goes nowhere
    else (CHECKLIST 2.16, GET and DELETE carry it in the query)."""
    if not raw:
        raise InvalidParameters("response_url is required", http_status=400, headers=headers)
    if len(raw) > URL_MAX or not raw.startswith(("http://", "https://")):
        raise InvalidParameters(
            f"response_url must be an http(s) URL of at most {URL_MAX} characters",
            http_status=400,
            headers=headers,
        )
    return raw


def _duration(raw: str | None, headers: dict[str, str]) -> int:
    """``duration`` (seconds) is required on GET
    (#mod_charging_profiles_msp_get_request_parameters)."""
    try:
        value = int(raw or "")
    except ValueError:
        raise InvalidParameters(
            "duration (seconds, a positive integer) is required", http_status=400, headers=headers
        ) from None
    if value <= 0:
        raise InvalidParameters("duration must be positive", http_status=400, headers=headers)
    return value


def router(version: str) -> APIRouter:
    r = APIRouter()

    async def _handle(
        request: Request,
        caller: Caller,
        db: DatabaseDep,
        settings: SettingsDep,
        kind: str,
        session_id: str,
        fields: dict[str, Any],
        response_url: str,
        headers: dict[str, str],
    ) -> OcpiResponse:
        records.check_response_url(settings, caller.partner, response_url)
        async with db.session() as session:
            answer = await cpo.receive(
                session,
                settings,
                caller.partner,
                kind,
                session_id,
                fields,
                response_url,
                records.correlation_id(request.headers),
            )
        if answer.result is c.ChargingProfileResponseType.ACCEPTED:
            arrival().set()  # committed: a long-polling charger side may take it now
        return ocpi_response(answer.model_dump(mode="json", exclude_none=True), headers=headers)

    @r.get("/{session_id}")
    async def get_active(
        session_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        duration: str | None = None,
        response_url: str | None = None,
    ) -> OcpiResponse:
        headers = routing_headers(request, settings, caller, version)
        sid = _session_id(session_id, headers)
        url = _response_url(response_url, headers)
        seconds = _duration(duration, headers)
        return await _handle(
            request, caller, db, settings, cpo.GET, sid, {"duration": seconds}, url, headers
        )

    @r.put("/{session_id}")
    async def set_profile(
        session_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        headers = routing_headers(request, settings, caller, version)
        sid = _session_id(session_id, headers)
        try:
            body = c.SetChargingProfile.model_validate(await json_body(request))
        except ValidationError as exc:
            error = invalid_object(exc, "SetChargingProfile")
            error.headers = headers
            raise error from None
        url = _response_url(body.response_url, headers)
        profile = body.charging_profile.model_dump(mode="json", exclude_none=True)
        return await _handle(
            request, caller, db, settings, cpo.SET, sid, {"charging_profile": profile}, url, headers
        )

    @r.delete("/{session_id}")
    async def clear_profile(
        session_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        response_url: str | None = None,
    ) -> OcpiResponse:
        headers = routing_headers(request, settings, caller, version)
        sid = _session_id(session_id, headers)
        url = _response_url(response_url, headers)
        return await _handle(request, caller, db, settings, cpo.CLEAR, sid, {}, url, headers)

    return r
