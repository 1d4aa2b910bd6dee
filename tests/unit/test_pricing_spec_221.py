"""Every worked example of the OCPI 2.2.1 Tariffs and CDRs chapters, as a golden test.

Each test cites its section (``2.2.1/mod_tariffs.asciidoc#<anchor>`` or the
heading when it has no anchor) and uses the example's own tariff JSON from
``2.2.1/examples``. Sessions are on Monday 2024-06-03 in Europe/Berlin (the
example tariffs are German) unless the example says otherwise. Where the
example's own figures are wrong, the test says so and asserts the correct ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from roamkit.domain import canonical as c
from roamkit.pricing import Money, price_cdr

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
    reserve,
    spec_tariff,
    tariff,
)
from .test_converters_support import example_221, needs_221

pytestmark = needs_221

MONDAY = "2024-06-03"
SATURDAY = "2024-06-08"


# --- mod_tariffs.asciidoc#mod_tariffs_examples -------------------------------------


def test_simple_tariff_0_25_per_kwh() -> None:
    """#mod_tariffs_simple_tariff_example_0_25_euro_per_kwh: 20 kWh → 5.00 / 5.50."""
    result = price(spec_tariff("tariff_8_simple_025kwh"), f"{MONDAY}T10:00", charge(60, 20))
    assert money(result.total_cost) == ("5", "5.5")
    assert money(result.total_energy_cost) == ("5", "5.5")


def test_0_25_per_kwh_plus_start_fee() -> None:
    """#mod_tariffs_tariff_example_0_25_euro_per_kwh_start: 20 kWh → 5.50 / 6.10."""
    result = price(spec_tariff("tariff_9_025kwh_start"), f"{MONDAY}T10:00", charge(60, 20))
    assert money(result.total_cost) == ("5.5", "6.1")
    assert money(result.total_fixed_cost) == ("0.5", "0.6")


def test_0_25_per_kwh_plus_min_price() -> None:
    """#mod_tariffs_tariff_example_0_25_euro_per_kwh_min_price: 20 kWh → 5.00 / 5.50; below
    2 kWh the minimum, 0.50 / 0.55, is billed."""
    t = spec_tariff("tariff_12_025kwh_min_price")
    assert money(price(t, f"{MONDAY}T10:00", charge(60, 20)).total_cost) == ("5", "5.5")
    small = price(t, f"{MONDAY}T10:00", charge(10, "1.5"))
    assert money(small.total_cost) == ("0.5", "0.55")
    assert money(small.total_energy_cost) == ("0.375", "0.4125")  # left as computed
    assert small.capping is not None
    assert small.capping.applied == ["min_price.excl_vat", "min_price.incl_vat"]


def test_0_25_per_kwh_parking_and_start_fee() -> None:
    """#mod_tariffs_tariff_example_0_25_euro_per_kwh_parking_start: 20 kWh and 40 minutes of
    parking (billed per 15 minutes: 45) → 7.00 / 7.90."""
    t = spec_tariff("tariff_10_025kwh_parking_start")
    result = price(t, f"{MONDAY}T10:00", charge(120, 20), park(40))
    assert money(result.total_cost) == ("7", "7.9")
    assert money(result.total_parking_cost) == ("1.5", "1.8")
    assert billed_minutes(result, "PARKING_TIME") == [(40, 45)]


def test_0_25_per_kwh_start_fee_max_price_end_date() -> None:
    """#mod_tariffs_tariff_example_0_25_euro_per_kwh_start_max_price: 50 kWh → capped at
    10.00 / 11.00; 30 kWh → 8.00 / 8.85 (below the cap). The tariff ends 2019-06-30."""
    t = spec_tariff("tariff_6_025kwh_start_max_price")
    capped = price(t, "2019-06-03T10:00", charge(120, 50))
    assert money(capped.total_cost) == ("10", "11")
    assert money(capped.total_energy_cost) == ("12.5", "13.75")  # categories as computed
    assert capped.capping is not None and capped.capping.applied == [
        "max_price.excl_vat",
        "max_price.incl_vat",
    ]
    below = price(t, "2019-06-03T10:00", charge(90, 30))
    assert money(below.total_cost) == ("8", "8.85")
    assert below.capping is None and below.warnings == []


