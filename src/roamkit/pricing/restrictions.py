"""TariffRestrictions, read once and checked against a moment of the session.

Semantics (2.2.1 ``mod_tariffs.asciidoc#mod_tariffs_tariffrestrictions_class``;
applied to 2.1.1 too, whose ``mod_tariffs.md §4.5`` leaves them open,
CHECKLIST 211-TC-5):

- All set restrictions must hold (logical AND, 221-TC-3). An empty
  ``day_of_week`` list restricts nothing, like an absent one.
- ``start_time`` inclusive, ``end_time`` exclusive (A-221-2); ``end_time`` <
  ``start_time`` wraps past midnight; ``00:00`` (and 2.1.1's ``24:00``) as
  ``end_time`` is the end of the day; equal start and end times are a 24-hour
  window. Only one of them: from that time to midnight / from midnight to it.
- ``start_date`` inclusive, ``end_date`` exclusive; dates, times and
  ``day_of_week`` are read on the Location's wall clock, each on its own: a
  22:00-06:00 window with ``day_of_week`` FRIDAY holds Friday 00:00-06:00 and
  Friday 22:00-24:00, not Saturday morning (the restrictions are ANDed at the
  moment, not "the night that starts on Friday").
- ``min_*`` inclusive (≥), ``max_*`` exclusive (<) for kWh, current, power and
  duration (221-TC-5). kWh counts the energy of the session so far; duration the
  seconds since the session (or the reservation) started.
- Current and power are instantaneous, and a charging period holds a range of
  them (``MIN_/MAX_CURRENT``, ``MIN_/MAX_POWER``): a ``min_`` bound holds when
  the period's lowest value meets it and a ``max_`` bound when its highest
  does, i.e. when the bound holds throughout the period. Without those
  dimensions, power is the period's average (ENERGY / TIME) and current is
  unknown; while not charging both are 0. An unknown value fails its bound (the
  element is not shown to apply; a fallback element takes over).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from roamkit.domain import canonical as c
from roamkit.pricing.errors import TariffError
from roamkit.pricing.localtime import DAY

_TIME = re.compile(r"^(?:([01][0-9]|2[0-3]):([0-5][0-9])|(24):(00))$")
_DATE = re.compile(r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_WEEKDAY = {name: number for number, name in enumerate(WEEKDAYS)}

# Codes of the first restriction that fails (0: all hold), in the order they are checked.
HOLDS = 0
TIME_OF_DAY, START_DATE, END_DATE, DAY_OF_WEEK = 1, 2, 3, 4
MIN_KWH, MAX_KWH, MIN_CURRENT, MAX_CURRENT, MIN_POWER, MAX_POWER = 5, 6, 7, 8, 9, 10
MIN_DURATION, MAX_DURATION, RESERVATION = 11, 12, 13

ZERO = Decimal(0)


@dataclass(slots=True)
class Moment:
    """What restrictions are checked against: the start of a charging period.

    ``sod``/``day``/``weekday`` are the Location's wall clock (seconds of the day,
    local date, Monday = 0); they are only filled when the tariff has a time, date
    or day restriction. ``duration`` is in whole seconds, ``energy`` in kWh so far,
    power in kW and current in A (``None``: unknown).
    """

    sod: int
    day: date | None
    weekday: int
    duration: int
    energy: Decimal
    power_lo: Decimal | None
    power_hi: Decimal | None
    current_lo: Decimal | None
    current_hi: Decimal | None


def period_power_current(
    dims: dict[str, Decimal], time_seconds: int
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """(lowest power, highest power, lowest current, highest current) of a period.

    From ``MIN_/MAX_POWER`` and ``MIN_/MAX_CURRENT`` when present (one of a pair
    stands for both); else power is the average ENERGY / charging hours and
    current is unknown; with no charging time both are 0 (nothing flows).
    ``build_charging_periods`` uses this very function, so the periods it builds
    are judged the same way when priced again.
    """
    lo = dims.get("MIN_POWER")
    hi = dims.get("MAX_POWER")
    if lo is None and hi is None:
        if time_seconds > 0:
            lo = hi = dims.get("ENERGY", ZERO) * 3600 / time_seconds
        else:
            lo = hi = ZERO
    elif lo is None:
        lo = hi
    elif hi is None:
        hi = lo
    c_lo = dims.get("MIN_CURRENT")
    c_hi = dims.get("MAX_CURRENT")
    if c_lo is None and c_hi is None:
        if time_seconds <= 0:
            c_lo = c_hi = ZERO
    elif c_lo is None:
        c_lo = c_hi
    elif c_hi is None:
        c_hi = c_lo
    return lo, hi, c_lo, c_hi


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


class Restrictions:
    """One element's TariffRestrictions, parsed: times in seconds of the day, dates as
    ``date``, days as weekday numbers."""

    __slots__ = (
        "_described",
        "_source",
        "days",
        "end_date",
        "local",
        "marks",
        "max_current",
        "max_duration",
        "max_kwh",
        "max_power",
        "min_current",
        "min_duration",
        "min_kwh",
        "min_power",
        "reservation",
        "start_date",
        "window",
    )  # fmt: skip

    def __init__(self, source: c.TariffRestrictions, tariff_id: str, path: str) -> None:
        self._source = source
        self._described: str | None = None
        start_time, end_time = source.start_time, source.end_time
        self.window: tuple[int, int] | None = None
        if start_time is not None or end_time is not None:
            start = _seconds_of_day(start_time, tariff_id, path, "start_time")
            end = _seconds_of_day(end_time, tariff_id, path, "end_time")
            s = 0 if start is None or start == DAY else start
            e = DAY if end is None or end in (0, DAY) else end
            if s != e and (s, e) != (0, DAY):
                self.window = (s, e)
        start_date, end_date = source.start_date, source.end_date
        self.start_date = None if start_date is None else _date(start_date, tariff_id, path)
        self.end_date = None if end_date is None else _date(end_date, tariff_id, path, "end")
        days = source.day_of_week
        self.days = frozenset(_WEEKDAY[d] for d in days) if days else None
        self.min_kwh = source.min_kwh
        self.max_kwh = source.max_kwh
        self.min_current = source.min_current
        self.max_current = source.max_current
        self.min_power = source.min_power
        self.max_power = source.max_power
        self.min_duration = source.min_duration
        self.max_duration = source.max_duration
        reservation = source.reservation
        self.reservation = None if reservation is None else str(reservation)
        dated = self.days is not None or self.start_date is not None or self.end_date is not None
        self.local = self.window is not None or dated
        marks: set[int] = set()
        if self.window is not None:
            marks.update(m % DAY for m in self.window)
        if dated:
            marks.add(0)
        self.marks = frozenset(marks)

    @property
    def empty(self) -> bool:
        """No restriction that limits anything (``reservation`` aside)."""
        return not self.local and all(
            v is None
            for v in (self.min_kwh, self.max_kwh, self.min_current, self.max_current,
                      self.min_power, self.max_power, self.min_duration, self.max_duration)
        )  # fmt: skip

    def fails(self, m: Moment) -> int:
        """The code of the first restriction that does not hold at ``m``; 0 if all hold."""
        if self.window is not None:
            s, e = self.window
            sod = m.sod
            if s < e:
                if not s <= sod < e:
                    return TIME_OF_DAY
            elif not (sod >= s or sod < e):
                return TIME_OF_DAY
        if self.local:
            if self.start_date is not None and m.day < self.start_date:  # type: ignore[operator]
                return START_DATE
            if self.end_date is not None and m.day >= self.end_date:  # type: ignore[operator]
                return END_DATE
            if self.days is not None and m.weekday not in self.days:
                return DAY_OF_WEEK
        if self.min_kwh is not None and m.energy < self.min_kwh:
            return MIN_KWH
        if self.max_kwh is not None and not m.energy < self.max_kwh:
            return MAX_KWH
        if self.min_current is not None and (
            m.current_lo is None or m.current_lo < self.min_current
        ):
            return MIN_CURRENT
        if self.max_current is not None and (
            m.current_hi is None or not m.current_hi < self.max_current
        ):
            return MAX_CURRENT
        if self.min_power is not None and (m.power_lo is None or m.power_lo < self.min_power):
            return MIN_POWER
        if self.max_power is not None and (m.power_hi is None or not m.power_hi < self.max_power):
            return MAX_POWER
        if self.min_duration is not None and m.duration < self.min_duration:
            return MIN_DURATION
        if self.max_duration is not None and not m.duration < self.max_duration:
            return MAX_DURATION
        return HOLDS

    def describe(self) -> str:
        """The restrictions in short text (``17:00-20:00 local, max_power < 16 kW``)."""
        if self._described is None:
            self._described = self._describe()
        return self._described

    def _describe(self) -> str:
        r = self._source
        parts: list[str] = []
        if r.start_time is not None or r.end_time is not None:
            parts.append(f"{r.start_time or '00:00'}-{r.end_time or '24:00'} local")
        if self.days is not None:
            parts.append("day_of_week " + "|".join(WEEKDAYS[d] for d in sorted(self.days)))
        if r.start_date is not None:
            parts.append(f"start_date {r.start_date}")
        if r.end_date is not None:
            parts.append(f"end_date {r.end_date} (excl.)")
        for name, op, unit in _BOUNDS:
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name} {op} {_number(Decimal(value))}{unit}")
        if self.reservation is not None:
            parts.append(f"reservation {self.reservation}")
        return ", ".join(parts) if parts else "no restrictions"

    def explain(self, code: int, m: Moment) -> str:
        """Why restriction ``code`` fails at ``m``, in short text."""
        r = self._source
        if code == TIME_OF_DAY:
            return (
                f"local time {_clock(m.sod)} is outside {r.start_time or '00:00'}-"
                f"{r.end_time or '24:00'}"
            )
        if code == START_DATE:
            return f"local date {m.day} is before start_date {r.start_date}"
        if code == END_DATE:
            return f"local date {m.day} is not before end_date {r.end_date}"
        if code == DAY_OF_WEEK:
            return f"{WEEKDAYS[m.weekday]} is not in day_of_week"
        if code == MIN_KWH:
            return f"{_number(m.energy)} kWh so far < min_kwh {_number(self.min_kwh)}"  # type: ignore[arg-type]
        if code == MAX_KWH:
            return f"{_number(m.energy)} kWh so far >= max_kwh {_number(self.max_kwh)}"  # type: ignore[arg-type]
        if code == MIN_CURRENT:
            return _unknown_or("current", m.current_lo, "<", "min_current", self.min_current, "A")
        if code == MAX_CURRENT:
            return _unknown_or("current", m.current_hi, ">=", "max_current", self.max_current, "A")
        if code == MIN_POWER:
            return _unknown_or("power", m.power_lo, "<", "min_power", self.min_power, "kW")
        if code == MAX_POWER:
            return _unknown_or("power", m.power_hi, ">=", "max_power", self.max_power, "kW")
        if code == MIN_DURATION:
            return f"duration {m.duration} s < min_duration {self.min_duration}"
        if code == MAX_DURATION:
            return f"duration {m.duration} s >= max_duration {self.max_duration}"
        if code == RESERVATION:
            return f"reservation {self.reservation} does not apply to this period"
        return "holds"


_BOUNDS = (
    ("min_kwh", ">=", " kWh"), ("max_kwh", "<", " kWh"),
    ("min_current", ">=", " A"), ("max_current", "<", " A"),
    ("min_power", ">=", " kW"), ("max_power", "<", " kW"),
    ("min_duration", ">=", " s"), ("max_duration", "<", " s"),
)  # fmt: skip


def _unknown_or(
    what: str, value: Decimal | None, op: str, name: str, bound: Decimal | None, unit: str
) -> str:
    if value is None:
        return f"{what} unknown (no MIN_/MAX_ dimension) for {name} {_number(bound)}"  # type: ignore[arg-type]
    return f"{what} {_number(value.quantize(Decimal('0.001')))} {unit} {op} {name} {_number(bound)}"  # type: ignore[arg-type]


def _seconds_of_day(text: str | None, tariff_id: str, path: str, name: str) -> int | None:
    if text is None:
        return None
    match = _TIME.match(text)
    if match is None:
        raise TariffError(
            tariff_id, f"{path}.{name}", f"{text!r} is not a time of day hh:mm (00:00-23:59)"
        )
    if match.group(3):
        return DAY
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


def _date(text: str, tariff_id: str, path: str, which: str = "start") -> date:
    where = f"{path}.{which}_date"
    if _DATE.match(text) is None:
        raise TariffError(tariff_id, where, f"{text!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise TariffError(tariff_id, where, f"{text!r} is not a date ({exc})") from None
