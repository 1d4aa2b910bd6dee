"""CDRs Sender interface (the CPO's): GET list of the caller's CDRs, both versions
(2.2.1 #mod_cdrs_cpo_get_method, 2.1.1 mod_cdrs.md §2.1: a CPO may return only the
CDRs relevant to the requesting eMSP, and roamkit does)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from roamkit.modules.cdrs.service import MODULE
from roamkit.modules.deps import DatabaseDep, PartnerCaller, SettingsDep
from roamkit.modules.listing import list_response
from roamkit.protocol.envelope import OcpiResponse


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    @r.get("/", include_in_schema=False)
    async def get_list(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        return await list_response(request, db, settings, caller, MODULE, version, per_partner=True)

    return r
