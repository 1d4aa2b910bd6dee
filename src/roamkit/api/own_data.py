"""``/api/locations`` and ``/api/tariffs``: where our own systems publish
infrastructure and prices. Bodies are 2.2.1-shaped (the canonical model);
``country_code``/``party_id`` default to ours and ``last_updated`` to now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError

from roamkit.api.auth import require_admin
from roamkit.domain import canonical as c
from roamkit.modules.deps import DatabaseDep, SettingsDep
from roamkit.modules.locations import own as own_locations
from roamkit.modules.locations import service as locations
from roamkit.modules.tariffs import own as own_tariffs
from roamkit.modules.tariffs import service as tariffs
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object, json_body
from roamkit.store import objects

router = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])


class StatusChange(BaseModel):
    status: c.Status


def _parse(model: type[BaseModel], data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_object(exc, what) from None


def _same_id(body_id: str, url_id: str) -> None:
    if body_id != url_id:
        raise InvalidParameters(f"id in the body ({body_id!r}) differs from the URL ({url_id!r})")


@router.put("/locations/{location_id}")
async def put_location(
    location_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a Location object")
    location = _parse(
        c.Location, own_locations.stamp({"id": location_id, **body}, settings), "location"
    )
    _same_id(location.id, location_id)
    async with db.session() as session:
        outcome = await own_locations.put_location(session, location)
    return ocpi_response(location.wire(), http_status=outcome.http_status)


@router.put("/locations/{location_id}/evses/{evse_uid}")
async def put_evse(
    location_id: str, evse_uid: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be an EVSE object")
    evse = _parse(c.EVSE, own_locations.stamp({"uid": evse_uid, **body}), "evse")
    _same_id(evse.uid, evse_uid)
    async with db.session() as session:
        outcome = await own_locations.put_evse(session, settings, location_id, evse)
    return ocpi_response(evse.wire(), http_status=outcome.http_status)


@router.put("/locations/{location_id}/evses/{evse_uid}/connectors/{connector_id}")
async def put_connector(
    location_id: str,
    evse_uid: str,
    connector_id: str,
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
) -> OcpiResponse:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a Connector object")
    connector = _parse(c.Connector, own_locations.stamp({"id": connector_id, **body}), "connector")
    _same_id(connector.id, connector_id)
    async with db.session() as session:
        outcome = await own_locations.put_connector(
            session, settings, location_id, evse_uid, connector
        )
    return ocpi_response(connector.wire(), http_status=outcome.http_status)


@router.post("/locations/{location_id}/evses/{evse_uid}/status")
async def set_status(
    location_id: str, evse_uid: str, change: StatusChange, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    async with db.session() as session:
        await own_locations.set_evse_status(session, settings, location_id, evse_uid, change.status)
    return ocpi_response(
        {"location_id": location_id, "evse_uid": evse_uid, "status": change.status.value}
    )


@router.get("/locations/{location_id}")
async def get_location(location_id: str, db: DatabaseDep) -> OcpiResponse:
    async with db.sessions() as session:
        row = await objects.get_own(session, locations.MODULE, location_id)
    if row is None:
        raise locations.UnknownLocation(f"Unknown location {location_id!r}")
    return ocpi_response(row.data)


@router.put("/tariffs/{tariff_id}")
async def put_tariff(
    tariff_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a Tariff object")
    tariff = _parse(c.Tariff, own_locations.stamp({"id": tariff_id, **body}, settings), "tariff")
    _same_id(tariff.id, tariff_id)
    async with db.session() as session:
        outcome = await own_tariffs.put_tariff(session, tariff)
    return ocpi_response(tariff.wire(), http_status=outcome.http_status)


@router.delete("/tariffs/{tariff_id}")
async def delete_tariff(tariff_id: str, db: DatabaseDep, settings: SettingsDep) -> OcpiResponse:
    async with db.session() as session:
        if not await own_tariffs.delete_tariff(session, settings, tariff_id):
            raise NotFound(f"Unknown tariff {tariff_id!r}")
    return ocpi_response()


@router.get("/tariffs/{tariff_id}")
async def get_tariff(tariff_id: str, db: DatabaseDep) -> OcpiResponse:
    async with db.sessions() as session:
        row = await objects.get_own(session, tariffs.MODULE, tariff_id)
    if row is None:
        raise NotFound(f"Unknown tariff {tariff_id!r}")
    return ocpi_response(row.data)
