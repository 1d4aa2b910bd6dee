"""Request dependencies shared by every OCPI route: settings, database, the caller.

Authentication (2.2.1 #transport_and_format_authorization_header): every
request needs a known token; TOKEN_A is only good on versions and
credentials (HTTP 401 elsewhere, CHECKLIST 221-T-4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from roamkit.config import Settings
from roamkit.modules.cache import GenerationCache
from roamkit.partners.client import PartnerClient
from roamkit.partners.repository import REGISTERED, TokenMatch, find_by_token, has_party
from roamkit.protocol.errors import Forbidden, Unauthorized
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


async def registered_partner(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Caller:
    """Functional modules: only a registered partner's token."""
    return require_registered(await authenticate(request.headers.get("authorization"), db))


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ClientDep = Annotated[PartnerClient, Depends(get_partner_client)]
RegistrationCaller = Annotated[Caller, Depends(token_a_or_partner)]
PartnerCaller = Annotated[Caller, Depends(registered_partner)]


async def party_owner(country_code: str, party_id: str, caller: PartnerCaller) -> Caller:
    """Client-owned object routes ``{endpoint}/{country_code}/{party_id}/...``: the
    caller must speak for that party (2.2.1 #transport_and_format_client_owned_object_push;
    404 is the answer the spec allows)."""
    if not has_party(caller.partner, country_code, party_id):
        raise Forbidden(
            f"Party {country_code.upper()}*{party_id.upper()} is not one of the caller's "
            "credentials roles"
        )
    return caller


PartyCaller = Annotated[Caller, Depends(party_owner)]
