"""Deterministic demo data (``roamkit.sim.seed``): valid, reproducible, realistic."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from roamkit.models.v221.locations import Location
from roamkit.models.v221.tariffs import Tariff
from roamkit.sim.seed import (
    DEFAULT_LAST_UPDATED,
    TARIFF_TEMPLATES,
    generate_locations,
    generate_tariffs,
    iter_locations,
    tariff_kind,
)

LAT = re.compile(r"-?[0-9]{1,2}\.[0-9]{5,7}")
LON = re.compile(r"-?[0-9]{1,3}\.[0-9]{5,7}")
EMI3_EVSE_ID = re.compile(r"[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9*]{1,30}")
HHMM = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")
AC_TYPES = {"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE"}
COUNTRIES = {"NLD", "BEL", "DEU", "FRA", "AUT", "DNK", "SWE", "NOR", "ESP", "ITA", "CHE"}
COUNTRIES |= {"LUX", "PRT", "IRL"}

N_LOCATIONS = 400


@pytest.fixture(scope="module")
def tariffs() -> list[Tariff]:
    return generate_tariffs(20)


@pytest.fixture(scope="module")
def locations(tariffs: list[Tariff]) -> list[Location]:
    return generate_locations(N_LOCATIONS, tariff_ids=[t.id for t in tariffs])


def dump(objs: list[Any]) -> str:
    return json.dumps([o.wire() for o in objs], sort_keys=True)


def connectors(locs: list[Location]) -> list[Any]:
    return [c for loc in locs for e in loc.evses or [] for c in e.connectors]


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_output() -> None:
    assert dump(generate_tariffs(12, seed=7)) == dump(generate_tariffs(12, seed=7))
    ids = [f"TARIFF-{n:04d}" for n in range(1, 11)]
    first = generate_locations(150, seed=7, tariff_ids=ids)
    assert dump(first) == dump(generate_locations(150, seed=7, tariff_ids=ids))
    assert dump(first) == dump(list(iter_locations(150, seed=7, tariff_ids=ids)))


def test_different_seed_different_output() -> None:
    assert dump(generate_tariffs(10, seed=1)) != dump(generate_tariffs(10, seed=2))
    assert dump(generate_locations(50, seed=1)) != dump(generate_locations(50, seed=2))


def test_independent_of_global_random_and_leaves_it_alone() -> None:
    random.seed(1)
    a = dump(generate_locations(30)) + dump(generate_tariffs(10))
    random.seed(2)
    state = random.getstate()
    b = dump(generate_locations(30)) + dump(generate_tariffs(10))
    assert a == b
    assert random.getstate() == state


def test_prefix_stable() -> None:
    """A smaller dataset is the start of a bigger one with the same seed."""
    assert dump(generate_locations(20, seed=3)) == dump(generate_locations(60, seed=3)[:20])


# --------------------------------------------------------------------------- validity


def test_tariffs_round_trip(tariffs: list[Tariff]) -> None:
    for t in tariffs:
        assert Tariff.model_validate(t.wire()).wire() == t.wire()
        json.dumps(t.wire())


def test_locations_round_trip(locations: list[Location]) -> None:
    for loc in locations:
        assert Location.model_validate(loc.wire()).wire() == loc.wire()


def test_fixed_shape_round_trips() -> None:
    for loc in generate_locations(50, seed=9, evses_per_location=2, connectors_per_evse=2):
        assert Location.model_validate(loc.wire()).wire() == loc.wire()


# --------------------------------------------------------------------------- counts and ids


@pytest.mark.parametrize("count", [0, 1, 3, 11, 57])
def test_counts_honoured(count: int) -> None:
    assert len(generate_tariffs(count)) == count
    assert len(generate_locations(count)) == count


def test_fixed_evse_and_connector_counts() -> None:
    locs = generate_locations(200, evses_per_location=2, connectors_per_evse=2)
    for loc in locs:
        assert loc.evses is not None and len(loc.evses) == 2
        assert all(len(e.connectors) == 2 for e in loc.evses)
    for n_evse, n_conn in ((1, 1), (4, 3), (3, 5)):
        for loc in generate_locations(30, evses_per_location=n_evse, connectors_per_evse=n_conn):
            assert loc.evses is not None and len(loc.evses) == n_evse
            assert {len(e.connectors) for e in loc.evses} == {n_conn}
    assert all(loc.evses is None for loc in generate_locations(5, evses_per_location=0))


def test_free_evse_and_connector_counts(locations: list[Location]) -> None:
    evse_counts = Counter(len(loc.evses or []) for loc in locations)
    assert set(evse_counts) <= {1, 2, 3, 4} and len(evse_counts) >= 3
    conn_counts = Counter(len(e.connectors) for loc in locations for e in loc.evses or [])
    assert set(conn_counts) <= {1, 2, 3} and len(conn_counts) >= 2


@pytest.mark.parametrize(
    "kwargs",
    [{"count": -1}, {"count": 1, "evses_per_location": -1}, {"count": 1, "connectors_per_evse": 0}],
)
def test_bad_counts_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        generate_locations(**kwargs)


def test_ids(tariffs: list[Tariff], locations: list[Location]) -> None:
    assert [t.id for t in tariffs[:3]] == ["TARIFF-0001", "TARIFF-0002", "TARIFF-0003"]
    assert [loc.id for loc in locations[:2]] == ["LOC-000001", "LOC-000002"]
    assert len({loc.id for loc in locations}) == len(locations)
    assert len({t.id for t in tariffs}) == len(tariffs)


def test_evse_uids_and_evse_ids_unique_and_valid(locations: list[Location]) -> None:
    evses = [e for loc in locations for e in loc.evses or []]
    assert len({e.uid for e in evses}) == len(evses)
    assert len({e.evse_id for e in evses}) == len(evses)
    for loc in locations:
        for e in loc.evses or []:
            assert e.evse_id is not None and EMI3_EVSE_ID.fullmatch(e.evse_id), e.evse_id
            assert e.evse_id.startswith("NL*RKT*E")
            assert [c.id for c in e.connectors] == [str(n + 1) for n in range(len(e.connectors))]


def test_party_fields_follow_arguments() -> None:
    tariffs = generate_tariffs(3, country_code="DE", party_id="abc", currency="CHF")
    assert {(t.country_code, t.party_id, t.currency) for t in tariffs} == {("DE", "abc", "CHF")}
    locs = generate_locations(5, country_code="DE", party_id="abc")
    assert {(loc.country_code, loc.party_id) for loc in locs} == {("DE", "abc")}
    assert all(e.evse_id.startswith("DE*ABC*E") for loc in locs for e in loc.evses or [])


# --------------------------------------------------------------------------- tariffs


def components(t: Tariff) -> list[Any]:
    return [pc for el in t.elements for pc in el.price_components]


def test_tariff_mix(tariffs: list[Tariff]) -> None:
    ten = tariffs[:10]
    assert {t.type for t in ten if t.type} == {
        "REGULAR", "AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN",
    }  # fmt: skip
    assert any(t.type is None for t in ten)
    restrictions = [el.restrictions for t in ten for el in t.elements if el.restrictions]
    assert any(r.start_time and r.end_time and r.day_of_week for r in restrictions)
    assert any(r.min_kwh is not None for r in restrictions)
    assert any(r.max_power is not None for r in restrictions)
    assert any(t.min_price for t in ten) and any(t.max_price for t in ten)
    free = [t for t in ten if all(pc.price == 0 for pc in components(t))]
    assert len(free) == 1 and free[0].tariff_alt_text
    dimensions = {frozenset(pc.type.value for pc in components(t)) for t in ten}
    assert frozenset({"ENERGY"}) in dimensions
    assert frozenset({"ENERGY", "TIME"}) in dimensions
    assert frozenset({"ENERGY", "FLAT"}) in dimensions
    assert frozenset({"ENERGY", "PARKING_TIME"}) in dimensions
    alt = [t.tariff_alt_text for t in ten if t.tariff_alt_text]
    assert alt and all([d.language for d in texts] == ["en", "nl"] for texts in alt)


def test_step_size_one_except_the_demonstration(tariffs: list[Tariff]) -> None:
    """E-221-11: step_size 1, except the TIME component that shows block billing."""
    for t in tariffs:
        for pc in components(t):
            if pc.step_size != 1:
                assert pc.type == "TIME" and pc.step_size == 900
                assert TARIFF_TEMPLATES[(int(t.id[7:]) - 1) % 10][0] == "ac_energy_time_step"
    assert any(pc.step_size == 900 for t in tariffs for pc in components(t))


def test_prices_sensible(tariffs: list[Tariff]) -> None:
    for t in tariffs:
        for el in t.elements:
            for pc in el.price_components:
                assert isinstance(pc.price, Decimal)
                assert pc.price == pc.price.quantize(Decimal("0.01"))
                if pc.type == "ENERGY":
                    assert Decimal("0.15") <= pc.price <= Decimal("1.00")
                if pc.price:
                    assert pc.vat == Decimal(21)
        for p in (t.min_price, t.max_price):
            if p is not None:
                expected = (p.excl_vat * Decimal("1.21")).quantize(Decimal("0.01"), ROUND_HALF_UP)
                assert p.incl_vat == expected
        if t.min_price and t.max_price:
            assert t.min_price.excl_vat < t.max_price.excl_vat


def test_tariff_vat_and_language_follow_country() -> None:
    t = generate_tariffs(1, country_code="DE")[0]
    assert components(t)[0].vat == Decimal(19)
    assert t.tariff_alt_text is not None
    assert [d.language for d in t.tariff_alt_text] == ["en", "de"]


def test_tariff_kind() -> None:
    assert tariff_kind("TARIFF-0001") == "AC"
    assert tariff_kind("TARIFF-0002") == "DC"
    assert tariff_kind("TARIFF-0006") == "ANY"
    assert tariff_kind("TARIFF-0012") == "DC"
    assert tariff_kind("TARIFF-0000") is None
    assert tariff_kind("12") is None


# --------------------------------------------------------------------------- locations


def test_tariff_references_resolve_and_match_power(
    tariffs: list[Tariff], locations: list[Location]
) -> None:
    known = {t.id for t in tariffs}
    conns = connectors(locations)
    assert all(c.tariff_ids for c in conns)
    for c in conns:
        assert set(c.tariff_ids) <= known
        kind = tariff_kind(c.tariff_ids[0])
        assert kind == "ANY" or kind == ("DC" if c.power_type == "DC" else "AC")
    assert any(tariff_kind(c.tariff_ids[0]) == "ANY" for c in conns)


def test_tariff_pool_fallbacks() -> None:
    assert all(c.tariff_ids is None for c in connectors(generate_locations(20)))
    only_ac = connectors(generate_locations(40, tariff_ids=["TARIFF-0001"]))
    assert {tuple(c.tariff_ids) for c in only_ac} == {("TARIFF-0001",)}
    assert any(c.power_type == "DC" for c in only_ac)
    foreign = connectors(generate_locations(40, tariff_ids=["T-A", "T-B"]))
    assert {c.tariff_ids[0] for c in foreign} == {"T-A", "T-B"}


def test_coordinates_match_spec_regex(locations: list[Location]) -> None:
    for loc in locations:
        assert LAT.fullmatch(loc.coordinates.latitude), loc.coordinates
        assert LON.fullmatch(loc.coordinates.longitude), loc.coordinates
        assert 35 < float(loc.coordinates.latitude) < 65
        assert -11 < float(loc.coordinates.longitude) < 20
        for e in loc.evses or []:
            if e.coordinates:
                assert LAT.fullmatch(e.coordinates.latitude)
                assert LON.fullmatch(e.coordinates.longitude)


def test_publish_allowed_to_only_when_unpublished(locations: list[Location]) -> None:
    unpublished = [loc for loc in locations if not loc.publish]
    assert unpublished and len(unpublished) < len(locations) // 5
    for loc in locations:
        assert (loc.publish_allowed_to is not None) == (not loc.publish)
        for tok in loc.publish_allowed_to or []:
            assert tok.uid or tok.visual_number or tok.group_id
            assert (tok.uid is None) == (tok.type is None)
            assert tok.visual_number is None or tok.issuer


def test_connectors_consistent(locations: list[Location]) -> None:
    seen = set()
    for c in connectors(locations):
        seen.add((c.standard.value, c.format.value))
        phases = 3 if c.power_type == "AC_3_PHASE" else 1
        assert c.max_electric_power is not None
        assert 0 < c.max_electric_power <= c.max_voltage * c.max_amperage * phases
        if c.standard in ("IEC_62196_T2_COMBO", "CHADEMO"):
            assert c.power_type == "DC" and c.format == "CABLE"
            assert c.max_voltage >= 400 and c.max_electric_power >= 50000
        else:
            assert c.standard == "IEC_62196_T2" and c.power_type in AC_TYPES
            assert c.max_voltage == 230
    assert seen == {
        ("IEC_62196_T2", "SOCKET"),
        ("IEC_62196_T2", "CABLE"),
        ("IEC_62196_T2_COMBO", "CABLE"),
        ("CHADEMO", "CABLE"),
    }


def test_statuses_and_capabilities(locations: list[Location]) -> None:
    evses = [e for loc in locations for e in loc.evses or []]
    statuses = Counter(e.status.value for e in evses)
    assert statuses.most_common(1)[0][0] == "AVAILABLE"
    assert statuses["AVAILABLE"] > len(evses) // 2
    assert statuses["CHARGING"] and statuses["OUTOFORDER"]
    assert all(e.capabilities for e in evses)
    assert any("CREDIT_CARD_PAYABLE" in e.capabilities for e in evses)


def test_places_are_realistic(locations: list[Location]) -> None:
    assert {loc.country for loc in locations} <= COUNTRIES
    assert len({loc.city for loc in locations}) >= 10
    by_city = Counter(loc.country for loc in locations)
    assert by_city.most_common(1)[0][0] == "NLD"  # home country of the CPO weighs more
    for loc in locations:
        ZoneInfo(loc.time_zone)
        assert loc.time_zone.startswith("Europe/")
        assert loc.name and loc.address and loc.postal_code
        assert loc.parking_type is not None
        assert loc.operator is not None and loc.operator.name == "RKT Charging"
        if loc.country == "NLD":
            assert re.fullmatch(r"[1-9][0-9]{3} [A-Z]{2}", loc.postal_code)
            assert loc.time_zone == "Europe/Amsterdam"
    assert any(loc.facilities for loc in locations)
    assert len({loc.parking_type for loc in locations}) >= 4


def test_opening_times(locations: list[Location]) -> None:
    hours = [loc.opening_times for loc in locations]
    assert all(h is not None for h in hours)
    always = [h for h in hours if h.twentyfourseven]
    regular = [h for h in hours if not h.twentyfourseven]
    assert len(always) > len(regular) > 0
    assert all(h.regular_hours is None for h in always)
    for h in regular:
        assert h.regular_hours
        for rh in h.regular_hours:
            assert HHMM.fullmatch(rh.period_begin) and HHMM.fullmatch(rh.period_end)
            assert rh.period_begin < rh.period_end
    closings = [p for h in regular for p in h.exceptional_closings or []]
    assert closings and all(p.period_begin < p.period_end for p in closings)
    # Index 2 is the guaranteed example, so even tiny datasets show it.
    small = generate_locations(3)[2].opening_times
    assert small is not None and small.exceptional_closings


def test_last_updated_default_is_fixed_and_consistent(locations: list[Location]) -> None:
    oldest = DEFAULT_LAST_UPDATED - timedelta(days=30)
    for loc in locations:
        assert oldest <= loc.last_updated <= DEFAULT_LAST_UPDATED
        for e in loc.evses or []:
            assert e.last_updated <= loc.last_updated
            assert all(c.last_updated <= e.last_updated for c in e.connectors)
    assert len({loc.last_updated for loc in locations}) > 1


def test_last_updated_given_is_used_everywhere() -> None:
    when = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    for t in generate_tariffs(10, last_updated=when):
        assert t.last_updated == when
    for loc in generate_locations(20, last_updated=when):
        assert loc.last_updated == when
        for e in loc.evses or []:
            assert e.last_updated == when
            assert all(c.last_updated == when for c in e.connectors)
    naive = generate_locations(1, last_updated=datetime(2025, 6, 1, 12, 0))[0]
    assert naive.wire()["last_updated"] == "2025-06-01T12:00:00Z"
