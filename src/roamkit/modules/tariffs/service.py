"""Tariffs: module rules independent of version and transport
(2.2.1 mod_tariffs.asciidoc, 2.1.1 mod_tariffs.md). A write older than the
stored tariff changes nothing; DELETE removes the tariff (tariffs, unlike
locations, may be deleted: 2.2.1 #mod_tariffs_delete_method)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.v211 import tariffs as conv211
from roamkit.modules.results import Outcome
from roamkit.modules.wirejson import wire_forms
from roamkit.protocol.errors import NotFound, invalid_object
from roamkit.store import objects
from roamkit.store.objects import ObjectKey
from roamkit.store.tables import StoredObject, TariffVersion

MODULE = "tariffs"


def key(owner_id: int, country_code: str, party_id: str, tariff_id: str) -> ObjectKey:
    return ObjectKey(MODULE, owner_id, country_code.upper(), party_id.upper(), tariff_id)


def load(row: StoredObject) -> c.Tariff:
    return c.Tariff.model_validate(row.data)


async def store(
    session: AsyncSession, k: ObjectKey, tariff: c.Tariff, row: StoredObject | None
) -> Outcome:
    data, wire_v221, wire_v211 = wire_forms(
        tariff, conv211.from_canonical, served=k.owner_id == objects.OWN
    )
    _, created = await objects.save(
        session,
        k,
        data=data,
        last_updated=tariff.last_updated,
        published=True,
        wire_v221=wire_v221,
        wire_v211=wire_v211,
        row=row,
    )
    if k.owner_id != objects.OWN:
        await record_versions(
            session,
            k.owner_id,
            [(k.country_code, k.party_id, k.object_id, tariff.last_updated, data)],
        )
    return Outcome.CREATED if created else Outcome.UPDATED


async def record_versions(
    session: AsyncSession,
    owner_id: int,
    versions: Sequence[tuple[str, str, str, datetime, dict[str, Any]]],
) -> None:
    """Keep every version of a partner's tariff (``TariffVersion``): a CDR is checked
    against the version it was priced with (``modules.cdrs.verify``). A version
    already held is left as it is."""
    if not versions:
        return
    rows = [
        {
            "owner_id": owner_id,
            "country_code": cc.upper(),
            "party_id": pid.upper(),
            "tariff_id": tariff_id,
            "last_updated": last_updated,
            "data": data,
        }
        for cc, pid, tariff_id, last_updated, data in versions
    ]
    dialect = session.bind.dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(TariffVersion)
    await session.execute(stmt.on_conflict_do_nothing(), rows)


async def put_tariff(session: AsyncSession, owner_id: int, tariff: c.Tariff) -> Outcome:
    k = key(owner_id, tariff.country_code, tariff.party_id, tariff.id)
    row = await objects.get(session, k, for_update=True)
    if row is not None and tariff.last_updated < row.last_updated:
        return Outcome.UNCHANGED
    return await store(session, k, tariff, row)


async def patch_tariff(
    session: AsyncSession, k: ObjectKey, fields: dict[str, Any], last_updated: datetime
) -> Outcome:
    """2.1.1 only (mod_tariffs.md §2.2.3): 2.2.1 replaced PATCH by PUT."""
    row = await objects.get(session, k, for_update=True)
    if row is None:
        raise NotFound(f"Unknown tariff {k.object_id!r}: PUT it first")
    if last_updated < row.last_updated:
        return Outcome.UNCHANGED
    doc = {**row.data, **fields, "last_updated": last_updated.isoformat()}
    doc["id"] = row.object_id
    try:
        tariff = c.Tariff.model_validate(doc)
    except ValidationError as exc:
        raise invalid_object(exc, "resulting tariff", limit=5) from None
    return await store(session, k, tariff, row)


async def delete_tariff(session: AsyncSession, k: ObjectKey) -> bool:
    row = await objects.get(session, k, for_update=True)
    if row is None:
        return False
    await objects.remove(session, row)
    return True
