"""Re-syncing the parties behind a hub from the hub's ClientInfo list (2.2.1
mod_hub_client_info.asciidoc#mod_hub_client_info_hub_get, #mod_hub_client_info_pull_model;
CHECKLIST 221-H-1).

The hub PUTs ClientInfo as it changes (``modules.hubclientinfo``), but a node that was
down, or answered those PUTs with errors, misses them. The spec's remedy is the hub's
Sender interface: ``GET {hubclientinfo}`` lists every ClientInfo, paginated. Here it is
read once after a registration with a hub and on demand (``POST
/api/partners/{name}/client-info``, ``roamkit partner sync-parties``). Each object goes
through ``hub.upsert_client_info`` like a PUT, so the same rules hold: one older than what
we hold changes nothing. A configuration module: no routing headers (CHECKLIST 221-R-1).

Parties the list leaves out are left as they are: the hub never deletes ClientInfo (it
sends SUSPENDED), and a party that talked to us before the hub announced it
(``hub.resolve``) may simply not be listed yet.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.models.v221.hubclientinfo import ClientInfo
from roamkit.partners import hub
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.store.db import Database
from roamkit.store.tables import Partner
from roamkit.sync.paging import Pager

log = logging.getLogger("roamkit.hub")

MODULE = "hubclientinfo"
SENDER = "SENDER"
STORE_ATTEMPTS = 2
"""A page is stored again once when a concurrent ClientInfo PUT created the same party
first (PostgreSQL: unique partner name)."""


class ClientInfoSyncError(Exception):
    """The hub's list could not be read; the message says why."""


class UnknownPartner(ClientInfoSyncError):
    pass


class NotAHub(ClientInfoSyncError):
    """Not a registered connection whose credentials carry the role HUB (221-R-8)."""


class NoClientInfoList(ClientInfoSyncError):
    """The hub offers no hubclientinfo Sender interface."""


class HubCallFailed(ClientInfoSyncError):
    """The hub answered a page with an error, or could not be reached."""


@dataclass(slots=True)
class Counts:
    """``parties``: distinct ClientInfo objects in the list (a page read twice counts
    once); each is ``created``, ``changed``, ``unchanged`` (the same as held, or older),
    ``ignored`` (about us or the hub's own party, as a PUT would be), or ``skipped``
    (not a valid ClientInfo)."""

    parties: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    ignored: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


Entry = tuple[ClientInfo, dict[str, Any]]
"""A valid ClientInfo and the object as received."""


async def sync_client_info(
    db: Database,
    client: PartnerClient,
    settings: Settings,
    hub_name: str,
    page_size: int | None = None,
) -> dict[str, int]:
    """Read the hub's whole ClientInfo list, following its ``Link`` pages (``Pager``:
    offset paging when a Link is unusable), and store every object as a PUT would.
    A bad object is skipped and counted, never fatal. Returns ``Counts.as_json()``."""
    the_hub = await _connection(db, hub_name)
    url = repo.endpoint_url(the_hub, MODULE, SENDER)
    if url is None:
        raise NoClientInfoList(
            f"hub {hub_name!r} lists no {MODULE} SENDER endpoint, so its ClientInfo list "
            "cannot be read (mod_hub_client_info_hub_get); only its PUTs keep the parties "
            "behind it up to date"
        )
    counts = Counts()
    seen: set[tuple[str, str, str]] = set()
    pager = Pager(client, the_hub, url, None, page_size)  # configuration module: no routing
    try:
        request = pager.first()
        while request is not None:
            ahead = pager.asked(request)
            page = await (ahead if ahead is not None else pager.fetch(request))
            entries = _read(page.items, counts, seen)
            if entries:
                await _store(db, settings, the_hub.id, entries, counts)
            request = pager.next(page)
    except PartnerCallError as exc:
        raise HubCallFailed(
            f"reading the ClientInfo list of hub {hub_name!r} failed: {exc}"
        ) from exc
    finally:
        pager.close()
    log.info("hub %s: ClientInfo list read: %s", hub_name, counts.as_json())
    return counts.as_json()


