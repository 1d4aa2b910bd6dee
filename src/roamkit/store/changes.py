"""In-process change counters, so caches can tell when what they hold is stale.

Every committed write of objects of a module, or of partners, bumps a
counter. Other processes (more workers, the CLI) do not reach these counters;
caches therefore also expire after a short time (see ``modules.cache``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from roamkit.store.tables import Partner, PartnerEndpoint

_generation: Counter[str] = Counter()
PARTNERS = "partners"


def generation(topic: str) -> int:
    return _generation[topic]


def bump(topic: str) -> None:
    _generation[topic] += 1


def touch(session: Any, topic: str) -> None:
    """Mark ``topic`` changed when ``session`` commits (and now, for safety)."""
    sync: Session = getattr(session, "sync_session", session)
    topics: set[str] = sync.info.setdefault("roamkit_topics", set())
    topics.add(topic)
    bump(topic)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for topic in session.info.pop("roamkit_topics", ()):
        bump(topic)


@event.listens_for(Session, "before_flush")
def _partner_writes(session: Session, *_: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Partner | PartnerEndpoint):
            touch(session, PARTNERS)
            return
