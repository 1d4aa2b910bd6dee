"""Writing changes to the outbox, in the caller's transaction (DESIGN.md §2).

One row per (change, partner that has the module's receiver interface).

When the writing process runs a push worker (``roamkit serve``), the rows are
born leased to it and handed to it in memory once the transaction commits: the
hot path needs no claim transaction, and no other worker process touches them
while the lease runs. If the process dies before delivering, the lease runs out
and any worker's poll picks them up. Without a local worker (the CLI), rows are
written unleased and a server's worker finds them on its next poll (≤ 1 s).

Order per object holds across processes: a change of an object that still has an
older row waiting (in another process's hands, or due for a retry) is written
unleased, and the poll takes it only once nothing older of that object is in
flight or waiting (``sync.worker``). Only when every older row is in this
process's own delivery chain does it join that chain directly.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from roamkit.modules.cache import GenerationCache
from roamkit.partners.hub import only_hub
from roamkit.partners.repository import REGISTERED
from roamkit.protocol.timeutil import utcnow
from roamkit.store import changes
from roamkit.store.tables import OutboxEntry, Partner

LEASE = timedelta(seconds=60)
"""How long a worker holds entries before another may take them over."""


class LocalWorker(Protocol):
    loop: asyncio.AbstractEventLoop

    def accept(self, entries: list[OutboxEntry]) -> None: ...

    def holds(self, entry_id: int) -> bool: ...

    def poke(self) -> None: ...


# Per database engine: several nodes may run in one process (tests), each with its own.
_local: weakref.WeakKeyDictionary[Engine, LocalWorker] = weakref.WeakKeyDictionary()
_HANDOFF = "roamkit_outbox_handoff"


def register_local(engine: Engine, worker: LocalWorker) -> None:
    _local[engine] = worker


def unregister_local(engine: Engine) -> None:
    _local.pop(engine, None)


_RECEIVING_ROLE_211 = {"tokens": "CPO"}
"""2.1.1 modules whose receiving (push) interface is the CPO's (mod_tokens.md §2.1)."""

_RECEIVING_ROLES_BEHIND_HUB = {
    "locations": frozenset({"EMSP", "OTHER", "NSP"}),
    "tariffs": frozenset({"EMSP", "OTHER", "NSP"}),
    "sessions": frozenset({"EMSP", "OTHER"}),
    "cdrs": frozenset({"EMSP", "OTHER"}),
    "tokens": frozenset({"CPO"}),
}
"""Which parties behind a hub get a module's pushes, by their ClientInfo role: a hub
offers every receiver endpoint, so the endpoint alone cannot tell. CPO data goes to
eMSPs, to OTHER (counted as an eMSP when a CPO pushes) and, for locations and tariffs,
to navigation service providers; eMSP tokens go to CPOs (2.2.1
#transport_and_format_message_routing_broadcast_push, CHECKLIST 221-R-3)."""


def receives(partner: Partner, module: str) -> bool:
    """Does the partner implement the receiver side of ``module``?

    A hub connection itself is never a push target: the parties behind it are, each
    only while its ClientInfo says CONNECTED (status ``registered``: OFFLINE, PLANNED
    and SUSPENDED parties get nothing, not even queued, CHECKLIST 221-H-2) and only when
    its role receives the module."""
    if partner.status != REGISTERED or only_hub(partner):
        return False
    if partner.via_id is not None:
        role = (partner.roles or [{}])[0].get("role")
        wanted = _RECEIVING_ROLES_BEHIND_HUB.get(module)
        if wanted is not None and role not in wanted:
            return False
    for e in partner.endpoints:
        if e.module != module:
            continue
        if partner.version == "2.1.1":
            # 2.1.1 endpoints have no role: the receiving interface is the one of the
            # party that does not own the data (the eMSP's, but the CPO's for tokens).
            role = _RECEIVING_ROLE_211.get(module, "EMSP")
            return any(r.get("role") == role for r in partner.roles or [])
        if e.role == "RECEIVER":
            return True
    return False


