"""Tokens Sender interface (the eMSP's): GET list and POST real-time authorize,
both versions (2.2.1 #mod_tokens_sender_interface, 2.1.1 mod_tokens.md §2.2).

Authorize is on the charger's critical path ("keep latency minimal",
CHECKLIST 221-K-2): one indexed read in a read-only session, no validation
of the stored token, and its stored wire bytes spliced into the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from fastapi import APIRouter, Request

from roamkit.config import Settings
from roamkit.modules.deps import (
    Caller,
    DatabaseDep,
    PartnerCaller,
    SettingsDep,
    registered_partner,
)
from roamkit.modules.listing import list_response, routing_headers_from
from roamkit.modules.tokens import codec, service
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import parse_json
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get("")
    @r.get("/", include_in_schema=False)
    async def get_list(
        request: Request, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
    ) -> OcpiResponse:
        return await list_response(request, db, settings, caller, service.MODULE, version)

    async def authorize(request: Request) -> OcpiResponse:
        """POST {tokens}/{token_uid}/authorize[?type=] (2.2.1 #mod_tokens_post_method,
        2.1.1 §2.2.2).

        A plain Starlette route, not a FastAPI one: on this path FastAPI's dependency
        solving and parameter validation cost more than the whole answer; the
        dependencies are called directly instead. In a node built by ``create_app`` the
        fast path (``fastpath.AuthorizeFastPath``) answers these requests before they get
        here; both call ``authorization_info``."""
        app_state = request.app.state
        db, settings = app_state.db, app_state.settings
        caller = await registered_partner(request, db)
        info, headers = await authorization_info(
            db,
            settings,
            caller,
            version,
            request.path_params["token_uid"],
            await request.body(),
            request.query_params.get("type"),
            request.headers,
        )
        return ocpi_response(info, headers=headers)

    r.add_route("/{token_uid}/authorize", authorize, methods=["POST"], include_in_schema=False)
    return r


async def authorization_info(
    db: Database,
    settings: Settings,
    caller: Caller,
    version: str,
    token_uid: str,
    raw_body: bytes,
    token_type: str | None,
    request_headers: Mapping[str, str],
) -> tuple[dict[str, object], dict[str, str]]:
    """(AuthorizationInfo, response headers) of an authenticated authorize request;
    raises the ``OcpiError`` to answer instead (2001 body, 2002, unknown token).

    Shared by the Starlette route and the fast path, so both decide alike."""
    refs = codec.parse_location_references(version, parse_json(raw_body) if raw_body else None)
    found = await service.lookup_own(db, token_uid, service.types_for(version, token_type))
    headers = routing_headers_from(request_headers, settings, caller, version)
    if found is None:
        # 2.2.1: HTTP 404 + 2004, no data (221-K-3); 2.1.1: 404 + 2000 (A-211-4).
        error = service.UnknownToken(f"Unknown token {token_uid!r}", version)
        error.headers.update(headers)
        raise error
    data, wire = found
    decision = service.decide(data, refs, utcnow())
    info: dict[str, object] = {"allowed": decision.allowed.value}
    if version != "2.1.1":
        info["token"] = orjson.Fragment(wire)
    if decision.location is not None:
        info["location"] = codec.location_references_to_wire(version, decision.location)
    if version != "2.1.1" and decision.authorization_reference:
        info["authorization_reference"] = decision.authorization_reference
    return info, headers
