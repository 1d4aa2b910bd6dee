"""The Location's wall clock (``roamkit.pricing.localtime``): the fast paths agree with
zoneinfo, across DST transitions and in zones with half-hour offsets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from roamkit.pricing import PricingError
from roamkit.pricing.localtime import WallClock, transitions, wall_clock_instants, zone

ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@pytest.mark.parametrize("name", ZONES)
def test_wall_clock_reads_like_astimezone(name: str) -> None:
    tz = zone(name)
    start = datetime(2024, 3, 29, tzinfo=UTC)
    end = datetime(2024, 11, 5, tzinfo=UTC)
    clock = WallClock(tz, start, end)
    at = start
    while at <= end + timedelta(days=2):  # and beyond the span: converted
        assert clock.read(at).replace(tzinfo=None) == at.astimezone(tz).replace(tzinfo=None)
        at += timedelta(minutes=7 * 60 + 13)


def test_transitions_of_amsterdam_2024() -> None:
    found = transitions(zone("Europe/Amsterdam"), datetime(2024, 1, 1, tzinfo=UTC),
                        datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    assert found == [
        datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
        datetime(2024, 10, 27, 1, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize("seed", range(20))
def test_wall_clock_instants_by_arithmetic_match_zoneinfo(seed: int) -> None:
    rng = random.Random(seed)
    tz = zone(rng.choice(ZONES))
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(366 * 86400))
    end = start + timedelta(seconds=rng.randrange(1, 5 * 86400))
    marks = {rng.randrange(0, 1440) * 60 for _ in range(rng.randrange(1, 5))} | {0}
    assert WallClock(tz, start, end).instants(marks) == wall_clock_instants(tz, start, end, marks)


def test_unknown_zone() -> None:
    with pytest.raises(PricingError, match="unknown time zone"):
        zone("Nowhere/Town")
