"""Changes to our own locations (from the management API, the CLI, the seeder):
store, then queue the push to every receiving partner, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.locations import service
from roamkit.modules.results import Outcome
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store.objects import OWN
from roamkit.store.tables import Partner
from roamkit.sync import outbox


def stamp(data: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Fill what our own systems need not send: our party and ``last_updated`` (now)."""
    now = utcnow().replace(microsecond=0).isoformat()
    out = dict(data)
    if settings is not None:
        out.setdefault("country_code", settings.country_code)
        out.setdefault("party_id", settings.party_id)
    out.setdefault("last_updated", now)
    for evse in out.get("evses") or []:
        evse.setdefault("last_updated", now)
        for connector in evse.get("connectors") or []:
            connector.setdefault("last_updated", now)
    for connector in out.get("connectors") or []:
        connector.setdefault("last_updated", now)
    return out


async def put_location(
    session: AsyncSession, location: c.Location, partners: list[Partner] | None = None
) -> Outcome:
    outcome = await service.put_location(session, OWN, location)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PUT",
            location.country_code,
            location.party_id,
            location.id,
            partners=partners,
        )
    return outcome


async def put_evse(
    session: AsyncSession, settings: Settings, location_id: str, evse: c.EVSE
) -> Outcome:
    k = service.key(OWN, settings.country_code, settings.party_id, location_id)
    outcome = await service.put_evse(session, k, evse)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PUT",
            k.country_code,
            k.party_id,
            location_id,
            evse_uid=evse.uid,
        )
    return outcome


async def put_connector(
    session: AsyncSession,
    settings: Settings,
    location_id: str,
    evse_uid: str,
    connector: c.Connector,
) -> Outcome:
    k = service.key(OWN, settings.country_code, settings.party_id, location_id)
    outcome = await service.put_connector(session, k, evse_uid, connector)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PUT",
            k.country_code,
            k.party_id,
            location_id,
            evse_uid=evse_uid,
            connector_id=connector.id,
        )
    return outcome


async def set_evse_status(
    session: AsyncSession, settings: Settings, location_id: str, evse_uid: str, status: c.Status
) -> Outcome:
    """The hot path of a CPO: a charger's status changed. Pushed as a PATCH."""
    k = service.key(OWN, settings.country_code, settings.party_id, location_id)
    now = utcnow().replace(microsecond=0)
    outcome = await service.set_evse_status(session, k, evse_uid, status, now)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PATCH",
            k.country_code,
            k.party_id,
            location_id,
            evse_uid=evse_uid,
            body={"status": status.value, "last_updated": format_datetime(now)},
        )
    return outcome
