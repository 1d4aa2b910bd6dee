"""Every example of the OCPI 2.1.1 Tariffs and CDRs chapters, priced with the 2.1.1 rules.

2.1.1's tariff examples print no totals; each test states the session it
prices and the figures that follow from the example's own description
(``mod_tariffs.md §3.1`` Examples, ``§2.2.2``/``§2.2.3``; ``mod_cdrs.md §3.1``
"Example of a CDR"). Sessions are in Europe/Amsterdam, Monday 2024-06-03
unless said otherwise.
"""

from __future__ import annotations

import pytest

from roamkit.domain.v211 import tariffs as tariff_conv
from roamkit.models.v211 import cdrs as w211_cdrs
from roamkit.models.v211 import tariffs as w211
from roamkit.pricing import price_cdr
from roamkit.pricing.engine import V211_CONTEXT

from .pricing_cases import billed_minutes, charge, money, park, price, spec_tariff_211
from .test_converters_support import example_211, needs_211

pytestmark = needs_211

AMS = "Europe/Amsterdam"
MONDAY = "2024-06-03"
SATURDAY = "2024-06-08"


def price_211(t, start, *segments):
    return price(t, start, *segments, tz=AMS, version="2.1.1")


@pytest.mark.parametrize(
    "heading",
    [
        "Simple Tariff example 2 euro per hour",
        "Simple Tariff example with alternative multi language text",
        "Simple Tariff example with alternative URL",
    ],
)
def test_simple_tariff_2_euro_per_hour_step_300(heading: str) -> None:
    """``mod_tariffs.md §3.1`` Examples: 2.00 per hour billed per 5 minutes. 1 h 58 min 23 s
    of charging is billed as 2 hours: 4.00 (no VAT in 2.1.1: incl. VAT unknown)."""
    t = spec_tariff_211(heading)
    result = price_211(t, f"{MONDAY}T10:00", charge("118.3833333333333333333333333", 15))
    assert money(result.total_cost) == ("4", None)
    assert billed_minutes(result, "TIME") == [(118, 120)]
    assert result.to_json()["total_cost"] == 4


def test_complex_tariff_monday_morning() -> None:
    """``mod_tariffs.md §3.1`` "Complex Tariff example": 2.50 start; charging below 32 (kW in
    the JSON) 1.00/h per 15 minutes; parking on weekdays 09:00-18:00 5.00/h per 5 minutes.
    Monday 09:30, 165 minutes at 16 kW, then 42 minutes parking: 2.50 + 2.75 + 45 minutes
    (3.75) = 9.00."""
    t = spec_tariff_211("Complex Tariff example")
    result = price_211(t, f"{MONDAY}T09:30", charge(165, 44), park(42))
    assert money(result.total_cost) == ("9", None)
    assert billed_minutes(result, "TIME") == [(165, 165)]
    assert billed_minutes(result, "PARKING_TIME") == [(42, 45)]


def test_complex_tariff_saturday_2_1_1_rounds_every_price_component() -> None:
    """The same tariff on Saturday 13:30: 114 minutes at 48 kW (weekend, 1.25/h per 10
    minutes), 71 minutes parking (Saturday 10:00-17:00, 6.00/h per 5 minutes). 2.1.1 bills
    each price component in its own steps (stepsize.py): charging 120 minutes (2.50) and
    parking 75 (7.50), total 12.50. (2.2.1 would not round the charging: 12.375.)"""
    t = spec_tariff_211("Complex Tariff example")
    result = price_211(t, f"{SATURDAY}T13:30", charge(114, "91.2"), park(71))
    assert billed_minutes(result, "TIME") == [(114, 120)]
    assert billed_minutes(result, "PARKING_TIME") == [(71, 75)]
    assert money(result.total_cost) == ("12.5", None)
    v221 = price(t, f"{SATURDAY}T13:30", charge(114, "91.2"), park(71), tz=AMS)
    assert money(v221.total_cost)[0] == "12.375"


