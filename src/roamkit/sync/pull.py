"""Pull sync: fetch every page of a partner's Sender list (locations, tariffs) and
store what it serves, owned by that partner.

How the crawl stays correct against real partners and moving data:

- Pages follow the partner's ``Link``; when a Link is missing or unusable (other
  scheme/host than the endpoint, unparseable, not advancing, or answered with an
  error: extrawest-ocpi publishes ``https`` links with ``date_from=None``) we
  continue with ``offset`` paging: ``offset = previous offset + objects received``,
  ``limit = X-Limit`` (or our page size), same date filters.
- Incremental by ``date_from`` = the *start* of the last successful sync
  (CHECKLIST A-211-2, 221-P-1: ``date_from`` is inclusive), so nothing changed
  while that sync ran is lost. The first sync of a partner and module is full.
- Data moving under the crawl: inserts append (oldest-first order, 221-P-3) and are
  reached as ``X-Total-Count`` grows; when it drops we step back by the drop
  (221-P-3's "offset - 1"); and after a multi-page crawl a final pass with
  ``date_from`` = this sync's start picks up whatever changed meanwhile. Copies
  are folded by (country_code, party_id, id) and ``last_updated``.
- Tolerant (DESIGN.md §2): one bad object is quarantined with the reason, the rest
  of its page is stored. Objects of a party the partner does not speak for are
  quarantined too (221-W-6), not dropped silently.
- A complete full sync makes the pages "the new truth" (221-P-4): stored objects
  of the partner and module that were not served are removed. Never after an
  incomplete or failed sync.
- Writes are batched: one transaction per page, one SELECT for the page's keys,
  bulk INSERT/UPDATE. Each row's documents come from the module service's own
  ``store()``, so pulled objects are byte-for-byte what a pushed PUT would store.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain.context import ConversionContext
from roamkit.gctools import gc_paused
from roamkit.modules.locations import codec as location_codec
from roamkit.modules.locations import service as locations
from roamkit.modules.results import Outcome
from roamkit.modules.tariffs import codec as tariff_codec
from roamkit.modules.tariffs import service as tariffs
from roamkit.partners import repository as repo
from roamkit.partners.client import OcpiReply, PartnerCallError, PartnerClient
from roamkit.protocol.pagination import next_link
from roamkit.protocol.timeutil import format_datetime, parse_datetime, utcnow
from roamkit.store import changes
from roamkit.store.db import Database, JsonText
from roamkit.store.tables import Partner, StoredObject, SyncState
from roamkit.sync import quarantine

Key = tuple[str, str, str]
"""(country_code, party_id, id): what identifies an object of one partner and module."""

ProgressFn = Callable[[str, int, int | None], None]
"""``progress(phase, objects so far, X-Total-Count or None)``, called after each page."""

_CHUNK = 500
"""Keys per ``IN (...)`` list: well under SQLite's and asyncpg's parameter limits."""

_MAX_PAGES = 100_000
"""Hard stop for a list that never ends (no X-Total-Count, full pages forever)."""

_WRITE_ROWS = 1000
"""Objects per write transaction (pages are gathered until they reach it)."""

_RETRIES = 2
"""Extra attempts for a page that failed transiently (network, HTTP 5xx or 429)."""


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


# --------------------------------------------------------------------------- modules


@dataclass(frozen=True, slots=True)
class ModuleAdapter:
    """What the pull needs from a module: its wire codec and its service's writes."""

    name: str
    parse: Callable[[str, Any, ConversionContext], Any]
    published: Callable[[Any], bool]
    put: Callable[[AsyncSession, int, Any], Awaitable[Outcome]]


def _parse_location(version: str, body: Any, ctx: ConversionContext) -> Any:
    return location_codec.parse_put(version, "location", body, ctx)