def test_simple_tariff_2_per_hour() -> None:
    """#mod_tariffs_simple_tariff_example_2_euro_per_hour: 2.5 hours → 5.00 / 5.50; only TIME,
    so parking is free."""
    t = spec_tariff("tariff_1_simple_2hour")
    result = price(t, f"{MONDAY}T10:00", charge(150, 11), park(30))
    assert money(result.total_cost) == ("5", "5.5")
    assert billed_minutes(result, "TIME") == [(150, 150)]  # E-221-2: no extra step
    assert billed_minutes(result, "PARKING_TIME") == []


def test_simple_tariff_3_per_hour_5_per_hour_parking() -> None:
    """#mod_tariffs_simple_tariff_example_3_euro_per_hour_5_euro_parking: 150 minutes
    charging + 42 parking (billed 45) → 11.25 / 12.75."""
    t = spec_tariff("tariff_13_simple_3hour_5parking")
    result = price(t, f"{MONDAY}T10:00", charge(150, 30), park(42))
    assert money(result.total_cost) == ("11.25", "12.75")
    assert billed_minutes(result, "TIME") == [(150, 150)]
    assert billed_minutes(result, "PARKING_TIME") == [(42, 45)]


def test_ad_hoc_tariff_multiple_languages_incl_vat_is_4_997_shown_as_5_00() -> None:
    """#mod_tariffs_simple_tariff_example_with_alternative_multi_language_text: 2.5 hours at
    1.90/h → 4.75 excl. VAT; 4.75 x 1.052 = 4.997 incl. VAT, which the spec prints as
    "€ 5.00", rounded to cents. We keep 4 places on the wire (money.py)."""
    result = price(spec_tariff("tariff_2_alt_text"), f"{MONDAY}T10:00", charge(150, 20))
    assert money(result.total_cost) == ("4.75", "4.997")
    assert money(result.total_cost, places=2) == ("4.75", "5")


def test_ad_hoc_tariff_not_possible_with_ocpi() -> None:
    """#mod_tariffs_adhoc_tariff_example_not_possible_with_ocpi: no worked figures; the
    elements match the alt text "2.00 euro p/hour, start tariff ... 0.50 euro including VAT"
    (0.40 + 25 % = 0.50; 1.90 + 5.2 % = 1.9988 per hour)."""
    result = price(
        spec_tariff("tariff_11_not_possible_alt_text"), f"{MONDAY}T10:00", charge(60, 10)
    )
    assert money(result.total_fixed_cost) == ("0.4", "0.5")
    assert money(result.total_time_cost) == ("1.9", "1.9988")


def test_alt_url_tariff_20_45_kwh_billed_as_20_5() -> None:
    """#mod_tariffs_simple_tariff_example_with_alternative_url: 20.45 kWh billed per 100 Wh,
    so 20.5 kWh: energy 5.125 / 5.6375, total 5.625 / 6.2375, which the breakdown prints
    rounded to cents (5.13 / 5.64, 5.63 / 6.24)."""
    result = price(spec_tariff("tariff_3_alt_url"), f"{MONDAY}T10:00", charge(120, "20.45"))
    assert billed(result, "ENERGY") == [(D("20.45"), D("20.5"))]
    assert money(result.total_energy_cost) == ("5.125", "5.6375")
    assert money(result.total_cost) == ("5.625", "6.2375")
    assert money(result.total_energy_cost, places=2) == ("5.13", "5.64")
    assert money(result.total_cost, places=2) == ("5.63", "6.24")


def test_complex_tariff_monday() -> None:
    """#mod_tariffs_complex_tariff_example, Monday 09:30, 165 minutes at most 16 A, then 42
    minutes parking → 9.00 / 10.30 (2.50 flat, 2.75 charging, 3.75 for 45 minutes parking).
    Charging is not rounded (followed by parking)."""
    t = spec_tariff("tariff_4_complex")
    result = price(t, f"{MONDAY}T09:30", charge(165, 25, max_current=16, min_current=6), park(42))
    assert money(result.total_cost) == ("9", "10.3")
    assert money(result.total_fixed_cost) == ("2.5", "2.875")
    assert money(result.total_time_cost) == ("2.75", "3.3")
    assert money(result.total_parking_cost) == ("3.75", "4.125")
    assert billed_minutes(result, "TIME") == [(165, 165)]
    assert billed_minutes(result, "PARKING_TIME") == [(42, 45)]
    time = result.periods[0].components[1]
    assert time.element_index == 1 and "max_current < 32" in time.reason


