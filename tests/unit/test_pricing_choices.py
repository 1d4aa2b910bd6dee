"""Where the spec is open or contradicts itself (CHECKLIST Part 4), the engine's choice, one
test each, named after it. The reasoning is in the docstrings of ``roamkit.pricing``."""

from __future__ import annotations

from datetime import timedelta

from roamkit.domain import canonical as c
from roamkit.models.v211 import cdrs as w211
from roamkit.pricing import Money, price_periods

from .pricing_cases import (
    D,
    billed_minutes,
    charge,
    element,
    local,
    money,
    park,
    pc,
    price,
    reserve,
    tariff,
)

START = "2024-06-03T10:00"


def test_a221_3_two_components_of_one_dimension_the_first_is_used() -> None:
    """A-221-3: two ENERGY components in one element are undefined; the first is used and
    the result says so."""
    t = tariff([element(pc("ENERGY", 1, 1), pc("ENERGY", 5, 1))])
    result = price(t, START, charge(10, 2))
    assert money(result.total_cost)[0] == "2"
    assert result.warnings == [
        "tariff 'T': element 0 has two ENERGY price components; the first is used "
        "(CHECKLIST A-221-3)"
    ]


def test_a221_4_unrestricted_elements_do_not_price_the_reservation() -> None:
    """A-221-4: the reservation is priced only by reservation elements and the session only
    by the others (examples 15-18): the unrestricted TIME price does not apply while
    reserved, the reservation TIME price not while charging."""
    t = tariff(
        [
            element(pc("TIME", 6, 1), reservation="RESERVATION"),
            element(pc("TIME", 1, 1), pc("FLAT", 1, 1)),
        ]
    )
    result = price(t, START, reserve(30), charge(60, 10))
    assert [(pc.dimension, pc.element_index) for p in result.periods for pc in p.components] == [
        ("RESERVATION_TIME", 0),
        ("FLAT", 1),
        ("TIME", 1),
    ]
    assert money(result.total_reservation_cost)[0] == "3"
    assert money(result.total_cost)[0] == "5"


def test_expired_reservation_prefers_reservation_expires_whatever_the_order() -> None:
    """NOTE of #mod_tariffs_reservation_restriction_type: with TIME in both RESERVATION and
    RESERVATION_EXPIRES elements, an expired reservation's time takes the RESERVATION_EXPIRES
    price, even when the RESERVATION element comes first."""
    t = tariff(
        [
            element(pc("TIME", 3, 60), reservation="RESERVATION"),
            element(pc("TIME", 6, 60), reservation="RESERVATION_EXPIRES"),
            element(pc("ENERGY", "0.25", 1)),
        ]
    )
    expired = price(t, START, reserve(30))
    assert money(expired.total_cost)[0] == "3"
    used = price(t, START, reserve(30), charge(60, 10))
    assert money(used.total_reservation_cost)[0] == "1.5"


def test_221_tc_9_min_and_max_price_excl_and_incl_vat_apply_independently() -> None:
    """221-TC-9 / NOTE on min_price and max_price: the total excl. VAT is capped by the excl.
    bound and the total incl. VAT by the incl. bound, each on its own. 40 kWh at 0.25 (10 %
    VAT) and a 2.00 flat (21 % VAT) = 12.00 / 13.42; max_price 12.50 / 13.00 caps only the
    amount including VAT."""
    t = tariff(
        [element(pc("FLAT", 2, 1, vat=21), pc("ENERGY", "0.25", 1, vat=10))],
        max_price={"excl_vat": "12.50", "incl_vat": "13.00"},
    )
    result = price(t, START, charge(120, 40))
    assert money(result.total_cost) == ("12", "13")
    assert result.capping is not None and result.capping.applied == ["max_price.incl_vat"]
    assert money(result.capping.correction) == ("0", "-0.42")
    assert money(result.total_energy_cost) == ("10", "11")  # category totals as computed


def test_cap_without_incl_vat_moves_the_amount_incl_vat_in_proportion() -> None:
    """A max_price without incl_vat: the correction excl. VAT is spread over the components
    with their own VAT, i.e. the amount incl. VAT moves in proportion (engine docstring)."""
    t = tariff([element(pc("ENERGY", 1, 1, vat=20))], max_price={"excl_vat": "5"})
    result = price(t, START, charge(60, 10))
    assert money(result.total_cost) == ("5", "6")


