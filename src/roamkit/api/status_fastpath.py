"""EVSE status changes without the framework's routing: ``POST /api/locations/{id}/evses/
{uid}/status`` answered by a small ASGI layer inside the request-id middleware.

Why. This is the call a charger backend makes for every status change (the push latency
figure: 100 a second, bench/push_latency.py). Behind FastAPI about two thirds of the
API's CPU per change was routing over every route, dependency solving and Request
objects, not the change itself; CPU per change is what the latency tail is made of.

What stays the same. Only a request that is exactly this shape, with the right admin
token and a body that is a JSON object with a valid ``status``, is answered here, by the
same functions as the route (``auth.check_admin``, ``own_data.StatusChange``,
``own_locations.set_evse_status``, ``errors.error_response``); anything else (wrong
token, bad body, other paths and methods) goes to the app with its body replayed, so
every error answer is the route's own.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roamkit.api.auth import check_admin
from roamkit.api.own_data import StatusChange
from roamkit.modules.locations import own as own_locations
from roamkit.protocol.envelope import encode_response
from roamkit.protocol.errors import OcpiError, error_response
from roamkit.protocol.headers import read_body

_PREFIX = "/api/locations/"
_SUFFIX = "/status"


class StatusFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = _match(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        change = _change(scope, body)
        if change is None:  # the route answers, with its own errors
            await self.app(scope, _replay(body, receive), send)
            return
        state = scope["app"].state
        location_id, evse_uid = target
        try:
            async with state.db.session() as session:
                await own_locations.set_evse_status(
                    session, state.settings, location_id, evse_uid, change.status
                )
            data = {"location_id": location_id, "evse_uid": evse_uid, "status": change.status.value}
            status, (headers, payload) = 200, encode_response(data, {})
        except OcpiError as exc:
            error = error_response(exc)
            status, headers, payload = error.status_code, error.raw_headers, bytes(error.body)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _match(scope: Scope) -> tuple[str, str] | None:
    """(location_id, evse_uid) of ``POST /api/locations/{id}/evses/{uid}/status``, with the
    route's own path rules: non-empty segments without "/"."""
    path: str = scope["path"]
    if scope["method"] != "POST" or scope.get("root_path") or not path.startswith(_PREFIX):
        return None
    if not path.endswith(_SUFFIX):
        return None
    parts = path[len(_PREFIX) : -len(_SUFFIX)].split("/")
    if len(parts) != 3 or parts[1] != "evses" or not parts[0] or not parts[2]:
        return None
    return parts[0], parts[2]


def _change(scope: Scope, body: bytes) -> StatusChange | None:
    """The change when the caller may make it and the body is right; else None."""
    headers = dict(scope["headers"])
    if not headers.get(b"content-type", b"").startswith(b"application/json"):
        return None
    authorization = headers.get(b"authorization")
    try:
        check_admin(
            authorization.decode("latin-1") if authorization is not None else None,
            scope["app"].state.settings.admin_token,
        )
        raw: Any = orjson.loads(body)
        return StatusChange.model_validate(raw) if isinstance(raw, dict) else None
    except (OcpiError, orjson.JSONDecodeError, ValidationError, UnicodeDecodeError):
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
