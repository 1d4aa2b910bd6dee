"""``roamkit seed``: fill a node with the demo data of ``sim.seed``, in batches,
through the same store (and outbox) as every other change of our own data."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import Any

from roamkit.config import Settings
from roamkit.modules.locations import own as own_locations
from roamkit.modules.tariffs import own as own_tariffs
from roamkit.sim.seed import generate_locations, generate_tariffs
from roamkit.store.db import Database
from roamkit.sync import outbox

BATCH = 500


async def _write(
    db: Database,
    module: str,
    items: Sequence[Any],
    put: Callable[..., Any],
    progress: Callable[[int], None] | None,
) -> int:
    written = 0
    for start in range(0, len(items), BATCH):
        async with db.session() as session:
            partners = await outbox.receivers(session, module)
            for obj in items[start : start + BATCH]:
                await put(session, obj, partners=partners)
        written += len(items[start : start + BATCH])
        if progress:
            progress(written)
    return written


async def seed(
    db: Database,
    settings: Settings,
    *,
    locations: int,
    tariffs: int,
    seed: int,
    evses_per_location: int | None = None,
    connectors_per_evse: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    tariff_objs = generate_tariffs(
        tariffs, seed=seed, country_code=settings.country_code, party_id=settings.party_id
    )
    location_objs = generate_locations(
        locations,
        seed=seed,
        country_code=settings.country_code,
        party_id=settings.party_id,
        tariff_ids=[t.id for t in tariff_objs] or None,
        evses_per_location=evses_per_location,
        connectors_per_evse=connectors_per_evse,
    )
    # Hundreds of thousands of long-lived objects make every GC pass slow; they
    # live until the end of the command anyway.
    gc.freeze()
    try:
        await _write(db, "tariffs", tariff_objs, own_tariffs.put_tariff, None)
        await _write(db, "locations", location_objs, own_locations.put_location, progress)
    finally:
        gc.unfreeze()
    return {"locations": len(location_objs), "tariffs": len(tariff_objs)}
