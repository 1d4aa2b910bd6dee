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

The hub's own errors: 2001 for what it does not implement (Open Routing Requests, GET
All via the hub) or cannot accept (routing headers that do not name the caller), 4001
for an unknown receiver, 4003 for one that is not CONNECTED; ``hub_forward`` adds 4002
and 4003 for receivers that are slow or unreachable.
"""

from __future__ import annotations

import contextlib
import uuid
from urllib.parse import quote

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
from roamkit.sim.hub_forward import (
    ROUTING_HEADERS,
    from_hub,
    hub_endpoint,
    hub_error,
    join_url,
    party_name,
    relay,
    send,
    swap_response_url,
)

INTERFACES = {"sender": SENDER, "receiver": RECEIVER}

BROADCAST_TO = {"CPO": {"EMSP", "OTHER", "NSP"}, "EMSP": {"CPO"}, "OTHER": {"CPO"}}
"""Who receives a Broadcast Push from whom: "OTHER is seen as an eMSP type of role";
the spec's own example sends a CPO's push to eMSPs and NSPs
(#transport_and_format_message_routing_broadcast_push)."""

PUSH_METHODS = ("POST", "PUT", "PATCH")


def _party(request: Request, side: str) -> Party | None:
    cc = request.headers.get(f"ocpi-{side}-country-code", "").strip().upper()
    pid = request.headers.get(f"ocpi-{side}-party-id", "").strip().upper()
    return (cc, pid) if cc and pid else None


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
        mine = ", ".join(sorted(party_name(p) for p in conn.parties()))
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
            hub, StatusCode.HUB_UNKNOWN_RECEIVER, f"Unknown receiver {party_name(to)}", sender
        )
    target = next((i.connection for i in infos if i.connection and i.connection.registered), None)
    status = next((i.status for i in infos if i.status == "CONNECTED"), infos[0].status)
    if status != "CONNECTED" or target is None or target.token_out is None:
        why = f"is {status}, not CONNECTED" if status != "CONNECTED" else "is not connected"
        raise hub_error(hub, StatusCode.HUB_CONNECTION_PROBLEM, f"{party_name(to)} {why}", sender)
    endpoint = target.endpoint(module, INTERFACES[path])
    if endpoint is None:
        raise hub_error(
            hub,
            StatusCode.HUB_ERROR,
            f"{party_name(to)} has no {module} {INTERFACES[path]} endpoint",
            sender,
        )
    key = None
    if path == "receiver":
        body, query, original, new_key = swap_response_url(hub, request.method, module, body, query)
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
    url = join_url(endpoint, rest, query)
    try:
        resp = await send(
            hub, "forward", party_name(to), request.method, url, headers, body, sender
        )
    except OcpiError:
        if key is not None:
            hub.pending.pop(key, None)
        raise
    return relay(hub, resp, sender, endpoint, hub_endpoint(hub, path, module), rest)


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
        headers.update(from_hub(hub, party))
        url = join_url(endpoint, rest, query)
        hub.spawn(_deliver(hub, other, party, request.method, url, headers, body))
    names = ", ".join(party_name(p) for p in targets) or "nobody"
    return ocpi_response(
        status_message=f"Broadcast to {len(targets)} parties: {names}",
        headers=from_hub(hub, sender),
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
    with contextlib.suppress(OcpiError):  # recorded by ``send``; nobody to tell
        await send(hub, "broadcast", party_name(party), method, url, headers, body, None)


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
            f"{party_name(pending.requester_party)} is not CONNECTED",
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
        party_name(pending.requester_party),
        "POST",
        pending.url,
        headers,
        body,
        pending.responder_party,
    )
    # The URL stays valid after a delivery: a ReserveNow's response_url is used again
    # when the CPO cancels the reservation (2.2.1 #mod_commands_flow). Kept until the
    # hub stops (an in-memory simulator).
    return relay(hub, resp, pending.responder_party, None, None, "")
