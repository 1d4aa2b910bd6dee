"""Credentials module, both versions (2.1.1 credentials.md, 2.2.1 credentials.asciidoc).

Symmetric: every node serves it whatever its roles. The flows themselves live
in ``roamkit.partners.registration``.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.deps import ClientDep, DatabaseDep, RegistrationCaller, SettingsDep
from roamkit.modules.registry import ALL_ROLES, SENDER, ModuleSpec, register
from roamkit.partners import hub_sync, registration
from roamkit.partners.repository import REGISTERED
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import MethodNotAllowed, json_body


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    async def get_credentials(caller: RegistrationCaller, settings: SettingsDep) -> OcpiResponse:
        # The token they authenticated with is the one they must keep using.
        if not caller.match.is_token_a and caller.partner.status != REGISTERED:
            raise MethodNotAllowed("Registration is still in progress")
        return ocpi_response(registration.our_credentials(settings, caller.match.token, version))

    @r.post("")
    async def post_credentials(
        request: Request,
        background: BackgroundTasks,
        caller: RegistrationCaller,
        db: DatabaseDep,
        client: ClientDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        body = await json_body(request)
        data = await registration.accept_registration(
            db, client, settings, caller.partner.id, caller.match.is_token_a, body, version
        )
        # A hub's ClientInfo list, once it has our answer (best effort, never fails this).
        background.add_task(
            hub_sync.sync_after_registration, db, client, settings, caller.partner.name
        )
        return ocpi_response(data)

    @r.put("")
    async def put_credentials(
        request: Request,
        caller: RegistrationCaller,
        db: DatabaseDep,
        client: ClientDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        body = await json_body(request)
        data = await registration.accept_update(
            db, client, settings, caller.partner.id, caller.match.is_token_a, body, version
        )
        return ocpi_response(data)

    @r.delete("")
    async def delete_credentials(caller: RegistrationCaller, db: DatabaseDep) -> OcpiResponse:
        await registration.accept_unregister(db, caller.partner.id, caller.match.is_token_a)
        return ocpi_response()

    return r


for _version in SUPPORTED_VERSIONS:
    register(ModuleSpec("credentials", _version, SENDER, ALL_ROLES, "credentials", router))
