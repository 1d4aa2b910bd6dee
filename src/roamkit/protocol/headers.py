"""Request/response headers: X-Request-ID, X-Correlation-ID, OCPI routing headers.

2.2.1 transport_and_format.asciidoc#transport_and_format_unique_messageg_ids:
every response echoes the request's ids; we generate them when a (2.1.1)
partner sends none. The middleware is plain ASGI so it also wraps the error
responses, including unexpected exceptions, which it turns into envelopes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roamkit.protocol.envelope import envelope
from roamkit.protocol.status import StatusCode

log = logging.getLogger("roamkit.http")

REQUEST_ID = "x-request-id"
CORRELATION_ID = "x-correlation-id"


@dataclass(frozen=True, slots=True)
class RoutingHeaders:
    """OCPI-from/to-* (2.2.1 #transport_and_format_message_routing)."""

    from_country_code: str | None = None
    from_party_id: str | None = None
    to_country_code: str | None = None
    to_party_id: str | None = None

    @classmethod
    def from_request(cls, request: Request) -> RoutingHeaders:
        h = request.headers
        return cls(
            from_country_code=_upper(h.get("ocpi-from-country-code")),
            from_party_id=_upper(h.get("ocpi-from-party-id")),
            to_country_code=_upper(h.get("ocpi-to-country-code")),
            to_party_id=_upper(h.get("ocpi-to-party-id")),
        )

    def reversed_headers(self) -> dict[str, str]:
        """Routing headers for the response: from and to swapped."""
        pairs = {
            "OCPI-from-country-code": self.to_country_code,
            "OCPI-from-party-id": self.to_party_id,
            "OCPI-to-country-code": self.from_country_code,
            "OCPI-to-party-id": self.from_party_id,
        }
        return {k: v for k, v in pairs.items() if v}


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if value and value.strip() else None


class RequestIdMiddleware:
    """Echo or generate X-Request-ID / X-Correlation-ID; last-resort error envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get(REQUEST_ID) or str(uuid.uuid4())
        correlation_id = headers.get(CORRELATION_ID) or request_id
        scope.setdefault("state", {})["request_id"] = request_id
        extra = [
            (b"x-request-id", request_id.encode("latin-1", "replace")),
            (b"x-correlation-id", correlation_id.encode("latin-1", "replace")),
        ]
        started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = orjson.dumps(
                envelope(
                    status_code=StatusCode.SERVER_ERROR, status_message="Internal server error"
                )
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
