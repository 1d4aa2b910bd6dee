"""Calls to a partner's OCPI API with httpx.

Tolerant of what real partners send (CHECKLIST 211-T-9, A-221-5): any
envelope variant, HTTP 4xx with an envelope, missing ``timestamp``. Every
failure becomes a ``PartnerCallError`` with a message an operator can act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import orjson

from roamkit.protocol.tokens import TokenEncoding, encode_token


class PartnerCallError(Exception):
    """A call to a partner failed: unreachable, HTTP error, bad envelope or OCPI error."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        ocpi_status: int | None = None,
        bad_url: bool = False,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.ocpi_status = ocpi_status
        self.bad_url = bad_url
        """The URL itself is refused (not http(s), or http while insecure URLs are off):
        no retry will ever reach it."""


@dataclass(slots=True)
class OcpiReply:
    data: Any
    """Parsed JSON; with ``raw_data``, a list's elements each as its JSON text
    (``list[msgspec.Raw]``), any other ``data`` as its JSON text (``msgspec.Raw``,
    ``null`` when absent)."""
    status_code: int
    status_message: str | None
    headers: httpx.Headers


class _RawEnvelope(msgspec.Struct):
    """An envelope read without parsing ``data`` (list pages of thousands of objects:
    the pull decodes and checks each object from its own bytes)."""

    status_code: Any = msgspec.UNSET
    status_message: Any = None
    data: msgspec.Raw = msgspec.Raw(b"null")


class _ListEnvelope(msgspec.Struct):
    """The same, for a list page: the objects are split out in the same pass (a
    second pass over a 200 kB page cost as much again as the first)."""

    status_code: Any = msgspec.UNSET
    status_message: Any = None
    data: list[msgspec.Raw] | None = None


_raw_envelope = msgspec.json.Decoder(_RawEnvelope).decode
_list_envelope = msgspec.json.Decoder(_ListEnvelope).decode


def _envelope(content: bytes, raw_data: bool) -> tuple[Any, Any, Any] | None:
    """(status_code, status_message, data) of a body, or None when it is no envelope."""
    if raw_data:
        try:
            env: _ListEnvelope | _RawEnvelope = _list_envelope(content)
        except msgspec.ValidationError:  # data is not a list (or null)
            try:
                env = _raw_envelope(content)
            except (msgspec.DecodeError, msgspec.ValidationError):
                return None
        except msgspec.DecodeError:
            return None
        if env.status_code is msgspec.UNSET:
            return None
        return env.status_code, env.status_message, env.data
    try:
        body = orjson.loads(content)  # pages of thousands of objects: not stdlib json
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or "status_code" not in body:
        return None
    return body["status_code"], body.get("status_message"), body.get("data")


_NETWORK_WAITS = ("receive_response_headers.started", "connect_tcp.started", "start_tls.started")
"""httpcore ``trace`` events after which the request waits for the network: the
response (the request is written), or a new connection's TCP or TLS handshake."""

_HEAD = "receive_response_headers.complete"
"""httpcore ``trace`` event of the response head read; its ``return_value`` is
(http_version, status, reason, headers), the body still to come."""

HeadFn = Callable[[int, list[tuple[bytes, bytes]]], None]
"""Called with the response's status and raw headers as soon as they are read."""


def _progress_trace(
    on_sent: Callable[[], None] | None, on_head: HeadFn | None
) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore ``trace`` extension: ``on_sent`` when the request first waits for
    the network (written, or a new connection is connecting), so the caller's work
    overlaps the round trip instead of delaying the request; ``on_head`` with the
    response headers before the body is read (a Link can be followed while the
    body arrives)."""
    sent = on_sent is None

    async def trace(event: str, info: Any) -> None:
        nonlocal sent
        if not sent and event.endswith(_NETWORK_WAITS):
            sent = True
            on_sent()  # type: ignore[misc]
        elif on_head is not None and event.endswith(_HEAD):
            _, status, _, headers = info["return_value"]
            on_head(status, headers)

    return trace


def check_url(url: str, allow_insecure: bool) -> None:
    """Partner URLs must be https unless ALLOW_INSECURE_URLS (loopback tests) is set."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PartnerCallError(f"not an http(s) URL: {url!r}", bad_url=True)
    if parts.scheme != "https" and not allow_insecure:
        raise PartnerCallError(
            f"partner URL {url!r} is not https (set ROAMKIT_ALLOW_INSECURE_URLS for testing)",
            bad_url=True,
        )


class PartnerClient:
    """One shared ``httpx.AsyncClient`` per node; per-call token and version."""

    def __init__(self, http: httpx.AsyncClient, allow_insecure: bool) -> None:
        self.http = http
        self.allow_insecure = allow_insecure

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str,
        version: str | None,
        encoding: TokenEncoding | str = TokenEncoding.AUTO,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect_success: bool = True,
        raw_data: bool = False,
        on_sent: Callable[[], None] | None = None,
        on_head: HeadFn | None = None,
    ) -> OcpiReply:
        """``on_sent``: called once the request waits for the network (the pull
        prepares a page while the partner works on the next); ``on_head``: called
        with the response headers before the body is read (the pull asks for the
        next page meanwhile)."""
        check_url(url, self.allow_insecure)
        request_id = str(uuid.uuid4())
        send_headers = {
            "Authorization": encode_token(token, version, encoding),
            "X-Request-ID": request_id,
            "X-Correlation-ID": request_id,
            **(headers or {}),
        }
        content = None
        if json is not None:  # orjson, as everywhere else: push bodies go out all the time
            content = orjson.dumps(json)
            send_headers["Content-Type"] = "application/json"
        try:
            resp = await self.http.request(
                method,
                url,
                content=content,
                params=params,
                headers=send_headers,
                extensions=(
                    {"trace": _progress_trace(on_sent, on_head)} if on_sent or on_head else None
                ),
            )
        except httpx.HTTPError as exc:
            raise PartnerCallError(
                f"{method} {url} failed: {exc.__class__.__name__}: {exc}"
            ) from exc
        envelope = _envelope(resp.content, raw_data)
        if envelope is None:
            raise PartnerCallError(
                f"{method} {url} answered HTTP {resp.status_code} without an OCPI envelope",
                http_status=resp.status_code,
            )
        raw_status, message, data = envelope
        try:
            status_code = int(raw_status)
        except (TypeError, ValueError):
            raise PartnerCallError(
                f"{method} {url}: status_code {raw_status!r} is not a number",
                http_status=resp.status_code,
            ) from None
        reply = OcpiReply(data, status_code, message, resp.headers)
        if expect_success and (resp.status_code >= 300 or not 1000 <= status_code < 2000):
            raise PartnerCallError(
                f"{method} {url} answered HTTP {resp.status_code}, OCPI {status_code}"
                + (f": {reply.status_message}" if reply.status_message else ""),
                http_status=resp.status_code,
                ocpi_status=status_code,
            )
        return reply
