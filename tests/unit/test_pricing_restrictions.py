"""TariffRestrictions in the engine: time windows (midnight, DST), dates, days, kWh, power,
current and duration bounds
(2.2.1 ``mod_tariffs.asciidoc#mod_tariffs_tariffrestrictions_class``)."""

from __future__ import annotations

import pytest

from roamkit.pricing import TariffError

from .pricing_cases import charge, element, money, park, pc, price, tariff

AMS = "Europe/Amsterdam"

NIGHT_AND_DAY = tariff(
    [
        element(pc("TIME", 1, 1), start_time="22:00", end_time="06:00"),
        element(pc("TIME", 3, 1)),
    ]
)


def used_elements(result) -> list[int]:
    return [pc.element_index for p in result.periods for pc in p.components]


@pytest.mark.parametrize(
    ("start", "night"),
    [
        ("2024-06-03T21:59", False),
        ("2024-06-03T22:00", True),
        ("2024-06-03T23:30", True),
        ("2024-06-04T00:00", True),
        ("2024-06-04T05:59", True),
        ("2024-06-04T06:00", False),
        ("2024-06-04T12:00", False),
    ],
)
def test_time_window_across_midnight(start: str, night: bool) -> None:
    """``end_time`` < ``start_time`` wraps past midnight; start inclusive, end exclusive."""
    result = price(NIGHT_AND_DAY, start, charge(1, 0), tz=AMS)
    assert used_elements(result) == [0 if night else 1]


def test_a221_2_start_time_inclusive_end_time_exclusive() -> None:
    """CHECKLIST A-221-2: the spec does not say whether start_time/end_time are inclusive. We
    take start inclusive, end exclusive (like end_date and the max_ bounds): a period that
    starts at 17:00 belongs to the 17:00-20:00 window, not to 00:00-17:00."""
    t = tariff(
        [
            element(pc("TIME", 1, 1), start_time="00:00", end_time="17:00"),
            element(pc("TIME", 2, 1), start_time="17:00", end_time="20:00"),
        ]
    )
    result = price(t, "2024-06-03T16:59", charge(1, 0), charge(1, 0), tz=AMS)
    assert used_elements(result) == [0, 1]


def test_end_time_00_00_is_the_end_of_the_day() -> None:
    """'To stop at end of the day use: 00:00': 20:00-00:00 holds until midnight."""
    t = tariff(
        [element(pc("TIME", 1, 1), start_time="20:00", end_time="00:00"), element(pc("TIME", 5, 1))]
    )
    result = price(t, "2024-06-03T23:59", charge(1, 0), charge(1, 0), tz=AMS)
    assert used_elements(result) == [0, 1]


def test_session_across_midnight_with_a_night_rate() -> None:
    """21:30 to 06:30, periods split at 22:00 and 06:00 as the CPO must: 30 minutes day,
    8 hours night, 30 minutes day."""
    result = price(
        NIGHT_AND_DAY, "2024-06-03T21:30", charge(30, 5), charge(480, 40), charge(30, 5), tz=AMS
    )
    assert used_elements(result) == [1, 0, 1]
    assert money(result.total_cost)[0] == "11"  # 0.5 h x 3 + 8 h x 1 + 0.5 h x 3


def test_spring_forward_night_window_is_seven_hours() -> None:
    """Europe/Amsterdam, 2024-03-31 02:00 → 03:00: the night from 22:00 (21:00 UTC) to 06:00
    CEST (04:00 UTC) lasts 7 real hours; a period from 04:00 UTC is day time."""
    start = "2024-03-30T22:00"
    result = price(NIGHT_AND_DAY, start, charge(420, 50), charge(60, 7), tz=AMS)
    assert used_elements(result) == [0, 1]
    assert result.periods[1].start.isoformat() == "2024-03-31T04:00:00+00:00"
    assert money(result.total_cost)[0] == "10"  # 7 h x 1 + 1 h x 3


def test_fall_back_night_window_is_nine_hours() -> None:
    """Europe/Amsterdam, 2024-10-27 03:00 → 02:00: 22:00 CEST (20:00 UTC) to 06:00 CET (05:00
    UTC) is 9 real hours, all at the night rate, through both 02:30s."""
    result = price(NIGHT_AND_DAY, "2024-10-26T22:00", charge(540, 60), charge(60, 7), tz=AMS)
    assert used_elements(result) == [0, 1]
    assert result.periods[1].start.isoformat() == "2024-10-27T05:00:00+00:00"
    assert result.warnings == []