def test_221_tc_10_vat_absent_is_unknown_not_zero() -> None:
    """221-TC-10: a component without vat ("no VAT applicable", not 0 %) leaves the amount
    incl. VAT unknown for every total it is part of; ``vat: 0`` is 0 %."""
    mixed = tariff([element(pc("FLAT", 1, 1, vat=20), pc("ENERGY", 1, 1))])
    result = price(mixed, START, charge(60, 10))
    assert money(result.total_fixed_cost) == ("1", "1.2")
    assert money(result.total_energy_cost) == ("10", None)
    assert money(result.total_cost) == ("11", None)
    assert "incl_vat" not in result.to_json()["total_cost"]
    zero = tariff([element(pc("ENERGY", 1, 1, vat=0))])
    assert money(price(zero, START, charge(60, 10)).total_cost) == ("10", "10")


def test_tariff_end_date_time_is_inclusive_after_which_wording() -> None:
    """#mod_tariffs_tariff_object: end_date_time is "the time after which this tariff is no
    longer valid": a session starting exactly then is still within it; one second later it
    is not (priced anyway, with a warning: the period says the tariff applied)."""
    t = tariff([element(pc("ENERGY", 1, 1))], end_date_time="2024-06-03T08:00:00Z")
    assert price(t, START, charge(10, 1)).warnings == []  # 10:00 CEST = 08:00 UTC
    late = price(t, "2024-06-03T10:00:01", charge(10, 1))
    assert money(late.total_cost)[0] == "1"
    assert late.warnings == [
        "tariff 'T' is first used at 2024-06-03T08:00:01Z, outside its "
        "start_date_time/end_date_time; applied as the period says"
    ]


def test_absent_tariff_id_uses_the_session_tariff_although_2_2_1_says_no_tariff() -> None:
    """#mod_cdrs_chargingperiod_class says an absent tariff_id means "no Tariff is relevant";
    CDRs omit it routinely and 2.1.1 cannot carry it. We price such periods with the
    session's tariff: the only one given, else the first valid at the start (warning)."""
    one = tariff([element(pc("ENERGY", 1, 1))])
    assert money(price(one, START, charge(10, 2)).total_cost)[0] == "2"
    expired = tariff([element(pc("ENERGY", 9, 1))], id="OLD", end_date_time="2024-01-01T00:00:00Z")
    current = tariff(
        [element(pc("ENERGY", 2, 1))], id="NEW", start_date_time="2024-01-01T00:00:00Z"
    )
    result = price([expired, current], START, charge(10, 2))
    assert money(result.total_cost)[0] == "4"
    assert result.warnings == [
        "periods without tariff_id are priced with tariff 'NEW', the first of 2 tariffs valid "
        "at the session start"
    ]


def test_unknown_tariff_id_prices_nothing() -> None:
    t = tariff([element(pc("ENERGY", 1, 1))])
    result = price(t, START, charge(10, 2, tariff_id="OTHER"), charge(10, 2))
    assert money(result.total_cost)[0] == "2"
    assert result.periods[0].tariff_id is None and result.periods[1].tariff_id == "T"
    assert result.warnings == ["periods 0 name tariff 'OTHER', which is not given: not priced"]


def test_tariff_id_is_case_insensitive() -> None:
    t = tariff([element(pc("ENERGY", 1, 1))], id="abc")
    assert money(price(t, START, charge(10, 2, tariff_id="ABC")).total_cost)[0] == "2"


def test_flat_fee_is_charged_once_per_session_from_the_first_period_with_one() -> None:
    """2.2.1 has no FLAT dimension: a start fee is charged once, in the first period where
    the lookup finds a FLAT component (here a day fee), not again when the night fee would
    be the active FLAT component."""
    t = tariff(
        [
            element(pc("FLAT", 1, 1), start_time="08:00", end_time="20:00"),
            element(pc("FLAT", 2, 1), pc("ENERGY", 1, 1)),
        ]
    )
    result = price(t, "2024-06-03T19:00", charge(60, 1), charge(60, 1))
    assert money(result.total_fixed_cost)[0] == "1"
    assert money(result.total_cost)[0] == "3"


def test_flat_fee_first_found_while_parking_counts_as_parking() -> None:
    """total_fixed_cost excludes "fixed price components of parking": a FLAT that is first
    found in a parking-only period (an idle fee after 4 hours) counts in
    total_parking_cost."""
    t = tariff([element(pc("FLAT", 10, 1), min_duration=14400), element(pc("ENERGY", 1, 1))])
    result = price(t, START, charge(240, 20), park(30))
    assert money(result.total_parking_cost)[0] == "10"
    assert money(result.total_fixed_cost)[0] == "0"


