"""The pure half of a pull: pages fetched, objects validated and turned into rows.

No database here, only what the store held when the sync started (``held``):
``Preparer.stream`` yields one ``Prepared`` per page and a ``PassEnd`` per pass, and
``sync.pull`` writes them while the next pages are fetched and prepared.

- Copies are folded by (country_code, party_id, id) and ``last_updated``; what we
  already hold at the same or a newer ``last_updated`` is skipped before it is
  validated (CHECKLIST A-211-2).
- Tolerant (DESIGN.md §2): one bad object is quarantined with the reason, the rest
  of its page is stored. Objects of a party the partner does not speak for are
  quarantined too (221-W-6), not dropped silently.
- A 2.2.1 page is judged at once by the module's fast check
  (``roamkit.models.fastcheck``); what it does not pass goes through the model, which
  decides and gives the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.aiotools import drop
from roamkit.config import Settings
from roamkit.domain.context import ConversionContext
from roamkit.models.fastcheck import FastCheck
from roamkit.models.v221.locations import Location as Location221
from roamkit.models.v221.tariffs import Tariff as Tariff221
from roamkit.modules.cdrs import codec as cdr_codec
from roamkit.modules.cdrs import service as cdrs
from roamkit.modules.cdrs import verify as cdr_checks
from roamkit.modules.locations import codec as location_codec
from roamkit.modules.locations import service as locations
from roamkit.modules.results import Outcome
from roamkit.modules.sessions import codec as session_codec
from roamkit.modules.sessions import service as sessions
from roamkit.modules.tariffs import codec as tariff_codec
from roamkit.modules.tariffs import service as tariffs
from roamkit.partners import repository as repo
from roamkit.partners.client import PartnerClient
from roamkit.protocol.timeutil import parse_datetime
from roamkit.store.db import JsonText
from roamkit.store.tables import Partner
from roamkit.sync import quarantine
from roamkit.sync.paging import Page, Pager, PageRequest

Key = tuple[str, str, str]
"""(country_code, party_id, id): what identifies an object of one partner and module."""


# --------------------------------------------------------------------------- modules


@dataclass(frozen=True, slots=True)
class ModuleAdapter:
    """What the pull needs from a module: its wire codec and its service's writes.

    ``check`` judges 2.2.1 objects quickly; the objects it passes are stored without
    a model instance, so ``published_doc`` reads the publish state off what the check
    decoded, as ``published`` does off the model."""

    name: str
    parse: Callable[[str, Any, ConversionContext], Any]
    published: Callable[[Any], bool]
    put: Callable[[AsyncSession, int, Any], Awaitable[Outcome]]
    check: FastCheck | None = None
    published_doc: Callable[[Any], bool] = lambda _: True
    history: bool = False
    """Sessions and CDRs, a record of what happened: the list asks from the epoch when
    there is no ``date_from`` (Sessions require one, 2.2.1 #mod_sessions_cpo_get_method),
    and a full pull never forgets what the list no longer shows (a CPO may list only
    what it chooses, #mod_cdrs_cpo_get_method)."""
    immutable: bool = False
    """CDRs: one we hold is never replaced by what a list shows (#mod_cdrs_cdr_object)."""
    after_insert: Callable[[AsyncSession, Settings, Partner, list[Any]], Awaitable[None]] | None = (
        None
    )
    """Called in the write's transaction with the documents of the objects it added
    (CDRs: re-priced, ``modules.cdrs.verify``)."""


def _parse_location(version: str, body: Any, ctx: ConversionContext) -> Any:
    return location_codec.parse_put(version, "location", body, ctx)


def _location_published(doc: Any) -> bool:
    return locations.visible(doc.publish, [e.status for e in doc.evses or ()])


MODULES: dict[str, ModuleAdapter] = {
    "locations": ModuleAdapter(
        locations.MODULE,
        _parse_location,
        locations.is_public,
        locations.put_location,
        FastCheck.for_model(Location221),
        _location_published,
    ),
    "tariffs": ModuleAdapter(
        tariffs.MODULE,
        tariff_codec.parse_put,
        lambda _: True,
        tariffs.put_tariff,
        FastCheck.for_model(Tariff221),
    ),
    "sessions": ModuleAdapter(
        sessions.MODULE,
        session_codec.parse_listed,
        lambda _: True,
        sessions.put_session,
        history=True,
    ),
    "cdrs": ModuleAdapter(
        cdrs.MODULE,
        cdr_codec.parse_listed,
        lambda _: True,
        cdrs.put_pulled,
        history=True,
        immutable=True,
        after_insert=cdr_checks.verify_pulled,
    ),
}


# --------------------------------------------------------------------------- messages


@dataclass(slots=True)
class Item:
    """An object to store. ``data`` is its stored document: a 2.2.1 object as the
    partner sent it once it validated (its canonical form *is* 2.2.1; readers validate
    ``data`` again, and normalise, when they load it), a 2.1.1 object converted."""

    key: Key
    last_updated: datetime
    published: bool
    data: JsonText


@dataclass(slots=True)
class Reject:
    key: Key
    reason: str
    payload: Any


@dataclass(frozen=True, slots=True)
class Peek:
    """Key and ``last_updated`` read off the raw object, before validating it."""

    key: Key
    last_updated: datetime


@dataclass(slots=True)
class Prepared:
    """One page, ready for its transaction: ``items`` to insert (``key not in held``
    when prepared) or update, ``unchanged`` objects, ``rejects`` to quarantine."""

    inserts: list[Item] = field(default_factory=list)
    updates: list[Item] = field(default_factory=list)
    unchanged: list[Peek] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    count: int = 0
    """Objects on the page."""
    total: int | None = None
    """The page's X-Total-Count."""

    @property
    def size(self) -> int:
        return len(self.inserts) + len(self.updates)


@dataclass(frozen=True, slots=True)
class PassEnd:
    """A pass over the list is done (``phase``: "pull", then "catch-up")."""

    phase: str
    pages: int
    use_links: bool
    fallback: str | None
    duplicates: int
    """Copies folded so far in the whole sync."""


Message = Prepared | PassEnd


# --------------------------------------------------------------------------- preparing


class Preparer:
    """Turns the partner's pages into ``Prepared`` pages, for one sync."""

    def __init__(
        self,
        client: PartnerClient,
        partner: Partner,
        adapter: ModuleAdapter,
        endpoint: str,
        held: dict[Key, datetime],
        own_party: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """``own_party``: ours; a 2.1.1 Session or CDR whose token we cannot name is
        attributed to it (``ConversionContext.own_country_code``). ``headers``: the
        routing headers of every page request."""
        self.client = client
        self.headers = headers
        self.own_party = own_party
        self.partner = partner
        self.adapter = adapter
        self.endpoint = endpoint
        self.held = held
        """What the store held at the start, plus what this sync planned since."""
        self.version = partner.version or "2.2.1"
        self._heads = bool(held) and self.version != "2.1.1"
        """Look at keys before validating (``_unchanged_head``): worth it when the
        store held objects at the start (a re-sync is mostly unchanged ones); on a
        first sync the rare copy is caught after the check."""
        self.latest: dict[Key, datetime] = {}
        """Planned in this sync (newest ``last_updated``): later copies are duplicates."""
        self.duplicates = 0
        self.use_links = True
        self.fallback: str | None = None
        self._ctx211 = self._partner_context()
        self._parties = repo.parties(partner)

    async def stream(
        self, date_from: datetime | None, started: datetime, page_size: int | None
    ) -> AsyncIterator[Message]:
        """Every page of the list; after a multi-page pass, a second pass from
        ``started`` picks up what changed while we paged (a single page is one
        snapshot)."""
        end: PassEnd | None = None
        async for message in self._pass(date_from, "pull", page_size):
            end = message if isinstance(message, PassEnd) else end
            yield message
        if end is not None and end.pages > 1:
            async for message in self._pass(started, "catch-up", page_size):
                yield message

    async def _pass(
        self, date_from: datetime | None, phase: str, page_size: int | None
    ) -> AsyncIterator[Message]:
        """One walk over the list, the next page fetched while this one is prepared."""
        pager = Pager(
            self.client,
            self.partner,
            self.endpoint,
            date_from,
            page_size,
            self.use_links,
            self.headers,
        )
        ahead: asyncio.Future[Page] | None = None
        try:
            page = await pager.fetch(pager.first())
            while True:
                request = pager.next(page)
                # the partner works on the next page while this one is prepared
                if request is not None:
                    ahead = pager.asked(request) or await _sent(pager, request)
                else:
                    ahead = None
                prepared = self.prepare(page.items)
                prepared.total = page.total
                yield prepared
                if ahead is None:
                    break
                page = await ahead
                ahead = None
        finally:
            if ahead is not None:
                drop(ahead)
            pager.close()
            self.use_links = pager.use_links
            self.fallback = self.fallback or pager.fallback
        yield PassEnd(phase, pager.pages, self.use_links, self.fallback, self.duplicates)

    # ---- one page

    def prepare(self, raws: list[bytes]) -> Prepared:
        """Fold copies; skip what we already hold at the same or a newer
        ``last_updated`` (before the model validates it); validate and convert the
        rest. ``raws``: each object's JSON text."""
        out = Prepared(count=len(raws))
        kept: dict[Key, Item] = {}
        for raw in raws:
            if self._heads and self._unchanged_head(out, raw):
                continue
            item = self._fast(raw)
            if item is None:
                value = _loads(raw)
                peek = self._peek(value)
                if peek is not None and self._skip(out, peek.key, peek.last_updated):
                    continue
                converted = self._convert(value)
                if isinstance(converted, Reject):
                    out.rejects.append(converted)
                    continue
                if peek is None and self._is_copy(converted.key, converted.last_updated):
                    continue
                item = converted
            elif self._skip(out, item.key, item.last_updated):
                continue
            have = kept.get(item.key)
            if have is None or have.last_updated < item.last_updated:
                kept[item.key] = item
            else:
                self.duplicates += 1
        for item in kept.values():
            (out.updates if item.key in self.held else out.inserts).append(item)
            self.held[item.key] = item.last_updated
            self._see(item.key, item.last_updated)
        for peek in out.unchanged:
            self._see(peek.key, peek.last_updated)
        return out

    def _unchanged_head(self, out: Prepared, raw: bytes) -> bool:
        """A 2.2.1 object we hold at this or a newer ``last_updated``, or a copy,
        judged from its key and ``last_updated`` alone (A-211-2: skipped before it is
        validated; a full re-sync of unchanged data is mostly this)."""
        try:
            head = _head(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return False  # the full check or the model says what is wrong
        peek = self._known((head.country_code, head.party_id, head.id), head.last_updated)
        return peek is not None and self._skip(out, peek.key, peek.last_updated)

    def _skip(self, out: Prepared, key: Key, last_updated: datetime) -> bool:
        """A copy planned already, or unchanged since we stored it (A-211-2)."""
        if self._is_copy(key, last_updated):
            return True
        held = self.held.get(key)
        if held is not None and (last_updated <= held or self.adapter.immutable):
            out.unchanged.append(Peek(key, last_updated))
            return True
        return False

    def _see(self, key: Key, last_updated: datetime) -> None:
        self.latest[key] = max(last_updated, self.latest.get(key, last_updated))

    def _is_copy(self, key: Key, last_updated: datetime) -> bool:
        """Already planned in this sync at this or a newer ``last_updated``."""
        seen = self.latest.get(key)
        if seen is not None and last_updated <= seen:
            self.duplicates += 1
            return True
        return False

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
        own_cc, own_pid = self.own_party or (None, None)
        return ConversionContext(
            country_code=str(role.get("country_code", "")).upper(),
            party_id=str(role.get("party_id", "")).upper(),
            own_country_code=own_cc,
            own_party_id=own_pid,
        )

    def _peek(self, raw: Any) -> Peek | None:
        """Cheap look at key and ``last_updated``; None when the object needs the full
        validation to say what is wrong with it."""
        if not isinstance(raw, dict):
            return None
        oid, when = raw.get("id"), raw.get("last_updated")
        if not isinstance(oid, str) or not isinstance(when, str):
            return None
        ctx = self._context(raw)
        return self._known((ctx.country_code, ctx.party_id, oid), when)

    def _known(self, key: Key, when: str) -> Peek | None:
        """``key`` with ``when`` parsed, if we hold or planned it; None when it is new
        to us (nothing to compare, the validation reads the rest) or ``when`` does not
        parse (the validation says why)."""
        if key not in self.held and key not in self.latest:
            return None
        try:
            return Peek(key, parse_datetime(when))
        except (ValueError, OverflowError):  # year 1 with an offset overflows
            return None

    def _fast(self, raw: bytes) -> Item | None:
        """A 2.2.1 object that passes the module's fast check, stored as received;
        None for anything the model must see (it also upper-cases a party and
        quarantines a foreign one with the reason)."""
        check = self.adapter.check
        if check is None or self.version == "2.1.1":
            return None
        obj = check.check(raw)
        if obj is None:
            return None
        cc, pid = obj.country_code, obj.party_id
        if (cc, pid) not in self._parties:  # also refuses lower case: the model upper-cases
            return None
        published = self.adapter.published_doc(obj)
        # last_updated: validated by the model's own DateTime (aware UTC, whole seconds)
        return Item((cc, pid, obj.id), obj.last_updated, published, JsonText(raw))

    def _convert(self, raw: Any) -> Item | Reject:
        if not isinstance(raw, dict):
            return Reject(_payload_key(raw), "not a JSON object", raw)
        ctx = self._context(raw)
        body = raw if self.version == "2.1.1" else _upper_party(raw)
        key = (ctx.country_code, ctx.party_id, str(raw.get("id", "")))
        try:
            obj = self.adapter.parse(self.version, body, ctx)
        except Exception as exc:  # any defect of a partner's object quarantines only it
            return Reject(key if key[2] else _payload_key(raw), _reason(exc), raw)
        if not repo.has_party(self.partner, obj.country_code, obj.party_id):
            return Reject(
                key,
                f"party {obj.country_code}*{obj.party_id} is not one of the partner's "
                "credentials roles (CHECKLIST 221-W-6)",
                raw,
            )
        if self.version == "2.1.1":  # converted: stored as the model writes it
            data = JsonText(obj.__pydantic_serializer__.to_json(obj, exclude_none=True))
        else:
            data = JsonText(orjson.dumps(body))
        key = (obj.country_code, obj.party_id, obj.id)
        return Item(key, obj.last_updated, self.adapter.published(obj), data)


# --------------------------------------------------------------------------- rows


_VALUE_COLUMNS = ("data", "last_updated", "published", "wire_v221", "wire_v211")


def documents(item: Item) -> dict[str, Any]:
    """The stored columns of a partner's object. No wire forms: a partner's objects
    are not served in lists, only converted on the rare GET (``wire_forms``)."""
    return {
        "data": item.data,
        "last_updated": item.last_updated,
        "published": item.published,
        "wire_v221": None,
        "wire_v211": None,
    }


def insert_row(module: str, owner_id: int, now: datetime, item: Item) -> dict[str, Any]:
    cc, pid, oid = item.key
    return {
        "module": module,
        "owner_id": owner_id,
        "country_code": cc,
        "party_id": pid,
        "object_id": oid,
        "created_at": now,
        **documents(item),
    }


def update_row(module: str, owner_id: int, item: Item) -> dict[str, Any]:
    """By key: the object may have been inserted by an earlier page whose write is
    still running."""
    cc, pid, oid = item.key
    key = {"k_module": module, "k_owner": owner_id, "k_cc": cc, "k_pid": pid, "k_oid": oid}
    return {**key, **documents(item)}


# --------------------------------------------------------------------------- helpers


class _Head(msgspec.Struct):
    """What identifies a 2.2.1 object and dates it; the rest is skipped unread."""

    country_code: str
    party_id: str
    id: str
    last_updated: str


_head = msgspec.json.Decoder(_Head).decode


def _loads(raw: bytes) -> Any:
    """An object's JSON text as Python values (it was valid JSON inside the page;
    what orjson still refuses, e.g. a lone surrogate, is quarantined as text)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def _upper_party(raw: Any) -> Any:
    """A 2.2.1 object with its party upper-cased (CiString: extrawest-ocpi sends
    "nl"/"exw"); anything else as it is."""
    if not isinstance(raw, dict):
        return raw
    upper = {f: raw[f].upper() for f in ("country_code", "party_id") if isinstance(raw.get(f), str)}
    return {**raw, **upper} if upper else raw


async def _sent(pager: Pager, request: PageRequest) -> asyncio.Future[Page]:
    """The next page's fetch, once its request waits for the network (written, or
    connecting), or it ended.

    A task created with ``ensure_future`` only starts when the loop runs again, and
    httpx passes through several awaits before it writes: preparing a page first
    (2-3 ms of CPU) used to hold the next request back, and the partner idled."""
    sent = asyncio.Event()
    ahead = asyncio.ensure_future(pager.fetch(request, sent.set))
    ahead.add_done_callback(lambda _: sent.set())
    try:
        await sent.wait()
    except BaseException:
        drop(ahead)
        raise
    return ahead


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if not message.startswith("Invalid") else message


def _payload_key(raw: Any) -> Key:
    """A stand-in key for an object without a usable id, so its copies fold too."""
    digest = hashlib.sha256(quarantine.payload_text(raw).encode()).hexdigest()[:16]
    return ("", "", f"#{digest}")
