"""Tariffs Receiver interface (the eMSP's): GET, PUT, DELETE, and in 2.1.1 PATCH
(2.2.1 #mod_tariffs_receiver_interface, 2.1.1 mod_tariffs.md §2.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.domain.context import ConversionContext
from roamkit.modules.deps import DatabaseDep, PartyCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.modules.tariffs import codec, service
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, json_body
from roamkit.protocol.timeutil import parse_datetime, utcnow
from roamkit.store import objects

PATH = "/{country_code}/{party_id}/{tariff_id}"


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get(PATH)
    async def get_tariff(
        country_code: str,
        party_id: str,
        tariff_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        async with db.sessions() as session:
            row = await objects.get(
                session, service.key(caller.partner.id, country_code, party_id, tariff_id)
            )
        if row is None:
            raise NotFound(f"Unknown tariff {tariff_id!r}")
        ctx = ConversionContext(country_code=row.country_code, party_id=row.party_id)
        return ocpi_response(
            codec.to_wire(version, service.load(row), ctx),
            headers=routing_headers(request, settings, caller, version),
        )

    @r.put(PATH)
    async def put_tariff(
        country_code: str,
        party_id: str,
        tariff_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        cc, pid = country_code.upper(), party_id.upper()
        tariff = codec.parse_put(
            version, await json_body(request), ConversionContext(country_code=cc, party_id=pid)
        )
        if tariff.id != tariff_id:
            raise InvalidParameters(
                f"Tariff id in the body ({tariff.id!r}) differs from the URL ({tariff_id!r})"
            )
        if (tariff.country_code.upper(), tariff.party_id.upper()) != (cc, pid):
            raise InvalidParameters(
                f"Tariff belongs to {tariff.country_code}*{tariff.party_id}, URL says {cc}*{pid}"
            )
        async with db.session() as session:
            outcome = await service.put_tariff(session, caller.partner.id, tariff)
        return ocpi_response(
            status_message=outcome.message,
            http_status=outcome.http_status,
            headers=routing_headers(request, settings, caller, version),
        )

    @r.delete(PATH)
    async def delete_tariff(
        country_code: str,
        party_id: str,
        tariff_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        async with db.session() as session:
            found = await service.delete_tariff(
                session, service.key(caller.partner.id, country_code, party_id, tariff_id)
            )
        if not found:
            raise NotFound(f"Unknown tariff {tariff_id!r}")
        return ocpi_response(headers=routing_headers(request, settings, caller, version))

    if version == "2.1.1":

        @r.patch(PATH)
        async def patch_tariff(
            country_code: str,
            party_id: str,
            tariff_id: str,
            request: Request,
            caller: PartyCaller,
            db: DatabaseDep,
            settings: SettingsDep,
        ) -> OcpiResponse:
            cc, pid = country_code.upper(), party_id.upper()
            fields = codec.parse_patch(
                await json_body(request), ConversionContext(country_code=cc, party_id=pid)
            )
            stamp = fields.pop("last_updated", None)
            when = parse_datetime(stamp) if stamp else utcnow()
            async with db.session() as session:
                outcome = await service.patch_tariff(
                    session, service.key(caller.partner.id, cc, pid, tariff_id), fields, when
                )
            return ocpi_response(
                status_message=outcome.message,
                headers=routing_headers(request, settings, caller, version),
            )

    return r
