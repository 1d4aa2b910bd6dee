"""Sessions Sender interface (the CPO's): GET list of the caller's sessions
(``date_from`` required, 2.2.1 #mod_sessions_cpo_get_method, 2.1.1 mod_sessions.md
§2.1.1), and 2.2.1's PUT of Charging Preferences (#mod_sessions_cpo_put_method)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import list_response, routing_headers
from roamkit.modules.locations import service as locations
from roamkit.modules.sessions import service
from roamkit.partners.repository import has_party
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import NotFound, invalid_object, json_body
from roamkit.protocol.status import StatusCode
from roamkit.store import objects
from roamkit.store.tables import ChargingSession


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    @r.get("/", include_in_schema=False)
    async def get_list(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        return await list_response(
            request,
            db,
            settings,
            caller,
            service.MODULE,
            version,
            date_from_required=True,
            per_partner=True,
        )

    if version == "2.1.1":
        return r

    @r.put("/{session_id}/charging_preferences")
    async def put_charging_preferences(
        session_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        """Kept with the session for the charger side (smart charging reads them from
        the management API). An EVSE without CHARGING_PREFERENCES_CAPABLE answers
        404 / 2001 as CHECKLIST 221-S-7 says; a session of another eMSP is unknown."""
        try:
            prefs = c.ChargingPreferences.model_validate(await json_body(request))
        except ValidationError as exc:
            raise invalid_object(exc, "charging preferences") from None
        async with db.session() as session:
            rec = await session.get(ChargingSession, session_id, with_for_update=True)
            token = (rec.state.get("cdr_token") or {}) if rec else {}
            if rec is None or not has_party(
                caller.partner, token.get("country_code", ""), token.get("party_id", "")
            ):
                raise NotFound(f"Unknown session {session_id!r}")
            row = await objects.get_own(session, locations.MODULE, rec.state["location_id"])
            evse = None
            if row is not None:
                evse = locations.find_evse(locations.load(row), rec.state["evse_uid"])
            capable = evse is not None and c.Capability.CHARGING_PREFERENCES_CAPABLE in (
                evse.capabilities or []
            )
            if not capable:
                raise NotFound(
                    "This EVSE does not take charging preferences",
                    status_code=StatusCode.INVALID_PARAMETERS,
                )
            if rec.status != "ACTIVE":
                answer = c.ChargingPreferencesResponse.NOT_POSSIBLE
            else:
                answer = c.ChargingPreferencesResponse.ACCEPTED
                rec.state = {**rec.state, "preferences": prefs.model_dump(mode="json")}
        return ocpi_response(
            answer.value, headers=routing_headers(request, settings, caller, version)
        )

    return r
