"""ChargingProfiles Sender interface (the eMSP's/SCSP's, 2.2.1
#mod_charging_profiles_emsp_interface): ``POST {chargingprofiles}/results/{uid}`` is
the ``response_url`` we give with each request (#mod_charging_profiles_msp_post_method);
``PUT {chargingprofiles}/{session_id}`` takes the CPO's ActiveChargingProfile updates
(#mod_charging_profiles_msp_put_method; the table's second "PUT n/a" row is a slip,
CHECKLIST E-221-12).

Both answer with the ``data`` field omitted, as the spec demands here (A-221-6)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import emsp
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, OcpiError, invalid_object, json_body


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.post(f"/{emsp.RESULTS}/{{uid}}")
    async def post_result(
        uid: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        headers = routing_headers(request, settings, caller, version)
        body = await json_body(request)
        try:
            async with db.session() as session:
                await emsp.result_arrived(session, caller.partner, uid, body)
        except OcpiError as exc:
            exc.headers = {**headers, **exc.headers}
            raise
        return ocpi_response(headers=headers)

    @r.put("/{session_id}")
    async def put_active(
        session_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        headers = routing_headers(request, settings, caller, version)
        if len(session_id) > 36:
            raise InvalidParameters("session_id must be at most 36 characters", headers=headers)
        try:
            active = c.ActiveChargingProfile.model_validate(await json_body(request))
        except ValidationError as exc:
            error = invalid_object(exc, "ActiveChargingProfile")
            error.headers = headers
            raise error from None
        async with db.session() as session:
            await emsp.active_arrived(session, caller.partner, session_id, active)
        return ocpi_response(headers=headers)

    return r
