"""Sessions Receiver interface (the eMSP's): GET, PUT, PATCH
(2.2.1 #mod_sessions_receiver_interface, 2.1.1 mod_sessions.md §2.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.config import Settings
from roamkit.domain.context import ConversionContext
from roamkit.modules.deps import DatabaseDep, PartyCaller, SettingsDep
from roamkit.modules.embedded import embedded_location
from roamkit.modules.listing import routing_headers
from roamkit.modules.sessions import codec, service
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, json_body
from roamkit.protocol.timeutil import parse_datetime, utcnow
from roamkit.store import objects

PATH = "/{country_code}/{party_id}/{session_id}"


def _ctx(settings: Settings, country_code: str, party_id: str) -> ConversionContext:
    """The CPO owns the session; a 2.1.1 token we cannot find is attributed to us."""
    return ConversionContext(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        own_country_code=settings.country_code,
        own_party_id=settings.party_id,
    )


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get(PATH)
    async def get_session(
        country_code: str,
        party_id: str,
        session_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        async with db.sessions() as session:
            row = await objects.get(
                session, service.key(caller.partner.id, country_code, party_id, session_id)
            )
        if row is None:
            raise NotFound(f"Unknown session {session_id!r}")
        data = codec.to_wire(version, service.load(row), embedded_location(row.data))
        return ocpi_response(data, headers=routing_headers(request, settings, caller, version))

    @r.put(PATH)
    async def put_session(
        country_code: str,
        party_id: str,
        session_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        cc, pid = country_code.upper(), party_id.upper()
        body = await json_body(request)
        async with db.session() as session:
            obj, location = await codec.parse_put(version, body, _ctx(settings, cc, pid), session)
            if obj.id != session_id:
                raise InvalidParameters(
                    f"Session id in the body ({obj.id!r}) differs from the URL ({session_id!r})"
                )
            if (obj.country_code.upper(), obj.party_id.upper()) != (cc, pid):
                raise InvalidParameters(
                    f"Session belongs to {obj.country_code}*{obj.party_id}, URL says {cc}*{pid}"
                )
            outcome = await service.put_session(session, caller.partner.id, obj, location)
        return ocpi_response(
            status_message=outcome.message,
            http_status=outcome.http_status,
            headers=routing_headers(request, settings, caller, version),
        )

    @r.patch(PATH)
    async def patch_session(
        country_code: str,
        party_id: str,
        session_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        cc, pid = country_code.upper(), party_id.upper()
        body = await json_body(request)
        async with db.session() as session:
            fields = await codec.parse_patch(version, body, _ctx(settings, cc, pid), session)
            stamp = fields.pop("last_updated", None)
            if stamp is None and version != "2.1.1":
                # 2.2.1 #mod_sessions_patch_method: last_updated is required. 2.1.1's own
                # example (mod_sessions.md §2.2.3) has none: then the PATCH is as of now.
                raise InvalidParameters("PATCH of a Session must carry last_updated")
            outcome = await service.patch_session(
                session,
                service.key(caller.partner.id, cc, pid, session_id),
                fields,
                parse_datetime(stamp) if stamp else utcnow(),
                append=version != "2.1.1",
            )
        return ocpi_response(
            status_message=outcome.message,
            headers=routing_headers(request, settings, caller, version),
        )

    return r
