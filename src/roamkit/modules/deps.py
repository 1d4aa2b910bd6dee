"""Request dependencies shared by every OCPI route: settings, database, the caller.

Authentication (2.2.1 #transport_and_format_authorization_header): every
request needs a known token; TOKEN_A is only good on versions and
credentials (HTTP 401 elsewhere, CHECKLIST 221-T-4).

Requests through a hub (2.2.1 #transport_and_format_message_routing): the hub's token
authenticates, and the caller becomes the party the request comes from, its own Partner
row (``partners.hub``): named by ``OCPI-from-*`` when that is not the hub itself, else,
on client-owned object routes, by the URL's party (a Broadcast Push keeps the original
sender's URL segments, CHECKLIST 221-R-3). Every check downstream then applies to that
party as to a direct partner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError

from roamkit.config import Settings
from roamkit.modules.cache import GenerationCache
from roamkit.partners import hub
from roamkit.partners.client import PartnerClient
from roamkit.partners.repository import REGISTERED, TokenMatch, find_by_token, has_party
from roamkit.protocol.errors import Forbidden, Unauthorized
from roamkit.protocol.headers import ROUTING_HEADER_NAMES, RoutingHeaders
from roamkit.protocol.tokens import token_candidates
from roamkit.store import changes
from roamkit.store.db import Database
from roamkit.store.tables import Partner

TOKEN_CACHE_SECONDS = 2.0
"""How long a token lookup is reused. A token revoked by another worker process
stays usable at most this long; in this process revocation is immediate."""


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_partner_client(request: Request) -> PartnerClient:
    return request.app.state.partner_client


@dataclass(slots=True)
class Caller:
    match: TokenMatch

    @property
    def partner(self) -> Partner:
        return self.match.partner


_token_cache = GenerationCache(lambda _: changes.PARTNERS, ttl=TOKEN_CACHE_SECONDS)


async def authenticate(header: str | None, db: Database) -> TokenMatch:
    """Who the ``Authorization`` header value belongs to (raw or Base64 token).

    Takes the header, not the request: the authorize fast path (``modules.tokens.fastpath``)
    has no Starlette request and must authenticate exactly like every route."""
    cached = _token_cache.get(header)
    if cached is not None:
        return cached
    candidates = token_candidates(header)
    if not candidates:
        raise Unauthorized("Missing or malformed Authorization header (expected 'Token <token>')")

    async def load() -> TokenMatch:
        async with db.sessions() as session:  # read only: no write lock
            match = await find_by_token(session, candidates)
        if match is None:
            raise Unauthorized("Unknown token")
        return match

    # Single flight: when the entry expires under load, the partner's concurrent
    # requests share one lookup instead of each running its own (latency tail).
    return await _token_cache.get_or_load(header, load, lambda _: 0)


def require_registered(match: TokenMatch) -> Caller:
    """Functional modules: only a registered partner's token (TOKEN_A is refused)."""
    if match.is_token_a:
        raise Unauthorized("CREDENTIALS_TOKEN_A may only be used on versions and credentials")
    if match.partner.status != REGISTERED:
        raise Unauthorized("Partner is not registered")
    return Caller(match)


