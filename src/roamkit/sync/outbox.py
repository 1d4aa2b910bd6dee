"""Writing changes to the outbox, in the caller's transaction (DESIGN.md §2).

One row per (change, partner that has the module's receiver interface). The
worker (``sync.worker``) is woken after the transaction commits; several
worker processes on PostgreSQL share the table with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from roamkit.modules.cache import GenerationCache
from roamkit.partners.repository import REGISTERED
from roamkit.store import changes
from roamkit.store.tables import OutboxEntry, Partner

_wakeups: set[asyncio.Event] = set()


def register_wakeup(ev: asyncio.Event) -> None:
    _wakeups.add(ev)


def unregister_wakeup(ev: asyncio.Event) -> None:
    _wakeups.discard(ev)


def _wake(_: Session) -> None:
    for ev in list(_wakeups):
        ev.set()


_RECEIVING_ROLE_211 = {"tokens": "CPO"}
"""2.1.1 modules whose receiving (push) interface is the CPO's (mod_tokens.md §2.1)."""


def receives(partner: Partner, module: str) -> bool:
    """Does the partner implement the receiver side of ``module``?"""
    if partner.status != REGISTERED:
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
    cached = _receivers.get(module)
    if cached is not None:
        return cached
    generation = changes.generation(changes.PARTNERS)
    rows = await session.scalars(select(Partner).where(Partner.status == REGISTERED))
    found = [p for p in rows if receives(p, module)]
    _receivers.put(module, found, generation=generation)
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
    for partner in partners:
        session.add(
            OutboxEntry(
                partner_id=partner.id,
                module=module,
                method=method,
                country_code=country_code,
                party_id=party_id,
                object_id=object_id,
                evse_uid=evse_uid,
                connector_id=connector_id,
                body=body,
                attempts=0,
            )
        )
    if partners and not event.contains(session.sync_session, "after_commit", _wake):
        event.listen(session.sync_session, "after_commit", _wake, once=True)
    return len(partners)