async def sync_after_registration(
    db: Database, client: PartnerClient, settings: Settings, name: str
) -> dict[str, int] | None:
    """Best effort, after a registration with ``name`` committed: a hub's list is read at
    once (#mod_hub_client_info_pull_model, "at the start-up"), so parties announced
    before we connected, or whose PUTs we missed, are known right away. Anything that
    goes wrong is logged, never raised: the registration stands."""
    try:
        async with db.sessions() as session:
            partner = await repo.get_by_name(session, name)
        if partner is None or not hub.is_hub(partner):
            return None
        return await sync_client_info(db, client, settings, name)
    except ClientInfoSyncError as exc:
        log.warning("hub %s: ClientInfo list not read after registration: %s", name, exc)
    except Exception:
        log.exception("hub %s: ClientInfo list not read after registration", name)
    return None


async def _connection(db: Database, name: str) -> Partner:
    async with db.sessions() as session:
        partner = await repo.get_by_name(session, name)
    if partner is None:
        raise UnknownPartner(f"no partner named {name!r}")
    if not hub.is_hub(partner):
        what = "a party behind a hub" if partner.via_id is not None else "not a hub"
        raise NotAHub(
            f"partner {name!r} is {what}: only a connection whose credentials carry the "
            "role HUB has a ClientInfo list (mod_hub_client_info.asciidoc)"
        )
    if partner.status != repo.REGISTERED or not partner.token_out:
        raise NotAHub(f"hub {name!r} is {partner.status}, not registered")
    return partner


def _read(items: list[bytes], counts: Counts, seen: set[tuple[str, str, str]]) -> list[Entry]:
    """The valid ClientInfo objects of a page not seen yet in this sync, each with the
    object as received (stored as it is, as a PUT's body is)."""
    entries: list[Entry] = []
    for item in items:
        try:
            raw = orjson.loads(item)
            info = ClientInfo.model_validate(raw)
        except (orjson.JSONDecodeError, ValidationError) as exc:
            counts.skipped += 1
            log.warning("hub ClientInfo skipped, not valid: %s: %.200s", exc, item)
            continue
        key = (info.country_code.upper(), info.party_id.upper(), info.role.value)
        if key in seen:
            continue
        seen.add(key)
        counts.parties += 1
        entries.append((info, raw))
    return entries


async def _store(
    db: Database, settings: Settings, hub_id: int, entries: list[Entry], counts: Counts
) -> None:
    """One transaction per page; counted once it is committed."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            async with db.session() as session:
                the_hub = await session.get(Partner, hub_id)
                if the_hub is None or not hub.is_hub(the_hub):
                    raise NotAHub("the hub connection is gone")
                outcomes = [await _upsert(session, settings, the_hub, *e) for e in entries]
            break
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
    for outcome in outcomes:
        setattr(counts, outcome, getattr(counts, outcome) + 1)


async def _upsert(
    session: AsyncSession,
    settings: Settings,
    the_hub: Partner,
    info: ClientInfo,
    raw: dict[str, Any],
) -> str:
    """Which count ``info`` goes to, once stored. The party's row is locked first
    (PostgreSQL) so a PUT committed meanwhile is compared against, not overwritten."""
    cc, pid = info.country_code.upper(), info.party_id.upper()
    if hub.ignored(settings, the_hub, cc, pid) is not None:
        return "ignored"
    held = await session.scalar(
        select(Partner)
        .where(Partner.via_id == the_hub.id, Partner.name == hub.child_name(the_hub, cc, pid))
        .with_for_update()
    )
    if held is not None and _same(held, info):
        return "unchanged"
    _, created, changed = await hub.upsert_client_info(session, the_hub, info, raw)
    return "created" if created else "changed" if changed else "unchanged"


def _same(held: Partner, info: ClientInfo) -> bool:
    """The ClientInfo held says what ``info`` says: nothing to write."""
    if held.client_info is None:
        return False
    try:
        mine = ClientInfo.model_validate(held.client_info)
    except ValidationError:
        return False
    return _key(mine) == _key(info)


def _key(info: ClientInfo) -> tuple[str, str, str, str, object]:
    return (
        info.country_code.upper(),
        info.party_id.upper(),
        info.role.value,
        info.status.value,
        info.last_updated,
    )