def test_wall_clock_repeats_in_the_autumn_hour() -> None:
    """A 02:00-02:30 window holds twice on 2024-10-27 (00:00-00:30 and 01:00-01:30 UTC)."""
    t = tariff(
        [element(pc("TIME", 9, 1), start_time="02:00", end_time="02:30"), element(pc("TIME", 1, 1))]
    )
    # 23:45 UTC (01:45 CEST) onwards, 15-minute periods
    segments = [charge(15, 1) for _ in range(8)]
    result = price(t, "2024-10-27T01:45", *segments, tz=AMS)
    assert used_elements(result) == [1, 0, 0, 1, 1, 0, 0, 1]


def test_a_window_that_starts_in_the_spring_gap_opens_at_the_jump() -> None:
    """On 2024-03-31 the wall clock never reads 02:30; a 02:30-05:00 window holds from 03:00
    CEST (the jump, 01:00 UTC)."""
    t = tariff(
        [element(pc("TIME", 9, 1), start_time="02:30", end_time="05:00"), element(pc("TIME", 1, 1))]
    )
    result = price(t, "2024-03-31T01:30", charge(30, 1), charge(30, 1), tz=AMS)
    assert [p.start.isoformat() for p in result.periods] == [
        "2024-03-31T00:30:00+00:00",
        "2024-03-31T01:00:00+00:00",
    ]
    assert used_elements(result) == [1, 0]


def test_restrictions_are_read_on_the_location_wall_clock() -> None:
    """The same UTC instant is inside the window in Amsterdam (22:30) and not in UTC (20:30)."""
    inside = price(NIGHT_AND_DAY, "2024-06-03T22:30", charge(10, 1), tz=AMS)
    outside = price(NIGHT_AND_DAY, "2024-06-03T20:30", charge(10, 1), tz="UTC")
    assert inside.periods[0].start == outside.periods[0].start
    assert used_elements(inside) == [0] and used_elements(outside) == [1]


def test_day_of_week() -> None:
    """day_of_week holds on the listed local days only (2024-06-08 is a Saturday)."""
    t = tariff(
        [
            element(pc("ENERGY", 1, 1), day_of_week=["SATURDAY", "SUNDAY"]),
            element(pc("ENERGY", 2, 1)),
        ]
    )
    assert used_elements(price(t, "2024-06-08T10:00", charge(10, 1), tz=AMS)) == [0]
    assert used_elements(price(t, "2024-06-07T23:59", charge(1, 1), tz=AMS)) == [1]
    assert used_elements(price(t, "2024-06-10T00:00", charge(1, 1), tz=AMS)) == [1]


def test_day_of_week_and_a_night_window_are_anded_at_the_moment() -> None:
    """22:00-06:00 with FRIDAY holds on Friday night before midnight, not on Saturday 02:00
    (restrictions.py: each is read on the wall clock of the moment)."""
    t = tariff(
        [
            element(
                pc("ENERGY", 1, 1), start_time="22:00", end_time="06:00", day_of_week=["FRIDAY"]
            ),
            element(pc("ENERGY", 2, 1)),
        ]
    )
    assert used_elements(price(t, "2024-06-07T23:00", charge(1, 1), tz=AMS)) == [0]
    assert used_elements(price(t, "2024-06-08T02:00", charge(1, 1), tz=AMS)) == [1]
    assert used_elements(price(t, "2024-06-07T02:00", charge(1, 1), tz=AMS)) == [0]


def test_start_date_inclusive_end_date_exclusive() -> None:
    t = tariff(
        [
            element(pc("ENERGY", 1, 1), start_date="2024-12-24", end_date="2024-12-27"),
            element(pc("ENERGY", 2, 1)),
        ]
    )
    for day, promo in (("23", False), ("24", True), ("26", True), ("27", False)):
        result = price(t, f"2024-12-{day}T00:00", charge(1, 1), tz=AMS)
        assert used_elements(result) == [0 if promo else 1], day
    # 2024-12-27 00:00 in Amsterdam is still the 26th in UTC: the local date decides
    assert used_elements(price(t, "2024-12-26T23:30", charge(1, 1), tz="UTC")) == [0]


@pytest.mark.parametrize(("energy_before", "cheap"), [("19.999", False), ("20", True)])
def test_min_kwh_inclusive(energy_before: str, cheap: bool) -> None:
    """min_kwh holds from that amount of energy on (inclusive), counted before the period."""
    t = tariff([element(pc("ENERGY", 1, 1), min_kwh="20"), element(pc("ENERGY", 2, 1))])
    result = price(t, "2024-06-03T10:00", charge(30, energy_before), charge(30, 5), tz=AMS)
    assert used_elements(result)[1] == (0 if cheap else 1)


