"""Message routing of the hub simulator
(2.2.1 transport_and_format.asciidoc#transport_and_format_message_routing, CHECKLIST
221-R-1 … 221-R-7).

A party calls ``{base}/ocpi/2.2.1/{sender|receiver}/{module}/{rest}`` with its token and
the four routing headers:

- ``OCPI-to-*`` names another party: **addressed**. The same request (method, rest of
  the path, query, body bytes, routing headers, ``X-Correlation-ID``; a new
  ``X-Request-ID``) goes to that party's endpoint of the same module and interface with
  the token the party issued to the hub; its answer comes back byte for byte (the hub
  never touches ``last_updated``, 221-R-6), with ``Link`` and ``Location`` pointed at
  the hub.
- ``OCPI-to-*`` names the hub, on POST/PUT/PATCH: **Broadcast Push** to every other
  CONNECTED party of the opposite role that has the endpoint (221-R-3); the requester
  is answered 1000 at once, the receivers' answers are not relayed (221-R-7).
- Commands and Charging Profiles requests carry a ``response_url``; the hub replaces it
  with ``{base}/ocpi/2.2.1/responses/{key}`` and forwards the result posted there.

Hub errors (status_codes.asciidoc#status_codes_4xxx_hub_errors) are answered with HTTP
200: 4001 unknown receiver, 4002 the receiver did not answer in time, 4003 the receiver
is not CONNECTED or not reachable, 4000 anything else. Not implemented: Open Routing
Requests and GET All via the hub (both answered 2001).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from urllib.parse import quote, unquote_plus, urlsplit

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from roamkit.protocol.envelope import ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, OcpiError
from roamkit.protocol.status import StatusCode
from roamkit.protocol.tokens import encode_token
from roamkit.sim.hub import (
    FUNCTIONAL_MODULES,
    RECEIVER,
    SENDER,
    VERSION,
    Connection,
    Hub,
    Party,
    PendingResponse,
)

ROUTING_HEADERS = (
    "OCPI-from-country-code",
    "OCPI-from-party-id",
    "OCPI-to-country-code",
    "OCPI-to-party-id",
)
INTERFACES = {"sender": SENDER, "receiver": RECEIVER}

BROADCAST_TO = {"CPO": {"EMSP", "OTHER", "NSP"}, "EMSP": {"CPO"}, "OTHER": {"CPO"}}
"""Who receives a Broadcast Push from whom: "OTHER is seen as an eMSP type of role";
the spec's own example sends a CPO's push to eMSPs and NSPs
(#transport_and_format_message_routing_broadcast_push)."""

PUSH_METHODS = ("POST", "PUT", "PATCH")


def hub_error(hub: Hub, code: int, message: str, to: Party | None) -> OcpiError:
    """An error of the hub's own: HTTP 200, routing headers from the hub to the caller."""
    return OcpiError(message, status_code=code, http_status=200, headers=_from_hub(hub, to))


def _from_hub(hub: Hub, to: Party | None) -> dict[str, str]:
    headers = {
        "OCPI-from-country-code": hub.config.country_code,
        "OCPI-from-party-id": hub.config.party_id,
    }
    if to is not None:
        headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
    return headers


def _party(request: Request, side: str) -> Party | None:
    cc = request.headers.get(f"ocpi-{side}-country-code", "").strip().upper()
    pid = request.headers.get(f"ocpi-{side}-party-id", "").strip().upper()
    return (cc, pid) if cc and pid else None


def _name(party: Party) -> str:
    return f"{party[0]}*{party[1]}"


def hub_endpoint(hub: Hub, path: str, module: str) -> str:
    return f"{hub.config.base_url}/ocpi/{VERSION}/{path}/{module}"


def _join(endpoint: str, rest: str, query: str) -> str:
    """Exactly one ``/`` between endpoint and rest (CHECKLIST E-221-13)."""
    url = endpoint.rstrip("/") + ("/" + rest.lstrip("/") if rest.strip("/") else "")
    return url + ("?" + query if query else "")


def _raw_rest(request: Request, prefix: str, rest: str) -> str:
    """The rest of the path as the caller encoded it (Starlette's path parameter is
    decoded; forwarding must not change it)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.decode("latin-1")
        if text.startswith(prefix):
            return text[len(prefix) :]
    return quote(rest)


def _ids(request: Request) -> dict[str, str]:
    """A new X-Request-ID, the caller's X-Correlation-ID (221-T-6)."""
    own = request.scope.get("state", {}).get("request_id") or str(uuid.uuid4())
    return {
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": request.headers.get("x-correlation-id") or own,
    }


def _caller_parties(hub: Hub, request: Request) -> tuple[Connection, Party, Party]:
    """The caller's connection, its OCPI-from party (one of its roles) and OCPI-to."""
    conn = hub.authenticate(request.headers.get("authorization"))
    sender = _party(request, "from")
    if sender is None or sender not in conn.parties():
        mine = ", ".join(sorted(_name(p) for p in conn.parties()))
        raise InvalidParameters(
            "OCPI-from-country-code and OCPI-from-party-id must name one of your "
            f"credentials roles ({mine})"
        )
    to = _party(request, "to")
    if to is None:
        raise hub_error(
            hub,
            StatusCode.INVALID_PARAMETERS,
            "OCPI-to-country-code and OCPI-to-party-id are required: this hub does not "
            "implement Open Routing Requests",
            sender,
        )
    return conn, sender, to


async def route(hub: Hub, request: Request, path: str, module: str, rest: str) -> Response:
    """A request to ``{base}/ocpi/2.2.1/{path}/{module}/{rest}``."""
    if module not in FUNCTIONAL_MODULES:
        hub.authenticate(request.headers.get("authorization"))
        raise NotFound(f"This hub routes no module {module!r}")
    conn, sender, to = _caller_parties(hub, request)
    raw_rest = _raw_rest(request, f"/ocpi/{VERSION}/{path}/{module}", rest)
    query = request.scope.get("query_string", b"").decode("latin-1")
    body = await request.body()
    if hub.is_hub(to):
        return await _broadcast(hub, request, conn, sender, path, module, raw_rest, query, body)
    return await _addressed(hub, request, conn, sender, to, path, module, raw_rest, query, body)


async def _addressed(
    hub: Hub,
    request: Request,
    conn: Connection,
    sender: Party,
    to: Party,
    path: str,
    module: str,
    rest: str,
    query: str,
    body: bytes,
) -> Response:
    infos = hub.party_infos(to)
    if not infos:
        raise hub_error(
            hub, StatusCode.HUB_UNKNOWN_RECEIVER, f"Unknown receiver {_name(to)}", sender
        )
    target = next((i.connection for i in infos if i.connection and i.connection.registered), None)
    connected = any(i.status == "CONNECTED" for i in infos)
    if target is None or target.token_out is None or not connected:
        raise hub_error(
            hub,
            StatusCode.HUB_CONNECTION_PROBLEM,
            f"{_name(to)} is {infos[0].status}, not CONNECTED",
            sender,
        )
    endpoint = target.endpoint(module, INTERFACES[path])
    if endpoint is None:
        raise hub_error(
            hub,
            StatusCode.HUB_ERROR,
            f"{_name(to)} has no {module} {INTERFACES[path]} endpoint",
            sender,
        )
    key = None
    if path == "receiver":
        body, query, original, new_key = _swap_response_url(
            hub, request.method, module, body, query
        )
        if original is not None:
            key = new_key
            hub.pending[key] = PendingResponse(original, conn, sender, target, to, module)
    headers = {
        "Authorization": encode_token(target.token_out, VERSION),
        **_ids(request),
        **{h: request.headers[h] for h in ROUTING_HEADERS if h in request.headers},
    }
    if body:
        headers["Content-Type"] = request.headers.get("content-type") or "application/json"
    url = _join(endpoint, rest, query)
    try:
        resp = await send(hub, "forward", _name(to), request.method, url, headers, body, sender)
    except OcpiError:
        if key is not None:
            hub.pending.pop(key, None)
        raise
    return relay(hub, resp, sender, endpoint, hub_endpoint(hub, path, module), rest)


def _swap_response_url(
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


async def _broadcast(
    hub: Hub,
    request: Request,
    conn: Connection,
    sender: Party,
    path: str,
    module: str,
    rest: str,
    query: str,
    body: bytes,
) -> Response:
    """Broadcast Push (#transport_and_format_message_routing_broadcast_push)."""
    if request.method == "GET":
        raise hub_error(
            hub,
            StatusCode.INVALID_PARAMETERS,
            "GET All via this hub is not supported (not implemented); address one party",
            sender,
        )
    if request.method not in PUSH_METHODS:
        raise hub_error(
            hub,
            StatusCode.INVALID_PARAMETERS,
            "Broadcast Push is only for POST, PUT and PATCH",
            sender,
        )
    wanted = set().union(*(BROADCAST_TO.get(r, set()) for r in conn.roles_of(sender)))
    if not wanted:
        raise hub_error(
            hub,
            StatusCode.INVALID_PARAMETERS,
            f"Broadcast Push from {', '.join(sorted(conn.roles_of(sender)))} is not defined",
            sender,
        )
    interface = INTERFACES[path]
    targets: dict[Party, tuple[Connection, str]] = {}
    for info in list(hub.client_infos.values()):
        other = info.connection
        if other is None or other is conn or not other.registered:
            continue
        endpoint = other.endpoint(module, interface)
        if info.status == "CONNECTED" and info.role in wanted and endpoint:
            targets.setdefault(info.party, (other, endpoint))
    ids = _ids(request)
    content_type = request.headers.get("content-type") or "application/json"
    for party, (other, endpoint) in targets.items():
        headers = {**ids, "X-Request-ID": str(uuid.uuid4()), "Content-Type": content_type}
        headers.update(_from_hub(hub, party))
        url = _join(endpoint, rest, query)
        hub.spawn(_deliver(hub, other, party, request.method, url, headers, body))
    names = ", ".join(_name(p) for p in targets) or "nobody"
    return ocpi_response(
        status_message=f"Broadcast to {len(targets)} parties: {names}",
        headers=_from_hub(hub, sender),
    )


async def _deliver(
    hub: Hub,
    conn: Connection,
    party: Party,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """One leg of a Broadcast Push; the answer is only logged (221-R-7)."""
    if conn.token_out is None:
        return
    headers["Authorization"] = encode_token(conn.token_out, VERSION)
    try:
        await send(hub, "broadcast", _name(party), method, url, headers, body, None)
    except OcpiError as exc:
        hub.record("broadcast", _name(party), method, url, f"OCPI {exc.status_code}")


async def relay_result(hub: Hub, request: Request, key: str) -> Response:
    """``POST {base}/ocpi/2.2.1/responses/{key}``: the receiver's async result (a
    CommandResult, or a Charging Profiles result) goes to the ``response_url`` the
    requester gave, with the requester's token, from the poster's party."""
    conn = hub.authenticate(request.headers.get("authorization"))
    pending = hub.pending.get(key)
    if pending is None or pending.responder is not conn:
        raise NotFound("Unknown response URL")
    requester = pending.requester
    infos = hub.party_infos(pending.requester_party)
    if (
        not requester.registered
        or requester.token_out is None
        or (infos and infos[0].status != "CONNECTED")
    ):
        raise hub_error(
            hub,
            StatusCode.HUB_CONNECTION_PROBLEM,
            f"{_name(pending.requester_party)} is not CONNECTED",
            pending.responder_party,
        )
    body = await request.body()
    headers = {
        "Authorization": encode_token(requester.token_out, VERSION),
        **_ids(request),
        "OCPI-from-country-code": pending.responder_party[0],
        "OCPI-from-party-id": pending.responder_party[1],
        "OCPI-to-country-code": pending.requester_party[0],
        "OCPI-to-party-id": pending.requester_party[1],
        "Content-Type": request.headers.get("content-type") or "application/json",
    }
    resp = await send(
        hub,
        "response",
        _name(pending.requester_party),
        "POST",
        pending.url,
        headers,
        body,
        pending.responder_party,
    )
    out = relay(hub, resp, pending.responder_party, None, None, "")
    if resp.status_code < 300 and _status_code(resp.content) in range(1000, 2000):
        hub.pending.pop(key, None)  # delivered: the URL is used up
    return out


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


def _status_code(content: bytes) -> int | None:
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
    if _status_code(resp.content) is None:
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
    return _join(ours, rest, urlsplit(url).query)


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
        for path, role in INTERFACES.items():
            endpoints.append({"identifier": module, "role": role, "url": f"{base}/{path}/{module}"})
    return {"version": VERSION, "endpoints": endpoints}
