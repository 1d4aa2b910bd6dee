"""CDRs Receiver interface (the eMSP's): POST, and GET at the URL the POST answered
in its ``Location`` header (2.2.1 #mod_cdrs_receiver_interface,
#mod_cdrs_response_headers; 2.1.1 mod_cdrs.md §2.2). Every new CDR is re-priced
with the tariffs we hold (``verify``) in the same transaction."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.domain.context import ConversionContext
from roamkit.modules.cdrs import codec, service, verify
from roamkit.modules.deps import DatabaseDep, PartnerCaller, PartyCaller, SettingsDep
from roamkit.modules.embedded import embedded_location
from roamkit.modules.listing import routing_headers
from roamkit.modules.results import Outcome
from roamkit.partners.repository import has_party
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import Forbidden, InvalidParameters, NotFound, json_body
from roamkit.store import objects

PATH = "/{country_code}/{party_id}/{cdr_id}"


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.post("")
    @r.post("/", include_in_schema=False)
    async def post_cdr(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise InvalidParameters("body must be a CDR object")
        # 2.1.1 objects carry no owner: the CPO is the caller's party (its CPO role).
        roles = caller.partner.roles or []
        cpo = [r for r in roles if r.get("role") == "CPO"] or roles or [{}]
        ctx = ConversionContext(
            country_code=str(cpo[0].get("country_code", "")).upper(),
            party_id=str(cpo[0].get("party_id", "")).upper(),
            own_country_code=settings.country_code,
            own_party_id=settings.party_id,
        )
        async with db.session() as session:
            cdr, location = await codec.parse_post(version, body, ctx, session)
            if not has_party(caller.partner, cdr.country_code, cdr.party_id):
                raise Forbidden(
                    f"Party {cdr.country_code}*{cdr.party_id} is not one of the caller's "
                    "credentials roles"
                )
            k = service.key(caller.partner.id, cdr.country_code, cdr.party_id, cdr.id)
            outcome = await service.insert(session, k, cdr, location=location)
            if outcome is Outcome.CREATED:
                await verify.verify(session, settings, caller.partner, cdr, location)
        url = f"{settings.base_url}/ocpi/{version}/emsp/cdrs/{k.country_code}/{k.party_id}/{cdr.id}"
        headers = {"Location": url, **routing_headers(request, settings, caller, version)}
        return ocpi_response(
            status_message="Already received" if outcome is Outcome.UNCHANGED else None,
            http_status=outcome.http_status,
            headers=headers,
        )

    @r.get(PATH)
    async def get_cdr(
        country_code: str,
        party_id: str,
        cdr_id: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        async with db.sessions() as session:
            row = await objects.get(
                session, service.key(caller.partner.id, country_code, party_id, cdr_id)
            )
        if row is None:
            raise NotFound(f"Unknown CDR {cdr_id!r}")
        data = codec.to_wire(version, service.load(row), embedded_location(row.data))
        return ocpi_response(data, headers=routing_headers(request, settings, caller, version))

    return r
