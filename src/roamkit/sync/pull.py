"""Pull sync: fetch every page of a partner's Sender list (locations, tariffs) and
store what it serves, owned by that partner.

Two halves. ``sync.prepare`` fetches the pages (``sync.paging``: Links, with
offset paging as the fallback) and turns them into rows, without the database;
this module writes what it prepares, while the next pages are prepared, and keeps
the score.

How the sync stays correct against real partners and moving data:

- Incremental by ``date_from`` = the *start* of the last successful sync
  (CHECKLIST A-211-2, 221-P-1: ``date_from`` is inclusive), so nothing changed
  while that sync ran is lost. The first sync of a partner and module is full.
- Data moving under the crawl: inserts append (oldest-first order, 221-P-3) and are
  reached as ``X-Total-Count`` grows; when it drops the crawl steps back by the drop;
  and after a multi-page crawl a final pass with ``date_from`` = this sync's start
  picks up whatever changed meanwhile. Copies are folded by (country_code,
  party_id, id) and ``last_updated``.
- Tolerant (DESIGN.md §2): one bad object is quarantined with the reason, the rest
  of its page is stored.
- Writes are batched: pages are gathered into transactions of at least
  ``_WRITE_ROWS`` objects, written while the next pages are prepared; an update is
  by key with a ``last_updated`` guard, so a newer copy the partner pushed meanwhile
  is never overwritten by an older pulled one.
- A complete full sync makes the pages "the new truth" (221-P-4): objects of the
  partner and module that we held when it started and that no page served are
  removed. Never after an incomplete or failed sync.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.aiotools import drop
from roamkit.config import Settings
from roamkit.domain.context import ConversionContext
from roamkit.gctools import gc_paused
from roamkit.modules.results import Outcome
from roamkit.modules.tariffs import service as tariffs
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.partners.routing import routing_headers
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store import changes
from roamkit.store.bulk import BulkStatement
from roamkit.store.db import Database
from roamkit.store.tables import Partner, StoredObject, SyncState
from roamkit.sync import quarantine
from roamkit.sync.prepare import (
    _VALUE_COLUMNS,
    MODULES,
    Item,
    Key,
    Message,
    ModuleAdapter,
    PassEnd,
    Prepared,
    Preparer,
    Reject,
    insert_row,
    update_row,
)

__all__ = [
    "MODULES",
    "PullBusy",
    "PullError",
    "PullFailed",
    "PullSummary",
    "UnknownPartner",
    "pull",
]

ProgressFn = Callable[[str, int, int | None], None]
"""``progress(phase, objects so far, X-Total-Count or None)``, called after each page."""

_CHUNK = 500
"""Keys per ``IN (...)`` list: well under SQLite's and asyncpg's parameter limits."""

_BACKLOG = 4
"""Write batches that may wait for the database before the crawl waits for them."""

_WRITE_ROWS = 1000
"""Objects per write transaction (pages are gathered until they reach it): a commit,
and each hand-over to the database thread, costs more than a hundred inserts."""


# --------------------------------------------------------------------------- errors


class PullError(Exception):
    """The sync could not start (unknown partner or module, no endpoint, already running)."""


class UnknownPartner(PullError):
    pass


class PullFailed(PullError):
    """The partner failed mid-sync. What was stored stays; ``summary`` says how far it got."""

    def __init__(self, message: str, summary: PullSummary) -> None:
        super().__init__(message)
        self.summary = summary


class PullBusy(PullError):
    """A sync of the same partner and module is already running in this process."""


# --------------------------------------------------------------------------- summary


@dataclass(slots=True)
class PullSummary:
    """What a sync did. ``received`` = ``stored`` + ``unchanged`` + ``quarantined``:
    distinct objects, copies of the same object folded (counted in ``duplicates``)."""

    partner: str
    module: str
    version: str | None
    full: bool
    date_from: datetime | None
    received: int = 0
    stored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    removed: int = 0
    duplicates: int = 0
    pages: int = 0
    complete: bool = False
    link_fallback: str | None = None
    error: str | None = None
    duration_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "module": self.module,
            "version": self.version,
            "full": self.full,
            "complete": self.complete,
            "date_from": format_datetime(self.date_from) if self.date_from else None,
            "received": self.received,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "removed": self.removed,
            "duplicates": self.duplicates,
            "pages": self.pages,
            "link_fallback": self.link_fallback,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
        }


STORED, UNCHANGED, QUARANTINED = "stored", "unchanged", "quarantined"
_RANK = {QUARANTINED: 0, UNCHANGED: 1, STORED: 2}


@dataclass(slots=True)
class _Tally:
    """Per-object outcome across the whole sync, so re-fetched copies count once."""

    outcome: dict[Key, str] = field(default_factory=dict)
    duplicates: int = 0

    def mark(self, key: Key, outcome: str) -> None:
        if _RANK[outcome] >= _RANK.get(self.outcome.get(key, QUARANTINED), 0):
            self.outcome[key] = outcome

    def fill(self, summary: PullSummary) -> None:
        values = list(self.outcome.values())
        summary.received = len(values)
        summary.stored = values.count(STORED)
        summary.unchanged = values.count(UNCHANGED)
        summary.quarantined = values.count(QUARANTINED)
        summary.duplicates = self.duplicates


# --------------------------------------------------------------------------- writing

_T = StoredObject.__table__.c
_INSERT = BulkStatement(
    insert(StoredObject.__table__),
    ("module", "owner_id", "country_code", "party_id", "object_id", "created_at", *_VALUE_COLUMNS),
)
_UPDATE_DOCUMENTS = BulkStatement(
    update(StoredObject.__table__)
    .where(
        _T.module == bindparam("k_module"),
        _T.owner_id == bindparam("k_owner"),
        _T.country_code == bindparam("k_cc"),
        _T.party_id == bindparam("k_pid"),
        _T.object_id == bindparam("k_oid"),
        # a push of a newer copy that landed meanwhile is not overwritten
        _T.last_updated < bindparam("last_updated"),
    )
    .values({c: bindparam(c) for c in _VALUE_COLUMNS})
)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(slots=True)
class _Held:
    """What we held of the partner's ``module`` when the sync started, read once:
    preparing a page then needs no query, and a full sync knows what to remove."""

    last_updated: dict[Key, datetime]
    row_ids: dict[Key, int]


async def _held(db: Database, module: str, owner_id: int) -> _Held:
    async with db.sessions() as session:
        rows = await session.execute(
            select(_T.id, _T.country_code, _T.party_id, _T.object_id, _T.last_updated).where(
                _T.module == module, _T.owner_id == owner_id
            )
        )
        held = _Held({}, {})
        for row_id, cc, pid, oid, last_updated in rows:
            key = (cc, pid, oid)
            held.last_updated[key] = last_updated
            held.row_ids[key] = row_id
        return held


class _Sync:
    """One run: prepared pages in, written in transactions, outcomes tallied."""

    def __init__(
        self,
        db: Database,
        partner: Partner,
        adapter: ModuleAdapter,
        summary: PullSummary,
        progress: ProgressFn | None,
        settings: Settings,
    ) -> None:
        self.db = db
        self.partner = partner
        self.adapter = adapter
        self.summary = summary
        self.progress = progress
        self.settings = settings
        self.tally = _Tally()
        self._done = 0
        self._phase = "pull"

    async def consume(self, stream: AsyncIterator[Message]) -> None:
        """Write every prepared page, in page order, while the next are fetched and
        prepared: each batch's write waits for the one before (order), the crawl only
        when ``_BACKLOG`` batches are waiting (memory)."""
        writes: deque[asyncio.Future[None]] = deque()
        pending: list[Prepared] = []
        try:
            async for message in stream:
                if isinstance(message, PassEnd):
                    self._pass_done(message)
                else:
                    pending.append(message)
                    self._report(message.count, message.total)
                full = sum(p.size for p in pending) >= _WRITE_ROWS
                if pending and (full or isinstance(message, PassEnd)):
                    before = writes[-1] if writes else None
                    writes.append(asyncio.ensure_future(self._write_after(before, pending)))
                    pending = []
                    while writes and (len(writes) > _BACKLOG or writes[0].done()):
                        await writes.popleft()
            while writes:
                await writes.popleft()
        except BaseException:
            for write in writes:
                drop(write)
            raise

    async def _write_after(
        self, before: asyncio.Future[None] | None, pages: list[Prepared]
    ) -> None:
        if before is not None:  # shielded: cancelling this write leaves that one be
            await asyncio.shield(before)
        await self.write(pages)

    def _pass_done(self, end: PassEnd) -> None:
        self.summary.pages += end.pages
        self.summary.link_fallback = self.summary.link_fallback or end.fallback
        self.tally.duplicates = end.duplicates
        self._done = 0
        self._phase = "catch-up"

    def _report(self, count: int, total: int | None) -> None:
        self._done += count
        if self.progress is not None:
            self.progress(self._phase, self._done, total)

    async def write(self, pages: list[Prepared]) -> None:
        """One transaction for the pages, then the outcomes are counted."""
        module, owner, now = self.adapter.name, self.partner.id, utcnow()
        inserts = [insert_row(module, owner, now, i) for p in pages for i in p.inserts]
        updates = [update_row(module, owner, i) for p in pages for i in p.updates]
        rejects = [r for p in pages for r in p.rejects]
        items = [i for p in pages for i in (*p.inserts, *p.updates)]
        try:
            async with self.db.session() as session:
                await _INSERT.run(session, inserts)
                await _UPDATE_DOCUMENTS.run(session, updates)
                if module == tariffs.MODULE:
                    await tariffs.record_versions(
                        session,
                        owner,
                        [(*i.key, i.last_updated, i.data) for i in items],
                    )
                if self.adapter.after_insert is not None and inserts:
                    docs = [i.data for p in pages for i in p.inserts]
                    await self.adapter.after_insert(session, self.settings, self.partner, docs)
                if inserts or updates:
                    changes.touch(session, module)  # list caches see the change at commit
                await self._quarantine(session, rejects)
            outcomes = [STORED] * len(items)
        except IntegrityError:
            # Someone (the partner pushing to our receiver) inserted one of these keys
            # meanwhile: redo the pages object by object through the service.
            async with self.db.session() as session:
                outcomes = await self._write_each(session, items)
                await self._quarantine(session, rejects)
                if self.adapter.after_insert is not None and self.adapter.immutable:
                    # put of an immutable object stores only new ones: STORED = added
                    docs = [i.data for i, o in zip(items, outcomes, strict=True) if o == STORED]
                    await self.adapter.after_insert(session, self.settings, self.partner, docs)
        for item, outcome in zip(items, outcomes, strict=True):
            self.tally.mark(item.key, outcome)
        for p in pages:
            for peek in p.unchanged:
                self.tally.mark(peek.key, UNCHANGED)
        for reject in rejects:
            self.tally.mark(reject.key, QUARANTINED)

    async def _write_each(self, session: AsyncSession, items: list[Item]) -> list[str]:
        outcomes = []
        for item in items:
            # the stored document is canonical (2.2.1-shaped) in both versions
            ctx = ConversionContext(country_code=item.key[0], party_id=item.key[1])
            obj = self.adapter.parse("2.2.1", orjson.loads(bytes(item.data)), ctx)
            outcome = await self.adapter.put(session, self.partner.id, obj)
            outcomes.append(UNCHANGED if outcome is Outcome.UNCHANGED else STORED)
        return outcomes

    async def _quarantine(self, session: AsyncSession, rejects: list[Reject]) -> None:
        for reject in rejects:
            await quarantine.add(
                session, self.partner.id, self.adapter.name, reject.reason, reject.payload
            )

    async def run(
        self,
        client: PartnerClient,
        endpoint: str,
        date_from: datetime | None,
        started: datetime,
        page_size: int | None,
    ) -> None:
        """The whole sync, its summary counted. What it planned and counted (a key
        per object) goes with this frame and the tally, before the collector resumes:
        left alive, it was walked at once (~5 ms for 10,000 objects)."""
        try:
            held = await _held(self.db, self.adapter.name, self.partner.id)
            own = (self.settings.country_code, self.settings.party_id)
            preparer = Preparer(
                client,
                self.partner,
                self.adapter,
                endpoint,
                held.last_updated,
                own,
                routing_headers(self.settings, self.partner),
            )
            if date_from is None and self.adapter.history:
                date_from = EPOCH  # Sessions require date_from; a full pull asks from the start
            await self.consume(preparer.stream(date_from, started, page_size))
            await self.finish(started, self.summary.full, held.row_ids)
            self.summary.complete = True
        finally:
            self.tally.fill(self.summary)
            self.tally = _Tally()

    # ---- finishing

    async def finish(self, started: datetime, full: bool, held: dict[Key, int]) -> None:
        """Record success; after a complete full pull, forget what was not served
        (``held``: the rows we held when the sync started, by key)."""
        key = (self.partner.id, self.adapter.name)
        async with self.db.session() as session:
            if full and not self.adapter.history:
                self.summary.removed = await self._remove_unserved(session, held)
            state = await session.get(SyncState, key)
            if state is None:
                state = SyncState(partner_id=key[0], module=key[1])
                session.add(state)
            state.last_success_at = started
            if full:
                state.last_full_at = started

    async def _remove_unserved(self, session: AsyncSession, held: dict[Key, int]) -> int:
        """Only rows held at the start are candidates: an object the partner pushed
        while we paged exists there even if no page showed it, and a sync of a new
        partner (nothing held) removes nothing without reading the table."""
        served = self.tally.outcome
        gone = [row_id for key, row_id in held.items() if key not in served]
        for chunk in _chunks(gone):
            await session.execute(delete(StoredObject).where(StoredObject.id.in_(chunk)))
        if gone:
            changes.touch(session, self.adapter.name)
        return len(gone)


# --------------------------------------------------------------------------- entry point

_running: set[tuple[str, int, str]] = set()
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sender_endpoint(partner: Partner, module: str) -> str | None:
    """The partner's list endpoint: 2.2.1 its SENDER interface; 2.1.1 the module's
    endpoint of a CPO partner (2.1.1 has no interface roles)."""
    if partner.version == "2.1.1":
        if not any(r.get("role") == "CPO" for r in partner.roles or []):
            return None
        return repo.endpoint_url(partner, module)
    return repo.endpoint_url(partner, module, "SENDER")


async def _load_partner(
    db: Database, name: str, module: str
) -> tuple[Partner, str, datetime | None]:
    async with db.session() as session:
        partner = await repo.get_by_name(session, name)
        if partner is None:
            raise UnknownPartner(f"No partner named {name!r}")
        if partner.status != repo.REGISTERED or not partner.token_out:
            raise PullError(f"Partner {name!r} is {partner.status}, not registered")
        endpoint = sender_endpoint(partner, module)
        if endpoint is None:
            raise PullError(
                f"Partner {name!r} ({partner.version}) offers no {module} Sender endpoint"
            )
        state = await session.get(SyncState, (partner.id, module))
        last = state.last_success_at if state is not None else None
    return partner, endpoint, last


async def pull(
    db: Database,
    client: PartnerClient,
    partner_name: str,
    module: str,
    *,
    full: bool = False,
    page_size: int | None = None,
    progress: ProgressFn | None = None,
    settings: Settings | None = None,
) -> PullSummary:
    """Pull ``module`` from the partner into the store. Raises ``PullFailed`` (with the
    partial summary) when the partner fails mid-way, ``PullError`` when it cannot start.
    ``settings``: the node's (our party, the CDR dispute tolerance); default from the
    environment."""
    adapter = MODULES.get(module)
    if adapter is None:
        raise PullError(f"Cannot pull {module!r}: choose one of {', '.join(MODULES)}")
    partner, endpoint, last_success = await _load_partner(db, partner_name, module)
    date_from = None if full else last_success
    summary = PullSummary(
        partner.name, module, partner.version, full=date_from is None, date_from=date_from
    )
    running = (db.url, partner.id, module)
    if running in _running:
        raise PullBusy(f"A {module} sync of {partner.name!r} is already running")
    _running.add(running)
    clock = time.monotonic()
    started = utcnow()
    sync = _Sync(db, partner, adapter, summary, progress, settings or Settings())
    try:
        with gc_paused():  # pages are ~10^5 fresh objects each (roamkit.gctools)
            await sync.run(client, endpoint, date_from, started, page_size)
    except PartnerCallError as exc:
        summary.error = str(exc)
        raise PullFailed(f"Pull of {module} from {partner.name!r} failed: {exc}", summary) from exc
    finally:
        _running.discard(running)
        summary.duration_s = time.monotonic() - clock
    return summary
