"""Local time of the Location: time zones, wall-clock boundaries, DST transitions.

Restrictions are local (2.2.1 ``mod_tariffs.asciidoc#mod_tariffs_tariffrestrictions_class``:
"local time, the time zone is defined in the ``time_zone`` field of the Location");
every datetime in and out of the engine is UTC. A restriction's truth depends on
the wall clock, which moves continuously except at DST transitions, where it
jumps (spring: 02:00 → 03:00, autumn: 03:00 → 02:00 again). The instants where
a restriction can change are therefore the instants the wall clock reads one of
its boundary times (each occurrence: an autumn 02:30 happens twice) plus the
transitions themselves (a spring 02:30 never happens; the window starting then
opens at the jump).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roamkit.pricing.errors import PricingError

DAY = 86_400
"""Seconds in a (wall-clock) day; also the ``24:00`` end of day."""
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=128)
def zone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (``Europe/Amsterdam``), cached; ``UTC`` is ``datetime.UTC``."""
    if name in ("UTC", "Etc/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise PricingError(f"unknown time zone {name!r}") from exc


def as_utc(moment: datetime, what: str = "datetime") -> datetime:
    """An aware datetime in UTC (naive datetimes are read as UTC, as OCPI DateTimes are)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is UTC:
        return moment
    return moment.astimezone(UTC)


def transitions(tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in ``(start, end]`` where ``tz``'s UTC offset changes, to the second.

    Checked once a day (zones do not change twice within a day) and bisected.
    """
    if tz is UTC:
        return []
    found: list[datetime] = []
    lo = start
    lo_offset = lo.astimezone(tz).utcoffset()
    while lo < end:
        hi = min(lo + _ONE_DAY, end)
        hi_offset = hi.astimezone(tz).utcoffset()
        if hi_offset != lo_offset:
            a, b = lo, hi  # offset(a) == lo_offset, offset(b) != lo_offset
            while (b - a).total_seconds() > 1:
                mid = a + (b - a) / 2
                mid = mid.replace(microsecond=0)
                if mid <= a:
                    mid = a + timedelta(seconds=1)
                if mid.astimezone(tz).utcoffset() == lo_offset:
                    a = mid
                else:
                    b = mid
            found.append(b)
        lo, lo_offset = hi, hi_offset
    return found


def wall_clock_instants(
    tz: tzinfo, start: datetime, end: datetime, seconds_of_day: Iterable[int]
) -> list[datetime]:
    """Every UTC instant in ``(start, end)`` at which the wall clock in ``tz`` reads one of
    ``seconds_of_day`` (both occurrences in a repeated hour), plus the DST transitions in
    between. Sorted, unique. Candidates only: a caller checks whether anything changes there.
    """
    marks = sorted(set(seconds_of_day))
    if not marks:
        return []
    first = start.astimezone(tz).date() - _ONE_DAY
    last = end.astimezone(tz).date() + _ONE_DAY
    found: set[datetime] = set()
    day: date = first
    while day <= last:
        midnight = datetime.combine(day, time())
        for mark in marks:
            naive = midnight + timedelta(seconds=mark)
            for fold in (0, 1):
                instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
                if start < instant < end:
                    found.add(instant)
        day += _ONE_DAY
    found.update(t for t in transitions(tz, start, end) if t < end)
    return sorted(found)


class WallClock:
    """The wall clock of ``tz`` over ``start``…``end``: the UTC offsets between its
    transitions, found once, so reading the clock is an addition instead of a time zone
    conversion (pricing reads it at every charging period). Outside the span it converts."""

    __slots__ = ("edges", "end", "offsets", "start", "tz")

    def __init__(self, tz: tzinfo, start: datetime, end: datetime) -> None:
        self.tz = tz
        self.start = start
        self.end = end
        self.edges = transitions(tz, start, end)
        self.offsets = [t.astimezone(tz).utcoffset() for t in (start, *self.edges)]

    def read(self, at: datetime) -> datetime:
        """``at`` (aware) on the wall clock: its hour, minute, date and weekday are local."""
        if at < self.start or at > self.end:
            return at.astimezone(self.tz)
        edges = self.edges
        index = bisect.bisect_right(edges, at) if edges else 0
        return at + self.offsets[index]  # type: ignore[operator]

    def instants(self, seconds_of_day: Iterable[int]) -> list[datetime]:
        """``wall_clock_instants`` over the clock's span; without a DST transition in it
        (nearly always) by arithmetic alone."""
        if self.edges:
            return wall_clock_instants(self.tz, self.start, self.end, seconds_of_day)
        marks = [timedelta(seconds=mark) for mark in sorted(set(seconds_of_day))]
        offset = self.offsets[0]
        start, end = self.start, self.end
        day = (start + offset).date()  # type: ignore[operator]
        last = (end + offset).date()  # type: ignore[operator]
        found: list[datetime] = []
        while day <= last:
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset  # type: ignore[operator]
            for mark in marks:
                instant = midnight + mark
                if start < instant < end:
                    found.append(instant)
            day += _ONE_DAY
        return found
