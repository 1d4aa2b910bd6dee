"""Commands Receiver interface (the CPO's): ``POST {commands}/{command}``
(2.2.1 #mod_commands_cpo_post_method, 2.1.1 mod_commands.md §2.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.modules.commands import codec, cpo, records
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.modules.locations.service import UnknownLocation
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import json_body
from roamkit.protocol.status import StatusCode
from roamkit.store.tables import Partner


def _ctx(partner: Partner) -> ConversionContext:
    """A 2.1.1 command's token belongs to the eMSP sending it (its credentials party)."""
    roles = partner.roles or [{}]
    role = next((r for r in roles if r.get("role") == "EMSP"), roles[0])
    return ConversionContext(
        country_code=str(role.get("country_code", "")), party_id=str(role.get("party_id", ""))
    )


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.post("/{command}")
    async def post_command(
        command: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        kind = codec.command_type(version, command)
        body = codec.parse_request(version, kind, await json_body(request), _ctx(caller.partner))
        records.check_response_url(settings, caller.partner, str(body.response_url))
        headers = routing_headers(request, settings, caller, version)
        try:
            async with db.session() as session:
                answer, _ = await cpo.receive(
                    session,
                    settings,
                    caller.partner,
                    kind,
                    body,
                    records.correlation_id(request.headers),
                )
        except UnknownLocation as exc:  # 2003 with the REJECTED answer the flow shows; HTTP
            # 200: the request is valid JSON to an endpoint that exists (status_codes.asciidoc)
            rejected = cpo.response(settings, c.CommandResponseType.REJECTED, str(exc))
            return ocpi_response(
                codec.response_to_wire(version, rejected),
                status_code=StatusCode.UNKNOWN_LOCATION,
                status_message=str(exc),
                headers=headers,
            )
        cpo.arrival().set()  # committed: a long-polling charger side may take it now
        return ocpi_response(codec.response_to_wire(version, answer), headers=headers)

    return r
