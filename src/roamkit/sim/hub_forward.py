"""Forwarding for the hub simulator: one request to a party, its answer relayed to the
caller, and the ``response_url`` swap (see ``hub_routing`` for when each applies).

Hub errors (2.2.1 status_codes.asciidoc#status_codes_4xxx_hub_errors) are answered
with HTTP 200: 4002 the receiver did not answer in time, 4003 it is not reachable, 4000
anything else; the receiver's own 2xxx/3xxx answers are relayed as they are (221-R-7).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from urllib.parse import quote, unquote_plus, urlsplit

import httpx
import orjson
from starlette.responses import Response

from roamkit.protocol.errors import OcpiError
from roamkit.protocol.status import StatusCode
from roamkit.sim.hub import VERSION, Hub, Party

ROUTING_HEADERS = (
    "OCPI-from-country-code",
    "OCPI-from-party-id",
    "OCPI-to-country-code",
    "OCPI-to-party-id",
)


def hub_error(hub: Hub, code: int, message: str, to: Party | None) -> OcpiError:
    """An error of the hub's own: HTTP 200, routing headers from the hub to the caller."""
    return OcpiError(message, status_code=code, http_status=200, headers=from_hub(hub, to))


def from_hub(hub: Hub, to: Party | None) -> dict[str, str]:
    headers = {
        "OCPI-from-country-code": hub.config.country_code,
        "OCPI-from-party-id": hub.config.party_id,
    }
    if to is not None:
        headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
    return headers


def party_name(party: Party) -> str:
    return f"{party[0]}*{party[1]}"


def hub_endpoint(hub: Hub, path: str, module: str) -> str:
    return f"{hub.config.base_url}/ocpi/{VERSION}/{path}/{module}"


def join_url(endpoint: str, rest: str, query: str) -> str:
    """Exactly one ``/`` between endpoint and rest (CHECKLIST E-221-13)."""
    url = endpoint.rstrip("/") + ("/" + rest.lstrip("/") if rest.strip("/") else "")
    return url + ("?" + query if query else "")


def swap_response_url(
    hub: Hub, method: str, module: str, body: bytes, query: str
) -> tuple[bytes, str, str | None, str]:
    """Put a hub URL in place of the ``response_url`` of a Commands POST
    (mod_commands.asciidoc#mod_commands_cpo_post_method) or of a Charging Profiles
    PUT (body), GET or DELETE (query; mod_charging_profiles.asciidoc). Returns the new
    body and query, the original URL (None: there was none) and the hub URL's key."""
    in_body = (module == "commands" and method == "POST") or (
        module == "chargingprofiles" and method == "PUT"
    )
    in_query = module == "chargingprofiles" and method in ("GET", "DELETE")
    key = uuid.uuid4().hex
    ours = f"{hub.config.base_url}/ocpi/{VERSION}/responses/{key}"
    original: str | None = None
    if in_body:
        body, original = _swap_in_body(body, ours)
    elif in_query:
        query, original = _swap_in_query(query, ours)
    return body, query, original, key


def _swap_in_body(body: bytes, ours: str) -> tuple[bytes, str | None]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body, None  # the receiver answers invalid JSON itself
    if not isinstance(data, dict) or not isinstance(data.get("response_url"), str):
        return body, None
    original = data["response_url"]
    encoded = orjson.dumps(original)
    if body.count(encoded) == 1:  # only that string changes; the rest stays as sent
        return body.replace(encoded, orjson.dumps(ours)), original
    data["response_url"] = ours
    return orjson.dumps(data), original


def _swap_in_query(query: str, ours: str) -> tuple[str, str | None]:
    parts = query.split("&") if query else []
    original = None
    for i, part in enumerate(parts):
        name, _, value = part.partition("=")
        if unquote_plus(name) == "response_url" and original is None:
            original = unquote_plus(value)
            parts[i] = f"{name}={quote(ours, safe='')}"
    return "&".join(parts), original


async def send(
    hub: Hub,
    kind: str,
    target: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    caller: Party | None,
) -> httpx.Response:
    """One forwarded request; network trouble becomes 4003, slowness 4002."""
    timeout = hub.config.forward_timeout
    code, reason = StatusCode.HUB_ERROR, ""
    try:
        async with asyncio.timeout(timeout):
            resp = await hub.http.request(
                method,
                url,
                content=body or None,
                headers=headers,
                timeout=httpx.Timeout(timeout),
            )
    except httpx.ConnectTimeout as exc:
        code, reason = StatusCode.HUB_CONNECTION_PROBLEM, f"cannot connect: {exc!r}"
    except (httpx.TimeoutException, TimeoutError):
        code, reason = StatusCode.HUB_TIMEOUT, f"no answer within {timeout:g} s"
    except httpx.TransportError as exc:
        code, reason = StatusCode.HUB_CONNECTION_PROBLEM, f"not reachable: {exc!r}"
    except httpx.HTTPError as exc:
        reason = f"cannot forward: {exc!r}"
    else:
        hub.record(kind, target, method, url, resp.status_code)
        return resp
    hub.record(kind, target, method, url, f"OCPI {int(code)}")
    raise hub_error(hub, code, f"{target}: {reason}", caller)


def status_code_of(content: bytes) -> int | None:
    """The envelope's ``status_code``, or None when the body is no OCPI envelope."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return int(data["status_code"])
    except (KeyError, TypeError, ValueError):
        return None


_LINK_URL = re.compile(r"<([^>]*)>")


def relay(
    hub: Hub,
    resp: httpx.Response,
    caller: Party,
    endpoint: str | None,
    ours: str | None,
    rest: str,
) -> Response:
    """The receiver's answer for the caller: status, body bytes and the routing and
    pagination headers; ``Link``/``Location`` URLs under ``endpoint`` become URLs under
    the hub's ``ours`` (the caller cannot call the receiver directly). No envelope is
    no answer: 4003 for an HTTP 5xx (a proxy in front of a party that is down), else
    4000."""
    if status_code_of(resp.content) is None:
        code = (
            StatusCode.HUB_CONNECTION_PROBLEM if resp.status_code >= 500 else StatusCode.HUB_ERROR
        )
        raise hub_error(
            hub, code, f"the receiver answered HTTP {resp.status_code} without an envelope", caller
        )
    headers = {
        h: resp.headers[h]
        for h in (*ROUTING_HEADERS, "X-Total-Count", "X-Limit")
        if h in resp.headers
    }
    for name in ("Link", "Location"):
        value = resp.headers.get(name)
        if value is None:
            continue
        if endpoint is not None and ours is not None:
            if name == "Link":
                value = _LINK_URL.sub(
                    lambda m: f"<{_to_hub(m.group(1), endpoint, ours, rest)}>", value
                )
            else:
                value = _to_hub(value, endpoint, ours, rest)
        headers[name] = value
    return Response(
        content=resp.content,
        status_code=resp.status_code,
        headers=headers,
        media_type=resp.headers.get("content-type", "application/json"),
    )


def _to_hub(url: str, endpoint: str, ours: str, rest: str) -> str:
    """``url`` (under the receiver's ``endpoint``) as the same URL under the hub's."""
    url, base = url.strip(), endpoint.rstrip("/")
    if url == base or url.startswith((base + "/", base + "?")):
        return ours + url[len(base) :]
    return join_url(ours, rest, urlsplit(url).query)