async def token_a_or_partner(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Caller:
    """Versions and credentials: TOKEN_A, a pending or a registered partner's token."""
    return Caller(await authenticate(request.headers.get("authorization"), db))


async def registered_connection(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Caller:
    """A registered connection as it is, never a party behind it: the hubclientinfo
    module talks to the hub itself (a configuration module, no routing, 221-R-1)."""
    return require_registered(await authenticate(request.headers.get("authorization"), db))


async def registered_partner(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Caller:
    """Functional modules: only a registered partner's token; through a hub, the party
    its ``OCPI-from-*`` headers name."""
    caller = require_registered(await authenticate(request.headers.get("authorization"), db))
    return await speaking_for(caller, request.headers, db, request.app.state.settings)


class PartyNotConnected(Forbidden):
    """A party behind a hub whose ClientInfo says it is not CONNECTED: no requests are
    exchanged with it (2.2.1 mod_hub_client_info.asciidoc, "Scenarios"). Answered like
    any party the caller may not act for (404, 2000)."""


async def speaking_for(
    caller: Caller, headers: Mapping[str, str], db: Database, settings: Settings
) -> Caller:
    """The caller itself, or, when it is a hub and ``OCPI-from-*`` (lower-case header
    names) name a party other than the hub (and us), that party's row."""
    if not hub.is_hub(caller.partner) or not any(n in headers for n in ROUTING_HEADER_NAMES):
        return caller
    routing = RoutingHeaders.from_headers(headers)
    cc, pid = routing.from_country_code, routing.from_party_id
    if not cc or not pid or hub.ignored(settings, caller.partner, cc, pid):
        return caller
    return await behind_hub(caller, db, settings, cc, pid)


async def behind_hub(
    caller: Caller, db: Database, settings: Settings, country_code: str, party_id: str
) -> Caller:
    """The party ``country_code*party_id`` behind the hub ``caller``, as the caller;
    created on the fly when the hub has not sent its ClientInfo yet. Refused while it
    is not CONNECTED. Cached like tokens, and for as long."""
    the_hub = caller.partner
    key = (db.url, the_hub.id, country_code.upper(), party_id.upper())

    async def load() -> Partner:
        async with db.sessions() as session:
            child = await hub.find_child(session, the_hub, country_code, party_id)
        if child is not None:
            return child
        try:
            async with db.session() as session:
                return await hub.resolve(session, settings, the_hub, country_code, party_id)
        except IntegrityError:  # created by a concurrent request (PostgreSQL)
            async with db.sessions() as session:
                child = await hub.find_child(session, the_hub, country_code, party_id)
            if child is None:
                raise
            return child

    child = await _children.get_or_load(key, load, lambda _: 0)
    if child.status != REGISTERED:
        raise PartyNotConnected(
            f"Party {key[2]}*{key[3]} behind hub {the_hub.name!r} is {child.status.upper()} "
            "according to the hub's ClientInfo: no requests are exchanged with it until the "
            "hub reports it CONNECTED (mod_hub_client_info.asciidoc, Scenarios)"
        )
    return Caller(TokenMatch(child, caller.match.token, is_token_a=False))


_children = GenerationCache(lambda _: changes.PARTNERS, ttl=TOKEN_CACHE_SECONDS)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ClientDep = Annotated[PartnerClient, Depends(get_partner_client)]
RegistrationCaller = Annotated[Caller, Depends(token_a_or_partner)]
PartnerCaller = Annotated[Caller, Depends(registered_partner)]
ConnectionCaller = Annotated[Caller, Depends(registered_connection)]


async def party_owner(
    country_code: str, party_id: str, caller: PartnerCaller, db: DatabaseDep, settings: SettingsDep
) -> Caller:
    """Client-owned object routes ``{endpoint}/{country_code}/{party_id}/...``: the
    caller must speak for that party (2.2.1 #transport_and_format_client_owned_object_push;
    404 is the answer the spec allows). A hub that did not name another party in
    ``OCPI-from-*`` (a Broadcast Push, 221-R-3) speaks for the URL's party behind it."""
    if (
        hub.is_hub(caller.partner)
        and not has_party(caller.partner, country_code, party_id)
        and hub.ignored(settings, caller.partner, country_code, party_id) is None
    ):
        caller = await behind_hub(caller, db, settings, country_code, party_id)
    if not has_party(caller.partner, country_code, party_id):
        raise Forbidden(
            f"Party {country_code.upper()}*{party_id.upper()} is not one of the caller's "
            "credentials roles"
        )
    return caller


PartyCaller = Annotated[Caller, Depends(party_owner)]