MODULES: dict[str, ModuleAdapter] = {
    "locations": ModuleAdapter(
        locations.MODULE, _parse_location, locations.is_public, locations.put_location
    ),
    "tariffs": ModuleAdapter(
        tariffs.MODULE, tariff_codec.parse_put, lambda _: True, tariffs.put_tariff
    ),
}


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

    latest: dict[Key, datetime] = field(default_factory=dict)
    outcome: dict[Key, str] = field(default_factory=dict)
    duplicates: int = 0

    def see(self, key: Key, last_updated: datetime) -> None:
        """Planned in this sync: later copies of it are duplicates."""
        self.latest[key] = max(last_updated, self.latest.get(key, last_updated))

    def is_copy(self, key: Key, last_updated: datetime) -> bool:
        """Already seen in this sync at this or a newer ``last_updated``."""
        seen = self.latest.get(key)
        if seen is not None and last_updated <= seen:
            self.duplicates += 1
            return True
        return False

    def mark(self, key: Key, outcome: str, last_updated: datetime | None = None) -> None:
        if last_updated is not None:
            self.latest[key] = max(last_updated, self.latest.get(key, last_updated))
        if _RANK[outcome] >= _RANK.get(self.outcome.get(key, QUARANTINED), 0):
            self.outcome[key] = outcome

    def fill(self, summary: PullSummary) -> None:
        values = list(self.outcome.values())
        summary.received = len(values)
        summary.stored = values.count(STORED)
        summary.unchanged = values.count(UNCHANGED)
        summary.quarantined = values.count(QUARANTINED)
        summary.duplicates = self.duplicates


# --------------------------------------------------------------------------- paging


@dataclass(frozen=True, slots=True)
class _Request:
    url: str
    params: dict[str, str] | None
    """None: a partner's Link, requested as is."""
    offset: int
    """Where this page is expected to start in the partner's list."""


@dataclass(slots=True)
class _Page:
    items: list[Any]
    offset: int
    total: int | None
    limit: int | None
    link: str | None


