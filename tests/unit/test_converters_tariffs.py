"""Tariffs converters (``roamkit.domain.v211.tariffs``): round trips and documented losses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from roamkit.domain import ConversionError
from roamkit.domain import canonical as c
from roamkit.domain.v211 import tariffs as conv
from roamkit.models.v211 import tariffs as w

from .test_converters_support import (
    CTX,
    example_211,
    example_221,
    example_names_221,
    needs_211,
    same,
    updated,
    wire_valid,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
# tariff_put_example.json lacks last_updated (E-221-7 class; see test_models_v221).
TARIFF_EXAMPLES = [
    n for n in example_names_221("tariff") if n != "tariff_put_example.json"
]  # tariff_* and tariffrestriction_*


def rich_tariff() -> c.Tariff:
    return c.Tariff.model_validate(
        {
            "country_code": "DE",
            "party_id": "ALL",
            "id": "T-RICH",
            "currency": "EUR",
            "type": "PROFILE_GREEN",
            "tariff_alt_text": [{"language": "en", "text": "Green"}],
            "tariff_alt_url": "https://example.com/t",
            "min_price": {"excl_vat": "0.50", "incl_vat": "0.55"},
            "max_price": {"excl_vat": "20.00"},
            "elements": [
                {
                    "price_components": [
                        {"type": "FLAT", "price": "0.50", "vat": "20.0", "step_size": 1},
                        {"type": "ENERGY", "price": "0.2375", "vat": "20.0", "step_size": 1},
                    ],
                    "restrictions": {"max_current": "16", "max_power": "11.0"},
                },
                {
                    "price_components": [{"type": "TIME", "price": "5.00", "step_size": 60}],
                    "restrictions": {"reservation": "RESERVATION"},
                },
                {
                    "price_components": [
                        {"type": "PARKING_TIME", "price": "1.5", "step_size": 300}
                    ],
                    "restrictions": {"min_current": "32"},
                },
                {
                    "price_components": [{"type": "TIME", "price": "2.00", "step_size": 300}],
                    "restrictions": {
                        "start_time": "22:00",
                        "end_time": "06:00",
                        "start_date": "2024-01-01",
                        "end_date": "2025-01-01",
                        "min_kwh": "1",
                        "max_kwh": "100",
                        "min_power": "1",
                        "min_duration": 60,
                        "max_duration": 3600,
                        "day_of_week": ["SATURDAY", "SUNDAY"],
                    },
                },
            ],
            "start_date_time": T0,
            "end_date_time": T0,
            "energy_mix": {
                "is_green_energy": True,
                "environ_impact": [{"category": "NUCLEAR_WASTE", "amount": "0.0006"}],
            },
            "last_updated": T0,
        }
    )


def expected_after_trip(original: c.Tariff) -> c.Tariff:
    data = original.model_dump()
    data.update(type=None, min_price=None, max_price=None, start_date_time=None, end_date_time=None)
    elements = []
    for element in data["elements"]:
        restrictions = element["restrictions"]
        if restrictions is not None:
            if restrictions["reservation"] is not None:
                continue
            had_any = any(v is not None for v in restrictions.values())
            restrictions.update(min_current=None, max_current=None)
            if had_any and all(v is None for v in restrictions.values()):
                element["restrictions"] = None
        for pc in element["price_components"]:
            pc["vat"] = None
        elements.append(element)
    data["elements"] = elements
    return c.Tariff.model_validate(data)


def _trip(original: c.Tariff) -> tuple[w.Tariff, c.Tariff]:
    v211 = wire_valid(conv.from_canonical(original, CTX))
    ctx = CTX.__class__(country_code=original.country_code, party_id=original.party_id)
    return v211, wire_valid(conv.to_canonical(v211, ctx))


def test_rich_tariff_losses_are_the_documented_ones() -> None:
    original = rich_tariff()
    v211, back = _trip(original)
    same(back, expected_after_trip(original))
    assert len(v211.elements) == 3  # the reservation element is gone
    first = v211.elements[0]
    assert first.restrictions == w.TariffRestrictions(max_power=Decimal("11.0"))
    assert v211.elements[1].restrictions is None  # only min_current, which 2.1.1 lacks
    assert first.price_components[1].price == Decimal("0.2375")  # money stays Decimal
    assert isinstance(back.elements[0].price_components[1].price, Decimal)
    assert back.type is None and back.min_price is None and back.max_price is None
    assert back.start_date_time is None and back.end_date_time is None
    assert all(pc.vat is None for e in back.elements for pc in e.price_components)
    assert v211.energy_mix and v211.energy_mix.environ_impact
    assert v211.energy_mix.environ_impact[0].source == "NUCLEAR_WASTE"


def test_only_reservation_elements_cannot_be_sent() -> None:
    original = updated(rich_tariff(), elements=[rich_tariff().elements[1]])
    with pytest.raises(ConversionError, match="reservation"):
        conv.from_canonical(original, CTX)


@pytest.mark.parametrize("name", TARIFF_EXAMPLES or ["<none>"])
def test_spec_221_tariff_examples(name: str) -> None:
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    original = c.Tariff.model_validate(example_221(name))
    if all(e.restrictions and e.restrictions.reservation for e in original.elements):
        with pytest.raises(ConversionError):
            conv.from_canonical(original, CTX)
        return
    _, back = _trip(original)
    same(back, expected_after_trip(original))


# --- 2.1.1 → canonical → 2.1.1 --------------------------------------------------------

V211_TARIFFS = [
    "Simple Tariff example 2 euro per hour",
    "Simple Tariff example with alternative multi language text",
    "Simple Tariff example with alternative URL",
    "Complex Tariff example",
    "Free of Charge Tariff example",
    "Example: New Tariff 2 euro per hour",
]


@needs_211
@pytest.mark.parametrize("heading", V211_TARIFFS)
def test_spec_211_tariff_examples_round_trip_exactly(heading: str) -> None:
    data = example_211("mod_tariffs.md", heading)
    data.setdefault("last_updated", "2015-06-29T20:39:09Z")  # E-211-4: the PUT example lacks it
    original = w.Tariff.model_validate(data)
    canonical = wire_valid(conv.to_canonical(original, CTX))
    assert (canonical.country_code, canonical.party_id) == ("BE", "BEC")
    assert canonical.type is None  # documented: unset, valid for every session
    same(wire_valid(conv.from_canonical(canonical, CTX)), original)


def test_hand_built_v211_tariff_round_trips_exactly() -> None:
    original = w.Tariff.model_validate(
        {
            "id": "7",
            "currency": "CHF",
            "elements": [
                {
                    "price_components": [{"type": "ENERGY", "price": 0.33, "step_size": 100}],
                    "restrictions": {
                        "start_time": "00:00",
                        "end_time": "24:00",
                        "min_power": 3.7,
                        "max_power": 22,
                        "day_of_week": ["MONDAY"],
                        "min_duration": 0,
                    },
                }
            ],
            "energy_mix": {
                "is_green_energy": False,
                "energy_sources": [{"source": "WIND", "percentage": 100}],
                "environ_impact": [{"source": "CARBON_DIOXIDE", "amount": 0}],
            },
            "last_updated": "2020-01-01T00:00:00Z",
        }
    )
    canonical = wire_valid(conv.to_canonical(original, CTX))
    same(wire_valid(conv.from_canonical(canonical, CTX)), original)


@needs_211
def test_spec_211_tariff_patch_example() -> None:
    raw = example_211("mod_tariffs.md", "Example: Change Tariff to 2,50")
    for source in (raw, w.TariffPatch.model_validate(raw)):
        patch = wire_valid(conv.patch_to_canonical(source, CTX))
        assert isinstance(patch, c.TariffPatch)
        assert patch.model_dump(exclude_unset=True).keys() == {"elements"}
        back = wire_valid(conv.patch_from_canonical(patch, CTX))
        assert back.model_dump(exclude_unset=True) == w.TariffPatch.model_validate(raw).model_dump(
            exclude_unset=True
        )


def test_tariff_patch_from_canonical_drops_221_fields() -> None:
    patch = c.TariffPatch(
        type=c.TariffType.AD_HOC_PAYMENT,
        min_price=c.Price(excl_vat=Decimal(1)),
        currency="EUR",
        last_updated=T0,
    )
    v211 = wire_valid(conv.patch_from_canonical(patch, CTX))
    assert v211.model_dump(exclude_unset=True) == {"currency": "EUR", "last_updated": T0}
    cleared: Any = conv.patch_to_canonical({"energy_mix": None}, CTX)
    assert cleared.model_dump(exclude_unset=True) == {"energy_mix": None}
