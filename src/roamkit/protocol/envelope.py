"""The OCPI response envelope (2.1.1 transport_and_format.md §Response format,
2.2.1 transport_and_format.asciidoc#transport_and_format_response_format).

Responses are written with orjson straight to bytes; ``raw_list_response``
lets list endpoints splice pre-serialized objects into the envelope without
re-validating them (DESIGN.md §2, "Stored JSON, indexed keys").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from fastapi.responses import Response

from roamkit.protocol.status import StatusCode
from roamkit.protocol.timeutil import format_datetime, utcnow

_OMIT = object()


def envelope(
    data: Any = _OMIT,
    status_code: int = StatusCode.SUCCESS,
    status_message: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data is not _OMIT:
        body["data"] = data
    body["status_code"] = int(status_code)
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(utcnow())
    return body


class OcpiResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


def ocpi_response(
    data: Any = _OMIT,
    status_code: int = StatusCode.SUCCESS,
    status_message: str | None = None,
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> OcpiResponse:
    """An envelope response. Omit ``data`` where the spec defines none (CHECKLIST A-221-6)."""
    return OcpiResponse(
        envelope(data, status_code, status_message),
        status_code=http_status,
        headers=dict(headers or {}),
    )


def encode_response(
    data: Any, headers: Mapping[str, str]
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(raw headers, body) of ``ocpi_response(data, headers=headers)``, byte for byte,
    without building a Response object: for the authorize fast path, where that object
    was a tenth of the CPU. ``headers`` must not set content-length or content-type."""
    body = orjson.dumps(envelope(data))
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    raw.append((b"content-type", b"application/json"))
    return raw, body


def raw_list_response(items: Iterable[bytes], headers: Mapping[str, str]) -> OcpiResponse:
    """A 1000 envelope whose ``data`` is a list of already-serialized JSON objects."""
    ts = format_datetime(utcnow()).encode()
    body = b'{"data":[' + b",".join(items) + b'],"status_code":1000,"timestamp":"' + ts + b'"}'
    return OcpiResponse(body, headers=dict(headers))
