"""``/api/partners``: invite, register, rotate, remove, list; re-read a hub's parties."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from roamkit.api.auth import require_admin
from roamkit.modules.deps import ClientDep, DatabaseDep, SettingsDep
from roamkit.partners import hub_sync, registration
from roamkit.partners import repository as repo
from roamkit.partners.registration import RegistrationError
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NoMatchingEndpoints, NotFound, OcpiError
from roamkit.protocol.status import StatusCode
from roamkit.protocol.tokens import TokenEncoding


class InviteRequest(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)


class RegisterRequest(BaseModel):
    versions_url: str = Field(min_length=1, max_length=255)
    token: str = Field(min_length=1, max_length=255)
    name: str | None = Field(None, min_length=1, max_length=100)
    token_encoding: TokenEncoding = TokenEncoding.AUTO


class FlowFailed(OcpiError):
    http_status = 502
    status_code = StatusCode.UNABLE_TO_USE_CLIENT_API


router = APIRouter(prefix="/api/partners", dependencies=[Depends(require_admin)])


@router.get("")
async def list_partners(db: DatabaseDep) -> OcpiResponse:
    async with db.sessions() as session:
        partners = await repo.list_partners(session)
        return ocpi_response(await repo.partners_json(session, partners))


@router.get("/{name:path}")  # a party behind a hub is "hub/CC*PID"
async def get_partner(name: str, db: DatabaseDep) -> OcpiResponse:
    async with db.sessions() as session:
        partner = await repo.get_by_name(session, name)
        if partner is None:
            raise NotFound(f"No partner named {name!r}")
        return ocpi_response((await repo.partners_json(session, [partner]))[0])


@router.post("/invite")
async def invite(body: InviteRequest, db: DatabaseDep, settings: SettingsDep) -> OcpiResponse:
    async with db.session() as session:
        try:
            partner, token_a = await repo.invite(session, body.name)
        except repo.PartnerExists as exc:
            raise OcpiError(str(exc), http_status=409) from exc
        name = partner.name
    return ocpi_response(
        {"name": name, "token": token_a, "versions_url": settings.versions_url}, http_status=201
    )


@router.post("/register")
async def register(
    body: RegisterRequest, db: DatabaseDep, client: ClientDep, settings: SettingsDep
) -> OcpiResponse:
    try:
        partner = await registration.register_with(
            db, client, settings, body.versions_url, body.token, body.name, body.token_encoding
        )
    except RegistrationError as exc:
        raise FlowFailed(str(exc)) from exc
    return ocpi_response(repo.partner_json(partner), http_status=201)


@router.post("/{name:path}/rotate")
async def rotate(
    name: str, db: DatabaseDep, client: ClientDep, settings: SettingsDep
) -> OcpiResponse:
    try:
        partner = await registration.rotate(db, client, settings, name)
    except RegistrationError as exc:
        raise FlowFailed(str(exc)) from exc
    return ocpi_response(repo.partner_json(partner))


@router.post("/{name:path}/client-info")  # a hub's name may contain "/" too
async def sync_parties(
    name: str,
    db: DatabaseDep,
    client: ClientDep,
    settings: SettingsDep,
    page_size: int | None = Query(None, ge=1),
) -> OcpiResponse:
    """Re-read a hub's ClientInfo list (2.2.1 #mod_hub_client_info_hub_get, CHECKLIST
    221-H-1): for a node that missed the hub's PUTs. Answers the counts."""
    try:
        counts = await hub_sync.sync_client_info(db, client, settings, name, page_size)
    except hub_sync.UnknownPartner as exc:
        raise NotFound(str(exc)) from exc
    except hub_sync.NotAHub as exc:
        raise InvalidParameters(str(exc)) from exc
    except hub_sync.NoClientInfoList as exc:
        raise NoMatchingEndpoints(str(exc)) from exc
    except hub_sync.ClientInfoSyncError as exc:
        raise FlowFailed(str(exc)) from exc
    return ocpi_response(counts)


@router.delete("/{name:path}")
async def remove(
    name: str, db: DatabaseDep, client: ClientDep, force: bool = False
) -> OcpiResponse:
    try:
        partner = await registration.unregister(db, client, name, force=force)
    except RegistrationError as exc:
        raise FlowFailed(str(exc)) from exc
    return ocpi_response(repo.partner_json(partner))
