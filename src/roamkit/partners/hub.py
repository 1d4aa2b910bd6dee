"""Parties behind a hub (2.2.1 transport_and_format.asciidoc#transport_and_format_message_routing,
mod_hub_client_info.asciidoc).

A hub connection is one Partner row whose credentials name only the role ``HUB``
(CHECKLIST 221-R-8); the parties it stands for arrive as ClientInfo objects. Each such
party is a Partner row of its own, a "child": ``via_id`` = the hub's row, its one role
from ClientInfo, and a mirror of the hub's outgoing connection (token, encoding, version,
endpoints), since every call to it goes through the hub. Ownership (``owner_id``),
audiences of sessions and CDRs, party checks, pushes and pulls all key on the Partner
row, so each party behind a hub is kept apart from the others without any of them
knowing about hubs. Children have no incoming tokens: only the hub's token
authenticates, and the request's routing headers or URL name the party
(``modules.deps``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.models.v221.hubclientinfo import ClientInfo, ConnectionStatus
from roamkit.partners.repository import REGISTERED, UNREGISTERED, has_party
from roamkit.store.tables import Partner, PartnerEndpoint

HUB_ROLE = "HUB"


def is_hub(partner: Partner) -> bool:
    """A direct connection whose credentials carry the role HUB (221-R-8)."""
    return partner.via_id is None and any(r.get("role") == HUB_ROLE for r in partner.roles or [])


def only_hub(partner: Partner) -> bool:
    """A hub connection that plays no other role: never a push target itself, the
    parties behind it are."""
    roles = partner.roles or []
    return is_hub(partner) and all(r.get("role") == HUB_ROLE for r in roles)


def child_name(hub: Partner, country_code: str, party_id: str) -> str:
    return f"{hub.name}/{country_code.upper()}*{party_id.upper()}"


def status_for(hub: Partner, client_info: dict[str, Any] | None) -> str:
    """A child's status: the hub's when the hub is not registered (unregistered with it);
    otherwise ``registered`` for CONNECTED (or no ClientInfo yet: the party is talking to
    us), else the ClientInfo status in lower case (``offline``, ``planned``,
    ``suspended``: send nothing, #mod_hub_client_info scenarios, CHECKLIST 221-H-2)."""
    if hub.status != REGISTERED:
        return UNREGISTERED
    status = str((client_info or {}).get("status", ConnectionStatus.CONNECTED)).upper()
    return REGISTERED if status == ConnectionStatus.CONNECTED else status.lower()


def mirror(hub: Partner, child: Partner) -> None:
    """Copy the hub's outgoing connection into the child and derive its status: every
    call to the child goes through the hub, with the hub's token."""
    child.via_id = hub.id
    child.token_out = hub.token_out
    child.token_encoding = hub.token_encoding
    child.version = hub.version
    child.token_in_hash = child.token_in_next_hash = child.token_a_hash = None
    child.status = status_for(hub, child.client_info)
    wanted = [(e.module, e.role, e.url) for e in hub.endpoints]
    if [(e.module, e.role, e.url) for e in child.endpoints] != wanted:
        child.endpoints = [PartnerEndpoint(module=m, role=r, url=u) for m, r, u in wanted]


def counterpart_role(settings: Settings) -> str:
    """The role of a party that talks to us before the hub told us about it: the opposite
    of ours (EMSP for a CPO, CPO for an eMSP), OTHER when we are both."""
    roles = set(settings.roles)
    if roles == {"CPO"}:
        return "EMSP"
    if roles == {"EMSP"}:
        return "CPO"
    return "OTHER"


def ignored(settings: Settings, hub: Partner, country_code: str, party_id: str) -> str | None:
    """Why a party named by the hub does not become a child: it is us, or the hub itself
    (its own row stands for it). None when it does."""
    cc, pid = country_code.upper(), party_id.upper()
    if (cc, pid) == (settings.country_code.upper(), settings.party_id.upper()):
        return f"{cc}*{pid} is this node's own party"
    if has_party(hub, cc, pid):
        return f"{cc}*{pid} is the hub's own party"
    return None


async def find_child(
    session: AsyncSession, hub: Partner, country_code: str, party_id: str, *, lock: bool = False
) -> Partner | None:
    """``lock``: for a write that depends on what is held (two ClientInfo PUTs of one
    party on two workers must not both compare against the same old value)."""
    stmt = select(Partner).where(
        Partner.via_id == hub.id, Partner.name == child_name(hub, country_code, party_id)
    )
    return await session.scalar(stmt.with_for_update() if lock else stmt)


def _new_child(hub: Partner, country_code: str, party_id: str, role: str) -> Partner:
    cc, pid = country_code.upper(), party_id.upper()
    return Partner(
        name=child_name(hub, cc, pid),
        via_id=hub.id,
        roles=[{"role": role, "country_code": cc, "party_id": pid}],
        token_encoding=hub.token_encoding,
        status=REGISTERED,
    )


async def upsert_client_info(
    session: AsyncSession, hub: Partner, info: ClientInfo, raw: dict[str, Any] | None = None
) -> tuple[Partner, bool, bool]:
    """Store the hub's ClientInfo on the party's child row, creating it when new
    (#mod_hub_client_info_client_put). ``raw``: the object as received, stored as it
    is (GET answers it back); default the validated object. Returns (child, created,
    changed): a ClientInfo older than the one held changes nothing."""
    cc, pid = info.country_code.upper(), info.party_id.upper()
    child = await find_child(session, hub, cc, pid, lock=True)
    created = child is None
    if child is None:
        child = _new_child(hub, cc, pid, info.role.value)
        session.add(child)
    elif child.client_info is not None and _stamp(child.client_info) > info.last_updated:
        return child, False, False
    child.roles = [{"role": info.role.value, "country_code": cc, "party_id": pid}]
    child.client_info = raw if raw is not None else info.wire()
    mirror(hub, child)
    await session.flush()
    return child, created, True


def _stamp(client_info: dict[str, Any]) -> datetime:
    """``last_updated`` of a stored ClientInfo, read as the model reads it (whole seconds)."""
    try:
        return ClientInfo.model_validate(client_info).last_updated
    except ValidationError:
        return datetime.min.replace(tzinfo=UTC)


async def refresh_children(session: AsyncSession, hub: Partner) -> int:
    """Re-mirror every child after the hub's token, version, endpoints or status changed
    (registration, credentials update or rotation, unregistering). Returns the count."""
    children = list(await session.scalars(select(Partner).where(Partner.via_id == hub.id)))
    for child in children:
        mirror(hub, child)
    return len(children)


async def resolve(
    session: AsyncSession, settings: Settings, hub: Partner, country_code: str, party_id: str
) -> Partner:
    """The child row of a party a request through the hub comes from; a party the hub has
    not told us about yet (no ClientInfo) is created on the fly with the counterpart role
    (``counterpart_role``). The caller checks its status."""
    child = await find_child(session, hub, country_code, party_id)
    if child is None:
        child = _new_child(hub, country_code, party_id, counterpart_role(settings))
        mirror(hub, child)
        session.add(child)
        await session.flush()
    return child
