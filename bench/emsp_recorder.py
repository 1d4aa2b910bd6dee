"""A roamkit node (configured by ROAMKIT_* like ``roamkit serve``) whose app is wrapped in an
ASGI middleware that records every PUT/PATCH to its locations receiver: when the request
arrived, when the answer started (the change is stored and visible by then), the EVSE
statuses it carried and the OCPI status of the answer. Times are ``time.monotonic()``
(CLOCK_MONOTONIC: comparable between processes of one machine).

``GET /_bench/arrivals`` returns the records, ``DELETE /_bench/arrivals`` clears them.

    ROAMKIT_...=... .venv/bin/python bench/emsp_recorder.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from roamkit.app import create_app
from roamkit.config import Settings

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def evse_changes(method: str, path: str, body: Any) -> list[tuple[str, str]]:
    """(evse_uid, status) pairs a receiver request carries.

    Paths: ``.../locations/{cc}/{party}/{location}[/{evse_uid}[/{connector}]]``."""
    parts = path.split("/locations/", 1)[1].strip("/").split("/") if "/locations/" in path else []
    if not isinstance(body, dict) or len(parts) < 3:
        return []
    if len(parts) == 3:  # the whole location (PUT) or a location PATCH with evses
        return [
            (e["uid"], e["status"])
            for e in body.get("evses") or []
            if isinstance(e, dict) and "uid" in e and "status" in e
        ]
    if len(parts) == 4 and "status" in body:
        return [(parts[3], body["status"])]
    return []


class Recorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.records: list[dict[str, Any]] = []

    async def _answer(self, send: Send, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/_bench/arrivals":
            if method == "DELETE":
                self.records.clear()
            await self._answer(send, 200, self.records)
            return
        if method not in ("PUT", "PATCH") or "/locations/" not in path:
            await self.app(scope, receive, send)
            return

        arrived = time.monotonic()
        request_body: list[bytes] = []
        response_body: list[bytes] = []
        answer: dict[str, Any] = {}

        async def recv() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.append(message.get("body", b""))
            return message

        async def snd(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["http"] = message["status"]
                answer["t_done"] = time.monotonic()
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, recv, snd)
        try:
            parsed = json.loads(b"".join(request_body) or b"null")
        except ValueError:
            parsed = None
        try:
            ocpi = json.loads(b"".join(response_body)).get("status_code")
        except (ValueError, AttributeError):
            ocpi = None
        self.records.append(
            {
                "t_arrive": arrived,
                "t_done": answer.get("t_done", time.monotonic()),
                "method": method,
                "path": path,
                "http": answer.get("http"),
                "ocpi": ocpi,
                "changes": evse_changes(method, path, parsed),
            }
        )


def main() -> None:
    settings = Settings()
    app = Recorder(create_app(settings))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
