"""Versions module: ``GET /ocpi/versions`` and the version details, for both versions.

Generated from the module registry (2.1.1 version_information_endpoint.md,
2.2.1 version_information_endpoint.asciidoc). No routing headers: a
configuration module (CHECKLIST 221-V-3).
"""

from __future__ import annotations

from fastapi import APIRouter

from roamkit.modules.deps import RegistrationCaller, SettingsDep
from roamkit.modules.registry import details_endpoints
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import NotFound


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/ocpi/versions")
    async def get_versions(settings: SettingsDep, _: RegistrationCaller) -> OcpiResponse:
        # 2.1.1 E-211-1: the list itself is `data`.
        return ocpi_response(
            [{"version": v, "url": f"{settings.base_url}/ocpi/{v}"} for v in settings.versions]
        )

    @r.get("/ocpi/{version}")
    async def get_version_details(
        version: str, settings: SettingsDep, _: RegistrationCaller
    ) -> OcpiResponse:
        if version not in settings.versions:
            raise NotFound(f"Version {version!r} is not supported by this node")
        return ocpi_response(
            {"version": version, "endpoints": details_endpoints(settings, version)}
        )

    return r