@pytest.mark.parametrize(("energy_before", "cheap"), [("9.999", True), ("10", False)])
def test_max_kwh_exclusive(energy_before: str, cheap: bool) -> None:
    t = tariff([element(pc("ENERGY", 1, 1), max_kwh="10"), element(pc("ENERGY", 2, 1))])
    result = price(t, "2024-06-03T10:00", charge(30, energy_before), charge(30, 5), tz=AMS)
    assert used_elements(result)[1] == (0 if cheap else 1)


def test_kwh_thresholds_back_and_forth_with_negative_energy() -> None:
    """Energy so far can fall (V2G, negative ENERGY): max_kwh applies again below it."""
    t = tariff([element(pc("ENERGY", 1, 1), max_kwh="10"), element(pc("ENERGY", 2, 1))])
    result = price(t, "2024-06-03T10:00", charge(30, 12), charge(30, -4), charge(30, 1), tz=AMS)
    assert used_elements(result) == [0, 1, 0]


@pytest.mark.parametrize(("elapsed", "first"), [(1799, True), (1800, False)])
def test_max_duration_exclusive(elapsed: int, first: bool) -> None:
    """max_duration holds while the session is shorter (exclusive), from the session start."""
    t = tariff([element(pc("ENERGY", 0, 1), max_duration=1800), element(pc("ENERGY", 1, 1))])
    minutes = f"{elapsed / 60}"
    result = price(t, "2024-06-03T10:00", charge(minutes, 1), charge(5, 1), tz=AMS)
    assert used_elements(result)[1] == (0 if first else 1)


@pytest.mark.parametrize(("elapsed", "fee"), [(3599, False), (3600, True)])
def test_min_duration_inclusive(elapsed: int, fee: bool) -> None:
    t = tariff([element(pc("PARKING_TIME", 6, 1), min_duration=3600)])
    result = price(t, "2024-06-03T10:00", charge(f"{elapsed / 60}", 10), park(10), tz=AMS)
    assert (money(result.total_parking_cost)[0] == "1") is fee


def test_min_and_max_current_use_the_period_range() -> None:
    """min_current holds when the period's lowest current meets it, max_current when its
    highest stays below; without current dimensions the element does not apply."""
    t = tariff([element(pc("TIME", 2, 1), min_current=32), element(pc("TIME", 1, 1))])
    steady = price(t, "2024-06-03T10:00", charge(60, 22, min_current=40, max_current=48), tz=AMS)
    dipping = price(t, "2024-06-03T10:00", charge(60, 22, min_current=20, max_current=48), tz=AMS)
    unknown = price(t, "2024-06-03T10:00", charge(60, 22), tz=AMS)
    assert used_elements(steady) == [0]
    assert used_elements(dipping) == [1]
    assert used_elements(unknown) == [1]
    assert "current unknown" in unknown.periods[0].components[0].reason
    assert "where the current crosses a restriction bound" in dipping.warnings[0]


def test_min_power_from_one_power_dimension() -> None:
    """One of MIN_/MAX_POWER stands for both."""
    t = tariff([element(pc("ENERGY", 2, 1), min_power=22), element(pc("ENERGY", 1, 1))])
    assert used_elements(price(t, "2024-06-03T10:00", charge(60, 5, max_power=50), tz=AMS)) == [0]


def test_power_bounds_while_parking_see_zero_power() -> None:
    t = tariff(
        [element(pc("PARKING_TIME", 2, 1), max_power="0.5"), element(pc("PARKING_TIME", 9, 1))]
    )
    assert used_elements(price(t, "2024-06-03T10:00", park(60), tz=AMS)) == [0]


def test_unreadable_restriction_is_an_error_with_its_path() -> None:
    t = tariff([element(pc("ENERGY", 1, 1), start_time="25:00")])
    with pytest.raises(TariffError, match=r"elements\[0\]\.restrictions\.start_time: '25:00'"):
        price(t, "2024-06-03T10:00", charge(10, 1), tz=AMS)


def test_2_1_1_end_time_24_00_is_the_end_of_the_day() -> None:
    """2.1.1's regex admits ``24:00`` (E-211-2); our 2.1.1 model accepts it as end of day."""
    t = tariff(
        [
            element(pc("ENERGY", 1, 1), start_time="18:00", end_time="24:00"),
            element(pc("ENERGY", 2, 1)),
        ]
    )
    result = price(t, "2024-06-03T23:59", charge(1, 1), charge(1, 1), tz=AMS, version="2.1.1")
    assert used_elements(result) == [0, 1]


def test_empty_day_of_week_restricts_nothing() -> None:
    t = tariff([element(pc("ENERGY", 1, 1), day_of_week=[]), element(pc("ENERGY", 2, 1))])
    assert used_elements(price(t, "2024-06-03T10:00", charge(1, 1), tz=AMS)) == [0]
