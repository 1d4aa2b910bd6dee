"""Management API for charging profiles (2.2.1 mod_charging_profiles.asciidoc).

eMSP/SCSP side: ``POST /api/chargingprofiles`` sends a set/get/clear request to a CPO
partner and answers the record with the CPO's immediate answer; the result arrives
later (follow it with ``GET /api/commands/{id}``: the requests are command records).
``GET /api/chargingprofiles/{session_id}`` shows a session's requests, the profile we
set and the last ActiveChargingProfile received (on a CPO node: the partners' requests
and what the charger side last reported).

CPO side, the charger side's hook: requests are taken and answered through
``/api/charger/commands`` (``api.commands``); ``PUT /api/sessions/{id}/charging-profile``
reports a changed ActiveChargingProfile, which goes to every partner that set a profile
on the session (#mod_charging_profiles_msp_put_method).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy import select

from roamkit.api.auth import require_admin
from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import cpo, emsp
from roamkit.modules.commands import records
from roamkit.modules.deps import ClientDep, DatabaseDep, SettingsDep
from roamkit.partners import repository as repo
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object, json_body
from roamkit.protocol.timeutil import format_datetime
from roamkit.store.tables import ChargingProfileState, CommandRecord, Partner

router = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])

SHOWN = 100
"""Requests shown per session, newest first."""


async def _object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a JSON object")
    return body


@router.post("/chargingprofiles")
async def send_request(
    request: Request, db: DatabaseDep, client: ClientDep, settings: SettingsDep
) -> OcpiResponse:
    req = emsp.parse_request(await _object(request))
    rec, name = await emsp.send(db, client, settings, req)
    return ocpi_response(records.record_json(rec, name), http_status=201)


@router.get("/chargingprofiles/{session_id}")
async def show(session_id: str, db: DatabaseDep, partner: str | None = None) -> OcpiResponse:
    """A session's requests (both directions), the profile set on it and the last
    ActiveChargingProfile: on the eMSP side the one the CPO last sent; on the CPO side
    the one the charger side last reported."""
    requests = select(CommandRecord).where(
        CommandRecord.module == cpo.MODULE, CommandRecord.session_id == session_id
    )
    states = select(ChargingProfileState).where(ChargingProfileState.session_id == session_id)
    async with db.sessions() as session:
        names = {p.id: p.name for p in await session.scalars(select(Partner))}
        if partner is not None:
            found = await repo.get_by_name(session, partner)
            if found is None:
                raise NotFound(f"Unknown partner {partner!r}")
            requests = requests.where(CommandRecord.partner_id == found.id)
            states = states.where(ChargingProfileState.partner_id == found.id)
        recs = list(
            await session.scalars(requests.order_by(CommandRecord.created_at.desc()).limit(SHOWN))
        )
        rows = list(await session.scalars(states.order_by(ChargingProfileState.updated_at.desc())))
        own = await cpo.find_session(session, session_id)
    active = own.state.get(cpo.ACTIVE_KEY) if own is not None else None
    if active is None:
        active = next((r.active for r in rows if r.direction == records.OUT and r.active), None)
    return ocpi_response(
        {
            "session_id": session_id,
            "active": active,
            "profiles": [
                {
                    "direction": r.direction,
                    "partner": names.get(r.partner_id),
                    "profile": r.profile,
                    "active": r.active,
                    "updated_at": format_datetime(r.updated_at),
                }
                for r in rows
            ],
            "requests": [records.record_json(r, names.get(r.partner_id)) for r in recs],
        }
    )


@router.put("/sessions/{session_id}/charging-profile")
async def active_changed(
    session_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    """CPO: the charger side reports the session's ActiveChargingProfile changed."""
    try:
        active = c.ActiveChargingProfile.model_validate(await _object(request))
    except ValidationError as exc:
        raise invalid_object(exc, "ActiveChargingProfile") from None
    async with db.session() as session:
        sent_to = await cpo.active_changed(session, settings, session_id, active)
    return ocpi_response(
        {
            "session_id": session_id,
            "active": active.model_dump(mode="json", exclude_none=True),
            "sent_to": sent_to,
        }
    )
