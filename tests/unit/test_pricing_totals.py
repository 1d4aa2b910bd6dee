"""Totals, tariffs per period, VAT, caps, validity, and the engine's interface."""

from __future__ import annotations

from datetime import timedelta

import pytest

from roamkit.domain import canonical as c
from roamkit.pricing import (
    Pricing,
    PricingError,
    compile_tariff,
    price_cdr,
    price_periods,
)

from .pricing_cases import (
    D,
    billed_minutes,
    charge,
    element,
    local,
    money,
    park,
    pc,
    periods,
    price,
    tariff,
)
from .test_converters_support import example_221, needs_221

START = "2024-06-03T10:00"
JSON_KEYS = {
    "total_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
    "total_reservation_cost",
    "total_energy",
    "total_time",
    "total_parking_time",
    "currency",
    "periods",
    "warnings",
}


def test_tariff_change_mid_session_prices_each_period_with_its_tariff() -> None:
    """Periods naming two tariffs (a profile change, #mod_cdrs_chargingperiod_class): each
    priced with its own; the FLAT fee once (the session's first tariff's)."""
    regular = tariff(
        [element(pc("FLAT", 1, 1, vat=20), pc("ENERGY", "0.30", 1, vat=20))], id="REGULAR"
    )
    fast = tariff([element(pc("FLAT", 5, 1, vat=20), pc("ENERGY", "0.50", 1, vat=20))], id="FAST")
    result = price(
        [regular, fast],
        START,
        charge(30, 10, tariff_id="REGULAR"),
        charge(30, 20, tariff_id="FAST"),
    )
    assert [p.tariff_id for p in result.periods] == ["REGULAR", "FAST"]
    assert money(result.total_energy_cost) == ("13", "15.6")
    assert money(result.total_fixed_cost) == ("1", "1.2")
    assert money(result.total_cost) == ("14", "16.8")
    assert result.warnings == []


def test_caps_of_the_first_tariff_apply() -> None:
    capped = tariff([element(pc("ENERGY", 1, 1))], id="A", max_price={"excl_vat": 5})
    other = tariff([element(pc("ENERGY", 1, 1))], id="B")
    result = price(
        [capped, other], START, charge(10, 3, tariff_id="A"), charge(10, 4, tariff_id="B")
    )
    assert money(result.total_cost)[0] == "5"
    assert result.warnings == [
        "max_price.excl_vat of tariff 'A' applied: total_cost excl_vat 7.0000 -> 5.0000; the "
        "category totals are left as computed"
    ]


def test_min_price_lifts_a_cheap_session_and_leaves_an_expensive_one() -> None:
    t = tariff(
        [element(pc("ENERGY", 1, 1, vat=10))], min_price={"excl_vat": "2", "incl_vat": "2.2"}
    )
    assert money(price(t, START, charge(10, "0.5")).total_cost) == ("2", "2.2")
    assert money(price(t, START, charge(10, 3)).total_cost) == ("3", "3.3")


def test_tariff_not_yet_valid_is_applied_with_a_warning() -> None:
    t = tariff([element(pc("ENERGY", 1, 1))], start_date_time="2025-01-01T00:00:00Z")
    result = price(t, START, charge(10, 1))
    assert money(result.total_cost)[0] == "1"
    assert "outside its start_date_time/end_date_time" in result.warnings[0]


def test_validity_is_2_2_1_only() -> None:
    t = tariff(
        [element(pc("ENERGY", 1, 1))],
        start_date_time="2025-01-01T00:00:00Z",
        max_price={"excl_vat": "0.5"},
    )
    result = price(t, START, charge(10, 1), version="2.1.1")
    assert money(result.total_cost) == ("1", None)
    assert result.warnings == ["tariff 'T': max_price, start_date_time ignored (2.1.1 has none)"]


def test_vat_is_per_component() -> None:
    """Each component carries its own rate (the breakdown tables): 20 % on the flat, 10 % on
    energy, 9 % on parking."""
    t = tariff(
        [
            element(
                pc("FLAT", 1, 1, vat=20),
                pc("ENERGY", 1, 1, vat=10),
                pc("PARKING_TIME", 3, 1, vat=9),
            )
        ]
    )
    result = price(t, START, charge(60, 10), park(20))
    assert money(result.total_fixed_cost) == ("1", "1.2")
    assert money(result.total_energy_cost) == ("10", "11")
    assert money(result.total_parking_cost) == ("1", "1.09")
    assert money(result.total_cost) == ("12", "13.29")
    assert money(result.periods[0].cost) == ("11", "12.2")


def test_currency_from_the_tariff_and_a_mismatch_is_warned() -> None:
    t = tariff([element(pc("ENERGY", 1, 1))], currency="CHF")
    begin = local(START)
    items, end = periods(begin, charge(10, 1))
    assert price(t, START, charge(10, 1)).currency == "CHF"
    result = price_periods([t], items, start=begin, end=end, time_zone="UTC", currency="EUR")
    assert result.currency == "EUR"
    assert result.warnings == [
        "tariff 'T' is in CHF, the session in EUR: amounts are added as they are"
    ]


def test_no_tariffs_prices_nothing() -> None:
    result = price([], START, charge(10, 1))
    assert money(result.total_cost) == ("0", "0")
    assert result.warnings == ["no tariffs: nothing is priced"]
    assert result.periods[0].tariff_id is None


def test_duplicate_tariff_ids_the_first_is_used() -> None:
    a = tariff([element(pc("ENERGY", 1, 1))])
    b = tariff([element(pc("ENERGY", 2, 1))])
    result = price([a, b], START, charge(10, 1))
    assert money(result.total_cost)[0] == "1"
    assert result.warnings == ["tariff 'T' is given twice; the first is used"]


