"""The hub simulator's HTTP app: ``create_hub_app(hub)``.

Versions and credentials take CREDENTIALS_TOKEN_A or a registered token, everything else
a registered token only (HTTP 401 otherwise, 2.2.1
transport_and_format.asciidoc#transport_and_format_authorization_header). Configuration
modules carry no routing headers (221-R-1). Every answer is an OCPI envelope, and
X-Request-ID / X-Correlation-ID are echoed (roamkit's ``RequestIdMiddleware``).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from roamkit import __version__
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import NotFound, OcpiError, Unauthorized, install_error_handlers
from roamkit.protocol.errors import json_body as read_json
from roamkit.protocol.headers import RequestIdMiddleware
from roamkit.protocol.pagination import page_headers, page_request
from roamkit.protocol.timeutil import parse_datetime
from roamkit.sim import hub_credentials as credentials
from roamkit.sim.hub import FUNCTIONAL_MODULES, RECEIVER, SENDER, VERSION, Hub
from roamkit.sim.hub_routing import relay_result, route


class InviteRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def create_hub_app(hub: Hub) -> FastAPI:
    """The ASGI app serving ``hub``; its lifespan starts and stops the hub's HTTP client
    and background deliveries."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.aclose()

    app = FastAPI(title="roamkit hub simulator", version=__version__, lifespan=lifespan)
    app.state.hub = hub
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)

    def auth(request: Request, token_a: bool = False) -> None:
        hub.authenticate(request.headers.get("authorization"), token_a=token_a)

    @app.get("/ocpi/versions")
    async def versions(request: Request) -> OcpiResponse:
        auth(request, token_a=True)
        return ocpi_response([{"version": VERSION, "url": hub.config.version_url}])

    @app.get("/ocpi/{version}")
    async def details(version: str, request: Request) -> OcpiResponse:
        auth(request, token_a=True)
        if version != VERSION:
            raise NotFound(f"Version {version!r} is not supported by this hub")
        return ocpi_response(version_details(hub))

    # -- credentials (credentials.asciidoc#credentials_interfaces_and_endpoints) ----------

    cred = f"/ocpi/{VERSION}/credentials"

    @app.get(cred)
    async def get_credentials(request: Request) -> OcpiResponse:
        conn = hub.authenticate(request.headers.get("authorization"), token_a=True)
        token = conn.token_in if conn.registered else conn.token_a
        return ocpi_response(hub.credentials(token or ""))

    @app.post(cred)
    async def post_credentials(request: Request) -> OcpiResponse:
        conn = hub.authenticate(request.headers.get("authorization"), token_a=True)
        body = await read_json(request)
        return ocpi_response(await credentials.accept_registration(hub, conn, body))

    @app.put(cred)
    async def put_credentials(request: Request) -> OcpiResponse:
        conn = hub.authenticate(request.headers.get("authorization"), token_a=True)
        body = await read_json(request)
        return ocpi_response(await credentials.accept_update(hub, conn, body))

    @app.delete(cred)
    async def delete_credentials(request: Request) -> OcpiResponse:
        conn = hub.authenticate(request.headers.get("authorization"), token_a=True)
        credentials.accept_unregister(hub, conn)
        return ocpi_response()

    # -- hubclientinfo Sender interface (mod_hub_client_info_hub_get) ----------------------

    @app.get(f"/ocpi/{VERSION}/hubclientinfo")
    @app.get(f"/ocpi/{VERSION}/hubclientinfo/", include_in_schema=False)
    async def client_info(request: Request) -> OcpiResponse:
        auth(request)
        page = page_request(request)
        items = [
            i
            for i in hub.client_info_list()
            if (page.date_from is None or parse_datetime(i["last_updated"]) >= page.date_from)
            and (page.date_to is None or parse_datetime(i["last_updated"]) < page.date_to)
        ]
        headers = page_headers(request, page, len(items), hub.config.base_url)
        return ocpi_response(items[page.offset : page.offset + page.limit], headers=headers)

    # -- routing ------------------------------------------------------------------------

    @app.post(f"/ocpi/{VERSION}/responses/{{key}}")
    async def responses(key: str, request: Request) -> Response:
        return await relay_result(hub, request, key)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    for path in ("sender", "receiver"):
        handler = _routed(hub, path)
        app.add_api_route(f"/ocpi/{VERSION}/{path}/{{module}}", handler, methods=methods)
        app.add_api_route(
            f"/ocpi/{VERSION}/{path}/{{module}}/{{rest:path}}", handler, methods=methods
        )

    # -- admin (for ``roamkit hub serve``) -----------------------------------------------

    @app.post("/admin/invite")
    async def admin_invite(body: InviteRequest, request: Request) -> OcpiResponse:
        expected = hub.config.admin_token
        if not expected:
            raise NotFound("The admin API is off: start the hub with an admin token")
        scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), expected.encode()
        ):
            raise Unauthorized("Missing or wrong admin token")
        try:
            token = hub.invite(body.name)
        except ValueError as exc:
            raise OcpiError(str(exc), http_status=409) from exc
        data = {"name": body.name, "token": token, "versions_url": hub.config.versions_url}
        return ocpi_response(data, http_status=201)

    return app


def _routed(hub: Hub, path: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler of one interface's routes; path parameters are read from the request
    (as function parameters FastAPI would also take them from the query string)."""

    async def routed(request: Request) -> Response:
        params = request.path_params
        return await route(hub, request, path, params["module"], params.get("rest", ""))

    return routed


def version_details(hub: Hub) -> dict[str, object]:
    """The hub's endpoints: credentials (role SENDER, as advised for credentials in
    version_information_endpoint.asciidoc), hubclientinfo SENDER, and each routed
    module as a Sender and a Receiver interface with distinct URLs."""
    base = f"{hub.config.base_url}/ocpi/{VERSION}"
    endpoints = [
        {"identifier": "credentials", "role": SENDER, "url": f"{base}/credentials"},
        {"identifier": "hubclientinfo", "role": SENDER, "url": f"{base}/hubclientinfo"},
    ]
    for module in FUNCTIONAL_MODULES:
        for path, role in (("sender", SENDER), ("receiver", RECEIVER)):
            endpoints.append({"identifier": module, "role": role, "url": f"{base}/{path}/{module}"})
    return {"version": VERSION, "endpoints": endpoints}
