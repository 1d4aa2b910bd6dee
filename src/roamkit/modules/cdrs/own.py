"""Our own CDRs (CPO side): built from a finished session, stored, POSTed to the
token's eMSP only (2.2.1 #mod_cdrs_push_model: a CDR goes to the eMSP it concerns)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit import pricing
from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.domain.context import NA
from roamkit.modules.cdrs import service
from roamkit.modules.embedded import embedded_location
from roamkit.modules.locations import service as locations
from roamkit.protocol.errors import InvalidParameters, NotFound
from roamkit.protocol.timeutil import utcnow
from roamkit.store import objects
from roamkit.store.objects import OWN
from roamkit.sync import outbox


def cdr_location(location: c.Location, evse_uid: str, connector_id: str) -> c.CdrLocation:
    """The location as it was at the session's start (CHECKLIST 221-D-2)."""
    evse, conn = locations.charging_point(location, evse_uid, connector_id)
    return c.CdrLocation(
        id=location.id,
        name=location.name,
        address=location.address,
        city=location.city,
        postal_code=location.postal_code,
        state=location.state,
        country=location.country,
        coordinates=location.coordinates,
        evse_uid=evse.uid,
        evse_id=evse.evse_id or NA,
        connector_id=conn.id,
        connector_standard=conn.standard,
        connector_format=conn.format,
        connector_power_type=conn.power_type,
    )


def build(
    session: c.Session,
    location: c.Location,
    tariffs: list[c.Tariff],
    priced: pricing.Pricing | None,
    now: datetime,
) -> c.CDR:
    """The CDR of a completed session: its charging periods and the engine's totals
    (the periods are what the eMSP re-prices, CHECKLIST 211-D-3). ``priced`` is None
    when no tariff applied: then everything is free, and says so."""
    assert session.end_date_time is not None
    zero = c.Price(excl_vat=0)
    periods = session.charging_periods or [
        c.ChargingPeriod(
            start_date_time=session.start_date_time,
            dimensions=[c.CdrDimension(type=c.CdrDimensionType.ENERGY, volume=0)],
        )
    ]
    seconds = int((session.end_date_time - session.start_date_time).total_seconds())
    hours = (Decimal(seconds) / 3600).quantize(Decimal("0.000001"))
    return c.CDR(
        country_code=session.country_code,
        party_id=session.party_id,
        id=session.id,
        start_date_time=session.start_date_time,
        end_date_time=session.end_date_time,
        session_id=session.id,
        cdr_token=session.cdr_token,
        auth_method=session.auth_method,
        authorization_reference=session.authorization_reference,
        cdr_location=cdr_location(location, session.evse_uid, session.connector_id),
        meter_id=session.meter_id,
        currency=session.currency,
        tariffs=tariffs or None,
        charging_periods=periods,
        total_cost=priced.total_cost.to_price() if priced else zero,
        total_fixed_cost=priced.total_fixed_cost.to_price() if priced else None,
        total_energy=priced.total_energy if priced else session.kwh,
        total_energy_cost=priced.total_energy_cost.to_price() if priced else None,
        total_time=priced.total_time if priced else hours,
        total_time_cost=priced.total_time_cost.to_price() if priced else None,
        total_parking_time=priced.total_parking_time if priced else None,
        total_parking_cost=priced.total_parking_cost.to_price() if priced else None,
        total_reservation_cost=(
            priced.total_reservation_cost.to_price()
            if priced and priced.total_reservation_cost.excl_vat
            else None
        ),
        last_updated=now,
    )


async def store_and_push(
    session: AsyncSession, cdr: c.CDR, location: c.Location | None, audience_id: int | None
) -> None:
    await service.insert(
        session,
        service.key(OWN, cdr.country_code, cdr.party_id, cdr.id),
        cdr,
        location=location,
        audience_id=audience_id,
    )
    if audience_id is None:
        return
    partners = [p for p in await outbox.receivers(session, service.MODULE) if p.id == audience_id]
    await outbox.enqueue(
        session, service.MODULE, "POST", cdr.country_code, cdr.party_id, cdr.id, partners=partners
    )


_COSTS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


async def credit(session: AsyncSession, settings: Settings, cdr_id: str) -> c.CDR:
    """A Credit CDR for one of our CDRs (2.2.1 #mod_cdrs_credit_cdrs, CHECKLIST 221-D-1):
    id + ``-C``, ``credit=true``, ``credit_reference_id`` = the original, every cost
    negated; POSTed like any CDR. 2.1.1 cannot express it, so a 2.1.1 eMSP never gets
    it (it would bill twice): correct those by contract."""
    row = await objects.get(
        session, service.key(OWN, settings.country_code, settings.party_id, cdr_id), for_update=True
    )
    if row is None:
        raise NotFound(f"Unknown CDR {cdr_id!r}")
    original = service.load(row)
    if original.credit:
        raise InvalidParameters(f"CDR {cdr_id!r} is itself a Credit CDR")
    update: dict[str, object] = {
        "id": f"{original.id}-C",
        "credit": True,
        "credit_reference_id": original.id,
        "last_updated": utcnow(),
    }
    for name in _COSTS:
        price = getattr(original, name)
        if price is not None:
            update[name] = c.Price(
                excl_vat=-price.excl_vat,
                incl_vat=None if price.incl_vat is None else -price.incl_vat,
            )
    credited = c.CDR.model_validate({**original.model_dump(), **update})
    k = service.key(OWN, credited.country_code, credited.party_id, credited.id)
    if await objects.get(session, k) is not None:
        raise InvalidParameters(f"CDR {cdr_id!r} was credited already ({credited.id})")
    await store_and_push(session, credited, embedded_location(row.data), row.audience_id)
    return credited