def test_periods_out_of_order_are_an_error() -> None:
    begin = local(START)
    items, end = periods(begin, charge(10, 1), charge(10, 1))
    with pytest.raises(PricingError, match="periods must be in time order"):
        price_periods([], list(reversed(items)), start=begin, end=end, time_zone="UTC")
    with pytest.raises(PricingError, match="before its last charging period"):
        price_periods([], items, start=begin, end=begin, time_zone="UTC")
    with pytest.raises(PricingError, match="before it starts"):
        price_periods([], [], start=end, end=begin, time_zone="UTC")


def test_unknown_time_zone_and_version_are_errors() -> None:
    begin = local(START)
    items, end = periods(begin, charge(10, 1))
    with pytest.raises(PricingError, match="unknown time zone 'Mars/Olympus'"):
        price_periods([], items, start=begin, end=end, time_zone="Mars/Olympus")
    with pytest.raises(PricingError, match=r"unknown OCPI version '2\.2'"):
        price_periods([], items, start=begin, end=end, time_zone="UTC", version="2.2")


def test_reservation_end_marks_the_reservation_without_a_dimension() -> None:
    """``reservation_end``: periods before it are the reservation, priced by their length."""
    t = tariff([element(pc("TIME", 6, 60), reservation="RESERVATION"), element(pc("ENERGY", 1, 1))])
    begin = local(START)
    items, end = periods(begin, park(20), charge(60, 10))
    result = price_periods(
        [t],
        items,
        start=begin,
        end=end,
        time_zone="Europe/Berlin",
        reservation_end=begin + timedelta(minutes=20),
    )
    assert billed_minutes(result, "RESERVATION_TIME") == [(20, 20)]
    assert money(result.total_reservation_cost)[0] == "2"
    assert money(result.total_cost)[0] == "12"


def test_duration_restrictions_count_from_the_session_after_a_reservation() -> None:
    t = tariff(
        [
            element(pc("TIME", 6, 60), reservation="RESERVATION"),
            element(pc("ENERGY", 0, 1), max_duration=1800),
            element(pc("ENERGY", 1, 1)),
        ]
    )
    from .pricing_cases import reserve

    result = price(t, START, reserve(40), charge(30, 5), charge(20, 5))
    assert [pc.element_index for p in result.periods for pc in p.components][1:] == [1, 2]
    # counted from the CDR start (the reservation), both would be past max_duration


def test_compiled_tariffs_can_be_reused() -> None:
    t = compile_tariff(tariff([element(pc("ENERGY", 1, 1))]))
    for _ in range(3):
        assert money(price([t], START, charge(10, 2)).total_cost)[0] == "2"  # type: ignore[list-item]
    assert compile_tariff(t) is t
    assert compile_tariff(t, "2.1.1") is not t


def test_to_json_shape() -> None:
    t = tariff([element(pc("FLAT", 1, 1, vat=20), pc("TIME", 2, 300, vat=20))])
    result: Pricing = price(t, START, charge(7, 1), park(3))
    data = result.to_json("2.2.1")
    assert set(data) == JSON_KEYS
    assert data["total_cost"] == {"excl_vat": 1.3333, "incl_vat": 1.6}
    assert data["total_time"] == 0.166667 and data["total_parking_time"] == 0.05
    period = data["periods"][0]
    assert set(period) == {
        "index",
        "start_date_time",
        "end_date_time",
        "tariff_id",
        "phase",
        "dimensions",
        "cost",
        "components",
    }
    assert period["start_date_time"] == "2024-06-03T08:00:00Z"
    assert set(period["components"][1]) == {
        "dimension",
        "tariff_id",
        "element_index",
        "price_component",
        "volume",
        "billed_volume",
        "unit",
        "cost",
        "reason",
    }
    assert period["components"][1]["price_component"] == {
        "type": "TIME",
        "price": 2,
        "vat": 20,
        "step_size": 300,
    }
    assert period["components"][1]["billed_volume"] == 0.166667  # 10 minutes
    v211 = result.to_json("2.1.1")
    assert v211["total_cost"] == 1.3333
    assert "vat" not in v211["periods"][0]["components"][1]["price_component"]


@needs_221
def test_price_cdr_ignores_the_cdr_totals_and_takes_explicit_tariffs() -> None:
    data = example_221("cdr_example.json")
    data["total_cost"] = {"excl_vat": 99}
    data["charging_periods"][0]["dimensions"].append({"type": "ENERGY", "volume": 15.342})
    cdr = c.CDR.model_validate(data)
    own = price_cdr(cdr, time_zone="Europe/Brussels")
    assert money(own.total_cost) == ("4", "4.4")
    assert own.warnings == ["the CDR says total_cost.excl_vat 99; recomputed from its periods: 4"]
    other = tariff([element(pc("ENERGY", 1, 1))], id="12")
    assert money(price_cdr(cdr, [other], time_zone="Europe/Brussels").total_cost)[0] == "15.342"


def test_zero_volumes_are_not_priced() -> None:
    t = tariff([element(pc("ENERGY", 1, 1, vat=20), pc("PARKING_TIME", 1, 1))])
    result = price(t, START, charge(10, 0))
    assert result.periods[0].components == []
    assert money(result.total_cost) == ("0", "0")


def test_total_energy_and_times() -> None:
    t = tariff([element(pc("ENERGY", 1, 1))])
    result = price(t, START, charge(30, "12.345"), park(15), charge(15, "1.655"))
    assert result.total_energy == D("14.000")
    assert result.total_time == D("1")
    assert result.total_parking_time == D("0.25")