def test_complex_tariff_saturday_spec_arithmetic_114_min_at_1_25_is_2_375_not_2_28() -> None:
    """#mod_tariffs_complex_tariff_example, Saturday 13:30, 114 minutes at 43 A or more, then
    71 minutes parking (billed 75 at 6.00/h = 7.50). The spec prints the charging time as
    2.28 (incl. 2.736) and the total as 12.28 / 13.861, but 114 minutes at the weekend price
    1.25/h are 2.375 (2.28 would be 1.20/h): the correct total is 12.375 / 13.975."""
    t = spec_tariff("tariff_4_complex")
    result = price(
        t, f"{SATURDAY}T13:30", charge(114, 60, min_current=43, max_current=48), park(71)
    )
    assert money(result.total_time_cost) == ("2.375", "2.85")
    assert money(result.total_parking_cost) == ("7.5", "8.25")
    assert money(result.total_cost) == ("12.375", "13.975")
    time = result.periods[0].components[1]
    assert time.element_index == 3
    assert "skipped element 1: current 48 A >= max_current 32" in time.reason
    assert "element 2: SATURDAY is not in day_of_week" in time.reason


def test_free_of_charge_tariff() -> None:
    """#mod_tariffs_free_of_charge_tariff_example: one FLAT 0.00 component, no VAT: the
    session is free, and a zero cost is zero including VAT too."""
    result = price(
        spec_tariff("tariff_5_free_of_charge"), f"{MONDAY}T10:00", charge(90, 20), park(30)
    )
    assert money(result.total_cost) == ("0", "0")


def test_reservation_5_per_hour() -> None:
    """#mod_tariffs_tariff_example_15_reservation_5_euro_per_hour: 15 minutes reserved, then
    20 kWh → 6.75 / 7.60."""
    t = spec_tariff("tariff_15_reservation_5_euro_per_hour")
    result = price(t, f"{MONDAY}T10:00", reserve(15), charge(60, 20))
    assert money(result.total_cost) == ("6.75", "7.6")
    assert money(result.total_reservation_cost) == ("1.25", "1.5")
    assert money(result.total_fixed_cost) == ("0.5", "0.6")
    assert result.periods[0].phase == "reservation"


def test_reservation_fee_and_5_per_hour_breakdown_calls_it_parking_time() -> None:
    """#mod_tariffs_tariff_example_16_reservation_2_euro_fee_5_euro_per_hour: 13 minutes
    reserved (billed 15 per 5-minute step), 20 kWh → 8.75 / 10.00; the reservation fee and
    the start fee are both charged. The breakdown labels the reservation time "Parking
    time" (E-221-7): it is reservation time and counts in total_reservation_cost."""
    t = spec_tariff("tariff_16_reservation_2_euro_fee_5_euro_per_hour")
    result = price(t, f"{MONDAY}T10:00", reserve(13), charge(60, 20))
    assert money(result.total_cost) == ("8.75", "10")
    assert money(result.total_reservation_cost) == ("3.25", "3.9")
    assert money(result.total_parking_cost) == ("0", "0")
    assert money(result.total_fixed_cost) == ("0.5", "0.6")
    assert billed_minutes(result, "RESERVATION_TIME") == [(13, 15)]


def test_reservation_with_expire_fee() -> None:
    """#mod_tariffs_tariff_example_17_reservation_with_expire_fee: used after 22 minutes
    (billed 30) with 20 kWh → 6.50 / 7.30; expired after 1 hour → 4.00 expiry fee + 60
    minutes at 2.00/h = 6.00 / 7.20 (TIME from the RESERVATION element: lookup per dimension)."""
    t = spec_tariff("tariff_17_reservation_with_expire_fee")
    used = price(t, f"{MONDAY}T10:00", reserve(22), charge(60, 20))
    assert money(used.total_cost) == ("6.5", "7.3")
    assert billed_minutes(used, "RESERVATION_TIME") == [(22, 30)]
    expired = price(t, f"{MONDAY}T10:00", reserve(60))
    assert money(expired.total_cost) == ("6", "7.2")
    assert [(pc.dimension, pc.element_index) for pc in expired.periods[0].components] == [
        ("FLAT", 0),
        ("RESERVATION_TIME", 1),
    ]


