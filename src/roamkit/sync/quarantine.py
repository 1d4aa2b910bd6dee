"""Quarantine: objects a partner served that we could not accept, with the reason.

A pulled page with one bad object keeps the good ones (DESIGN.md §2, "tolerant
where partners send it"); the bad one lands here so an operator can see what the
partner sent and why it was refused, instead of it silently disappearing.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store.tables import Partner, Quarantine


def payload_text(payload: Any) -> str:
    """The object as the partner sent it, as JSON text (anything JSON can hold)."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return repr(payload)


async def add(
    session: AsyncSession, partner_id: int, module: str, reason: str, payload: Any
) -> bool:
    """Quarantine one object; an identical entry (same payload and reason) is not
    repeated, so re-pulling a partner's unchanged broken object does not pile up rows.
    Returns whether a row was written."""
    text = payload_text(payload)
    known = await session.scalar(
        select(Quarantine.id).where(
            Quarantine.partner_id == partner_id,
            Quarantine.module == module,
            Quarantine.reason == reason,
            Quarantine.payload == text,
        )
    )
    if known is not None:
        return False
    session.add(
        Quarantine(
            partner_id=partner_id, module=module, reason=reason, payload=text, created_at=utcnow()
        )
    )
    return True


async def entries(
    session: AsyncSession, partner_id: int | None = None, module: str | None = None
) -> list[tuple[Quarantine, str | None]]:
    """Quarantined objects, newest first, with the partner's name (None once it is gone)."""
    stmt = (
        select(Quarantine, Partner.name)
        .outerjoin(Partner, Partner.id == Quarantine.partner_id)
        .order_by(Quarantine.id.desc())
    )
    if partner_id is not None:
        stmt = stmt.where(Quarantine.partner_id == partner_id)
    if module is not None:
        stmt = stmt.where(Quarantine.module == module)
    return [(row, name) for row, name in (await session.execute(stmt)).all()]


def entry_json(row: Quarantine, partner_name: str | None) -> dict[str, Any]:
    """One entry as the API and CLI show it; the payload parsed back into JSON."""
    try:
        payload: Any = orjson.loads(row.payload)
    except orjson.JSONDecodeError:
        payload = row.payload
    return {
        "id": row.id,
        "partner": partner_name,
        "module": row.module,
        "reason": row.reason,
        "payload": payload,
        "created_at": format_datetime(row.created_at),
    }
