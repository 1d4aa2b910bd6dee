"""The push worker: delivers outbox entries to partners, in order per object,
with retries and backoff; a partner that is down loses nothing.

- Woken at once after a change commits (same process) and polling otherwise
  (changes made by the CLI or another worker process).
- Entries are claimed with a lease (``leased_until``), with
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the table.
- Per object, entries go out one after the other; superseded PUTs of the same
  object are folded into one (the PUT body is read at delivery time anyway).
- A failed PATCH becomes a PUT of the whole object for its retry
  (2.2.1 #transport_and_format_patch: "if a PATCH fails, ... PUT").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.protocol.timeutil import utcnow
from roamkit.store.db import Database
from roamkit.store.tables import OutboxEntry, Partner
from roamkit.sync import outbox
from roamkit.sync.push import NothingToSend, build

log = logging.getLogger("roamkit.push")

LEASE = timedelta(seconds=60)
BATCH = 200
MAX_BACKOFF = 300.0


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
        concurrency: int = 16,
    ) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.poll_interval = poll_interval
        self.wakeup = asyncio.Event()
        self.limit = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        outbox.register_wakeup(self.wakeup)
        self._task = asyncio.create_task(self._run(), name="roamkit-push-worker")

    async def stop(self) -> None:
        outbox.unregister_wakeup(self.wakeup)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await self.drain_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must survive anything; the entries stay queued
                log.exception("push worker round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll_interval)
            self.wakeup.clear()

    async def _claim(self) -> list[OutboxEntry]:
        now = utcnow()
        async with self.db.session() as session:
            stmt = (
                select(OutboxEntry)
                .where(OutboxEntry.next_attempt_at <= now, _not_leased(now))
                .order_by(OutboxEntry.id)
                .limit(BATCH)
            )
            if not self.db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            entries = list(await session.scalars(stmt))
            for e in entries:
                e.leased_until = now + LEASE
        return entries

    async def drain_once(self) -> bool:
        """Deliver one batch of due entries; True if there may be more."""
        entries = await self._claim()
        if not entries:
            return False
        groups: dict[tuple[object, ...], list[OutboxEntry]] = defaultdict(list)
        for e in entries:
            groups[(e.partner_id, e.module, e.country_code, e.party_id, e.object_id)].append(e)
        async with self.db.sessions() as session:
            ids = {e.partner_id for e in entries}
            partners = {
                p.id: p for p in await session.scalars(select(Partner).where(Partner.id.in_(ids)))
            }
        results = await asyncio.gather(
            *(self._deliver_group(partners.get(g[0].partner_id), g) for g in groups.values())
        )
        done = [entry_id for ids, _ in results for entry_id in ids]
        back = {pid for _, pid in results if pid is not None}
        if done or back:
            # One write transaction for the whole batch: writers queue on SQLite.
            async with self.db.session() as session:
                if done:
                    await session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(done)))
                for partner_id in back:
                    await self._partner_is_back(session, partner_id)
        return len(entries) == BATCH

    async def _deliver_group(
        self, partner: Partner | None, group: Sequence[OutboxEntry]
    ) -> tuple[list[int], int | None]:
        """One object's entries, in order; stop at the first failure to keep order.

        Returns the ids delivered (or settled), and the partner's id when a retry
        went through (the partner is back)."""
        pending = _fold(group)
        done: list[int] = [e.id for e in group if e not in pending]
        for i, entry in enumerate(pending):
            if partner is None or partner.status != "registered" or not partner.token_out:
                done.append(entry.id)  # partner gone: nobody to deliver to
                continue
            error = await self._send(partner, entry)
            if error is None:
                done.append(entry.id)
                continue
            await self._reschedule(entry, error, pending[i + 1 :])
            break
        retried_ok = partner is not None and any(e.attempts and e.id in done for e in group)
        return done, partner.id if retried_ok and partner is not None else None

    async def _partner_is_back(self, session: AsyncSession, partner_id: int) -> None:
        """A retry to this partner went through: its other waiting entries failed for
        the same reason most likely, so they need not sit out their backoff."""
        now = utcnow()
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
        headers = {}
        if partner.version != "2.1.1":
            role = (partner.roles or [{}])[0]
            headers = {
                "OCPI-from-country-code": self.settings.country_code,
                "OCPI-from-party-id": self.settings.party_id,
                "OCPI-to-country-code": role.get("country_code", ""),
                "OCPI-to-party-id": role.get("party_id", ""),
            }
        async with self.limit:
            try:
                await self.client.call(
                    req.method,
                    req.url,
                    token=partner.token_out or "",
                    version=partner.version,
                    encoding=partner.token_encoding,
                    json=req.body,
                    headers=headers,
                )
            except PartnerCallError as exc:
                if req.method == "DELETE" and exc.http_status == 404:
                    return None  # the partner never had it, or already dropped it
                return str(exc)
        return None

    async def _reschedule(
        self, failed: OutboxEntry, error: str, rest: Sequence[OutboxEntry]
    ) -> None:
        now = utcnow()
        async with self.db.session() as session:
            row = await session.get(OutboxEntry, failed.id)
            if row is not None:
                row.attempts += 1
                row.last_error = error[:2000]
                row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts))
                row.leased_until = None
                if row.method == "PATCH":
                    row.method, row.body = "PUT", None  # retry with the whole object
                log.warning(
                    "push to partner %s failed (attempt %d): %s",
                    failed.partner_id,
                    row.attempts,
                    error,
                )
                # Later entries of the same object wait behind it, to keep order.
                for e in rest:
                    later = await session.get(OutboxEntry, e.id)
                    if later is not None:
                        later.next_attempt_at = row.next_attempt_at
                        later.leased_until = None
                return


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
