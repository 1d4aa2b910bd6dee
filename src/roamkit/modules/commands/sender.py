"""Commands Sender interface (the eMSP's): the ``response_url`` we give with each
command, where the CPO posts the result (2.2.1 #mod_commands_msp_post_method, 2.1.1
mod_commands.md §2.2): ``POST {commands}/{command}/{uid}``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.modules.commands import codec, emsp
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import json_body


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.post("/{command}/{uid}")
    async def post_result(
        command: str,
        uid: str,
        request: Request,
        caller: PartnerCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        kind = codec.command_type(version, command)
        result = codec.parse_result(version, await json_body(request))
        async with db.session() as session:
            await emsp.result_arrived(session, caller.partner, uid, kind.value, result)
        return ocpi_response(headers=routing_headers(request, settings, caller, version))

    return r
