"""The push worker: delivers outbox entries to partners, in order per object,
with retries and backoff; a partner that is down loses nothing.

- Entries written by this process arrive in memory the moment their transaction
  commits (``outbox.enqueue``: born leased to us), so a change goes out without
  a claim transaction. Other entries (written by the CLI, left by a dead worker,
  due for a retry) are claimed by a poll, with a lease (``leased_until``) and
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the table.
- Per object, one chain delivers entries strictly one after the other; chains of
  different objects run concurrently. Superseded PUTs are folded into one (a PUT
  body is read at delivery time anyway).
- Delivered entries are deleted in batches (one transaction for many): at least
  once delivery; a repeat after a crash is harmless, receivers ignore what is
  not newer (``last_updated``).
- A failure puts the entry, and every later entry of the same object, back in
  the table with a backoff; new changes of the object then queue behind it in the
  table (``outbox.enqueue``), and a poll never takes a row while an older row of
  the same object is in flight or not yet due, so order holds across processes.
  A failed PATCH becomes a PUT of the whole object (2.2.1
  #transport_and_format_patch: "if a PATCH fails, ... PUT").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from roamkit.config import Settings
from roamkit.modules.cache import GenerationCache
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.partners.repository import REGISTERED
from roamkit.partners.routing import routing_headers
from roamkit.protocol.timeutil import utcnow
from roamkit.store import changes
from roamkit.store.db import Database
from roamkit.store.tables import OutboxEntry, Partner
from roamkit.sync import outbox
from roamkit.sync.outbox import LEASE
from roamkit.sync.push import NothingToSend, build

log = logging.getLogger("roamkit.push")

BATCH = 200
MAX_BACKOFF = 300.0
ACK_DELAY = 0.02
"""Seconds delivered ids gather before one transaction deletes them all."""

Key = tuple[int, str, str, str, str]


def _key(e: OutboxEntry) -> Key:
    return (e.partner_id, e.module, e.country_code, e.party_id, e.object_id)


def _not_leased(now: datetime) -> ColumnElement[bool]:
    """Not in the hands of a worker (a crashed worker's lease runs out)."""
    return or_(OutboxEntry.leased_until.is_(None), OutboxEntry.leased_until < now)


def backoff(attempts: int) -> float:
    """Seconds before retry ``attempts``: 1, 2, 4 ... capped at 5 minutes, with jitter."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class PushWorker:
    def __init__(
        self,
        db: Database,
        client: PartnerClient,
        settings: Settings,
        poll_interval: float = 1.0,
        concurrency: int = 8,
    ) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.poll_interval = poll_interval
        self.wakeup = asyncio.Event()
        self.limit = asyncio.Semaphore(concurrency)
        self.loop = asyncio.get_running_loop()
        self._chains: dict[Key, list[OutboxEntry]] = {}
        self._held: set[int] = set()  # ids in memory: never taken twice
        self._deferred = False  # rows written behind older ones: poll after deliveries
        self._done: list[int] = []
        self._delivered: set[int] = set()  # delivered, row not deleted yet
        self._ack = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._partners = GenerationCache(lambda _: changes.PARTNERS, ttl=2.0)

    def start(self) -> None:
        outbox.register_local(self.db.engine.sync_engine, self)
        self._spawn(self._poll_loop(), "roamkit-push-poll")
        self._spawn(self._ack_loop(), "roamkit-push-ack")

    async def stop(self) -> None:
        outbox.unregister_local(self.db.engine.sync_engine)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # What was delivered is forgotten; what is still held goes back to the table
        # at once (not after the lease) for the next start or another worker.
        with contextlib.suppress(Exception):
            await self._flush_done()
            if self._held:
                async with self.db.session() as session:
                    await _unlease(session, sorted(self._held), {})

    def _spawn(self, coro: object, name: str | None = None) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- intake

    def accept(self, entries: Sequence[OutboxEntry]) -> None:
        """Entries to deliver: born leased to us (``enqueue``) or claimed by a poll."""
        for e in sorted(entries, key=lambda e: e.id):
            if e.id in self._held:
                continue
            self._held.add(e.id)
            key = _key(e)
            chain = self._chains.get(key)
            if chain is None:
                self._chains[key] = [e]
                self._spawn(self._run_chain(key))
            else:
                chain.append(e)

    def holds(self, entry_id: int) -> bool:
        """Is the row in this worker's hands (or delivered by it)? A later change of the
        same object may then join its chain instead of waiting for a poll."""
        return entry_id in self._held or entry_id in self._delivered

    def poke(self) -> None:
        """Rows were written behind older ones: look for them once those are done."""
        self._deferred = True
        self.wakeup.set()

    async def _poll_loop(self) -> None:
        while True:
            try:
                while await self.drain_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must survive anything; the entries stay queued
                log.exception("push worker poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll_interval)
            self.wakeup.clear()

    async def drain_once(self) -> bool:
        """Claim due entries nobody holds and start them; True if there may be more."""
        now = utcnow()
        async with self.db.session() as session:
            older = aliased(OutboxEntry)
            blocked = exists().where(  # an older row of the object in flight or not due
                older.partner_id == OutboxEntry.partner_id,
                older.module == OutboxEntry.module,
                older.country_code == OutboxEntry.country_code,
                older.party_id == OutboxEntry.party_id,
                older.object_id == OutboxEntry.object_id,
                older.id < OutboxEntry.id,
                or_(older.leased_until >= now, older.next_attempt_at > now),
            )
            stmt = (
                select(OutboxEntry)
                .where(OutboxEntry.next_attempt_at <= now, _not_leased(now), ~blocked)
                .order_by(OutboxEntry.id)
                .limit(BATCH)
            )
            if not self.db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            entries = [e for e in await session.scalars(stmt) if e.id not in self._held]
            for e in entries:
                e.leased_until = now + LEASE
        if not entries:
            self._deferred = False
        self.accept(entries)
        return len(entries) == BATCH

    # ---- delivery

    async def _run_chain(self, key: Key) -> None:
        """Deliver one object's entries in order while more keep arriving."""
        try:
            while True:
                chain = self._chains.get(key)
                if not chain:
                    return
                group = list(chain)
                chain.clear()
                await self._deliver(key, group)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("push chain %s failed; its entries stay in the outbox", key)
            for e in self._chains.get(key) or []:
                self._held.discard(e.id)
        finally:
            self._chains.pop(key, None)

    async def _deliver(self, key: Key, group: list[OutboxEntry]) -> None:
        pending = _fold(group)
        for e in group:
            if e not in pending:
                self._settle(e)
        partner = await self._partner(key[0])
        for i, entry in enumerate(pending):
            if partner is None or partner.status != REGISTERED or not partner.token_out:
                self._settle(entry)  # partner gone: nobody to deliver to
                continue
            error = await self._send(partner, entry)
            if error is None:
                self._settle(entry)
                if entry.attempts:
                    self._spawn(self._partner_is_back(partner.id))
                continue
            await self._reschedule(key, entry, error, pending[i + 1 :])
            return

    def _settle(self, entry: OutboxEntry) -> None:
        self._held.discard(entry.id)
        self._done.append(entry.id)
        self._delivered.add(entry.id)
        self._ack.set()

    async def _partner(self, partner_id: int) -> Partner | None:
        async def load() -> Partner | None:
            async with self.db.sessions() as session:
                return await session.get(Partner, partner_id)

        return await self._partners.get_or_load(partner_id, load, lambda _: 0)

    async def _send(self, partner: Partner, entry: OutboxEntry) -> str | None:
        """None on success, else the reason."""
        async with self.db.sessions() as session:
            try:
                req = await build(session, self.settings, partner, entry)
            except NothingToSend as exc:
                log.info(
                    "push %s %s to %s skipped: %s", entry.method, entry.object_id, partner.name, exc
                )
                return None
        headers = routing_headers(self.settings, partner)
        async with self.limit:
            try:
                await self.client.call(
                    req.method,
                    req.url,
                    token=partner.token_out or "",
                    version=partner.version,
                    encoding=partner.token_encoding,
                    json=req.body,
                    headers={**headers, **(req.headers or {})},
                )
            except PartnerCallError as exc:
                if req.method == "DELETE" and exc.http_status == 404:
                    return None  # the partner never had it, or already dropped it
                if req.message and _refused_for_good(exc, entry.attempts):
                    log.warning(
                        "%s %s to %s given up after %d attempts: %s",
                        req.method, req.url, partner.name, entry.attempts + 1, exc,
                    )  # fmt: skip
                    return None
                return str(exc)
        return None

    # ---- bookkeeping in the table

    async def _ack_loop(self) -> None:
        while True:
            await self._ack.wait()
            await asyncio.sleep(ACK_DELAY)  # let more deliveries finish: one transaction
            self._ack.clear()
            try:
                await self._flush_done()
                if self._deferred:  # rows waiting behind the ones just delivered
                    self.wakeup.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # retried with the next batch; a lease would redeliver
                log.exception("could not delete delivered outbox entries")
                await asyncio.sleep(1.0)
                self._ack.set()

    async def _flush_done(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            async with self.db.session() as session:
                for i in range(0, len(done), 500):
                    chunk = done[i : i + 500]
                    await session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(chunk)))
        except BaseException:
            self._done[:0] = done
            raise
        self._delivered.difference_update(done)

    async def _partner_is_back(self, partner_id: int) -> None:
        """A retry to this partner went through: its other waiting entries failed for
        the same reason most likely, so they need not sit out their backoff."""
        now = utcnow()
        async with self.db.session() as session:
            await session.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.partner_id == partner_id,
                    OutboxEntry.attempts > 0,
                    OutboxEntry.next_attempt_at > now,
                    _not_leased(now),
                )
                .values(next_attempt_at=now)
            )
        self.wakeup.set()

    async def _reschedule(
        self, key: Key, failed: OutboxEntry, error: str, rest: Sequence[OutboxEntry]
    ) -> None:
        now = utcnow()
        attempts = failed.attempts + 1
        retry_at = now + timedelta(seconds=backoff(attempts))
        log.warning(
            "push to partner %s failed (attempt %d): %s", failed.partner_id, attempts, error
        )
        values = {"attempts": attempts, "last_error": error[:2000], "next_attempt_at": retry_at}
        if failed.method == "PATCH":
            values |= {"method": "PUT", "body": None}  # retry with the whole object
        chain = self._chains.get(key, [])
        async with self.db.session() as session:
            await _unlease(session, [failed.id], values)
            # Later entries of the same object wait behind it, to keep order; so do the
            # ones that join the chain while this transaction runs.
            later = [*rest, *chain]
            chain.clear()
            await _unlease(session, [e.id for e in later], {"next_attempt_at": retry_at})
        for e in (failed, *later):
            self._held.discard(e.id)
        if chain:  # joined after the table was written: behind the failed one too
            late = list(chain)
            chain.clear()
            async with self.db.session() as session:
                await _unlease(session, [e.id for e in late], {"next_attempt_at": retry_at})
            for e in late:
                self._held.discard(e.id)


