"""The normalized tariff: a Tariff read once into what pricing looks up per period.

Lookup per dimension (2.2.1 ``mod_tariffs.asciidoc#mod_tariffs_tariff_object``,
CHECKLIST 221-TC-1): for each dimension, the **first element in list order that
has a price component of that dimension and whose restrictions all hold**.
Different dimensions may come from different elements. 2.1.1 says "the first
tariff in the list with matching restrictions" (``mod_tariffs.md §3.1``), which
read literally breaks its own Complex Tariff example (an unrestricted FLAT-only
element comes first, so TIME and PARKING_TIME would never be priced); we use
the per-dimension lookup for 2.1.1 too (CHECKLIST A-211-1).

Two components of the same dimension in one element are undefined (A-221-3):
the first is used and the tariff gets a note. Elements with a ``reservation``
restriction price only the reservation phase, the others only the session
(A-221-4; examples 15-18): a reservation ``FLAT`` fee and a session ``FLAT``
fee are both charged. For an expired reservation, ``RESERVATION_EXPIRES``
elements are looked up before ``RESERVATION`` ones, per dimension: the NOTE of
``#mod_tariffs_reservation_restriction_type`` (expired TIME is priced by the
``RESERVATION_EXPIRES`` element) and example 17 (expiry FLAT fee from the
``RESERVATION_EXPIRES`` element, TIME from the ``RESERVATION`` element).
Reservation elements "can only have FLAT and TIME" (``#mod_tariffs_tariffrestrictions_class``);
other components in them are ignored, with a note.

With ``version="2.1.1"`` the 2.2.1-only parts of a canonical tariff are
ignored, with a note each: ``vat``, ``min_price``/``max_price``,
``start_date_time``/``end_date_time`` and reservation elements (a tariff
converted from 2.1.1 has none of them).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from roamkit.domain import canonical as c
from roamkit.pricing.localtime import as_utc
from roamkit.pricing.money import json_number
from roamkit.pricing.restrictions import Restrictions

VERSIONS = ("2.1.1", "2.2.1")
TARIFF_DIMENSIONS = ("ENERGY", "FLAT", "PARKING_TIME", "TIME")
_RESERVATION_DIMENSIONS = ("FLAT", "TIME")
_HUNDRED = Decimal(100)


@lru_cache(maxsize=256)
def _path(index: int) -> str:
    return f"elements[{index}].restrictions"


class Component:
    """A PriceComponent: ``price`` per unit excluding VAT, ``vat`` in percent
    (``None``: no VAT applicable / unknown), ``step_size`` in the dimension's step
    multiplier (1 Wh, 1 s), and ``vat_factor`` = ``(100 + vat) / 100`` (``None``
    without ``vat``)."""

    __slots__ = ("price", "step_size", "type", "vat", "vat_factor")

    def __init__(
        self,
        type: str,
        price: Decimal,
        vat: Decimal | None,
        step_size: int,
        vat_factor: Decimal | None,
    ) -> None:
        self.type = type
        self.price = price
        self.vat = vat
        self.step_size = step_size
        self.vat_factor = vat_factor

    def to_json(self, version: str) -> dict:
        out: dict = {"type": self.type, "price": json_number(self.price)}
        if self.vat is not None and version != "2.1.1":
            out["vat"] = json_number(self.vat)
        out["step_size"] = self.step_size
        return out


class Element:
    """A TariffElement: its position, restrictions (``None``: unrestricted) and the
    first component of each dimension."""

    __slots__ = ("components", "index", "reservation", "restrictions")

    def __init__(
        self,
        index: int,
        restrictions: Restrictions | None,
        components: dict[str, Component],
        reservation: str | None,
    ) -> None:
        self.index = index
        self.restrictions = restrictions
        self.components = components
        self.reservation = reservation


class CompiledTariff:
    """A tariff normalized for pricing (see the module docstring).

    ``session``, ``reserved`` and ``expired`` map each dimension to the elements
    that may price it, in lookup order, for the session, a reservation that was
    used, and one that expired. Build with ``compile_tariff``.
    """

    __slots__ = (
        "currency",
        "current_bounds",
        "durations",
        "elements",
        "end_date_time",
        "expired",
        "id",
        "key",
        "kwh_bounds",
        "local",
        "marks",
        "max_price",
        "min_price",
        "notes",
        "power_bounds",
        "prices_time",
        "ranged",
        "reserved",
        "restricted",
        "session",
        "source",
        "start_date_time",
        "time_dependent",
        "version",
    )  # fmt: skip

    def __init__(self, tariff: c.Tariff, version: str) -> None:
        self.id: str = tariff.id
        self.key: str = tariff.id.upper()
        self.currency: str = tariff.currency
        self.source = tariff
        self.version = version
        self.notes: list[str] = []
        v211 = version == "2.1.1"
        self.elements: list[Element] = []
        for index, element in enumerate(tariff.elements):
            compiled = self._element(index, element, v211)
            if compiled is not None:
                self.elements.append(compiled)
        session: dict[str, list[Element]] = {d: [] for d in TARIFF_DIMENSIONS}
        reserved: dict[str, list[Element]] = {d: [] for d in _RESERVATION_DIMENSIONS}
        expires: dict[str, list[Element]] = {d: [] for d in _RESERVATION_DIMENSIONS}
        groups = {None: session, "RESERVATION": reserved, "RESERVATION_EXPIRES": expires}
        restricted: list[Restrictions] = []
        for e in self.elements:
            group = groups[e.reservation]
            for kind in e.components:
                group[kind].append(e)
            if e.restrictions is not None:
                restricted.append(e.restrictions)
        self.session = {d: tuple(v) for d, v in session.items()}
        self.reserved = {d: tuple(v) for d, v in reserved.items()}
        self.expired = {d: tuple(expires[d]) + self.reserved[d] for d in _RESERVATION_DIMENSIONS}
        self.local = any(r.local for r in restricted)
        self.marks = frozenset(m for r in restricted for m in r.marks)
        durations: set[int] = set()
        kwh: set[Decimal] = set()
        power: set[Decimal] = set()
        current: set[Decimal] = set()
        for r in restricted:
            for target, low, high in (
                (durations, r.min_duration, r.max_duration),
                (kwh, r.min_kwh, r.max_kwh),
                (power, r.min_power, r.max_power),
                (current, r.min_current, r.max_current),
            ):
                if low is not None:
                    target.add(low)
                if high is not None:
                    target.add(high)
        self.durations = frozenset(durations)
        self.kwh_bounds = tuple(sorted(kwh))
        self.power_bounds = tuple(sorted(power))
        self.current_bounds = tuple(sorted(current))
        self.time_dependent = self.local or bool(self.durations)
        """Some element depends on the wall clock or the duration."""
        self.prices_time = bool(self.session["TIME"] or self.session["PARKING_TIME"])
        """Some element prices TIME or PARKING_TIME."""
        self.ranged = bool(self.power_bounds or self.current_bounds)
        """Some element has a power or current bound."""
        self.restricted = bool(restricted)
        """Some element has restrictions (else no moment is needed to choose)."""
        if v211:
            ignored = [
                name for name in ("min_price", "max_price", "start_date_time", "end_date_time")
                if getattr(tariff, name) is not None
            ]  # fmt: skip
            if ignored:
                self.notes.append(
                    f"tariff {self.id!r}: {', '.join(ignored)} ignored (2.1.1 has none)"
                )
            self.min_price = self.max_price = None
            self.start_date_time = self.end_date_time = None
        else:
            self.min_price = tariff.min_price
            self.max_price = tariff.max_price
            self.start_date_time = _utc(tariff.start_date_time)
            self.end_date_time = _utc(tariff.end_date_time)

    def _element(self, index: int, element: c.TariffElement, v211: bool) -> Element | None:
        source = element.restrictions
        restrictions = None if source is None else Restrictions(source, self.id, _path(index))
        reservation = None if restrictions is None else restrictions.reservation
        if reservation is not None and v211:
            self.notes.append(
                f"tariff {self.id!r}: element {index} (reservation {reservation}) ignored "
                "(2.1.1 has no reservation pricing)"
            )
            return None
        if restrictions is not None and restrictions.empty and reservation is None:
            restrictions = None
        components: dict[str, Component] = {}
        for pc in element.price_components:
            kind = str(pc.type)
            if kind in components:
                self.notes.append(
                    f"tariff {self.id!r}: element {index} has two {kind} price components; the "
                    "first is used (CHECKLIST A-221-3)"
                )
                continue
            if reservation is not None and kind not in _RESERVATION_DIMENSIONS:
                self.notes.append(
                    f"tariff {self.id!r}: element {index} (reservation) has a {kind} component, "
                    "ignored: a reservation can only have FLAT and TIME"
                )
                continue
            vat = None if v211 else pc.vat
            factor = None if vat is None else (_HUNDRED + vat) / _HUNDRED
            components[kind] = Component(kind, pc.price, vat, pc.step_size, factor)
        return Element(index, restrictions, components, reservation)

    def valid_at(self, moment: datetime) -> bool:
        """Within ``start_date_time`` (inclusive) … ``end_date_time`` (inclusive: "the time
        after which this tariff is no longer valid", ``#mod_tariffs_tariff_object``)."""
        if self.start_date_time is not None and moment < self.start_date_time:
            return False
        return self.end_date_time is None or moment <= self.end_date_time


def compile_tariff(tariff: c.Tariff | CompiledTariff, version: str = "2.2.1") -> CompiledTariff:
    """Read ``tariff`` once for pricing with ``version``'s rules.

    Pricing many sessions with the same tariff: compile it once and pass the
    ``CompiledTariff`` wherever a ``c.Tariff`` is accepted. Raises ``TariffError`` for
    a restriction that cannot be read.
    """
    if isinstance(tariff, CompiledTariff):
        if tariff.version == version:
            return tariff
        tariff = tariff.source
    return CompiledTariff(tariff, version)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
