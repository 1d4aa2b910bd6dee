"""Locations Sender interface (the CPO's): GET list and GET object, both versions
(2.2.1 #mod_locations_sender_interface, 2.1.1 mod_locations.md §2.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.domain.context import ConversionContext
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import list_response, routing_headers
from roamkit.modules.locations import service
from roamkit.modules.locations.codec import to_wire
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.store import objects


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    @r.get("/", include_in_schema=False)
    async def get_list(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        return await list_response(request, db, settings, caller, service.MODULE, version)

    async def get_object(
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        target: service.Target,
    ) -> OcpiResponse:
        async with db.sessions() as session:
            row = await objects.get_own(session, service.MODULE, target.location_id)
        if row is None or (version == "2.1.1" and not row.published):
            raise service.UnknownLocation(f"Unknown location {target.location_id!r}")
        location = service.load(row)
        ctx = ConversionContext(country_code=row.country_code, party_id=row.party_id)
        data = to_wire(version, service.select(location, target), ctx)
        return ocpi_response(data, headers=routing_headers(request, settings, caller, version))

    @r.get("/{location_id}")
    async def get_location(
        location_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await get_object(request, caller, db, settings, service.Target(location_id))

    @r.get("/{location_id}/{evse_uid}")
    async def get_evse(
        location_id: str,
        evse_uid: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await get_object(
            request, caller, db, settings, service.Target(location_id, evse_uid)
        )

    @r.get("/{location_id}/{evse_uid}/{connector_id}")
    async def get_connector(
        location_id: str,
        evse_uid: str,
        connector_id: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await get_object(
            request, caller, db, settings, service.Target(location_id, evse_uid, connector_id)
        )

    return r