def test_complex_tariff_text_says_32a_but_the_json_uses_max_power_32_kw() -> None:
    """The 2.1.1 example's text says "less than 32A" / "more than 32A" but its JSON says
    ``max_power``/``min_power`` 32.00, which are kW (2.2 added min/max_current for amperes).
    We price the JSON: at 16 kW (not amperes) the 1.00/h element applies."""
    t = spec_tariff_211("Complex Tariff example")
    assert t.elements[1].restrictions is not None
    assert t.elements[1].restrictions.max_power == 32
    assert t.elements[1].restrictions.max_current is None
    result = price_211(t, f"{MONDAY}T09:30", charge(60, 16))
    assert result.periods[0].components[1].element_index == 1
    assert "max_power < 32 kW" in result.periods[0].components[1].reason


def test_a211_1_complex_example_needs_the_per_dimension_lookup() -> None:
    """CHECKLIST A-211-1: ``mod_tariffs.md §3.1`` says "the first tariff in the list with
    matching restrictions will be used". Read literally, the unrestricted FLAT-only first
    element would always win and no charging or parking would be priced. We look up per
    dimension, as 2.2.1 spells out: the FLAT from element 0, TIME from element 1, parking
    from element 4."""
    t = spec_tariff_211("Complex Tariff example")
    result = price_211(t, f"{MONDAY}T09:30", charge(60, 16), park(30))
    assert [(pc.dimension, pc.element_index) for p in result.periods for pc in p.components] == [
        ("FLAT", 0),
        ("TIME", 1),
        ("PARKING_TIME", 4),
    ]


def test_free_of_charge_tariff() -> None:
    """``mod_tariffs.md §3.1`` "Free of Charge Tariff example" (FLAT 0.00, step_size 0)."""
    t = spec_tariff_211("Free of Charge Tariff example")
    result = price_211(t, f"{MONDAY}T10:00", charge(60, 20), park(10))
    assert money(result.total_cost) == ("0", "0")


def test_put_example_new_tariff_2_euro_per_hour_lacks_last_updated() -> None:
    """``mod_tariffs.md §2.2.2`` "Example: New Tariff 2 euro per hour": the body lacks the
    required ``last_updated`` (CHECKLIST E-211-4); with it, 16 minutes → 20 billed: 0.6667."""
    data = example_211("mod_tariffs.md", "Example: New Tariff 2 euro per hour")
    assert "last_updated" not in data
    wire = w211.Tariff.model_validate({**data, "last_updated": "2015-06-29T20:39:09Z"})
    t = tariff_conv.to_canonical(wire, V211_CONTEXT)
    result = price_211(t, f"{MONDAY}T10:00", charge(16, 3))
    assert money(result.total_cost) == ("0.6667", None)


def test_patch_example_change_tariff_to_2_50() -> None:
    """``mod_tariffs.md §2.2.3`` "Example: Change Tariff to 2,50" (labelled PUT, E-211-4):
    after the PATCH, 16 minutes → 20 billed at 2.50/h: 0.8333."""
    put = example_211("mod_tariffs.md", "Example: New Tariff 2 euro per hour")
    patch = example_211("mod_tariffs.md", "Example: Change Tariff to 2,50")
    wire = w211.Tariff.model_validate({**put, **patch, "last_updated": "2015-06-29T20:39:09Z"})
    t = tariff_conv.to_canonical(wire, V211_CONTEXT)
    result = price_211(t, f"{MONDAY}T10:00", charge(16, 3))
    assert money(result.total_cost) == ("0.8333", None)


def test_cdr_example_total_cost_4_00() -> None:
    """``mod_cdrs.md §3.1`` "Example of a CDR" (trailing comma removed, E-211-4): 1.973 h of
    TIME at the tariff "12" (2.00/h per 5 minutes) → 2 hours = 4.00, as the CDR says. Its
    connector names tariff "11", which the CDR does not carry (an inconsistency of the
    example): the periods, which name no tariff, are priced with the only tariff, with a
    warning. ``total_energy`` 15.342 is in no period: a second warning."""
    cdr = w211_cdrs.CDR.model_validate(example_211("mod_cdrs.md", "Example of a CDR"))
    result = price_cdr(cdr, time_zone="Europe/Brussels", version="2.1.1")
    assert money(result.total_cost) == ("4", None)
    assert result.to_json("2.1.1")["total_cost"] == 4
    assert result.warnings == [
        "the session's tariff '11' is not among the tariffs",
        "the CDR says total_energy 15.342; recomputed from its periods: 0",
    ]
