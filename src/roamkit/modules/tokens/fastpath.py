"""Real-time authorization without the framework: ``POST /ocpi/{version}/emsp/tokens/
{token_uid}/authorize`` answered by a small ASGI layer in front of the app.

Why. Authorize is on the charger's critical path (2.2.1 #mod_tokens_real-time_authorization,
"keep latency minimal"; CHECKLIST 221-K-2). Behind FastAPI the answer itself (auth from a
cache, one point read, the decision) is about a third of the CPU of a request; the rest is
the framework: exception and exit-stack middleware, the request-id middleware's wrapped
``send``, routing over every route, Request objects. Under 50 concurrent clients latency is
queueing, so CPU per request is what the p99 is made of (bench/authorize_latency.py).

What stays the same. Every decision and every answer comes from the same functions as the
Starlette route (``sender.authorization_info``, ``deps.authenticate``/``require_registered``/
``speaking_for`` (the party behind a hub),
``errors.error_response``, ``headers.id_headers``/``send_server_error``), in the same order:
authentication, body, type, lookup, decision. Anything that is not exactly this request shape
(another method, another path, a ``root_path``) goes to the app unchanged, and so do the
versions and roles this node does not serve.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.datastructures import QueryParams, State
from starlette.types import ASGIApp, Receive, Scope, Send

from roamkit.config import Settings
from roamkit.modules.deps import authenticate, require_registered, speaking_for
from roamkit.modules.listing import routing_headers_from
from roamkit.modules.registry import SENDER, mounted
from roamkit.modules.tokens import service
from roamkit.modules.tokens.sender import authorization_info
from roamkit.protocol.envelope import encode_response
from roamkit.protocol.errors import OcpiError, error_response, with_headers
from roamkit.protocol.headers import (
    CORRELATION_ID,
    REQUEST_ID,
    id_headers,
    log,
    read_body,
    send_server_error,
)

_SUFFIX = "/authorize"


def install(app: FastAPI, settings: Settings) -> None:
    """Put the fast path in front of ``app`` for the tokens sender versions it mounts
    (none on a node without the EMSP role). Call after the app's own middleware, so it
    is outside them; middleware added later (tests) still wraps it."""
    prefixes = {
        f"/ocpi/{s.version}/{s.path}": s.version
        for s in mounted(settings)
        if s.module_id == service.MODULE and s.interface == SENDER
    }
    if prefixes:
        app.add_middleware(AuthorizeFastPath, state=app.state, prefixes=prefixes)


class FastPathApp(FastAPI):
    """FastAPI that lets the authorize fast path answer before FastAPI's own per-request
    layers (telemetry check, ServerErrorMiddleware, body limit: about a tenth of the
    fast path's CPU).

    Only while the fast path is the outermost middleware: anything added after
    ``create_app`` (tests, an operator's wrapper) must see every request, so then the
    fast path runs in its place in the stack instead. Likewise when FastAPI's native
    OpenTelemetry is on at start-up: its spans and metrics must keep covering authorize."""

    _front: AuthorizeFastPath | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        first = self.user_middleware[0] if self.user_middleware else None
        self._front = None
        telemetry = getattr(self, "_native_telemetry", None)
        traced = telemetry is not None and telemetry.enabled()
        if first is not None and first.cls is AuthorizeFastPath and not traced:
            self._front = AuthorizeFastPath(stack, *first.args, **first.kwargs)
        return stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self._front
        if front is not None and scope["type"] == "http" and scope["method"] == "POST":
            target = front.match(scope["path"], scope.get("root_path") or self.root_path)
            if target is not None:
                scope["app"] = self
                await front.authorize(scope, receive, send, *target)
                return
        await super().__call__(scope, receive, send)


class AuthorizeFastPath:
    """ASGI middleware answering real-time authorize requests itself.

    ``prefixes`` maps the tokens sender's mount points (``/ocpi/2.2.1/emsp/tokens``) to
    their version; only the versions the node mounts are listed."""

    def __init__(self, app: ASGIApp, state: State, prefixes: Mapping[str, str]) -> None:
        self.app = app
        self.state = state
        self.prefixes = dict(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            target = self.match(scope["path"], scope.get("root_path"))
            if target is not None:
                await self.authorize(scope, receive, send, *target)
                return
        await self.app(scope, receive, send)

    def match(self, path: str, root_path: str | None) -> tuple[str, str] | None:
        """(version, token_uid) of an authorize path this node serves. Same match as the
        route's ``{prefix}/{token_uid}/authorize``: a non-empty uid without "/"."""
        if not path.endswith(_SUFFIX) or root_path:
            return None
        prefix, _, token_uid = path[: -len(_SUFFIX)].rpartition("/")
        version = self.prefixes.get(prefix)
        return None if version is None or not token_uid else (version, token_uid)

    async def authorize(
        self, scope: Scope, receive: Receive, send: Send, version: str, token_uid: str
    ) -> None:
        # Header names are lower-case in ASGI; the first of repeated headers counts,
        # as with Starlette's ``Headers.get``.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
        extra = id_headers(headers.get(REQUEST_ID), headers.get(CORRELATION_ID))
        status = 200
        try:
            state = self.state
            db = state.db
            caller = require_registered(await authenticate(headers.get("authorization"), db))
            caller = await speaking_for(caller, headers, db, state.settings)  # via a hub
            query = scope["query_string"]
            info, routing = await authorization_info(
                db,
                state.settings,
                caller,
                version,
                token_uid,
                await read_body(receive),
                QueryParams(query).get("type") if query else None,
                headers,
            )
            raw_headers, body = encode_response(info, routing)
        except OcpiError as exc:
            error = error_response(exc)
            if version != "2.1.1":  # as the app's handler: a functional module's answer
                with_headers(
                    error, routing_headers_from(headers, self.state.settings, None, version)
                )
            status, raw_headers, body = error.status_code, error.raw_headers, bytes(error.body)
        except Exception:
            await send_server_error(scope, send, extra)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": raw_headers + extra,
                }
            )
            await send({"type": "http.response.body", "body": body})
        except Exception:  # as RequestIdMiddleware: logged, then the server's
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            raise
