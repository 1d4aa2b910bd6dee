"""The credentials flows, in both directions
(2.1.1 credentials.md §3, 2.2.1 credentials.asciidoc#credentials_registration).

Inbound: a partner POSTs/PUTs/DELETEs our credentials endpoint.
Outbound: we register with, rotate at or unregister from a partner.
No database transaction is held open across a call to the partner: the
partner may call us back (GET versions with TOKEN_B) while we wait.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.models.v211.credentials import Credentials as Credentials211
from roamkit.models.v221.credentials import Credentials as Credentials221
from roamkit.partners import hub, hub_sync
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, PartnerClient, check_url
from roamkit.partners.discovery import Discovery, DiscoveryError, check_endpoints, discover
from roamkit.protocol.errors import (
    MethodNotAllowed,
    NoMatchingEndpoints,
    OcpiError,
    PartnerApiError,
    UnsupportedVersion,
    invalid_object,
)
from roamkit.protocol.tokens import hash_token, new_token
from roamkit.store.db import Database
from roamkit.store.tables import Partner


class RegistrationError(Exception):
    """An outbound flow failed; the message says why and what was left in place."""


def our_credentials(settings: Settings, token: str, version: str) -> dict[str, Any]:
    """Our Credentials object for ``version``, carrying the token the partner must use."""
    business: dict[str, Any] = {"name": settings.business_name}
    if settings.business_website:
        business["website"] = settings.business_website
    if version == "2.1.1":
        return {
            "token": token,
            "url": settings.versions_url,
            "business_details": business,
            "party_id": settings.party_id,
            "country_code": settings.country_code,
        }
    return {
        "token": token,
        "url": settings.versions_url,
        "roles": [
            {
                "role": role,
                "business_details": business,
                "party_id": settings.party_id,
                "country_code": settings.country_code,
            }
            for role in settings.roles
        ],
    }


def _inferred_211_role(settings: Settings) -> str:
    """2.1.1 credentials carry no role: the partner plays the counterpart of our primary role."""
    return "EMSP" if settings.roles[0] == "CPO" else "CPO"


def parse_credentials(data: Any, version: str, settings: Settings) -> tuple[str, str, list[dict]]:
    """(token, versions url, canonical roles) from a partner's Credentials object."""
    try:
        if version == "2.1.1":
            c11 = Credentials211.model_validate(data)
            roles = [
                {
                    "role": _inferred_211_role(settings),
                    "country_code": c11.country_code.upper(),
                    "party_id": c11.party_id.upper(),
                    "business_details": c11.business_details.wire(),
                }
            ]
            return c11.token, c11.url, roles
        c22 = Credentials221.model_validate(data)
    except ValidationError as exc:
        raise invalid_object(exc, "credentials object", limit=5) from None
    roles = [r.wire() for r in c22.roles]
    for r in roles:
        r["country_code"], r["party_id"] = r["country_code"].upper(), r["party_id"].upper()
    return c22.token, c22.url, roles


def _apply(
    partner: Partner,
    discovery: Discovery,
    versions_url: str,
    token_out: str,
    roles: list[dict],
    keep_encoding: bool,
) -> None:
    partner.versions_url = versions_url
    partner.version = discovery.version
    partner.token_out = token_out
    partner.roles = roles
    if not keep_encoding:
        partner.token_encoding = discovery.encoding
    repo.set_endpoints(partner, discovery.endpoints)


async def _discover_inbound(
    client: PartnerClient, settings: Settings, url: str, token: str, version: str, encoding: str
) -> Discovery:
    try:
        check_url(url, settings.allow_insecure_urls)
        found = await discover(client, settings, url, token, encoding=encoding, version=version)
        check_endpoints(settings, found.version, found.endpoints)
    except PartnerCallError as exc:
        raise PartnerApiError(str(exc)) from exc
    except DiscoveryError as exc:
        raise _DISCOVERY_ERRORS.get(exc.status_code, PartnerApiError)(str(exc)) from exc
    return found


_DISCOVERY_ERRORS: dict[int, type[OcpiError]] = {
    3001: PartnerApiError,
    3002: UnsupportedVersion,
    3003: NoMatchingEndpoints,
}


# -- inbound ---------------------------------------------------------------------------


