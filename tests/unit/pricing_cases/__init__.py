"""Helpers for the tariff engine tests: spec tariffs, sessions written as segments.

A session is written the way the spec's examples tell it: a local start time
and consecutive segments ("charge 10 minutes", "park 2 minutes"), each one
charging period. Volumes are exact (minutes / 60 hours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from roamkit.domain import canonical as c
from roamkit.domain.v211 import tariffs as tariff_conv
from roamkit.models.v211 import tariffs as w211
from roamkit.pricing import Money, Pricing, price_periods
from roamkit.pricing.engine import V211_CONTEXT

from ..test_converters_support import EXAMPLES_221, example_211

HERE = Path(__file__).parent
D = Decimal


def spec_tariff(name: str, **changes: Any) -> c.Tariff:
    """A 2.2.1 example tariff (``2.2.1/examples/<name>.json``), optionally changed."""
    data = json.loads((EXAMPLES_221 / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return c.Tariff.model_validate(data)


def spec_tariff_211(heading: str, nth: int = 0) -> c.Tariff:
    """A 2.1.1 example tariff (the json block under ``heading`` in ``mod_tariffs.md``),
    converted to canonical as a 2.1.1 partner's tariff is."""
    wire = w211.Tariff.model_validate(example_211("mod_tariffs.md", heading, nth))
    return tariff_conv.to_canonical(wire, V211_CONTEXT)


def tariff(elements: list[dict[str, Any]], **fields: Any) -> c.Tariff:
    """A canonical tariff with these elements (price components as dicts)."""
    data: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "RKT",
        "id": "T",
        "currency": "EUR",
        "elements": elements,
        "last_updated": "2024-01-01T00:00:00Z",
    }
    data.update(fields)
    return c.Tariff.model_validate(data)


def pc(kind: str, price: str | int, step: int = 1, vat: str | int | None = None) -> dict:
    """A price component."""
    out: dict[str, Any] = {"type": kind, "price": str(price), "step_size": step}
    if vat is not None:
        out["vat"] = str(vat)
    return out


def element(*components: dict, **restrictions: Any) -> dict:
    return {"price_components": list(components), "restrictions": restrictions or None}


@dataclass
class Seg:
    """One charging period: ``kind`` TIME (charging), PARKING_TIME or RESERVATION_TIME,
    lasting ``minutes``; ``kwh`` charged; more dimensions in ``dims``."""

    kind: str
    minutes: Decimal
    kwh: Decimal | None = None
    dims: dict[str, Decimal] = field(default_factory=dict)
    tariff_id: str | None = None


def charge(minutes: Any, kwh: Any = None, tariff_id: str | None = None, **dims: Any) -> Seg:
    return Seg(
        "TIME",
        D(str(minutes)),
        None if kwh is None else D(str(kwh)),
        {k.upper(): D(str(v)) for k, v in dims.items()},
        tariff_id,
    )


def park(minutes: Any, tariff_id: str | None = None) -> Seg:
    return Seg("PARKING_TIME", D(str(minutes)), tariff_id=tariff_id)


def reserve(minutes: Any) -> Seg:
    return Seg("RESERVATION_TIME", D(str(minutes)))


def local(text: str, tz: str = "Europe/Berlin") -> datetime:
    """``2024-06-03T16:55`` on the wall clock of ``tz`` → UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def periods(start: datetime, *segments: Seg) -> tuple[list[c.ChargingPeriod], datetime]:
    """The charging periods of consecutive segments from ``start``, and the session end."""
    out: list[c.ChargingPeriod] = []
    at = start
    for seg in segments:
        dims = [c.CdrDimension(type=seg.kind, volume=seg.minutes / 60)]
        if seg.kwh is not None:
            dims.insert(0, c.CdrDimension(type="ENERGY", volume=seg.kwh))
        dims += [c.CdrDimension(type=k, volume=v) for k, v in seg.dims.items()]
        out.append(c.ChargingPeriod(start_date_time=at, dimensions=dims, tariff_id=seg.tariff_id))
        at = at + timedelta(seconds=int(seg.minutes * 60))
    return out, at


def price(
    tariffs: c.Tariff | list[c.Tariff],
    start: str,
    *segments: Seg,
    tz: str = "Europe/Berlin",
    version: str = "2.2.1",
    **options: Any,
) -> Pricing:
    """Price the segments from the local ``start`` with ``tariffs``."""
    begin = local(start, tz)
    items, end = periods(begin, *segments)
    given = tariffs if isinstance(tariffs, list) else [tariffs]
    return price_periods(
        given, items, start=begin, end=end, time_zone=tz, version=version, **options
    )


def money(value: Money, places: int = 4) -> tuple[str, str | None]:
    """``(excl_vat, incl_vat)`` rounded as on the wire, as plain decimal strings."""
    rounded = value.rounded(places)
    incl = None if rounded.incl_vat is None else f"{rounded.incl_vat.normalize():f}"
    return f"{rounded.excl_vat.normalize():f}", incl


def billed(pricing: Pricing, dimension: str) -> list[tuple[Decimal, Decimal]]:
    """(volume, billed volume) of every priced ``dimension``, in period order."""
    return [
        (pc.volume, pc.billed_volume)
        for period in pricing.periods
        for pc in period.components
        if pc.dimension == dimension
    ]


def billed_minutes(pricing: Pricing, dimension: str) -> list[tuple[int, int]]:
    """(consumed, billed) whole minutes of every priced time ``dimension``."""
    out = []
    for period in pricing.periods:
        for pc in period.components:
            if pc.dimension == dimension:
                assert pc.seconds is not None and pc.billed_seconds is not None
                out.append((pc.seconds // 60, pc.billed_seconds // 60))
    return out
