"""The tariff engine: charging periods + tariffs → priced periods → CDR totals.

One engine for both versions; ``version`` selects the rules that differ. The
rules and every choice where the spec is silent or contradicts itself:

**Which tariff prices a period.** Its ``tariff_id`` (compared case-insensitively,
CiString). 2.2.1 says an absent ``tariff_id`` means "no Tariff is relevant"
(``mod_cdrs.asciidoc#mod_cdrs_chargingperiod_class``), but real CDRs omit it and
2.1.1 periods cannot carry it, so a period without one is priced with the
session's tariff: ``default_tariff_id`` when given (a 2.1.1 CDR's connector
``tariff_id``), else the only tariff, else (several) the first one valid at the
session start, with a warning. A ``tariff_id`` that is not among the tariffs
prices nothing, with a warning. A tariff first used by a period that starts
outside its ``start_date_time``…``end_date_time`` (2.2.1; end inclusive: "the
time after which this tariff is no longer valid") is still applied, since the
CDR says it applied and keeping a session's tariff past its end is common
practice (NOTE in ``#mod_tariffs_tariff_object``), with a warning.

**Which element.** Per dimension, the first element with a component of that
dimension whose restrictions all hold at the start of the period (``tariff.py``,
``restrictions.py``). The CPO SHALL start a new period wherever another price
component becomes active (``#mod_cdrs_charging_period``); a period that spans
such a change is priced with what was active at its start, with a warning.

**Dimensions.** ENERGY (kWh), TIME (charging hours), PARKING_TIME (hours) and,
in a reservation, RESERVATION_TIME (hours, priced by TIME components of
reservation elements) are priced from the period's volumes, not from its
timestamps. Time volumes are taken in whole seconds (hours x 3600, rounded
half-even): the step multiplier of time is 1 s, DateTimes have whole seconds, and
hours on the wire are rounded decimals (the spec's CDR example says 1.973 h for
a 7103 s session, 7102.8 s). Zero volumes are not priced.

**FLAT.** 2.2.1 has no FLAT dimension: a FLAT component is a fixed fee charged
**once per phase** (the reservation, the session), taken from the first period
of the phase in which the lookup finds one (example 16 charges the reservation
fee and the session's start fee). 2.1.1 has a FLAT CdrDimension: when a 2.1.1
CDR's periods carry FLAT dimensions, FLAT is charged exactly there, volume x
price of the FLAT component active in that period; when none does, as in 2.2.1.
A FLAT fee counts in ``total_reservation_cost`` in a reservation, in
``total_parking_cost`` when first found in a period that only parks, else in
``total_fixed_cost`` ("except fixed price components of parking and
reservation", ``#mod_cdrs_cdr_object``).

**step_size.** See ``stepsize.py`` (2.2.1: once per session per dimension group,
the last component's step; 2.1.1: per price component).

**Reservation** (2.2.1): periods with a RESERVATION_TIME dimension, or starting
before ``reservation_end``, form the reservation phase; it is "expired" when no
period of the session charges, parks or transfers energy. Durations
(``min/max_duration``) count from the CDR start in the reservation and from the
first session period in the session.

**VAT** (2.2.1): per component, cost x (100 + vat) / 100; a component without
``vat`` has no known amount including VAT (``money.Money``), and neither has any
total it is part of (a zero cost is zero including VAT). 2.1.1 has no VAT: the
amount including VAT of any non-zero cost is unknown.

**min_price / max_price** (2.2.1): the caps of the session's first tariff apply
to ``total_cost``, excluding and including VAT independently (NOTE in
``#mod_tariffs_tariff_object``, 221-TC-9). A cap without ``incl_vat`` moves the
amount including VAT in proportion (the correction spread over the components
with their own VAT rates). The category totals are left as computed; the
correction is in ``Pricing.capping`` and described in ``warnings``.

**Speed.** Totals and warnings are computed at once; the per-period breakdown
(``Pricing.periods``) on first access and each explanation (``reason``) when
read. Pricing makes no reference cycles, so the cyclic garbage collector is paused
while it runs (``roamkit.gctools``). Compile a tariff once (``compile_tariff``) to
price many sessions with it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.gctools import gc_paused
from roamkit.models.v211 import cdrs as w211
from roamkit.pricing.errors import PricingError
from roamkit.pricing.localtime import WallClock, as_utc, zone
from roamkit.pricing.money import ZERO, Money, round_money
from roamkit.pricing.pieces import Piece
from roamkit.pricing.restrictions import Moment, period_power_current
from roamkit.pricing.result import (
    PriceCapping,
    PricedPeriod,
    Pricing,
    hours,
    wire_datetime,
)
from roamkit.pricing.stepsize import apply_step_sizes
from roamkit.pricing.tariff import VERSIONS, CompiledTariff, Element, compile_tariff

V211_CONTEXT = ConversionContext(country_code="XX", party_id="XXX")
"""Owner given to 2.1.1 tariffs converted for pricing (2.1.1 objects name no party)."""

_ONE = Decimal(1)
_MAX_SPLIT_WARNINGS = 5


class _Period:
    """A charging period, normalized: volumes by dimension type, time in whole seconds,
    and what pricing learns about it."""

    __slots__ = (
        "dims",
        "end",
        "energy",
        "flat",
        "index",
        "moment",
        "parking_s",
        "pieces",
        "reservation",
        "reserved_s",
        "start",
        "tariff",
        "tariff_id",
        "time_s",
    )

    def __init__(
        self,
        index: int,
        start: datetime,
        tariff_id: str | None,
        dims: dict[str, Decimal],
        flat: Decimal | None,
    ) -> None:
        self.index = index
        self.start = start
        self.end = start
        self.tariff_id = tariff_id
        self.dims = dims
        self.flat = flat
        time = dims.get("TIME")
        self.time_s = 0 if time is None else round(time * 3600)
        parking = dims.get("PARKING_TIME")
        self.parking_s = 0 if parking is None else round(parking * 3600)
        reserved = dims.get("RESERVATION_TIME")
        self.reserved_s = 0 if reserved is None else round(reserved * 3600)
        self.reservation = self.reserved_s > 0
        self.energy = dims.get("ENERGY", ZERO)
        self.tariff: CompiledTariff | None = None
        self.moment: Moment | None = None
        self.pieces: list[Piece] = []

    @property
    def parking_only(self) -> bool:
        return self.parking_s > 0 and self.time_s == 0 and not self.energy


def _seconds(volume: Decimal | None) -> int:
    """Hours → whole seconds, half-even (``round`` of a Decimal)."""
    return 0 if volume is None else round(volume * 3600)


def _utc(moment: datetime) -> datetime:
    """``as_utc`` without the conversion for datetimes already in UTC (pydantic's own UTC
    tzinfo included): they compare, subtract and print the same."""
    tz = moment.tzinfo
    if tz is UTC or (tz is not None and not tz.utcoffset(moment)):
        return moment
    return as_utc(moment)


def price_periods(
    tariffs: Sequence[c.Tariff | CompiledTariff],
    periods: Sequence[c.ChargingPeriod | w211.ChargingPeriod],
    *,
    start: datetime,
    end: datetime,
    time_zone: str,
    version: str = "2.2.1",
    reservation_end: datetime | None = None,
    default_tariff_id: str | None = None,
    currency: str | None = None,
) -> Pricing:
    """Price charging periods (each ends where the next starts, the last at ``end``).

    ``tariffs``: canonical tariffs (or ``compile_tariff`` results). ``periods``:
    canonical ChargingPeriods, or 2.1.1 wire ones (which keep the FLAT dimension)
    with ``version="2.1.1"``. ``start``/``end``: the session (CDR) start and end,
    UTC. ``time_zone``: the Location's IANA zone, for the restrictions.

    A period's ``tariff_id`` picks the tariff; a period without one uses
    ``default_tariff_id``, else the only tariff, else the first valid at
    ``start`` (module docstring). ``reservation_end``: periods starting before it
    are the reservation (also without a RESERVATION_TIME dimension). ``currency``:
    the CDR's, checked against the tariffs'. Raises ``PricingError`` for periods
    out of time order, an unknown time zone or version, ``TariffError`` for an
    unreadable tariff.
    """
    if version not in VERSIONS:
        raise PricingError(f"unknown OCPI version {version!r} (2.1.1 or 2.2.1)")
    tz = zone(time_zone)
    with gc_paused():  # pricing makes no reference cycles (roamkit.gctools)
        return _price_periods(
            tariffs, periods, start, end, tz, version, reservation_end, default_tariff_id,
            currency,
        )  # fmt: skip


def _price_periods(
    tariffs: Sequence[c.Tariff | CompiledTariff],
    periods: Sequence[c.ChargingPeriod | w211.ChargingPeriod],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    version: str,
    reservation_end: datetime | None,
    default_tariff_id: str | None,
    currency: str | None,
) -> Pricing:
    start, end = _utc(start), _utc(end)
    if end < start:
        raise PricingError(
            f"the session ends at {wire_datetime(end)}, before it starts ({wire_datetime(start)})"
        )
    warnings: list[str] = []
    compiled = _compile_all(tariffs, version, warnings)
    items = _normalize(periods, start, end, version, reservation_end)
    default = None
    if not compiled:
        warnings.append("no tariffs: nothing is priced")
    elif any(p.tariff_id is None for p in items):
        default = _session_tariff(compiled, default_tariff_id, start, warnings)
    used = _assign_tariffs(items, compiled, default, version, warnings)
    currency = _currency(currency, used, compiled, warnings)

    has_reservation = any(p.reservation for p in items)
    session = [p for p in items if not p.reservation]
    expired = has_reservation and not any(
        p.time_s or p.parking_s or p.energy for p in session
    )  # fmt: skip
    origin = session[0].start if has_reservation and session else start
    flat_dimension = version == "2.1.1" and any(p.flat is not None for p in items)

    clock = WallClock(tz, min(start, items[0].start) if items else start, end)
    pieces = _price(items, clock, start, origin, expired, flat_dimension)
    apply_step_sizes(pieces, version)
    if any(
        not p.time_s and not p.parking_s and not p.reserved_s and p.end > p.start
        and p.tariff is not None and p.tariff.prices_time
        for p in items
    ):  # fmt: skip
        warnings.append(
            "some periods have no TIME, PARKING_TIME or RESERVATION_TIME dimension: time-based "
            "price components priced nothing there"
        )
    _warn_splits(items, clock, start, origin, warnings)
    return _result(items, currency, start, end, version, warnings)


def price_cdr(
    cdr: c.CDR | w211.CDR,
    tariffs: Sequence[c.Tariff | CompiledTariff] | None = None,
    *,
    time_zone: str,
    version: str = "2.2.1",
) -> Pricing:
    """Recompute a CDR's totals from its charging periods, ignoring the totals it carries
    (a warning says when its ``total_cost`` differs from ours).

    ``tariffs`` default to the CDR's own ``tariffs``. A 2.1.1 wire CDR
    (``models.v211.cdrs.CDR``, priced with ``version="2.1.1"``) keeps its FLAT
    dimensions, its own tariffs are converted (owner ``XX``/``XXX``), and its
    connector's ``tariff_id`` names the tariff of periods without one.
    """
    if isinstance(cdr, w211.CDR):
        if version != "2.1.1":
            raise PricingError("a 2.1.1 CDR is priced with version='2.1.1'")
        from roamkit.domain.v211 import tariffs as tariff_conv

        if tariffs is None:
            tariffs = [tariff_conv.to_canonical(t, V211_CONTEXT) for t in cdr.tariffs or []]
        connector_tariff = None
        for evse in cdr.location.evses or []:
            for connector in evse.connectors:
                connector_tariff = connector_tariff or connector.tariff_id
        pricing = price_periods(
            tariffs, cdr.charging_periods, start=cdr.start_date_time, end=cdr.stop_date_time,
            time_zone=time_zone, version=version, default_tariff_id=connector_tariff,
            currency=cdr.currency,
        )  # fmt: skip
        carried = Money(cdr.total_cost, None)
    else:
        if tariffs is None:
            tariffs = list(cdr.tariffs or [])
        pricing = price_periods(
            tariffs, cdr.charging_periods, start=cdr.start_date_time, end=cdr.end_date_time,
            time_zone=time_zone, version=version, currency=cdr.currency,
        )  # fmt: skip
        carried = Money(cdr.total_cost.excl_vat, cdr.total_cost.incl_vat)
    figures = {
        "total_energy": cdr.total_energy,
        "total_time": cdr.total_time,
        "total_parking_time": cdr.total_parking_time,
    }
    _compare_carried(carried, figures, pricing)
    return pricing


# --- preparation -------------------------------------------------------------------


def _compile_all(
    tariffs: Sequence[c.Tariff | CompiledTariff], version: str, warnings: list[str]
) -> list[CompiledTariff]:
    compiled: list[CompiledTariff] = []
    seen: set[str] = set()
    for tariff in tariffs:
        one = compile_tariff(tariff, version)
        if one.key in seen:
            warnings.append(f"tariff {one.id!r} is given twice; the first is used")
            continue
        seen.add(one.key)
        warnings.extend(one.notes)
        compiled.append(one)
    return compiled


def _normalize(
    periods: Sequence[c.ChargingPeriod | w211.ChargingPeriod],
    start: datetime,
    end: datetime,
    version: str,
    reservation_end: datetime | None,
) -> list[_Period]:
    items: list[_Period] = []
    last: _Period | None = None
    for index, period in enumerate(periods):
        at = period.start_date_time
        zone_of = at.tzinfo
        if zone_of is not UTC and (zone_of is None or zone_of.utcoffset(at)):
            at = as_utc(at)
        if last is not None:
            if at < last.start:
                raise PricingError(
                    f"charging period {index} starts at {wire_datetime(at)}, before period "
                    f"{index - 1} ({wire_datetime(last.start)}): periods must be in time order"
                )
            last.end = at
        given = period.dimensions
        dims: dict[str, Decimal] = {d.type: d.volume for d in given}
        if len(dims) != len(given):  # a type twice: add them up
            dims = {}
            for dimension in given:
                kind = dimension.type
                dims[kind] = dims[kind] + dimension.volume if kind in dims else dimension.volume
        flat = dims.pop("FLAT", None)  # 2.1.1 only (mod_cdrs.md §4.3)
        last = _Period(index, at, getattr(period, "tariff_id", None), dims, flat)
        items.append(last)
    if last is not None:
        if end < last.start:
            raise PricingError(
                f"the session ends at {wire_datetime(end)}, before its last charging period "
                f"starts ({wire_datetime(last.start)})"
            )
        last.end = end
    if version == "2.1.1":  # no reservations in 2.1.1
        for p in items:
            p.reserved_s, p.reservation = 0, False
    elif reservation_end is not None:
        reservation_end = as_utc(reservation_end)
        for p in items:
            if not p.reserved_s and p.start < reservation_end:
                p.reserved_s = int((min(p.end, reservation_end) - p.start).total_seconds())
                p.reservation = p.reserved_s > 0
    return items


def _session_tariff(
    compiled: list[CompiledTariff],
    default_tariff_id: str | None,
    start: datetime,
    warnings: list[str],
) -> CompiledTariff:
    """The tariff of the periods without ``tariff_id`` (module docstring)."""
    if default_tariff_id is not None:
        for t in compiled:
            if t.key == default_tariff_id.upper():
                return t
        warnings.append(f"the session's tariff {default_tariff_id!r} is not among the tariffs")
    if len(compiled) == 1:
        return compiled[0]
    valid = [t for t in compiled if t.valid_at(start)]
    chosen = valid[0] if valid else compiled[0]
    warnings.append(
        f"periods without tariff_id are priced with tariff {chosen.id!r}, the first of "
        f"{len(compiled)} tariffs{' valid at the session start' if valid else ''}"
    )
    return chosen


def _assign_tariffs(
    items: list[_Period],
    compiled: list[CompiledTariff],
    default: CompiledTariff | None,
    version: str,
    warnings: list[str],
) -> list[CompiledTariff]:
    by_key = {t.key: t for t in compiled}
    used: list[CompiledTariff] = []
    missing: dict[str, list[int]] = {}
    for p in items:
        if p.tariff_id is None:
            tariff = default
        else:
            tariff = by_key.get(p.tariff_id.upper())
            if tariff is None:
                missing.setdefault(p.tariff_id, []).append(p.index)
        p.tariff = tariff
        if tariff is not None and tariff not in used:
            used.append(tariff)
            if version == "2.2.1" and not tariff.valid_at(p.start):
                warnings.append(
                    f"tariff {tariff.id!r} is first used at {wire_datetime(p.start)}, outside its "
                    "start_date_time/end_date_time; applied as the period says"
                )
    for tariff_id, indexes in missing.items():
        warnings.append(
            f"periods {_list(indexes)} name tariff {tariff_id!r}, which is not given: not priced"
        )
    return used


def _currency(
    currency: str | None,
    used: list[CompiledTariff],
    compiled: list[CompiledTariff],
    warnings: list[str],
) -> str:
    ours = currency or (used[0].currency if used else compiled[0].currency if compiled else "")
    for tariff in used:
        if tariff.currency.upper() != ours.upper():
            warnings.append(
                f"tariff {tariff.id!r} is in {tariff.currency}, the session in {ours}: amounts "
                "are added as they are"
            )
    return ours


# --- the lookup --------------------------------------------------------------------


def _moment(
    p: _Period,
    at: datetime,
    tariff: CompiledTariff,
    clock: WallClock,
    origin: datetime,
    energy: Decimal,
) -> Moment:
    """The restrictions' view of ``p`` at ``at``: wall clock (only when the tariff has
    local restrictions), duration since ``origin``, energy so far, power and current
    (only when the tariff has bounds on them)."""
    if tariff.ranged:
        p_lo, p_hi, c_lo, c_hi = period_power_current(p.dims, p.time_s)
    else:
        p_lo = p_hi = c_lo = c_hi = None
    duration = int((at - origin).total_seconds())
    if tariff.local:
        local = clock.read(at)
        return Moment(
            local.hour * 3600 + local.minute * 60 + local.second,
            local.date(),
            local.weekday(),
            duration,
            energy,
            p_lo,
            p_hi,
            c_lo,
            c_hi,
        )
    return Moment(0, None, 0, duration, energy, p_lo, p_hi, c_lo, c_hi)


def _choose(lookup: tuple[Element, ...], m: Moment | None, memo: dict[int, int]) -> Element | None:
    """The first element of ``lookup`` whose restrictions hold at ``m``."""
    for element in lookup:
        restrictions = element.restrictions
        if restrictions is None:
            return element
        code = memo.get(element.index)
        if code is None:
            code = memo[element.index] = restrictions.fails(m)  # type: ignore[arg-type]
        if not code:
            return element
    return None


def _price(
    items: list[_Period],
    clock: WallClock,
    start: datetime,
    origin: datetime,
    expired: bool,
    flat_dimension: bool,
) -> list[Piece]:
    """Choose the element per dimension for every period and make the pieces to bill."""
    pieces: list[Piece] = []
    energy_so_far = ZERO
    reservation_flat_done = session_flat_done = False
    for p in items:
        tariff = p.tariff
        if tariff is None:
            energy_so_far += p.energy
            continue
        memo: dict[int, int] = {}
        if p.reservation:
            m = p.moment = (
                _moment(p, p.start, tariff, clock, start, ZERO) if tariff.restricted else None
            )
            lookup = tariff.expired if expired else tariff.reserved
            if not reservation_flat_done:
                options = lookup["FLAT"]
                element = _choose(options, m, memo)
                if element is not None:
                    reservation_flat_done = True
                    _add(pieces, p, "FLAT", element, options, _ONE, 0, "reservation")
            if p.reserved_s:
                options = lookup["TIME"]
                element = _choose(options, m, memo)
                if element is not None:
                    _add(pieces, p, "RESERVATION_TIME", element, options, ZERO, p.reserved_s,
                         "reservation")  # fmt: skip
            continue
        m = p.moment = (
            _moment(p, p.start, tariff, clock, origin, energy_so_far) if tariff.restricted else None
        )
        energy = p.energy
        energy_so_far += energy
        lookup = tariff.session
        if flat_dimension:
            if p.flat:
                options = lookup["FLAT"]
                element = _choose(options, m, memo)
                if element is not None:
                    _add(pieces, p, "FLAT", element, options, p.flat, 0, "fixed")
        elif not session_flat_done:
            options = lookup["FLAT"]
            element = _choose(options, m, memo)
            if element is not None:
                session_flat_done = True
                category = "parking" if p.parking_only else "fixed"
                _add(pieces, p, "FLAT", element, options, _ONE, 0, category)
        if energy:
            options = lookup["ENERGY"]
            element = _choose(options, m, memo)
            if element is not None:
                piece = Piece(p, "ENERGY", element, element.components["ENERGY"], options,
                              energy, 0, "energy")  # fmt: skip
                pieces.append(piece)
                p.pieces.append(piece)
        if p.time_s:
            options = lookup["TIME"]
            element = _choose(options, m, memo)
            if element is not None:
                piece = Piece(p, "TIME", element, element.components["TIME"], options, ZERO,
                              p.time_s, "time")  # fmt: skip
                pieces.append(piece)
                p.pieces.append(piece)
        if p.parking_s:
            options = lookup["PARKING_TIME"]
            element = _choose(options, m, memo)
            if element is not None:
                _add(pieces, p, "PARKING_TIME", element, options, ZERO, p.parking_s, "parking")
    return pieces


def _add(
    pieces: list[Piece],
    p: _Period,
    dimension: str,
    element: Element,
    lookup: tuple[Element, ...],
    volume: Decimal,
    seconds: int,
    category: str,
) -> None:
    kind = "TIME" if dimension == "RESERVATION_TIME" else dimension
    piece = Piece(p, dimension, element, element.components[kind], lookup, volume, seconds,
                  category)  # fmt: skip
    pieces.append(piece)
    p.pieces.append(piece)


# --- periods that should have been split -------------------------------------------


def _choices(p: _Period, m: Moment) -> tuple[int, ...]:
    tariff = p.tariff
    assert tariff is not None
    memo: dict[int, int] = {}
    out: list[int] = []
    for piece in p.pieces:
        if piece.dimension != "FLAT":
            element = _choose(piece.lookup, m, memo)
            out.append(-1 if element is None else element.index)
    return tuple(out)


def _warn_splits(
    items: list[_Period], clock: WallClock, start: datetime, origin: datetime, warnings: list[str]
) -> None:
    """Warn about periods inside which another price component becomes active
    (``#mod_cdrs_charging_period``: the CPO SHALL start a new period there).

    Periods are walked in runs of one tariff and one phase (usually the whole session),
    so what the tariff can change on is looked up once per run."""
    found: list[str] = []
    runs: list[tuple[CompiledTariff, bool, list[_Period]]] = []
    for p in items:
        if p.tariff is None:
            continue
        if runs and runs[-1][0] is p.tariff and runs[-1][1] == p.reservation:
            runs[-1][2].append(p)
        else:
            runs.append((p.tariff, p.reservation, [p]))
    for tariff, reservation, run in runs:
        timed, kwh_bounds, ranged = tariff.time_dependent, tariff.kwh_bounds, tariff.ranged
        if not (timed or kwh_bounds or ranged):
            continue
        phase_origin = start if reservation else origin
        candidates: list[datetime] = []
        if timed:
            candidates = clock.instants(tariff.marks) if tariff.local else []
            candidates += [phase_origin + timedelta(seconds=d) for d in tariff.durations]
            candidates = sorted(set(candidates))
        count = len(candidates)
        following = 0  # index of the first candidate after the current period's start
        for p in run:
            m = p.moment
            if m is None or not p.pieces or p.end <= p.start:
                continue
            what: str | None = None
            if count:
                while following < count and candidates[following] <= p.start:
                    following += 1
                if following < count and candidates[following] < p.end:
                    what = _changed_at(p, m, candidates, following, tariff, clock, phase_origin)
            if what is None and kwh_bounds and p.energy:
                low = m.energy
                high = low + p.energy
                if high < low:
                    low, high = high, low
                at = bisect.bisect_right(kwh_bounds, low)
                if at < len(kwh_bounds) and kwh_bounds[at] < high:
                    what = _crossed_kwh(p, m, kwh_bounds, at, high)
            if (
                what is None
                and ranged
                and (m.power_lo != m.power_hi or m.current_lo != m.current_hi)
            ):
                what = _straddled_range(p, m, tariff)
            if what is not None:
                found.append(
                    f"period {p.index} ({wire_datetime(p.start)} to {wire_datetime(p.end)}) {what}"
                )
    if found:
        shown = "; ".join(found[:_MAX_SPLIT_WARNINGS])
        more = len(found) - _MAX_SPLIT_WARNINGS
        warnings.append(
            "another price component becomes active inside "
            + shown
            + (f"; and {more} more periods" if more > 0 else "")
            + ": priced with the components active at the period start (the CPO SHALL start a "
            "new charging period there, mod_cdrs.asciidoc#mod_cdrs_charging_period)"
        )


def _changed_at(
    p: _Period,
    m: Moment,
    candidates: list[datetime],
    at: int,
    tariff: CompiledTariff,
    clock: WallClock,
    origin: datetime,
) -> str | None:
    """The first of ``candidates[at:]`` inside the period where the choice changes."""
    base = _choices(p, m)
    while at < len(candidates) and candidates[at] < p.end:
        instant = candidates[at]
        later = _moment(p, instant, tariff, clock, origin, m.energy)
        if _choices(p, later) != base:
            return f"at {wire_datetime(instant)}"
        at += 1
    return None


def _crossed_kwh(
    p: _Period, m: Moment, bounds: tuple[Decimal, ...], at: int, high: Decimal
) -> str | None:
    """The first of ``bounds[at:]`` below ``high`` (crossed inside the period) that changes
    the choice."""
    base = _choices(p, m)
    while at < len(bounds) and bounds[at] < high:
        bound = bounds[at]
        crossed = Moment(m.sod, m.day, m.weekday, m.duration, bound, m.power_lo, m.power_hi,
                         m.current_lo, m.current_hi)  # fmt: skip
        if _choices(p, crossed) != base:
            return f"at {bound} kWh"
        at += 1
    return None


def _straddled_range(p: _Period, m: Moment, tariff: CompiledTariff) -> str | None:
    """A power or current bound inside the period's MIN…MAX range that changes the choice."""
    for lo, hi, bounds, name in (
        (m.power_lo, m.power_hi, tariff.power_bounds, "power"),
        (m.current_lo, m.current_hi, tariff.current_bounds, "current"),
    ):
        if lo is None or hi is None or lo == hi:
            continue
        if any(lo < b <= hi for b in bounds):
            fields = dict(
                sod=m.sod, day=m.day, weekday=m.weekday, duration=m.duration, energy=m.energy,
                power_lo=m.power_lo, power_hi=m.power_hi, current_lo=m.current_lo,
                current_hi=m.current_hi,
            )  # fmt: skip
            low = Moment(**{**fields, f"{name}_lo": lo, f"{name}_hi": lo})
            high = Moment(**{**fields, f"{name}_lo": hi, f"{name}_hi": hi})
            if _choices(p, low) != _choices(p, high):
                return f"where the {name} crosses a restriction bound ({lo} to {hi})"
    return None


# --- totals ------------------------------------------------------------------------


def _result(
    items: list[_Period],
    currency: str,
    start: datetime,
    end: datetime,
    version: str,
    warnings: list[str],
) -> Pricing:
    excl = dict.fromkeys(_CATEGORIES, ZERO)
    incl: dict[str, Decimal | None] = dict.fromkeys(_CATEGORIES, ZERO)
    for p in items:
        for piece in p.pieces:
            piece_excl, piece_incl = piece.settle()
            category = piece.category
            excl[category] += piece_excl
            if piece_incl is None:
                incl[category] = None
            elif incl[category] is not None:
                incl[category] += piece_incl  # type: ignore[operator]
    categories = {k: Money(excl[k], incl[k]) for k in _CATEGORIES}
    total = Money(ZERO, ZERO)
    for money in categories.values():
        total = total + money
    capping = _cap(items, total, version)
    if capping is not None:
        total = total + capping.correction
        warnings.append(_cap_text(capping, total))
    return Pricing(
        currency=currency,
        total_cost=total,
        total_energy_cost=categories["energy"],
        total_time_cost=categories["time"],
        total_parking_cost=categories["parking"],
        total_fixed_cost=categories["fixed"],
        total_reservation_cost=categories["reservation"],
        total_energy=sum((p.energy for p in items), ZERO),
        total_time=hours(int((end - start).total_seconds())),
        total_parking_time=hours(sum(p.parking_s for p in items)),
        warnings=warnings,
        version=version,
        capping=capping,
        breakdown=lambda: [_priced_period(p) for p in items],
    )


def _priced_period(p: _Period) -> PricedPeriod:
    components = [piece.result() for piece in p.pieces]
    cost = Money(ZERO, ZERO)
    for component in components:
        cost = cost + component.cost
    if p.reservation:
        phase = "reservation"
    elif p.time_s or p.energy or not p.parking_s:
        phase = "charging"
    else:
        phase = "parking"
    return PricedPeriod(
        start=p.start,
        end=p.end,
        tariff_id=None if p.tariff is None else p.tariff.id,
        dimensions=dict(p.dims),
        components=components,
        cost=cost,
        index=p.index,
        phase=phase,
    )


_CATEGORIES = ("energy", "time", "parking", "fixed", "reservation")


def _cap(items: list[_Period], total: Money, version: str) -> PriceCapping | None:
    if version != "2.2.1":
        return None
    tariff = next((p.tariff for p in items if p.tariff is not None), None)
    if tariff is None or (tariff.min_price is None and tariff.max_price is None):
        return None
    applied: list[str] = []
    excl, incl = total.excl_vat, total.incl_vat
    lo, hi = tariff.min_price, tariff.max_price
    if lo is not None and excl < lo.excl_vat:
        excl = lo.excl_vat
        applied.append("min_price.excl_vat")
    if hi is not None and excl > hi.excl_vat:
        excl = hi.excl_vat
        applied.append("max_price.excl_vat")
    if incl is not None:
        moved = excl - total.excl_vat
        if moved and not any(
            b is not None and b.incl_vat is not None for b in (lo, hi)
        ):  # no bound including VAT: move in proportion
            incl = (
                incl + moved * total.incl_vat / total.excl_vat  # type: ignore[operator]
                if total.excl_vat
                else None
            )
        else:
            if lo is not None and lo.incl_vat is not None and incl < lo.incl_vat:
                incl = lo.incl_vat
                applied.append("min_price.incl_vat")
            if hi is not None and hi.incl_vat is not None and incl > hi.incl_vat:
                incl = hi.incl_vat
                applied.append("max_price.incl_vat")
    if not applied:
        return None
    correction = Money(
        excl - total.excl_vat,
        None if incl is None or total.incl_vat is None else incl - total.incl_vat,
    )
    return PriceCapping(tariff.id, applied, total, correction)


def _cap_text(capping: PriceCapping, total: Money) -> str:
    before = capping.before.rounded()
    after = total.rounded()
    incl = (
        f", incl_vat {before.incl_vat} -> {after.incl_vat}"
        if before.incl_vat is not None and after.incl_vat is not None
        else ""
    )
    return (
        f"{' and '.join(capping.applied)} of tariff {capping.tariff_id!r} applied: total_cost "
        f"excl_vat {before.excl_vat} -> {after.excl_vat}{incl}; the category totals are left "
        "as computed"
    )


def _compare_carried(cost: Money, figures: dict[str, Decimal | None], pricing: Pricing) -> None:
    """Warn where the CDR's own totals differ from the recomputed ones (compared at the
    CDR's own precision, at least 2 decimals)."""
    ours = {
        "total_cost.excl_vat": pricing.total_cost.excl_vat,
        "total_cost.incl_vat": pricing.total_cost.incl_vat,
        "total_energy": pricing.total_energy,
        "total_time": pricing.total_time,
        "total_parking_time": pricing.total_parking_time,
    }
    theirs = {"total_cost.excl_vat": cost.excl_vat, "total_cost.incl_vat": cost.incl_vat}
    theirs.update(figures)
    for name, their in theirs.items():
        mine = ours[name]
        if their is None or mine is None:
            continue
        places = max(2, -their.as_tuple().exponent)  # type: ignore[operator]
        if round_money(mine, places) != round_money(their, places):
            pricing.warnings.append(
                f"the CDR says {name} {their}; recomputed from its periods: "
                f"{round_money(mine, places).normalize():f}"
            )


def _list(indexes: list[int]) -> str:
    shown = ", ".join(str(i) for i in indexes[:10])
    return shown + (f" ... ({len(indexes)} periods)" if len(indexes) > 10 else "")
