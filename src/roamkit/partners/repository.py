"""Partner rows: lookup by token, invitations, and the JSON shape the API and CLI show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.protocol.timeutil import format_datetime
from roamkit.protocol.tokens import hash_token, new_token
from roamkit.store.tables import Partner, PartnerEndpoint

INVITED = "invited"
PENDING = "pending"
REGISTERED = "registered"
UNREGISTERED = "unregistered"


class TokenMatch:
    """Who an incoming token belongs to, and whether it is a registration TOKEN_A."""

    __slots__ = ("is_token_a", "partner", "token")

    def __init__(self, partner: Partner, token: str, is_token_a: bool) -> None:
        self.partner = partner
        self.token = token
        self.is_token_a = is_token_a


async def find_by_token(session: AsyncSession, candidates: Iterable[str]) -> TokenMatch | None:
    """Match the raw/Base64 candidates of an Authorization header against stored hashes."""
    by_hash = {hash_token(c): c for c in candidates}
    if not by_hash:
        return None
    hashes = list(by_hash)
    rows = await session.scalars(
        select(Partner).where(
            or_(
                Partner.token_in_hash.in_(hashes),
                Partner.token_in_next_hash.in_(hashes),
                Partner.token_a_hash.in_(hashes),
            )
        )
    )
    for partner in rows:
        for h, token in by_hash.items():
            if h in (partner.token_in_hash, partner.token_in_next_hash):
                return TokenMatch(partner, token, is_token_a=False)
            if h == partner.token_a_hash and partner.status == INVITED:
                return TokenMatch(partner, token, is_token_a=True)
    return None


async def get_by_name(session: AsyncSession, name: str) -> Partner | None:
    return await session.scalar(select(Partner).where(Partner.name == name))


async def list_partners(session: AsyncSession) -> list[Partner]:
    return list(await session.scalars(select(Partner).order_by(Partner.id)))


class PartnerExists(Exception):
    pass


async def invite(session: AsyncSession, name: str | None) -> tuple[Partner, str]:
    """Create (or renew) an invitation: a fresh single-use TOKEN_A for ``name``."""
    if name is None:
        count = len(await list_partners(session))
        name = f"partner-{count + 1}"
        while await get_by_name(session, name):
            count += 1
            name = f"partner-{count + 1}"
    partner = await get_by_name(session, name)
    if partner is not None and partner.via_id is not None:
        raise PartnerExists(f"{name!r} is a party behind a hub, not a connection")
    if partner is not None and partner.status in (REGISTERED, PENDING):
        raise PartnerExists(f"partner {name!r} is {partner.status}; remove it first")
    token_a = new_token()
    if partner is None:
        partner = Partner(name=name, roles=[], token_encoding="auto")
        session.add(partner)
    partner.status = INVITED
    partner.token_a_hash = hash_token(token_a)
    partner.token_in_hash = None
    partner.token_in_next_hash = None
    partner.token_out = None
    await session.flush()
    return partner, token_a


def set_endpoints(partner: Partner, endpoints: Iterable[dict[str, Any]]) -> None:
    partner.endpoints = [
        PartnerEndpoint(module=e["identifier"], role=e.get("role"), url=e["url"]) for e in endpoints
    ]


def endpoint_url(partner: Partner, module: str, role: str | None = None) -> str | None:
    """URL of the partner's ``module`` endpoint (2.2.1: with the given interface role)."""
    for e in partner.endpoints:
        if e.module == module and (role is None or e.role in (None, role)):
            return e.url
    return None


def partner_json(partner: Partner, via: str | None = None) -> dict[str, Any]:
    """The partner as the API and CLI show it. Tokens are never shown here. ``via``: the
    name of the hub connection a party behind a hub is reached through (``partners.hub``),
    shown with the hub's ClientInfo for it."""
    return {
        "name": partner.name,
        "status": partner.status,
        "version": partner.version,
        "versions_url": partner.versions_url,
        "roles": partner.roles or [],
        "endpoints": [
            {"identifier": e.module, "role": e.role, "url": e.url} for e in partner.endpoints
        ],
        "token_encoding": partner.token_encoding,
        "created_at": format_datetime(partner.created_at),
        "updated_at": format_datetime(partner.updated_at),
        "via": via,
        "client_info": partner.client_info,
    }


async def partners_json(session: AsyncSession, partners: Iterable[Partner]) -> list[dict[str, Any]]:
    """``partner_json`` of each, with the hub names of parties behind a hub looked up."""
    partners = list(partners)
    hub_ids = {p.via_id for p in partners if p.via_id is not None}
    names: dict[int, str] = {}
    if hub_ids:
        query = select(Partner.id, Partner.name).where(Partner.id.in_(hub_ids))
        names = {pid: name for pid, name in await session.execute(query)}
    return [partner_json(p, names.get(p.via_id) if p.via_id else None) for p in partners]


def has_party(partner: Partner, country_code: str, party_id: str) -> bool:
    """Does the partner speak for this party? (2.2.1 CredentialsRole list)"""
    cc, pid = country_code.upper(), party_id.upper()
    return any(
        r.get("country_code", "").upper() == cc and r.get("party_id", "").upper() == pid
        for r in partner.roles or []
    )


def parties(partner: Partner) -> frozenset[tuple[str, str]]:
    """The (country_code, party_id) pairs the partner speaks for, upper-cased: a set
    for loops that ask once per object (the pull)."""
    return frozenset(
        (str(r.get("country_code", "")).upper(), str(r.get("party_id", "")).upper())
        for r in partner.roles or []
    )
