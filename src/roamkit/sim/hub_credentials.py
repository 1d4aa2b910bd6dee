"""The hub simulator's credentials flows: the hub is always the credentials Receiver,
parties register with it (2.2.1 credentials.asciidoc#credentials_registration).

``conn`` is the connection the caller's token belongs to (``Hub.authenticate``); a
connection that is not registered can only have been reached with its TOKEN_A.
Every change of a party's connection status is announced as ClientInfo
(mod_hub_client_info.asciidoc#mod_hub_client_info_push_model).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from roamkit.models.v221.credentials import Credentials
from roamkit.models.v221.versions import VersionDetails
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.protocol.errors import (
    InvalidParameters,
    MethodNotAllowed,
    NoMatchingEndpoints,
    PartnerApiError,
    UnsupportedVersion,
    invalid_object,
)
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.protocol.tokens import new_token
from roamkit.sim.hub import VERSION, ClientInfo, Connection, Hub

log = logging.getLogger("roamkit.hub")

CONNECTED, SUSPENDED = "CONNECTED", "SUSPENDED"


async def accept_registration(hub: Hub, conn: Connection, body: Any) -> dict[str, Any]:
    """Credentials POST (credentials.asciidoc#credentials_post_method): read the party's
    endpoints with its token, issue the token it calls the hub with, tell the others."""
    if conn.registered:
        raise MethodNotAllowed("Already registered: use PUT to update or DELETE to unregister")
    token_b, url, roles = _parse(body)
    endpoints = await _discover(hub, url, token_b)
    if conn.token_a is None or conn.registered:  # a concurrent POST won meanwhile
        raise MethodNotAllowed("This registration token has already been used")
    _check_roles(hub, roles, conn)
    conn.token_a = None  # single use (credentials.asciidoc, registration)
    conn.token_in, conn.token_out = new_token(), token_b
    conn.versions_url, conn.endpoints, conn.roles = url, endpoints, roles
    conn.registered = True
    log.info("hub: %s registered as %s", conn.name, _describe(roles))
    hub.announce(conn, _set_parties(hub, conn, roles))
    known = [i for i in hub.client_infos.values() if i.connection is not conn]
    if known:
        # A short pause first: the party takes our answer before it knows our token.
        hub.spawn(hub.push_client_infos(conn, known, delay=hub.config.client_info_backoff))
    return hub.credentials(conn.token_in)


async def accept_update(hub: Hub, conn: Connection, body: Any) -> dict[str, Any]:
    """Credentials PUT (credentials.asciidoc#credentials_put_method): new tokens both
    ways, endpoints read again; roles the party no longer lists become SUSPENDED."""
    if not conn.registered:
        raise MethodNotAllowed("Not registered: use POST to register first")
    token_b, url, roles = _parse(body)
    endpoints = await _discover(hub, url, token_b)
    _check_roles(hub, roles, conn)
    kept = {(r["country_code"], r["party_id"], r["role"]) for r in roles}
    dropped = [
        i
        for key, i in hub.client_infos.items()
        if i.connection is conn and key not in kept and i.status != SUSPENDED
    ]
    conn.token_in, conn.token_out = new_token(), token_b  # the old token dies here
    conn.versions_url, conn.endpoints, conn.roles = url, endpoints, roles
    changed = _set_parties(hub, conn, roles, only_new=True)
    now = format_datetime(utcnow())
    for info in dropped:
        info.status, info.last_updated, info.connection = SUSPENDED, now, None
    hub.announce(conn, changed + dropped)
    return hub.credentials(conn.token_in)


def accept_unregister(hub: Hub, conn: Connection) -> None:
    """Credentials DELETE (credentials.asciidoc#credentials_delete_method): the
    connection's tokens die and its parties become SUSPENDED (ClientInfo is never
    deleted, mod_hub_client_info.asciidoc)."""
    if not conn.registered:
        raise MethodNotAllowed("Not registered")
    conn.registered = False
    conn.token_in = conn.token_out = conn.token_a = None
    now = format_datetime(utcnow())
    gone = [i for i in hub.client_infos.values() if i.connection is conn]
    for info in gone:
        info.status, info.last_updated = SUSPENDED, now
    log.info("hub: %s unregistered", conn.name)
    hub.announce(conn, gone)


def _parse(body: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """(token, versions URL, CredentialsRoles with upper-case parties); 2001 if invalid."""
    try:
        creds = Credentials.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "credentials object", limit=5) from None
    roles = [r.wire() for r in creds.roles]
    for r in roles:
        r["country_code"], r["party_id"] = r["country_code"].upper(), r["party_id"].upper()
    return creds.token, str(creds.url), roles


def _check_roles(hub: Hub, roles: list[dict[str, Any]], conn: Connection) -> None:
    """A party is reachable through one connection only, and never as the hub."""
    for r in roles:
        party = (r["country_code"], r["party_id"])
        if hub.is_hub(party) or r["role"] == "HUB":
            raise InvalidParameters(f"{party[0]}*{party[1]} ({r['role']}) is this hub")
        for other in hub.registered(exclude=conn):
            if party in other.parties():
                raise InvalidParameters(
                    f"party {party[0]}*{party[1]} is already connected to this hub"
                )


def _set_parties(
    hub: Hub, conn: Connection, roles: Iterable[dict[str, Any]], only_new: bool = False
) -> list[ClientInfo]:
    """Make each role's ClientInfo CONNECTED through ``conn``; returns those that changed
    (``only_new``: leave alone those that were CONNECTED through ``conn`` already)."""
    now = format_datetime(utcnow())
    changed = []
    for r in roles:
        key = (r["country_code"], r["party_id"], r["role"])
        info = hub.client_infos.get(key)
        if info is None:
            info = ClientInfo(*key, status=CONNECTED, last_updated=now, connection=conn)
            hub.client_infos[key] = info
        elif only_new and info.connection is conn and info.status == CONNECTED:
            continue
        else:
            info.status, info.last_updated, info.connection = CONNECTED, now, conn
        changed.append(info)
    return changed


async def _discover(hub: Hub, versions_url: str, token: str) -> dict[tuple[str, str], str]:
    """The party's 2.2.1 endpoints, read with its token; 3001/3002/3003 when that fails
    (credentials.asciidoc#credentials_errors_during_registration,
    #credentials_required_endpoints_not_available)."""
    client = PartnerClient(hub.http, allow_insecure=True)
    try:
        reply = await client.call("GET", versions_url, token=token, version=VERSION)
        offered = reply.data if isinstance(reply.data, list) else []
        urls = [
            str(v["url"])
            for v in offered
            if isinstance(v, dict) and v.get("version") == VERSION and v.get("url")
        ]
        if not urls:
            raise UnsupportedVersion(f"the party offers no OCPI {VERSION}")
        reply = await client.call("GET", urls[0], token=token, version=VERSION)
    except PartnerCallError as exc:
        raise PartnerApiError(f"cannot use the party's API: {exc}") from exc
    try:
        details = VersionDetails.model_validate(reply.data)
    except ValidationError as exc:
        raise PartnerApiError(f"the party's version details are invalid: {exc}") from exc
    endpoints = {(e.identifier, e.role.value): str(e.url) for e in details.endpoints}
    if not any(module == "credentials" for module, _ in endpoints):
        raise NoMatchingEndpoints("the party's version details list no credentials endpoint")
    return endpoints


def _describe(roles: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['country_code']}*{r['party_id']} {r['role']}" for r in roles)
