"""Building a session's charging periods from meter samples.

2.2.1 ``mod_cdrs.asciidoc#mod_cdrs_charging_period`` (CHECKLIST 221-D-3): the
CPO SHALL start a new charging period whenever another price component becomes
active (a price change at 17:00, crossing a power or current threshold; it may
interpolate), and may add periods in between. ``build_charging_periods`` makes
one piece per sample interval, splits it at every instant where the tariff
could change what applies, and merges consecutive pieces that have the same
active elements and the same charging/parking state:

- wall-clock boundaries of the time/date/day restrictions and DST transitions
  (``localtime``), and ``min/max_duration`` thresholds: exact instants;
- ``min/max_kwh`` thresholds: energy is interpolated linearly inside a sample
  interval; the period boundary carries **exactly** the threshold energy, at the
  interpolated instant rounded up to the whole second (DateTimes have whole
  seconds), so kWh restrictions switch exactly at the threshold;
- power and current thresholds: per sample interval (a sample's power/current
  holds until the next sample), never interpolated.

What is on the wire, and why pricing the built periods again gives the same
result (build → JSON → parse → price is stable):

- times are whole seconds (sample times are truncated to the second);
- ENERGY is the difference of cumulative energies rounded to 6 decimals of kWh
  (1 mWh): the periods add up exactly to the meter's total;
- TIME / PARKING_TIME are hours to 6 decimals (3.6 ms), which the engine turns
  back into the exact whole seconds;
- MIN/MAX_CURRENT and (2.2.1) MIN/MAX_POWER are the samples' values, when every
  sample of the period has one. 2.1.1 has no power dimension, so with
  ``version="2.1.1"`` power restrictions are judged on the period's average
  power (ENERGY / TIME), as the engine judges a period without power dimensions;
- pieces are only merged when they agree on every element's restrictions and lie
  on the same side of every power and current bound of the tariff, so the
  merged period's MIN/MAX (or average) power is judged like each of its pieces.

Reservations are not built here (a reservation has no meter samples).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from roamkit.domain import canonical as c
from roamkit.gctools import gc_paused
from roamkit.pricing.errors import PricingError
from roamkit.pricing.localtime import as_utc, wall_clock_instants, zone
from roamkit.pricing.restrictions import Moment, period_power_current
from roamkit.pricing.result import hours
from roamkit.pricing.tariff import VERSIONS, CompiledTariff, compile_tariff

ENERGY_PLACES = 6
"""Decimal places of kWh in built periods (1 mWh)."""
_ENERGY_QUANTUM = Decimal(1).scaleb(-ENERGY_PLACES)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class MeterSample:
    """A meter reading of the session.

    ``at``: UTC. ``energy_kwh``: cumulative since the session start (meter now -
    meter start). ``charging``: whether the EV draws energy from this sample until
    the next (``False``: parking). ``current``: A, summed over phases; ``power``: kW.
    """

    at: datetime
    energy_kwh: Decimal
    charging: bool
    current: Decimal | None = None
    power: Decimal | None = None


class _Piece:
    __slots__ = ("charging", "current", "e_end", "e_start", "end", "key", "power", "start")

    def __init__(
        self, start: datetime, end: datetime, e_start: Decimal, e_end: Decimal, charging: bool,
        current: Decimal | tuple | None, power: Decimal | tuple | None,
    ) -> None:  # fmt: skip
        self.start = start
        self.end = end
        self.e_start = e_start
        self.e_end = e_end
        self.charging = charging
        self.current = current
        self.power = power
        self.key: tuple = ()


def build_charging_periods(
    tariff: c.Tariff | CompiledTariff | None,
    samples: Sequence[MeterSample],
    *,
    end: datetime,
    time_zone: str,
    version: str = "2.2.1",
    merge: bool = True,
    session_start: datetime | None = None,
) -> list[c.ChargingPeriod]:
    """Charging periods for a session/CDR from meter samples (first sample = session start).

    One period per sample interval, split further wherever another tariff
    element / price component can become active inside it, and consecutive
    pieces with the same active elements and the same charging/parking state
    merged (``merge=False``: merged only inside one sample interval, so every
    sample still starts a period: in-between periods the spec allows).
    Dimensions: ENERGY (kWh), TIME (hours, when charging) or PARKING_TIME
    (hours, when not), MIN/MAX_CURRENT and (2.2.1) MIN/MAX_POWER when known;
    ``tariff_id`` = the tariff's id. Volumes and rounding: module docstring.
    The last sample's energy is the session's total: no energy is added between
    it and ``end``.

    ``session_start``: when the samples are only a part of the session (say, from
    a tariff change on), the session's start, from which ``min/max_duration``
    count (default: the first sample). Energies are cumulative since the session
    start in any case, so kWh thresholds are the session's.
    """
    if version not in VERSIONS:
        raise PricingError(f"unknown OCPI version {version!r} (2.1.1 or 2.2.1)")
    tz = zone(time_zone)
    with gc_paused():  # no reference cycles here either (roamkit.gctools)
        return _build(tariff, samples, end, tz, version, merge, session_start)


def _build(
    tariff: c.Tariff | CompiledTariff | None,
    samples: Sequence[MeterSample],
    end: datetime,
    tz: tzinfo,
    version: str,
    merge: bool,
    session_start: datetime | None,
) -> list[c.ChargingPeriod]:
    readings = _readings(samples)
    end = as_utc(end).replace(microsecond=0)
    start = readings[0].at
    origin = start if session_start is None else as_utc(session_start).replace(microsecond=0)
    if end < readings[-1].at:
        raise PricingError("the session ends before its last meter sample")
    compiled = None if tariff is None else compile_tariff(tariff, version)
    instants = _instants(compiled, tz, start, end, origin)
    pieces: list[_Piece] = []
    for index, sample in enumerate(readings):
        following = readings[index + 1] if index + 1 < len(readings) else None
        t1 = end if following is None else following.at
        if t1 <= sample.at:
            continue
        e0 = sample.energy_kwh
        e1 = e0 if following is None else following.energy_kwh
        power = sample.power if version == "2.2.1" else None
        interval = [
            _Piece(a, b, ea, eb, sample.charging, sample.current, power)
            for (a, ea), (b, eb) in _pairs(_cuts(sample.at, t1, e0, e1, instants, compiled))
        ]
        for piece in interval:
            piece.key = _key(piece, compiled, tz, origin)
        if not merge:
            interval = _merged(interval)
            for piece in interval:
                piece.key = (index, *piece.key)
        pieces.extend(interval)
    if merge:
        pieces = _merged(pieces)
    tariff_id = None if compiled is None else compiled.id
    return [_period(piece, tariff_id, version) for piece in pieces]


def _readings(samples: Sequence[MeterSample]) -> list[MeterSample]:
    if not samples:
        raise PricingError("no meter samples: the first sample is the session start")
    out: list[MeterSample] = []
    for sample in samples:
        at = as_utc(sample.at).replace(microsecond=0)
        energy = Decimal(sample.energy_kwh).quantize(_ENERGY_QUANTUM, rounding=ROUND_HALF_EVEN)
        reading = MeterSample(at, energy, sample.charging, sample.current, sample.power)
        if out and at < out[-1].at:
            raise PricingError(f"meter samples are not in time order at {at.isoformat()}")
        if out and at == out[-1].at:
            out[-1] = reading  # the later reading of the same second wins
        else:
            out.append(reading)
    return out


def _instants(
    compiled: CompiledTariff | None, tz: tzinfo, start: datetime, end: datetime, origin: datetime
) -> list[datetime]:
    """Instants where a time-dependent restriction may switch."""
    if compiled is None or not compiled.time_dependent:
        return []
    found = set(wall_clock_instants(tz, start, end, compiled.marks)) if compiled.local else set()
    for seconds in compiled.durations:
        instant = origin + timedelta(seconds=seconds)
        if start < instant < end:
            found.add(instant)
    return sorted(found)


def _cuts(
    t0: datetime,
    t1: datetime,
    e0: Decimal,
    e1: Decimal,
    instants: list[datetime],
    compiled: CompiledTariff | None,
) -> list[tuple[datetime, Decimal]]:
    """The boundaries of one sample interval, with the cumulative energy at each."""
    span = (t1 - t0).total_seconds()
    rising = e1 >= e0
    fixed: dict[datetime, Decimal] = {}
    if compiled is not None and e1 != e0:
        for bound in compiled.kwh_bounds:
            if (e0 < bound < e1) or (e1 < bound < e0):
                offset = (bound - e0) / (e1 - e0) * Decimal(span)
                at = t0 + timedelta(seconds=int(offset.to_integral_value(rounding=ROUND_CEILING)))
                if t0 < at < t1:
                    fixed[at] = bound
    cuts: dict[datetime, Decimal] = {t0: e0, t1: e1}
    low = bisect.bisect_right(instants, t0)
    high = bisect.bisect_left(instants, t1)
    for at in instants[low:high]:
        share = Decimal((at - t0).total_seconds()) / Decimal(span)
        cuts[at] = (e0 + (e1 - e0) * share).quantize(_ENERGY_QUANTUM, rounding=ROUND_HALF_EVEN)
    cuts.update(fixed)
    ordered = sorted(cuts.items())
    # Keep the energies monotone between the thresholds, whatever the rounding did.
    values = [e for _, e in ordered]
    clamp = max if rising else min
    for i in range(1, len(values)):
        if ordered[i][0] not in fixed:
            values[i] = clamp(values[i], values[i - 1])
    other = min if rising else max
    for i in range(len(values) - 2, -1, -1):
        if ordered[i][0] not in fixed:
            values[i] = other(values[i], values[i + 1])
    values[0], values[-1] = e0, e1
    return [(at, e) for (at, _), e in zip(ordered, values, strict=True)]


def _pairs(cuts: list[tuple[datetime, Decimal]]) -> list[tuple[tuple, tuple]]:
    return list(itertools.pairwise(cuts))


def _dims(piece: _Piece, energy: Decimal, seconds: int) -> dict[str, Decimal]:
    dims = {"ENERGY": energy}
    if piece.power is not None:
        dims["MIN_POWER"] = dims["MAX_POWER"] = piece.power
    if piece.current is not None:
        dims["MIN_CURRENT"] = dims["MAX_CURRENT"] = piece.current
    return dims


def _key(piece: _Piece, compiled: CompiledTariff | None, tz: tzinfo, origin: datetime) -> tuple:
    """What must be equal for two consecutive pieces to be one period: the state, which
    elements are active, and the side of every power/current bound."""
    known = (piece.power is not None, piece.current is not None)
    if compiled is None:
        return (piece.charging, known)
    seconds = int((piece.end - piece.start).total_seconds()) if piece.charging else 0
    dims = _dims(piece, piece.e_end - piece.e_start, seconds)
    p_lo, p_hi, c_lo, c_hi = period_power_current(dims, seconds)
    duration = int((piece.start - origin).total_seconds())
    if compiled.local:
        local = piece.start.astimezone(tz)
        moment = Moment(
            local.hour * 3600 + local.minute * 60 + local.second, local.date(), local.weekday(),
            duration, piece.e_start, p_lo, p_hi, c_lo, c_hi,
        )  # fmt: skip
    else:
        moment = Moment(0, None, 0, duration, piece.e_start, p_lo, p_hi, c_lo, c_hi)
    active = 0
    for slot, element in enumerate(compiled.elements):
        if element.reservation is None and (
            element.restrictions is None or not element.restrictions.fails(moment)
        ):
            active |= 1 << slot
    power_sides = None if p_lo is None else tuple(p_lo >= b for b in compiled.power_bounds)
    current_sides = None if c_lo is None else tuple(c_lo >= b for b in compiled.current_bounds)
    return (piece.charging, known, active, power_sides, current_sides)


def _merged(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for piece in pieces:
        if out and out[-1].key == piece.key and out[-1].end == piece.start:
            last = out[-1]
            merged = _Piece(
                last.start, piece.end, last.e_start, piece.e_end, last.charging,
                _range(last.current, piece.current), _range(last.power, piece.power),
            )  # fmt: skip
            merged.key = last.key
            out[-1] = merged
        else:
            out.append(piece)
    return out


def _range(a: Decimal | tuple | None, b: Decimal | tuple | None) -> tuple | None:
    """The (min, max) of two values or ranges; ``None`` when either is unknown."""
    if a is None or b is None:
        return None
    lo_a, hi_a = a if isinstance(a, tuple) else (a, a)
    lo_b, hi_b = b if isinstance(b, tuple) else (b, b)
    return (min(lo_a, lo_b), max(hi_a, hi_b))


def _period(piece: _Piece, tariff_id: str | None, version: str) -> c.ChargingPeriod:
    seconds = int((piece.end - piece.start).total_seconds())
    energy = piece.e_end - piece.e_start
    dims: list[c.CdrDimension] = []
    if piece.charging or energy:
        dims.append(c.CdrDimension(type="ENERGY", volume=energy))
    dims.append(
        c.CdrDimension(type="TIME" if piece.charging else "PARKING_TIME", volume=hours(seconds))
    )
    for value, low, high in (
        (piece.current, "MIN_CURRENT", "MAX_CURRENT"),
        (piece.power if version == "2.2.1" else None, "MIN_POWER", "MAX_POWER"),
    ):
        if value is not None:
            lo, hi = value if isinstance(value, tuple) else (value, value)
            dims.append(c.CdrDimension(type=low, volume=lo))
            dims.append(c.CdrDimension(type=high, volume=hi))
    return c.ChargingPeriod(start_date_time=piece.start, dimensions=dims, tariff_id=tariff_id)
