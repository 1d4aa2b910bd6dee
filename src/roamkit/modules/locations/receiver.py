"""Locations Receiver interface (the eMSP's): GET, PUT, PATCH of a partner's
location, EVSE or connector, both versions
(2.2.1 #mod_locations_receiver_interface, 2.1.1 mod_locations.md §2.2).

A partner writes only under its own country_code/party_id (``PartyCaller``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from roamkit.domain.context import ConversionContext
from roamkit.modules.deps import DatabaseDep, PartyCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.modules.locations import codec, service
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, json_body
from roamkit.protocol.timeutil import parse_datetime, utcnow
from roamkit.store import objects

PATHS = (
    "/{country_code}/{party_id}/{location_id}",
    "/{country_code}/{party_id}/{location_id}/{evse_uid}",
    "/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}",
)


def _check_ids(lvl: str, obj: Any, cc: str, pid: str, target: service.Target) -> None:
    """URL and body must name the same object (transport_and_format #errors: 2001)."""
    url_id = {
        "location": target.location_id,
        "evse": target.evse_uid,
        "connector": target.connector_id,
    }[lvl]
    body_id = obj.uid if lvl == "evse" else obj.id
    if str(body_id) != url_id:
        raise InvalidParameters(
            f"{lvl} id in the body ({body_id!r}) differs from the URL ({url_id!r})"
        )
    if lvl == "location" and (obj.country_code.upper(), obj.party_id.upper()) != (cc, pid):
        raise InvalidParameters(
            f"Location belongs to {obj.country_code}*{obj.party_id}, URL says {cc}*{pid} "
            "(2.2.1 #mod_locations_request_parameters_msp)"
        )


def router(version: str) -> APIRouter:
    r = APIRouter()

    async def do_get(
        request: Request,
        caller: Any,
        db: Any,
        settings: Any,
        cc: str,
        pid: str,
        target: service.Target,
    ) -> OcpiResponse:
        k = service.key(caller.partner.id, cc, pid, target.location_id)
        async with db.sessions() as session:
            row = await objects.get(session, k)
        if row is None:
            raise service.UnknownLocation(f"Unknown location {target.location_id!r}")
        ctx = ConversionContext(country_code=cc.upper(), party_id=pid.upper())
        data = codec.to_wire(version, service.select(service.load(row), target), ctx)
        return ocpi_response(data, headers=routing_headers(request, settings, caller, version))

    async def do_put(
        request: Request,
        caller: Any,
        db: Any,
        settings: Any,
        cc: str,
        pid: str,
        target: service.Target,
    ) -> OcpiResponse:
        cc, pid = cc.upper(), pid.upper()
        lvl = codec.level(target.evse_uid, target.connector_id)
        ctx = ConversionContext(country_code=cc, party_id=pid)
        obj = codec.parse_put(version, lvl, await json_body(request), ctx)
        _check_ids(lvl, obj, cc, pid, target)
        owner = caller.partner.id
        async with db.session() as session:
            if lvl == "location":
                outcome = await service.put_location(session, owner, obj)
            elif lvl == "evse":
                outcome = await service.put_evse(
                    session, service.key(owner, cc, pid, target.location_id), obj
                )
            else:
                outcome = await service.put_connector(
                    session,
                    service.key(owner, cc, pid, target.location_id),
                    str(target.evse_uid),
                    obj,
                )
        return ocpi_response(
            status_message=outcome.message,
            http_status=outcome.http_status,
            headers=routing_headers(request, settings, caller, version),
        )

    async def do_patch(
        request: Request,
        caller: Any,
        db: Any,
        settings: Any,
        cc: str,
        pid: str,
        target: service.Target,
    ) -> OcpiResponse:
        cc, pid = cc.upper(), pid.upper()
        lvl = codec.level(target.evse_uid, target.connector_id)
        ctx = ConversionContext(country_code=cc, party_id=pid)
        body = await json_body(request)
        fields = codec.parse_patch(version, lvl, body, ctx)
        for field, url_value in (("country_code", cc), ("party_id", pid)):
            if field in fields and str(fields[field]).upper() != url_value:
                raise InvalidParameters(
                    f"PATCH may not move the location to another party "
                    f"({field}={fields[field]!r}, URL says {url_value!r})"
                )
        stamp = fields.pop("last_updated", None)
        if stamp is None and version != "2.1.1":
            # 2.2.1 #mod_locations_patch_method: every PATCH SHALL carry last_updated.
            raise InvalidParameters("PATCH without last_updated")
        when: datetime = parse_datetime(stamp) if stamp else utcnow()
        k = service.key(caller.partner.id, cc, pid, target.location_id)
        async with db.session() as session:
            outcome = await service.patch(session, k, target, fields, when)
        return ocpi_response(
            status_message=outcome.message,
            headers=routing_headers(request, settings, caller, version),
        )

    for handler, method in ((do_get, "GET"), (do_put, "PUT"), (do_patch, "PATCH")):
        _mount(r, method, handler)
    return r


def _mount(r: APIRouter, method: str, handler: Any) -> None:
    """One route per URL depth (location, EVSE, connector) for ``handler``."""

    async def at_location(
        country_code: str,
        party_id: str,
        location_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await handler(
            request, caller, db, settings, country_code, party_id, service.Target(location_id)
        )

    async def at_evse(
        country_code: str,
        party_id: str,
        location_id: str,
        evse_uid: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await handler(
            request,
            caller,
            db,
            settings,
            country_code,
            party_id,
            service.Target(location_id, evse_uid),
        )

    async def at_connector(
        country_code: str,
        party_id: str,
        location_id: str,
        evse_uid: str,
        connector_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        return await handler(
            request,
            caller,
            db,
            settings,
            country_code,
            party_id,
            service.Target(location_id, evse_uid, connector_id),
        )

    for path, endpoint in zip(PATHS, (at_location, at_evse, at_connector), strict=True):
        r.add_api_route(
            path, endpoint, methods=[method], name=f"{method.lower()}_{endpoint.__name__}"
        )