def _int_header(reply: OcpiReply, name: str) -> int | None:
    try:
        value = int(reply.headers.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _as_list(data: Any) -> list[Any]:
    """``data`` of a list page: tolerate null (empty) and a lone object."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    raise PartnerCallError(f"list page 'data' is a {type(data).__name__}, not a list")


def _transient(exc: PartnerCallError) -> bool:
    return exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429


class _Pager:
    """Walks one list: follows Links while they are usable, else offset paging."""

    def __init__(
        self,
        client: PartnerClient,
        partner: Partner,
        endpoint: str,
        date_from: datetime | None,
        page_size: int | None,
        use_links: bool = True,
    ) -> None:
        self.client = client
        self.partner = partner
        self.endpoint = endpoint
        self.date_from = date_from
        self.limit = page_size
        self.use_links = use_links
        self.fallback: str | None = None
        self.pages = 0
        self._last_total: int | None = None
        self._max_total = 0
        ep = urlsplit(endpoint)
        self._origin = (ep.scheme.lower(), ep.netloc.lower())

    def first(self) -> _Request:
        return self._by_offset(0)

    def _by_offset(self, offset: int) -> _Request:
        params: dict[str, str] = {}
        if self.date_from is not None:
            # Whole seconds, rounded down: partners stamp whole seconds, inclusive bound.
            params["date_from"] = format_datetime(self.date_from)
        if offset:
            params["offset"] = str(offset)
        if self.limit:
            params["limit"] = str(self.limit)
        return _Request(self.endpoint, params, offset)

    def _abandon_links(self, reason: str) -> None:
        """Stop trusting this partner's Links for the rest of the sync."""
        self.use_links = False
        self.fallback = self.fallback or reason

    async def _get(self, req: _Request, attempts: int) -> OcpiReply:
        for attempt in range(attempts):
            try:
                return await self.client.call(
                    "GET",
                    req.url,
                    token=self.partner.token_out or "",
                    version=self.partner.version,
                    encoding=self.partner.token_encoding,
                    params=req.params,
                )
            except PartnerCallError as exc:
                if attempt + 1 >= attempts or not _transient(exc):
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def fetch(self, req: _Request) -> _Page:
        if req.params is None:  # the partner's Link: one try, then our own offset paging
            try:
                reply = await self._get(req, 1)
            except PartnerCallError as exc:
                self._abandon_links(f"Link answered with an error ({exc})")
                return await self.fetch(self._by_offset(req.offset))
        else:
            reply = await self._get(req, 1 + _RETRIES)
        self.pages += 1
        limit = _int_header(reply, "x-limit")
        if limit:
            self.limit = limit
        return _Page(
            items=_as_list(reply.data),
            offset=req.offset,
            total=_int_header(reply, "x-total-count"),
            limit=limit,
            link=next_link(reply.headers.get("link")),
        )

    def next(self, page: _Page) -> _Request | None:
        """The request for the page after ``page``, or None when the list is done."""
        count = len(page.items)
        if count == 0:
            return None
        self._check_budget(page, count)
        drop = 0
        if page.total is not None:
            if self._last_total is not None and page.total < self._last_total:
                drop = self._last_total - page.total
            self._last_total = page.total
        if drop:
            # Objects before us vanished, so this page may have started past objects we
            # never saw: redo it from offset - drop (221-P-3); copies are folded.
            return self._by_offset(max(page.offset - drop, 0))
        expected = page.offset + count
        if page.link and self.use_links:
            followed = self._follow(page.link, page.offset, expected)
            if followed is not None:
                return followed
        if page.total is not None:
            more = expected < page.total
        else:
            more = page.link is not None or (self.limit is not None and count >= self.limit)
        return self._by_offset(expected) if more else None

    def _check_budget(self, page: _Page, count: int) -> None:
        """Stepping back must end: give up on a list that keeps shifting under us."""
        self._max_total = max(self._max_total, page.total or 0)
        budget = _MAX_PAGES
        if page.total is not None:
            budget = min(budget, 2 * (self._max_total // count + 1) + 10)
        if self.pages > budget:
            raise PartnerCallError(
                f"gave up after {self.pages} pages: the list keeps shifting "
                f"(X-Total-Count up to {self._max_total})"
            )

    def _follow(self, link: str, offset: int, expected: int) -> _Request | None:
        """The Link as a request, or None when it cannot be trusted."""
        try:
            parts = urlsplit(link)
            query = parse_qs(parts.query)
            link_offset = int(query["offset"][-1]) if "offset" in query else expected
        except ValueError:
            self._abandon_links(f"unparseable Link {link!r}")
            return None
        if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
            self._abandon_links(f"Link {link!r} is not on the endpoint's scheme and host")
            return None
        if link_offset <= offset:
            self._abandon_links(f"Link {link!r} does not advance the offset")
            return None
        if link_offset > expected:
            return None  # it would skip objects we have not seen: offset paging this once
        return _Request(link, None, link_offset)


# --------------------------------------------------------------------------- objects


@dataclass(slots=True)
class _Item:
    key: Key
    obj: Any
    last_updated: datetime
    body: dict[str, Any] | None = None
    """The 2.2.1 object as received and validated (None for 2.1.1: converted)."""


_PARTY_FIELDS = ("country_code", "party_id")
_VALUE_COLUMNS = ("data", "last_updated", "published", "wire_v221", "wire_v211")


def _documents(adapter: ModuleAdapter, item: _Item) -> dict[str, Any]:
    """The stored columns of a partner's object. A 2.2.1 object is stored as the
    partner sent it once it validated (its canonical form *is* 2.2.1; readers
    validate ``data`` again, and normalise, when they load it), so a page is
    serialised by orjson in microseconds rather than re-rendered by pydantic; a
    2.1.1 object is stored converted. No wire forms: a partner's objects are not
    served in lists, only converted on the rare GET (``wire_forms``)."""
    obj = item.obj
    if item.body is not None:
        data = JsonText(orjson.dumps(item.body))
    else:
        data = JsonText(obj.__pydantic_serializer__.to_json(obj, exclude_none=True))
    return {
        "data": data,
        "last_updated": obj.last_updated,
        "published": adapter.published(obj),
        "wire_v221": None,
        "wire_v211": None,
    }


_T = StoredObject.__table__.c
_UPDATE_DOCUMENTS = (
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


async def _held(db: Database, module: str, owner_id: int) -> dict[Key, datetime]:
    """What we hold of the partner's ``module`` (key → ``last_updated``), read once
    per sync: planning a page then needs no query, so the next page is validated
    while the previous one is being written."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(_T.country_code, _T.party_id, _T.object_id, _T.last_updated).where(
                _T.module == module, _T.owner_id == owner_id
            )
        )
        return {(cc, pid, oid): last_updated for cc, pid, oid, last_updated in rows}


@dataclass(slots=True)
class _Reject:
    key: Key
    reason: str
    payload: Any


@dataclass(frozen=True, slots=True)
class _Peek:
    """Key and ``last_updated`` read off the raw object, before validating it."""

    key: Key
    last_updated: datetime


@dataclass(slots=True)
class _Rows:
    """A page's writes."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Plan:
    """What one page asks of the store."""

    items: list[_Item] = field(default_factory=list)
    unchanged: list[_Peek] = field(default_factory=list)
    rejects: list[_Reject] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    """A prepared page."""

    plan: _Plan
    rows: _Rows

    @property
    def size(self) -> int:
        return len(self.rows.inserts) + len(self.rows.updates)


# --------------------------------------------------------------------------- the sync


class _Sync:
    """One run: pages in, objects converted, written per page, outcomes tallied."""

    def __init__(
        self,
        db: Database,
        client: PartnerClient,
        partner: Partner,
        adapter: ModuleAdapter,
        endpoint: str,
        summary: PullSummary,
        progress: ProgressFn | None,
    ) -> None:
        self.db = db
        self.client = client
        self.partner = partner
        self.adapter = adapter
        self.endpoint = endpoint
        self.summary = summary
        self.progress = progress
        self.version = partner.version or "2.2.1"
        self.tally = _Tally()
        self.use_links = True
        self._ctx211 = self._partner_context()
        self._done = 0
        self.held: dict[Key, datetime] = {}
        """What the store holds (read at the start), plus what this sync planned."""

    # ---- crawling

    async def crawl(self, date_from: datetime | None, phase: str, page_size: int | None) -> int:
        """Fetch and store every page of one pass; returns the pages fetched.

        A pipeline: while pages are written (in the database's thread) the next ones
        are fetched and validated. Writes stay in page order, in transactions of at
        least ``_WRITE_ROWS`` objects: a commit, and each hand-over between the event
        loop and the database thread, costs more than a hundred inserts."""
        pager = _Pager(
            self.client, self.partner, self.endpoint, date_from, page_size, self.use_links
        )
        self._done = 0
        writing: asyncio.Future[None] | None = None
        ahead: asyncio.Future[_Page] | None = None
        pending: list[_Batch] = []
        try:
            page = await pager.fetch(pager.first())
            while True:
                request = pager.next(page)
                ahead = asyncio.ensure_future(pager.fetch(request)) if request else None
                pending.append(self.prepare(page.items))
                self._report(phase, len(page.items), page.total)
                if ahead is None or sum(b.size for b in pending) >= _WRITE_ROWS:
                    if writing is not None:
                        await writing
                    writing = asyncio.ensure_future(self.write(pending))
                    pending = []
                if ahead is None:
                    assert writing is not None
                    await writing
                    return pager.pages
                page = await ahead
                ahead = None
        except BaseException:
            for task in (ahead, writing):
                if task is not None:
                    task.cancel()
                    task.add_done_callback(_retrieve)
            raise
        finally:
            self.summary.pages += pager.pages
            self.use_links = pager.use_links
            self.summary.link_fallback = self.summary.link_fallback or pager.fallback

    def _report(self, phase: str, count: int, total: int | None) -> None:
        self._done += count
        if self.progress is not None:
            self.progress(phase, self._done, total)

    # ---- converting

    def _context(self, raw: dict[str, Any]) -> ConversionContext:
        """Who owns a wire object: 2.2.1 says so itself; 2.1.1 objects belong to the
        partner's (CPO) party from its credentials."""
        if self.version == "2.1.1":
            return self._ctx211
        cc, pid = raw.get("country_code"), raw.get("party_id")
        return ConversionContext(
            country_code=cc.upper() if isinstance(cc, str) else "",
            party_id=pid.upper() if isinstance(pid, str) else "",
        )

    def _partner_context(self) -> ConversionContext:
        roles = self.partner.roles or []
        role = next((r for r in roles if r.get("role") == "CPO"), roles[0] if roles else {})
        return ConversionContext(
            country_code=str(role.get("country_code", "")).upper(),
            party_id=str(role.get("party_id", "")).upper(),
        )

    def _peek(self, raw: Any) -> _Peek | None:
        """Cheap look at key and ``last_updated``; None when the object needs the full
        validation to say what is wrong with it."""
        if not isinstance(raw, dict):
            return None
        oid, when = raw.get("id"), raw.get("last_updated")
        if not isinstance(oid, str) or not isinstance(when, str):
            return None
        ctx = self._context(raw)
        key = (ctx.country_code, ctx.party_id, oid)
        if key not in self.held and key not in self.tally.latest:
            return None  # new to us: nothing to compare, the validation reads the rest
        try:
            last_updated = parse_datetime(when)
        except ValueError:
            return None
        return _Peek(key, last_updated)

    def _convert(self, raw: Any) -> _Item | _Reject:
        if not isinstance(raw, dict):
            return _Reject(_payload_key(raw), "not a JSON object", raw)
        ctx = self._context(raw)
        body = raw
        if self.version != "2.1.1":  # CiString: extrawest-ocpi sends "nl"/"exw"
            upper = {f: raw[f].upper() for f in _PARTY_FIELDS if isinstance(raw.get(f), str)}
            body = {**raw, **upper}
        key = (ctx.country_code, ctx.party_id, str(raw.get("id", "")))
        try:
            obj = self.adapter.parse(self.version, body, ctx)
        except Exception as exc:  # any defect of a partner's object quarantines only it
            return _Reject(key if key[2] else _payload_key(raw), _reason(exc), raw)
        if not repo.has_party(self.partner, obj.country_code, obj.party_id):
            return _Reject(
                key,
                f"party {obj.country_code}*{obj.party_id} is not one of the partner's "
                "credentials roles (CHECKLIST 221-W-6)",
                raw,
            )
        return _Item(
            (obj.country_code, obj.party_id, obj.id),
            obj,
            obj.last_updated,
            body if self.version != "2.1.1" else None,
        )

    def _plan(self, raws: list[Any], peeks: list[_Peek | None]) -> _Plan:
        """Fold copies; skip, before validating, what we already hold at the same or a
        newer ``last_updated`` (A-211-2: dedupe on id plus last_updated); convert the rest."""
        plan = _Plan()
        items: dict[Key, _Item] = {}
        for raw, peek in zip(raws, peeks, strict=True):
            if peek is not None:
                if self.tally.is_copy(peek.key, peek.last_updated):
                    continue
                held = self.held.get(peek.key)
                if held is not None and peek.last_updated <= held:
                    plan.unchanged.append(peek)
                    continue
            converted = self._convert(raw)
            if isinstance(converted, _Reject):
                plan.rejects.append(converted)
                continue
            if peek is None and self.tally.is_copy(converted.key, converted.last_updated):
                continue
            kept = items.get(converted.key)
            if kept is None or kept.last_updated < converted.last_updated:
                items[converted.key] = converted
            else:
                self.tally.duplicates += 1
        plan.items = list(items.values())
        for item in plan.items:  # later pages see these as copies
            self.tally.see(item.key, item.last_updated)
        for peek in plan.unchanged:
            self.tally.see(peek.key, peek.last_updated)
        return plan

    # ---- storing

    def prepare(self, raws: list[Any]) -> _Batch:
        """Everything a page needs before its transaction: validation, documents."""
        peeks = [self._peek(raw) for raw in raws]
        plan = self._plan(raws, peeks)
        return _Batch(plan, self._rows(plan.items))

    async def write(self, batches: list[_Batch]) -> None:
        """One transaction for the pages, then the outcomes are counted."""
        rows = _Rows()
        for b in batches:
            rows.inserts += b.rows.inserts
            rows.updates += b.rows.updates
        rejects = [r for b in batches for r in b.plan.rejects]
        items = [i for b in batches for i in b.plan.items]
        try:
            async with self.db.session() as session:
                await self._write_bulk(session, rows)
                await self._quarantine(session, rejects)
            outcomes = [o for b in batches for o in b.rows.outcomes]
        except IntegrityError:
            # Someone (the partner pushing to our receiver) inserted one of these keys
            # meanwhile: redo the pages object by object through the service.
            async with self.db.session() as session:
                outcomes = await self._write_each(session, items)
                await self._quarantine(session, rejects)
        for item, outcome in zip(items, outcomes, strict=True):
            self.tally.mark(item.key, outcome, item.last_updated)
        for b in batches:
            for peek in b.plan.unchanged:
                self.tally.mark(peek.key, UNCHANGED, peek.last_updated)
        for reject in rejects:
            self.tally.mark(reject.key, QUARANTINED)

    def _rows(self, items: list[_Item]) -> _Rows:
        """The page's inserts and updates (updates by key: the object may have been
        inserted by an earlier page whose write is still running)."""
        module, owner = self.adapter.name, self.partner.id
        rows = _Rows()
        now = utcnow()
        for item in items:
            values = _documents(self.adapter, item)
            cc, pid, oid = item.key
            if item.key in self.held:
                key = {"k_module": module, "k_owner": owner, "k_cc": cc, "k_pid": pid}
                rows.updates.append({**key, "k_oid": oid, **values})
            else:
                rows.inserts.append(
                    {
                        "module": module,
                        "owner_id": owner,
                        "country_code": cc,
                        "party_id": pid,
                        "object_id": oid,
                        "created_at": now,
                        **values,
                    }
                )
            self.held[item.key] = item.last_updated
            rows.outcomes.append(STORED)
        return rows

    async def _write_bulk(self, session: AsyncSession, rows: _Rows) -> None:
        if rows.inserts:  # Core, not the ORM's bulk machinery: thousands of rows per sync
            await session.execute(insert(StoredObject.__table__), rows.inserts)
        if rows.updates:
            await session.execute(_UPDATE_DOCUMENTS, rows.updates)
        if rows.inserts or rows.updates:
            changes.touch(session, self.adapter.name)  # list caches see the change at commit

    async def _write_each(self, session: AsyncSession, items: list[_Item]) -> list[str]:
        outcomes = []
        for item in items:
            outcome = await self.adapter.put(session, self.partner.id, item.obj)
            outcomes.append(UNCHANGED if outcome is Outcome.UNCHANGED else STORED)
        return outcomes

    async def _quarantine(self, session: AsyncSession, rejects: list[_Reject]) -> None:
        for reject in rejects:
            await quarantine.add(
                session, self.partner.id, self.adapter.name, reject.reason, reject.payload
            )

    # ---- finishing

    async def finish(self, started: datetime, full: bool) -> None:
        """Record success; after a complete full pull, forget what was not served."""
        key = (self.partner.id, self.adapter.name)
        async with self.db.session() as session:
            if full:
                self.summary.removed = await self._remove_unserved(session)
            state = await session.get(SyncState, key)
            if state is None:
                state = SyncState(partner_id=key[0], module=key[1])
                session.add(state)
            state.last_success_at = started
            if full:
                state.last_full_at = started

    async def _remove_unserved(self, session: AsyncSession) -> int:
        rows = await session.execute(
            select(
                StoredObject.id,
                StoredObject.country_code,
                StoredObject.party_id,
                StoredObject.object_id,
            ).where(
                StoredObject.module == self.adapter.name,
                StoredObject.owner_id == self.partner.id,
            )
        )
        served = self.tally.outcome
        gone = [row_id for row_id, cc, pid, oid in rows if (cc, pid, oid) not in served]
        for chunk in _chunks(gone):
            await session.execute(delete(StoredObject).where(StoredObject.id.in_(chunk)))
        if gone:
            changes.touch(session, self.adapter.name)
        return len(gone)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Consume an abandoned prefetch's outcome (no "exception never retrieved")."""
    if not task.cancelled():
        task.exception()


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if not message.startswith("Invalid") else message


def _payload_key(raw: Any) -> Key:
    """A stand-in key for an object without a usable id, so its copies fold too."""
    digest = hashlib.sha256(quarantine.payload_text(raw).encode()).hexdigest()[:16]
    return ("", "", f"#{digest}")


# --------------------------------------------------------------------------- entry point

_running: set[tuple[str, int, str]] = set()


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
) -> PullSummary:
    """Pull ``module`` from the partner into the store. Raises ``PullFailed`` (with the
    partial summary) when the partner fails mid-way, ``PullError`` when it cannot start."""
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
    sync = _Sync(db, client, partner, adapter, endpoint, summary, progress)
    try:
        sync.held = await _held(db, adapter.name, partner.id)
        with gc_paused():  # pages are ~10^5 fresh objects each (roamkit.gctools)
            pages = await sync.crawl(date_from, "pull", page_size)
            if pages > 1:  # what changed while we paged (a single page is one snapshot)
                await sync.crawl(started, "catch-up", page_size)
        await sync.finish(started, summary.full)
        summary.complete = True
    except PartnerCallError as exc:
        summary.error = str(exc)
        raise PullFailed(f"Pull of {module} from {partner.name!r} failed: {exc}", summary) from exc
    finally:
        _running.discard(running)
        sync.tally.fill(summary)
        summary.duration_s = time.monotonic() - clock
    return summary
