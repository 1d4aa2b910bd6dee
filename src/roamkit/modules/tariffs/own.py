"""Changes to our own tariffs: store and queue the push, in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.results import Outcome
from roamkit.modules.tariffs import service
from roamkit.store.objects import OWN
from roamkit.store.tables import Partner
from roamkit.sync import outbox


async def put_tariff(
    session: AsyncSession, tariff: c.Tariff, partners: list[Partner] | None = None
) -> Outcome:
    outcome = await service.put_tariff(session, OWN, tariff)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PUT",
            tariff.country_code,
            tariff.party_id,
            tariff.id,
            partners=partners,
        )
    return outcome


async def delete_tariff(session: AsyncSession, settings: Settings, tariff_id: str) -> bool:
    k = service.key(OWN, settings.country_code, settings.party_id, tariff_id)
    found = await service.delete_tariff(session, k)
    if found:
        await outbox.enqueue(
            session, service.MODULE, "DELETE", k.country_code, k.party_id, tariff_id
        )
    return found
