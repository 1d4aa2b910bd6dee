"""Tariffs Sender interface (the CPO's): GET list, both versions
(2.2.1 #mod_tariffs_sender_interface, 2.1.1 mod_tariffs.md §2.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import list_response
from roamkit.modules.tariffs.service import MODULE
from roamkit.protocol.envelope import OcpiResponse


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    @r.get("/", include_in_schema=False)
    async def get_list(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        return await list_response(request, db, settings, caller, MODULE, version)

    return r