def test_reservation_with_expire_time() -> None:
    """#mod_tariffs_tariff_example_18_reservation_with_expire_time: used after 22 minutes
    (billed 30 at 3.00/h) with 20 kWh → 7.00 / 7.90; expired after 1.5 hours → 90 minutes at
    the RESERVATION_EXPIRES price 6.00/h = 9.00 / 10.80."""
    t = spec_tariff("tariff_18_reservation_with_expire_time")
    assert money(price(t, f"{MONDAY}T10:00", reserve(22), charge(60, 20)).total_cost) == (
        "7",
        "7.9",
    )
    expired = price(t, f"{MONDAY}T10:00", reserve(90))
    assert money(expired.total_cost) == ("9", "10.8")
    assert expired.periods[0].components[0].element_index == 0


# --- #mod_tariffs_pricecomponent_class: step_size ----------------------------------


def test_step_size_time_300_six_minutes_billed_ten() -> None:
    """#mod_tariffs_pricecomponent_class: TIME, step_size 300: 6 minutes → 10 billed."""
    t = tariff([element(pc("TIME", "1.20", 300))])
    assert billed_minutes(price(t, f"{MONDAY}T10:00", charge(6, 1)), "TIME") == [(6, 10)]


def test_step_size_parking_300_eight_minutes_billed_ten() -> None:
    """#mod_tariffs_pricecomponent_class NOTE: PARKING_TIME step_size 300: 8 minutes → 10."""
    t = tariff([element(pc("PARKING_TIME", "1.20", 300))])
    result = price(t, f"{MONDAY}T10:00", charge(30, 5), park(8))
    assert billed_minutes(result, "PARKING_TIME") == [(8, 10)]


def test_step_size_energy_115_2_wh() -> None:
    """#mod_tariffs_pricecomponent_class NOTE: 115.2 Wh at 0.25/kWh: step 1 → 116 Wh, 0.029;
    step 25 → 125 Wh, 0.03125 (printed "€ 0.031"); step 500 → 500 Wh, 0.125."""
    for step, wh, cost in ((1, "0.116", "0.029"), (25, "0.125", "0.0313"), (500, "0.5", "0.125")):
        t = tariff([element(pc("ENERGY", "0.25", step))])
        result = price(t, f"{MONDAY}T10:00", charge(1, "0.1152"))
        assert billed(result, "ENERGY") == [(D("0.1152"), D(wh))]
        assert money(result.total_cost)[0] == cost


def test_step_size_switching_element_1() -> None:
    """Example Tariff (tariff_14), "switching to different Tariff Element #1": plug in 16:55,
    charge 10 minutes (5 at 1.20/h, 5 at 2.40/h), park 2 minutes billed 15 → 0.55."""
    t = spec_tariff("tariff_14_step_size")
    result = price(t, f"{MONDAY}T16:55", charge(5, 1), charge(5, 1), park(2))
    assert money(result.total_cost) == ("0.55", None)  # no vat in the tariff: unknown
    assert billed_minutes(result, "TIME") == [(5, 5), (5, 5)]
    assert billed_minutes(result, "PARKING_TIME") == [(2, 15)]


def test_step_size_switching_element_2() -> None:
    """Example Tariff, "switching to different Tariff Element #2": plug in 16:35, charge 35
    minutes: rounded with the last element's step (15 minutes) to 45; 25 before 17:00 at
    1.20/h, the other 20 at 2.40/h → 1.30."""
    t = spec_tariff("tariff_14_step_size")
    result = price(t, f"{MONDAY}T16:35", charge(25, 4), charge(10, 2))
    assert money(result.total_cost) == ("1.3", None)
    assert billed_minutes(result, "TIME") == [(25, 25), (10, 20)]


