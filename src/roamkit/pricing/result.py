"""What pricing returns: per period and per dimension, what was priced, how and why.

Units of ``volume``/``billed_volume``: kWh for ENERGY, hours for TIME,
PARKING_TIME and RESERVATION_TIME (rounded to 6 decimals, i.e. 3.6 ms; the
exact whole seconds are in ``seconds``/``billed_seconds``), a count for FLAT.
Money is exact here (``Money``); ``to_json`` rounds it for the wire
(``money.MONEY_PLACES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from roamkit.pricing.money import Money, json_number
from roamkit.pricing.tariff import Component

HOUR_PLACES = 6
"""Decimal places of hours in results and in built charging periods (3.6 ms)."""
_HOUR_QUANTUM = Decimal(1).scaleb(-HOUR_PLACES)
_VOLUME_QUANTUM = Decimal(1).scaleb(-HOUR_PLACES)
UNITS = {
    "ENERGY": "kWh", "TIME": "h", "PARKING_TIME": "h", "RESERVATION_TIME": "h", "FLAT": "",
}  # fmt: skip


@lru_cache(maxsize=65536)
def hours(seconds: int) -> Decimal:
    """Whole seconds as hours, to ``HOUR_PLACES`` decimals (half-even)."""
    return (Decimal(seconds) / 3600).quantize(_HOUR_QUANTUM, rounding=ROUND_HALF_EVEN)


def wire_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (the one DateTime shape every partner reads)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _volume_json(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return json_number(value.quantize(_VOLUME_QUANTUM, rounding=ROUND_HALF_EVEN).normalize())


@dataclass(slots=True, eq=False)
class PricedComponent:
    """One dimension of one period, priced by one price component.

    ``dimension``: what was priced (ENERGY, TIME, PARKING_TIME, RESERVATION_TIME,
    FLAT); ``type``: the price component's TariffDimensionType (TIME prices
    RESERVATION_TIME in a reservation); ``element_index``: the element's
    position in the tariff's ``elements`` (0-based); ``category``: the CDR total
    it counts in (``energy``, ``time``, ``parking``, ``fixed``, ``reservation``).
    ``reason`` says why this element and how the volume was billed.
    """

    dimension: str
    type: str
    tariff_id: str
    element_index: int
    price: Decimal
    vat: Decimal | None
    step_size: int
    volume: Decimal
    billed_volume: Decimal
    cost: Money
    category: str
    seconds: int | None = None
    billed_seconds: int | None = None
    explain: Callable[[], str] = field(default=lambda: "", repr=False)

    @property
    def reason(self) -> str:
        """Which element applied and why (earlier elements skipped, and for what), and the
        step_size rounding if any. Formatted on demand."""
        return self.explain()

    @property
    def unit(self) -> str:
        return UNITS[self.dimension]

    def to_json(self, version: str) -> dict[str, Any]:
        component = Component(self.type, self.price, self.vat, self.step_size, None)
        return {
            "dimension": self.dimension,
            "tariff_id": self.tariff_id,
            "element_index": self.element_index,
            "price_component": component.to_json(version),
            "volume": _volume_json(self.volume),
            "billed_volume": _volume_json(self.billed_volume),
            "unit": self.unit,
            "cost": self.cost.to_json(version),
            "reason": self.reason,
        }


@dataclass(slots=True, eq=False)
class PricedPeriod:
    """A charging period as priced: its span, the tariff that priced it (``None``: none
    did), its dimensions as given (type → volume), the priced components and their sum.
    ``phase``: ``reservation``, ``charging`` (some TIME or ENERGY) or ``parking``."""

    start: datetime
    end: datetime
    tariff_id: str | None
    dimensions: dict[str, Decimal]
    components: list[PricedComponent]
    cost: Money
    index: int = 0
    phase: str = "charging"

    def to_json(self, version: str) -> dict[str, Any]:
        return {
            "index": self.index,
            "start_date_time": wire_datetime(self.start),
            "end_date_time": wire_datetime(self.end),
            "tariff_id": self.tariff_id,
            "phase": self.phase,
            "dimensions": {str(k): json_number(v) for k, v in self.dimensions.items()},
            "cost": self.cost.to_json(version),
            "components": [pc.to_json(version) for pc in self.components],
        }


@dataclass(slots=True, eq=False)
class PriceCapping:
    """The ``min_price``/``max_price`` correction (2.2.1 ``#mod_tariffs_tariff_object``).

    ``before``: the sum of the components; ``correction``: what was added to it
    (negative for ``max_price``) so that ``total_cost`` = ``before`` +
    ``correction``; ``applied``: e.g. ``["max_price.excl_vat", "max_price.incl_vat"]``.
    The category totals (energy, time, …) are left as computed.
    """

    tariff_id: str
    applied: list[str]
    before: Money
    correction: Money


@dataclass(slots=True, eq=False)
class Pricing:
    """A priced session: totals like a CDR's, the per-period breakdown, and warnings.

    ``total_time`` (hours) is the whole session, end - start; ``total_parking_time``
    (hours) the PARKING_TIME of the periods; both to 6 decimals. ``total_energy``
    (kWh) is the sum of the periods' ENERGY, as given. ``periods`` (the breakdown,
    ``PricedPeriod`` per charging period) is made on first access: totals are what
    most callers need, and the breakdown costs more to make than they do.
    """

    currency: str
    total_cost: Money
    total_energy_cost: Money
    total_time_cost: Money
    total_parking_cost: Money
    total_fixed_cost: Money
    total_reservation_cost: Money
    total_energy: Decimal
    total_time: Decimal
    total_parking_time: Decimal
    warnings: list[str]
    version: str = "2.2.1"
    capping: PriceCapping | None = None
    breakdown: Callable[[], list[PricedPeriod]] = field(default=list, repr=False)
    _periods: list[PricedPeriod] | None = field(default=None, repr=False)

    @property
    def periods(self) -> list[PricedPeriod]:
        """Per charging period: what was priced, how and why."""
        if self._periods is None:
            self._periods = self.breakdown()
        return self._periods

    def to_json(self, version: str | None = None) -> dict[str, Any]:
        """The ``roamkit tariff price`` output: 2.2.1 costs as ``{"excl_vat", "incl_vat"}``
        (``incl_vat`` left out when unknown), 2.1.1 costs as plain numbers excluding VAT."""
        version = version or self.version
        return {
            "total_cost": self.total_cost.to_json(version),
            "total_energy_cost": self.total_energy_cost.to_json(version),
            "total_time_cost": self.total_time_cost.to_json(version),
            "total_parking_cost": self.total_parking_cost.to_json(version),
            "total_fixed_cost": self.total_fixed_cost.to_json(version),
            "total_reservation_cost": self.total_reservation_cost.to_json(version),
            "total_energy": json_number(self.total_energy),
            "total_time": json_number(self.total_time),
            "total_parking_time": json_number(self.total_parking_time),
            "currency": self.currency,
            "periods": [p.to_json(version) for p in self.periods],
            "warnings": list(self.warnings),
        }