async def accept_registration(
    db: Database,
    client: PartnerClient,
    settings: Settings,
    partner_id: int,
    used_token_a: bool,
    body: Any,
    version: str,
) -> dict[str, Any]:
    """Credentials POST. Only TOKEN_A registers; a registered partner gets 405. A hub's
    ClientInfo list is read after our answer is sent (the route schedules
    ``hub_sync.sync_after_registration``): until then the hub does not hold our token."""
    if not used_token_a:
        raise MethodNotAllowed("Already registered: use PUT to update or DELETE to unregister")
    token_b, url, roles = parse_credentials(body, version, settings)
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        assert partner is not None
        encoding = partner.token_encoding
    found = await _discover_inbound(client, settings, url, token_b, version, encoding)
    token_c = new_token()
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        if partner is None or partner.status != repo.INVITED or partner.token_a_hash is None:
            raise MethodNotAllowed("This registration token has already been used")
        _apply(partner, found, url, token_b, roles, keep_encoding=encoding != "auto")
        partner.status = repo.REGISTERED
        partner.token_a_hash = None  # TOKEN_A dies (credentials.asciidoc, step 6)
        partner.token_in_hash = hash_token(token_c)
        partner.token_in_next_hash = None
        await hub.refresh_children(session, partner)  # a hub registering again
    return our_credentials(settings, token_c, version)


async def accept_update(
    db: Database,
    client: PartnerClient,
    settings: Settings,
    partner_id: int,
    used_token_a: bool,
    body: Any,
    version: str,
) -> dict[str, Any]:
    """Credentials PUT: re-read the partner, switch version, issue a new token."""
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        assert partner is not None
        if used_token_a or partner.status != repo.REGISTERED:
            raise MethodNotAllowed("Not registered: use POST to register first")
        encoding = partner.token_encoding
    token_b, url, roles = parse_credentials(body, version, settings)
    found = await _discover_inbound(client, settings, url, token_b, version, encoding)
    token_c = new_token()
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        if partner is None or partner.status != repo.REGISTERED:
            raise MethodNotAllowed("Not registered")
        _apply(partner, found, url, token_b, roles, keep_encoding=encoding != "auto")
        partner.token_in_hash = hash_token(token_c)  # the old token dies here (A-211-6)
        partner.token_in_next_hash = None
        await hub.refresh_children(session, partner)  # the parties behind a hub follow
    return our_credentials(settings, token_c, version)


async def accept_unregister(db: Database, partner_id: int, used_token_a: bool) -> None:
    """Credentials DELETE: all tokens of the connection die."""
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        assert partner is not None
        if used_token_a or partner.status != repo.REGISTERED:
            raise MethodNotAllowed("Not registered")
        await _forget(session, partner)


async def _forget(session: AsyncSession, partner: Partner) -> None:
    """Every token of the connection dies; its data stays. The parties behind a hub go
    with it, the same way: their rows and data stay, unregistered, so no row id (the
    owner of their data) is ever handed to another partner."""
    partner.status = repo.UNREGISTERED
    partner.token_in_hash = None
    partner.token_in_next_hash = None
    partner.token_a_hash = None
    partner.token_out = None
    await hub.refresh_children(session, partner)


# -- outbound --------------------------------------------------------------------------


async def register_with(
    db: Database,
    client: PartnerClient,
    settings: Settings,
    versions_url: str,
    token_a: str,
    name: str | None,
    encoding: str = "auto",
) -> Partner:
    """We are the credentials Sender: the mirror of ``accept_registration``. With a hub,
    its ClientInfo list is read once the registration is committed (best effort,
    ``hub_sync.sync_after_registration``)."""
    try:
        check_url(versions_url, settings.allow_insecure_urls)
        found = await discover(client, settings, versions_url, token_a, encoding=encoding)
        # A client that misses endpoints does not POST (credentials.md §3.6).
        check_endpoints(settings, found.version, found.endpoints)
    except (PartnerCallError, DiscoveryError) as exc:
        raise RegistrationError(str(exc)) from exc
    cred_url = _endpoint(found, "credentials")
    token_b = new_token()
    async with db.session() as session:
        partner = await repo.get_by_name(session, name) if name else None
        if partner is not None and partner.via_id is not None:
            raise RegistrationError(f"{name!r} is a party behind a hub, not a connection")
        if partner is not None and partner.status in (repo.REGISTERED, repo.PENDING):
            raise RegistrationError(f"partner {name!r} is already {partner.status}")
        existed = partner is not None
        if partner is None:
            partner = Partner(
                name=name or await _free_name(session), roles=[], token_encoding=encoding
            )
            session.add(partner)
        partner.status = repo.PENDING
        partner.token_a_hash = None
        partner.token_in_hash = hash_token(token_b)  # they call us back with it at once
        partner.token_in_next_hash = None
        _apply(partner, found, versions_url, token_a, [], keep_encoding=encoding != "auto")
        await session.flush()
        partner_id = partner.id
        used_encoding = partner.token_encoding
    try:
        reply = await client.call(
            "POST",
            cred_url,
            token=token_a,
            version=found.version,
            encoding=used_encoding,
            json=our_credentials(settings, token_b, found.version),
        )
        token_c, url, roles = parse_credentials(reply.data, found.version, settings)
    except (PartnerCallError, OcpiError) as exc:
        async with db.session() as session:
            partner = await session.get(Partner, partner_id)
            if partner is not None and existed:  # keeps its id, data and hub parties
                await _forget(session, partner)
            elif partner is not None:
                await session.delete(partner)
        raise RegistrationError(f"registration refused or failed: {exc}") from exc
    async with db.session() as session:
        partner = await session.get(Partner, partner_id)
        assert partner is not None
        partner.status = repo.REGISTERED
        partner.token_out = token_c
        partner.roles = roles
        partner.versions_url = url or versions_url
        await hub.refresh_children(session, partner)
        await session.flush()
        await session.refresh(partner, ["endpoints"])
    if hub.is_hub(partner):  # committed: the hub knows our token now
        await hub_sync.sync_after_registration(db, client, settings, partner.name)
    return partner