async def receivers(session: AsyncSession, module: str) -> list[Partner]:
    """Registered partners that implement the receiver side of ``module``.

    Cached per module until a partner changes (or a few seconds pass, for
    changes by other processes): every status change of every EVSE asks."""
    key = (session.sync_session.get_bind(), module)  # one process may run several nodes
    cached = _receivers.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    generation = changes.generation(changes.PARTNERS)
    rows = await session.scalars(select(Partner).where(Partner.status == REGISTERED))
    found = [p for p in rows if receives(p, module)]
    _receivers.put(key, found, generation=generation)
    return found


_receivers = GenerationCache(lambda _: changes.PARTNERS, ttl=2.0)


async def enqueue(
    session: AsyncSession,
    module: str,
    method: str,
    country_code: str,
    party_id: str,
    object_id: str,
    *,
    evse_uid: str | None = None,
    connector_id: str | None = None,
    body: dict[str, Any] | None = None,
    partners: list[Partner] | None = None,
) -> int:
    """Queue a push of one change to every partner receiving ``module``; returns the count.

    Bulk writers pass ``partners`` (from ``receivers``) to look them up once.
    """
    if partners is None:
        partners = await receivers(session, module)
    if not partners:
        return 0
    sync = session.sync_session
    worker = _local.get(sync.get_bind())  # type: ignore[arg-type]
    waiting: set[int] = set()  # partners with an older row of this object elsewhere
    if worker is not None:
        older = await session.execute(
            _OLDER,
            {
                "module": module,
                "country_code": country_code,
                "party_id": party_id,
                "object_id": object_id,
                "partners": [p.id for p in partners],
            },
        )
        waiting = {pid for pid, row_id in older if not worker.holds(row_id)}
    now = utcnow()
    rows = [
        {
            "partner_id": partner.id,
            "module": module,
            "method": method,
            "country_code": country_code,
            "party_id": party_id,
            "object_id": object_id,
            "evse_uid": evse_uid,
            "connector_id": connector_id,
            "body": body,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "leased_until": now + LEASE if worker and partner.id not in waiting else None,
        }
        for partner in partners
    ]
    if worker is None:
        await session.execute(insert(OutboxEntry), rows)
        return len(rows)
    ids = await session.scalars(
        insert(OutboxEntry).returning(OutboxEntry.id, sort_by_parameter_order=True), rows
    )
    handoff: list[OutboxEntry] | None = sync.info.get(_HANDOFF)
    if handoff is None:  # first change of this transaction
        handoff = sync.info[_HANDOFF] = []
        event.listen(sync, "after_commit", _hand_over, once=True)
        event.listen(sync, "after_rollback", _forget, once=True)
    handoff += [OutboxEntry(id=i, **row) for i, row in zip(ids, rows, strict=True)]
    return len(rows)


_OLDER = select(OutboxEntry.partner_id, OutboxEntry.id).where(
    OutboxEntry.partner_id.in_(bindparam("partners", expanding=True)),
    OutboxEntry.module == bindparam("module"),
    OutboxEntry.country_code == bindparam("country_code"),
    OutboxEntry.party_id == bindparam("party_id"),
    OutboxEntry.object_id == bindparam("object_id"),
)
"""Rows of one object still waiting, per partner (index ``ix_outbox_object``)."""


def _hand_over(sync: Session) -> None:
    entries: list[OutboxEntry] | None = sync.info.pop(_HANDOFF, None)
    worker = _local.get(sync.get_bind())  # type: ignore[arg-type]
    if not entries or worker is None:
        return
    mine = [e for e in entries if e.leased_until is not None]
    if mine:
        worker.loop.call_soon_threadsafe(worker.accept, mine)
    if len(mine) < len(entries):  # behind an older row: the poll takes them in order
        worker.loop.call_soon_threadsafe(worker.poke)


def _forget(sync: Session) -> None:
    sync.info.pop(_HANDOFF, None)