async def _unlease(session: AsyncSession, ids: list[int], values: dict[str, object]) -> None:
    if ids:
        await session.execute(
            update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(leased_until=None, **values)
        )


MESSAGE_ATTEMPTS = 20
"""Attempts after which a message (a command's result, an ActiveChargingProfile) is
given up: about an hour and a half with the backoff. Objects are never given up (a
later change or a pull repairs them; a lost result stays lost)."""

_TRANSIENT_HTTP = frozenset({408, 425, 429})


def _refused_for_good(exc: PartnerCallError, attempts: int) -> bool:
    """A message the partner will never take: a URL we may not call, a client error
    (HTTP 4xx but timeouts and rate limits, OCPI 2xxx), or too many attempts."""
    if exc.bad_url or attempts + 1 >= MESSAGE_ATTEMPTS:
        return True
    if exc.http_status is not None and 400 <= exc.http_status < 500:
        return exc.http_status not in _TRANSIENT_HTTP
    return exc.ocpi_status is not None and 2000 <= exc.ocpi_status < 3000


def _fold(group: Sequence[OutboxEntry]) -> list[OutboxEntry]:
    """Drop entries a later one supersedes: a PUT of the same target makes every
    earlier PUT/PATCH of that target (or below it) redundant."""
    keep: list[OutboxEntry] = []
    for entry in group:
        if entry.method == "PUT":
            keep = [k for k in keep if not _covers(entry, k)]
        keep.append(entry)
    return keep


def _covers(put: OutboxEntry, other: OutboxEntry) -> bool:
    if other.method == "DELETE":
        return False
    if put.evse_uid is None:
        return True
    if put.evse_uid != other.evse_uid:
        return False
    return put.connector_id is None or put.connector_id == other.connector_id