def _endpoint(found: Discovery, module: str) -> str:
    for e in found.endpoints:
        if e["identifier"] == module:
            return str(e["url"])
    raise RegistrationError(f"partner lists no {module} endpoint")


async def _free_name(session: Any) -> str:
    n = len(await repo.list_partners(session)) + 1
    while await repo.get_by_name(session, f"partner-{n}"):
        n += 1
    return f"partner-{n}"


def _not_behind_hub(partner: Partner) -> None:
    """A party behind a hub has no credentials of its own: the hub's connection is the
    one to rotate or remove."""
    if partner.via_id is not None:
        raise RegistrationError(
            f"{partner.name!r} is a party behind a hub: rotate or remove the hub's connection"
        )


async def _registered(db: Database, name: str) -> Partner:
    async with db.session() as session:
        partner = await repo.get_by_name(session, name)
        if partner is None:
            raise RegistrationError(f"no partner named {name!r}")
        _not_behind_hub(partner)
        if partner.status != repo.REGISTERED or not partner.token_out or not partner.versions_url:
            raise RegistrationError(f"partner {name!r} is {partner.status}, not registered")
        return partner


async def rotate(db: Database, client: PartnerClient, settings: Settings, name: str) -> Partner:
    """We start a credentials PUT: new token for them to use, new token for us;
    also picks up a newer common version and changed endpoints."""
    partner = await _registered(db, name)
    assert partner.versions_url and partner.token_out
    try:
        found = await discover(
            client,
            settings,
            partner.versions_url,
            partner.token_out,
            encoding=partner.token_encoding,
        )
        check_endpoints(settings, found.version, found.endpoints)
    except (PartnerCallError, DiscoveryError) as exc:
        raise RegistrationError(str(exc)) from exc
    token_b = new_token()
    async with db.session() as session:
        row = await session.get(Partner, partner.id)
        assert row is not None
        row.token_in_next_hash = hash_token(token_b)  # valid alongside the old one meanwhile
    try:
        reply = await client.call(
            "PUT",
            _endpoint(found, "credentials"),
            token=partner.token_out,
            version=found.version,
            encoding=partner.token_encoding,
            json=our_credentials(settings, token_b, found.version),
        )
        token_c, url, roles = parse_credentials(reply.data, found.version, settings)
    except (PartnerCallError, OcpiError) as exc:
        async with db.session() as session:
            row = await session.get(Partner, partner.id)
            if row is not None:
                row.token_in_next_hash = None
        raise RegistrationError(f"credentials update failed, old tokens kept: {exc}") from exc
    async with db.session() as session:
        row = await session.get(Partner, partner.id)
        assert row is not None
        _apply(
            row,
            found,
            url or row.versions_url or "",
            token_c,
            roles,
            keep_encoding=row.token_encoding != "auto",
        )
        row.token_in_hash = hash_token(token_b)
        row.token_in_next_hash = None
        await hub.refresh_children(session, row)
        await session.flush()
        await session.refresh(row, ["endpoints"])
        return row


async def unregister(
    db: Database, client: PartnerClient, name: str, force: bool = False
) -> Partner:
    """Credentials DELETE at the partner, then forget the connection here.
    ``force`` forgets it even when the partner cannot be told."""
    async with db.session() as session:
        partner = await repo.get_by_name(session, name)
        if partner is None:
            raise RegistrationError(f"no partner named {name!r}")
        _not_behind_hub(partner)
        status = partner.status
    if status == repo.REGISTERED:
        url = repo.endpoint_url(partner, "credentials")
        try:
            if not url or not partner.token_out:
                raise PartnerCallError("no credentials endpoint or token stored")
            await client.call(
                "DELETE",
                url,
                token=partner.token_out,
                version=partner.version,
                encoding=partner.token_encoding,
            )
        except PartnerCallError as exc:
            if not force:
                raise RegistrationError(
                    f"partner did not accept the DELETE ({exc}); use --force to forget it anyway"
                ) from exc
    async with db.session() as session:
        row = await session.get(Partner, partner.id)
        assert row is not None
        await _forget(session, row)
        await session.flush()
        await session.refresh(row, ["endpoints"])
        return row