def test_e221_6_switching_to_free_of_charge_element_costs_0_73_not_0_80() -> None:
    """Example Tariff, "switching to Free-of-Charge Tariff Element": plug in 19:40, charge 12
    minutes (2.40/h: 0.48), park 8 minutes until 20:00 (1.00/h) and 12 free minutes after.
    The 8 paid minutes round up to 15 with the last *paid* component's step: 0.25. Total
    0.73. The d2 text prints 0.20 + 0.60 = 0.80; the errata branch corrects it (E-221-6)."""
    t = spec_tariff("tariff_14_step_size")
    result = price(t, f"{MONDAY}T19:40", charge(12, 2), park(8), park(12))
    assert money(result.total_cost) == ("0.73", None)
    assert money(result.total_time_cost) == ("0.48", None)
    assert billed_minutes(result, "PARKING_TIME") == [(8, 15)]
    assert result.periods[2].components == []  # after 20:00 no PARKING_TIME component


# --- TariffRestrictions examples ----------------------------------------------------


def test_max_power_restriction_example() -> None:
    """TariffRestrictions, "Example: Tariff with max_power Tariff Restrictions": 1 kWh at 6 kW
    (0.20), 40 kWh at 48 kW (fallback 0.50), 0.5 kWh at 4 kW (0.20 again) → 20.30."""
    t = spec_tariff("tariffrestriction_example_max_power")
    result = price(
        t,
        f"{MONDAY}T10:00",
        charge(10, 1, min_power=6, max_power=6),
        charge(50, 40, min_power=48, max_power=48),
        charge("7.5", "0.5", min_power=4, max_power=4),
    )
    assert money(result.total_cost)[0] == "20.3"
    assert [pc.element_index for p in result.periods for pc in p.components] == [0, 2, 0]


def test_max_power_restriction_example_without_power_dimensions_uses_average_power() -> None:
    """The same session with only ENERGY and TIME: the average power of each period (6, 48
    and 4 kW) decides, with the same result."""
    t = spec_tariff("tariffrestriction_example_max_power")
    result = price(t, f"{MONDAY}T10:00", charge(10, 1), charge(50, 40), charge("7.5", "0.5"))
    assert money(result.total_cost)[0] == "20.3"


def test_max_duration_restriction_example() -> None:
    """TariffRestrictions, "Example: Tariff with max_duration Tariff Restrictions": 40
    minutes, 5 kWh in the first 30 (free), 1.2 kWh in the last 10 (0.25/kWh) → 0.30."""
    t = spec_tariff("tariffrestriction_example_max_duration")
    result = price(t, f"{MONDAY}T10:00", charge(30, 5), charge(10, "1.2"))
    assert money(result.total_cost) == ("0.3", "0.36")
    assert [pc.element_index for p in result.periods for pc in p.components] == [0, 1]


def test_tariff_put_example_2_per_hour_has_no_last_updated() -> None:
    """#mod_tariffs_example_new_tariff_2_euro_per_hour: "€ 2 per hour charging time (not
    parking)". The example JSON lacks the required ``last_updated`` (like its 2.1.1 twin,
    E-211-4); with it added, 50 minutes charging (step 300) and parking → 1.6667 / 1.8333,
    parking free."""
    data = example_221("tariff_put_example.json")
    assert "last_updated" not in data
    t = c.Tariff.model_validate({**data, "last_updated": "2019-01-01T00:00:00Z"})
    result = price(t, f"{MONDAY}T10:00", charge(50, 8), park(20))
    assert money(result.total_cost) == ("1.6667", "1.8333")
    assert billed_minutes(result, "PARKING_TIME") == []


# --- mod_cdrs.asciidoc#mod_cdrs_step_size -------------------------------------------


def test_cdr_step_size_charging_21_then_parking_7() -> None:
    """#mod_cdrs_step_size: step 5 minutes for TIME and PARKING_TIME, 21 minutes charging, 7
    parking: charging billed 21 (not 25), parking 10."""
    t = tariff([element(pc("TIME", 1, 300), pc("PARKING_TIME", 2, 300))])
    result = price(t, f"{MONDAY}T10:00", charge(21, 3), park(7))
    assert billed_minutes(result, "TIME") == [(21, 21)]
    assert billed_minutes(result, "PARKING_TIME") == [(7, 10)]


