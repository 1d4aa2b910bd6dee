"""step_size in the engine (``roamkit.pricing.stepsize``): exact boundaries, groups, versions."""

from __future__ import annotations

import pytest

from .pricing_cases import (
    D,
    billed,
    billed_minutes,
    charge,
    element,
    money,
    park,
    pc,
    price,
    tariff,
)

START = "2024-06-03T10:00"


def seconds(result, dimension: str) -> list[tuple[int, int]]:
    return [
        (pc.seconds, pc.billed_seconds)
        for p in result.periods
        for pc in p.components
        if pc.dimension == dimension
    ]


@pytest.mark.parametrize(
    ("minutes", "billed_s"), [("15", 900), ("15.0166666666666666666666667", 1800)]
)
def test_time_exactly_a_multiple_and_one_second_above(minutes: str, billed_s: int) -> None:
    """900 s with step 900 bills 900 (E-221-2); 901 s bills 1800."""
    t = tariff([element(pc("TIME", 4, 900))])
    result = price(t, START, charge(minutes, 2))
    assert seconds(result, "TIME")[0][1] == billed_s


@pytest.mark.parametrize(("kwh", "billed_kwh"), [("0.5", "0.5"), ("0.501", "1")])
def test_energy_exactly_a_multiple_and_one_wh_above(kwh: str, billed_kwh: str) -> None:
    t = tariff([element(pc("ENERGY", 1, 500))])
    result = price(t, START, charge(10, kwh))
    assert billed(result, "ENERGY") == [(D(kwh), D(billed_kwh))]


def test_step_size_zero_bills_the_exact_volume() -> None:
    t = tariff([element(pc("ENERGY", 1, 0), pc("TIME", 1, 0))])
    result = price(t, START, charge(7, "0.1234"))
    assert billed(result, "ENERGY") == [(D("0.1234"), D("0.1234"))]
    assert seconds(result, "TIME") == [(420, 420)]


def test_parking_after_charging_rounds_only_the_parking() -> None:
    t = tariff([element(pc("TIME", 2, 600), pc("PARKING_TIME", 4, 600))])
    result = price(t, START, charge(23, 5), park(11))
    assert billed_minutes(result, "TIME") == [(23, 23)]
    assert billed_minutes(result, "PARKING_TIME") == [(11, 20)]


def test_charging_after_parking_rounds_the_charging_total() -> None:
    """The last time-based dimension is rounded, over the whole session: 10 + 7 minutes of
    TIME (around a parking stretch) → 20, the 3 extra minutes in the last TIME period."""
    t = tariff([element(pc("TIME", 2, 600), pc("PARKING_TIME", 4, 600))])
    result = price(t, START, charge(10, 2), park(5), charge(7, 1))
    assert billed_minutes(result, "TIME") == [(10, 10), (7, 10)]
    assert billed_minutes(result, "PARKING_TIME") == [(5, 5)]
    reason = result.periods[2].components[0].reason
    assert "the session total of TIME (the last time-based dimension" in reason
    assert "17 min, is billed as 20 min" in reason


def test_last_step_size_applies_to_the_total_across_tariffs() -> None:
    """Switching tariffs mid-session does not round (221-TC-7.4): one total, the last
    component's step."""
    a = tariff([element(pc("TIME", 1, 1800))], id="A")
    b = tariff([element(pc("TIME", 1, 300))], id="B")
    result = price([a, b], START, charge(20, 2, tariff_id="A"), charge(7, 1, tariff_id="B"))
    assert billed_minutes(result, "TIME") == [(20, 20), (7, 10)]


def test_reservation_time_is_rounded_on_its_own() -> None:
    t = tariff(
        [
            element(pc("TIME", 6, 600), reservation="RESERVATION"),
            element(pc("TIME", 1, 600)),
        ]
    )
    from .pricing_cases import reserve

    result = price(t, START, reserve(13), charge(25, 5))
    assert billed_minutes(result, "RESERVATION_TIME") == [(13, 20)]
    assert billed_minutes(result, "TIME") == [(25, 30)]


def test_2_1_1_rounds_each_price_component() -> None:
    """2.1.1 (stepsize.py): per price component: 17:00 switch and charging+parking each
    rounded; the same session under 2.2.1 rounds only the last time dimension."""
    t = tariff(
        [
            element(
                pc("TIME", 1, 600), pc("PARKING_TIME", 2, 600), start_time="00:00", end_time="17:00"
            ),
            element(pc("TIME", 3, 600), pc("PARKING_TIME", 2, 600)),
        ]
    )
    segments = (charge(7, 1), charge(4, 1), park(3))
    v211 = price(t, "2024-06-03T16:53", *segments, version="2.1.1")
    assert billed_minutes(v211, "TIME") == [(7, 10), (4, 10)]
    assert billed_minutes(v211, "PARKING_TIME") == [(3, 10)]
    assert money(v211.total_cost) == ("1", None)  # 10/60 + 30/60 + 20/60
    v221 = price(t, "2024-06-03T16:53", *segments)
    assert billed_minutes(v221, "TIME") == [(7, 7), (4, 4)]
    assert billed_minutes(v221, "PARKING_TIME") == [(3, 10)]


def test_2_1_1_one_component_over_several_periods_is_one_total() -> None:
    """In-between periods do not add steps in 2.1.1 either: the component's session total."""
    t = tariff([element(pc("TIME", 6, 300))])
    result = price(t, START, charge(2, 1), charge(2, 1), charge(2, 1), version="2.1.1")
    assert billed_minutes(result, "TIME") == [(2, 2), (2, 2), (2, 6)]  # 6 min → 10


def test_energy_rounding_goes_to_the_last_priced_energy_period() -> None:
    """The free energy after max_duration's fallback is free because no element matches
    (no fallback element): the last *priced* ENERGY period takes the extra."""
    t = tariff([element(pc("ENERGY", 1, 1000), max_duration=1800)])
    result = price(t, START, charge(30, "2.2"), charge(20, "3"))
    assert billed(result, "ENERGY") == [(D("2.2"), D("3"))]
    assert money(result.total_cost)[0] == "3"