def test_2_1_1_flat_dimension_charges_the_flat_component_where_it_is() -> None:
    """2.1.1 has a FLAT CdrDimension (mod_cdrs.md §4.3): when the CDR's periods carry it,
    FLAT is charged there, volume x price; the canonical form drops FLAT (domain/v211/cdrs.py),
    so 2.1.1 wire periods are priced as they are."""
    t = tariff([element(pc("FLAT", "0.50", 1), pc("ENERGY", "0.25", 1))])
    start = local(START)
    wire = [
        w211.ChargingPeriod.model_validate(
            {
                "start_date_time": start,
                "dimensions": [{"type": "FLAT", "volume": 1}, {"type": "ENERGY", "volume": 4}],
            }
        ),
        w211.ChargingPeriod.model_validate(
            {
                "start_date_time": start + timedelta(hours=1),
                "dimensions": [{"type": "FLAT", "volume": 1}, {"type": "ENERGY", "volume": 4}],
            }
        ),
    ]
    end = start + timedelta(hours=2)
    result = price_periods(
        [t], wire, start=start, end=end, time_zone="Europe/Berlin", version="2.1.1"
    )
    assert money(result.total_fixed_cost)[0] == "1"
    assert money(result.total_cost)[0] == "3"
    without = [
        c.ChargingPeriod.model_validate(
            {
                **p.model_dump(),
                "dimensions": [d.model_dump() for d in p.dimensions if d.type != "FLAT"],
            }
        )
        for p in wire
    ]
    again = price_periods(
        [t], without, start=start, end=end, time_zone="Europe/Berlin", version="2.1.1"
    )
    assert money(again.total_fixed_cost)[0] == "0.5"  # no FLAT dimension: once, as in 2.2.1


def test_money_examples_disagree_on_rounding_we_keep_four_places() -> None:
    """OCPI leaves rounding out (221-TC-11) and its examples disagree: 0.03125 is printed
    0.031, 4.997 as 5.00, while 2.875, 4.125 and 13.861 are printed exactly. We compute
    exactly and put 4 places (ROUND_HALF_UP) on the wire; ``Money.rounded(2)`` for cents."""
    amount = Money(D("0.03125"), D("2.8749999"))
    assert amount.to_price().model_dump() == {"excl_vat": D("0.0313"), "incl_vat": D("2.875")}
    assert amount.to_json() == {"excl_vat": 0.0313, "incl_vat": 2.875}
    assert amount.rounded(2) == Money(D("0.03"), D("2.87"))
    assert Money(D("-0.00001"), None).to_json() == {"excl_vat": 0}


def test_time_volumes_are_whole_seconds() -> None:
    """Hours on the wire are rounded decimals: 1.973 h is 7102.8 s; time is billed in whole
    seconds (the step multiplier), so this is 7103 s (engine docstring)."""
    t = tariff([element(pc("TIME", 3600, 1))])
    result = price(t, START, charge("118.38", 1))
    assert billed_minutes(result, "TIME") == [(118, 118)]
    component = result.periods[0].components[0]
    assert (component.seconds, component.billed_seconds) == (7103, 7103)
    assert money(result.total_cost)[0] == "7103"


def test_period_spanning_a_price_change_is_priced_by_its_start_with_a_warning() -> None:
    """#mod_cdrs_charging_period: the CPO SHALL start a new period at 17:00; one that does
    not is priced with what was active at its start, and the result says so."""
    t = tariff(
        [
            element(pc("ENERGY", 1, 1), start_time="00:00", end_time="17:00"),
            element(pc("ENERGY", 2, 1)),
        ]
    )
    result = price(t, "2024-06-03T16:30", charge(60, 10), tz="Europe/Berlin")
    assert money(result.total_cost)[0] == "10"
    assert result.warnings == [
        "another price component becomes active inside period 0 (2024-06-03T14:30:00Z to "
        "2024-06-03T15:30:00Z) at 2024-06-03T15:00:00Z: priced with the components active at "
        "the period start (the CPO SHALL start a new charging period there, "
        "mod_cdrs.asciidoc#mod_cdrs_charging_period)"
    ]


def test_kwh_threshold_inside_a_period_is_warned() -> None:
    t = tariff([element(pc("ENERGY", 1, 1), max_kwh=10), element(pc("ENERGY", 2, 1))])
    result = price(t, START, charge(60, 15))
    assert money(result.total_cost)[0] == "15"
    assert "at 10 kWh" in result.warnings[0]


def test_minutes_parked_without_a_component_are_free() -> None:
    """221-TC-2: no element with the dimension matches → no cost for it."""
    t = tariff([element(pc("PARKING_TIME", 6, 60), start_time="09:00", end_time="18:00")])
    result = price(t, "2024-06-03T17:30", park(60))
    assert billed_minutes(result, "PARKING_TIME") == [(60, 60)]
    # the same hour split at 18:00 as the CPO must: 30 paid, 30 free
    split = price(t, "2024-06-03T17:30", park(30), park(30))
    assert billed_minutes(split, "PARKING_TIME") == [(30, 30)]
    assert money(split.total_cost)[0] == "3"