def test_cdr_step_size_energy_4_3_and_1_1_kwh_rounds_the_total() -> None:
    """#mod_cdrs_step_size: 0.20/kWh before 17:00, 0.27 after, step 500 Wh; 4.3 + 1.1 = 5.4
    kWh rounds to 5.5 in total (not 1.1 → 1.5 after 17:00): 4.3 x 0.20 + 1.2 x 0.27 = 1.184."""
    t = tariff(
        [
            element(pc("ENERGY", "0.20", 500), start_time="00:00", end_time="17:00"),
            element(pc("ENERGY", "0.27", 500)),
        ]
    )
    result = price(t, f"{MONDAY}T16:00", charge(60, "4.3"), charge(20, "1.1"))
    assert billed(result, "ENERGY") == [(D("4.3"), D("4.3")), (D("1.1"), D("1.2"))]
    assert money(result.total_cost)[0] == "1.184"


def test_cdr_step_size_time_6_and_22_minutes_rounds_the_total() -> None:
    """#mod_cdrs_step_size: 5.00/h before 17:00, 7.00/h after, step 10 minutes; 6 + 22 = 28
    minutes round to 30, so 24 minutes after 17:00 are billed: 0.50 + 2.80 = 3.30."""
    t = tariff(
        [
            element(pc("TIME", 5, 600), start_time="00:00", end_time="17:00"),
            element(pc("TIME", 7, 600)),
        ]
    )
    result = price(t, f"{MONDAY}T16:54", charge(6, 1), charge(22, 4))
    assert billed_minutes(result, "TIME") == [(6, 6), (22, 24)]
    assert money(result.total_cost)[0] == "3.3"


def test_cdr_step_size_charging_21_then_parking_16() -> None:
    """#mod_cdrs_step_size: 1.00/h charging, 2.00/h parking, step 10 minutes; 21 minutes
    charging, 16 parking: parking billed 20, charging not rounded (41 minutes in all)."""
    t = tariff([element(pc("TIME", 1, 600), pc("PARKING_TIME", 2, 600))])
    result = price(t, f"{MONDAY}T10:00", charge(21, 3), park(16))
    assert billed_minutes(result, "TIME") == [(21, 21)]
    assert billed_minutes(result, "PARKING_TIME") == [(16, 20)]
    assert money(result.total_cost)[0] == "1.0167"


def test_cdr_example_json_totals() -> None:
    """#mod_cdrs_example_of_a_cdr (``cdr_example.json``): 1.973 h at 2.00/h per 5 minutes →
    2 hours: 4.00 / 4.40, all of it time cost. Its ``total_energy`` 15.342 is in no
    period (the only dimension is TIME): recomputing from the periods says 0, with a
    warning."""
    cdr = c.CDR.model_validate(example_221("cdr_example.json"))
    result = price_cdr(cdr, time_zone="Europe/Brussels")
    assert money(result.total_cost) == ("4", "4.4")
    assert money(result.total_time_cost) == ("4", "4.4")
    assert result.total_time == D("1.973056")
    assert result.warnings == ["the CDR says total_energy 15.342; recomputed from its periods: 0"]
    component = result.periods[0].components[0]
    assert (component.seconds, component.billed_seconds) == (7103, 7200)


def test_cdr_example_totals_as_price_objects() -> None:
    """The recomputed totals as canonical Prices, ready for a CDR (4 places, HALF_UP)."""
    cdr = c.CDR.model_validate(example_221("cdr_example.json"))
    result = price_cdr(cdr, time_zone="Europe/Brussels")
    assert result.total_cost.to_price() == c.Price(excl_vat=D(4), incl_vat=D("4.4"))
    assert Money(D("0.03125"), None).to_price().excl_vat == D("0.0313")
    assert json.loads(json.dumps(result.to_json()))["total_time_cost"] == {
        "excl_vat": 4,
        "incl_vat": 4.4,
    }
    assert result.periods[0].start == datetime(2015, 6, 29, 21, 39, 9, tzinfo=UTC)
