"""``build_charging_periods``: splitting where the tariff changes, merging, and the round trip
build → wire JSON → parse → price (2.2.1 ``mod_cdrs.asciidoc#mod_cdrs_charging_period``)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from roamkit.domain import canonical as c
from roamkit.domain.v211 import cdrs as cdr_conv
from roamkit.models.v211 import cdrs as w211
from roamkit.pricing import MeterSample, PricingError, build_charging_periods, price_periods

from .pricing_cases import D, element, local, pc, spec_tariff, tariff

BERLIN = "Europe/Berlin"
AMS = "Europe/Amsterdam"


def samples(start: datetime, *steps: tuple) -> list[MeterSample]:
    """``(minutes after start, kwh so far, charging[, power[, current]])`` → samples."""
    out = []
    for step in steps:
        minutes, kwh, charging, *rest = step
        power = D(str(rest[0])) if rest else None
        current = D(str(rest[1])) if len(rest) > 1 else None
        out.append(
            MeterSample(
                start + timedelta(minutes=float(minutes)),
                D(str(kwh)),
                charging,
                current=current,
                power=power,
            )
        )
    return out


def dims(period: c.ChargingPeriod) -> dict[str, Decimal]:
    return {str(d.type): d.volume for d in period.dimensions}


def wire_trip(periods: list[c.ChargingPeriod]) -> list[c.ChargingPeriod]:
    """Serialise to JSON text and parse back, as a partner would receive them."""
    text = json.dumps([p.wire() for p in periods])
    return [c.ChargingPeriod.model_validate(p) for p in json.loads(text)]


def test_split_at_a_17_00_price_change_with_interpolated_energy() -> None:
    """One sample interval 16:30-17:30 (local), 11 kWh: split at 17:00 with 5.5 kWh each."""
    t = tariff(
        [
            element(pc("ENERGY", "0.20", 1), start_time="00:00", end_time="17:00"),
            element(pc("ENERGY", "0.27", 1)),
        ]
    )
    start = local("2024-06-03T16:30", BERLIN)
    built = build_charging_periods(
        t,
        samples(start, (0, 0, True), (60, 11, False)),
        end=start + timedelta(minutes=60),
        time_zone=BERLIN,
    )
    assert [p.start_date_time for p in built] == [start, start + timedelta(minutes=30)]
    assert [dims(p) for p in built] == [
        {"ENERGY": D("5.5"), "TIME": D("0.5")},
        {"ENERGY": D("5.5"), "TIME": D("0.5")},
    ]
    assert all(p.tariff_id == "T" for p in built)
    priced = price_periods(
        [t], built, start=start, end=start + timedelta(minutes=60), time_zone=BERLIN
    )
    assert priced.total_cost.excl_vat == D("2.585")
    assert priced.warnings == []


def test_split_at_a_kwh_threshold_carries_exactly_the_threshold() -> None:
    """max_kwh 10 inside an interval of 0 → 15 kWh in 45 minutes: the boundary carries 10
    kWh exactly, at the interpolated instant (30 min) rounded up to the second."""
    t = tariff([element(pc("ENERGY", 1, 1), max_kwh=10), element(pc("ENERGY", 2, 1))])
    start = datetime(2024, 6, 3, 8, 0, 7, tzinfo=UTC)
    built = build_charging_periods(
        t,
        samples(start, (0, 0, True), (45, 15, True)),
        end=start + timedelta(minutes=45),
        time_zone=AMS,
    )
    assert [p.start_date_time - start for p in built] == [timedelta(0), timedelta(minutes=30)]
    assert [dims(p)["ENERGY"] for p in built] == [D(10), D(5)]
    priced = price_periods(
        [t], built, start=start, end=start + timedelta(minutes=45), time_zone=AMS
    )
    assert priced.total_cost.excl_vat == D(20)


def test_split_at_power_thresholds_per_sample_and_merge_what_is_alike() -> None:
    """The max_power example: samples at 6, 48, 48, 4 kW → three periods (the two 48 kW
    intervals merge), with MIN/MAX_POWER."""
    t = spec_tariff("tariffrestriction_example_max_power")
    start = local("2024-06-03T10:00", BERLIN)
    readings = samples(
        start,
        (0, 0, True, 6),
        (10, 1, True, 48),
        (35, 21, True, 48),
        (60, 41, True, 4),
        ("67.5", "41.5", False, 0),
    )
    end = start + timedelta(minutes=70)
    built = build_charging_periods(t, readings, end=end, time_zone=BERLIN)
    assert [dims(p).get("MAX_POWER") for p in built] == [D(6), D(48), D(4), D(0)]
    assert [dims(p).get("ENERGY") for p in built] == [D(1), D(40), D("0.5"), None]
    priced = price_periods([t], built, start=start, end=end, time_zone=BERLIN)
    assert priced.total_cost.excl_vat == D("20.3")


def test_merge_false_keeps_one_period_per_sample() -> None:
    t = spec_tariff("tariffrestriction_example_max_power")
    start = local("2024-06-03T10:00", BERLIN)
    readings = samples(
        start, (0, 0, True, 6), (10, 1, True, 48), (35, 21, True, 48), (60, 41, True, 4)
    )
    built = build_charging_periods(
        t, readings, end=start + timedelta(minutes=70), time_zone=BERLIN, merge=False
    )
    assert len(built) == 4


def test_parking_after_charging() -> None:
    t = spec_tariff("tariff_13_simple_3hour_5parking")
    start = local("2024-06-03T10:00", BERLIN)
    built = build_charging_periods(
        t,
        samples(start, (0, 0, True), (150, 30, False)),
        end=start + timedelta(minutes=192),
        time_zone=BERLIN,
    )
    assert [dims(p) for p in built] == [
        {"ENERGY": D(30), "TIME": D("2.5")},
        {"PARKING_TIME": D("0.7")},
    ]
    priced = price_periods(
        [t], built, start=start, end=start + timedelta(minutes=192), time_zone=BERLIN
    )
    assert (priced.total_cost.excl_vat, priced.total_cost.incl_vat) == (D("11.25"), D("12.75"))


def test_split_across_a_dst_change() -> None:
    """A 22:00-06:00 night rate in Amsterdam over the 2024-10-27 fall back: split at 22:00
    CEST (20:00 UTC) and 06:00 CET (05:00 UTC), 9 hours of night."""
    t = tariff(
        [element(pc("TIME", 1, 1), start_time="22:00", end_time="06:00"), element(pc("TIME", 3, 1))]
    )
    start = datetime(2024, 10, 26, 19, 0, tzinfo=UTC)
    end = datetime(2024, 10, 27, 6, 0, tzinfo=UTC)
    built = build_charging_periods(
        t, [MeterSample(start, D(0), True), MeterSample(end, D(60), False)], end=end, time_zone=AMS
    )
    assert [p.start_date_time.hour for p in built] == [19, 20, 5]
    assert [dims(p)["TIME"] for p in built] == [D(1), D(9), D(1)]


def test_duration_threshold_split() -> None:
    t = spec_tariff("tariffrestriction_example_max_duration")
    start = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    built = build_charging_periods(
        t,
        samples(start, (0, 0, True), (40, "6.2", True)),
        end=start + timedelta(minutes=40),
        time_zone=AMS,
    )
    assert [p.start_date_time - start for p in built] == [timedelta(0), timedelta(minutes=30)]


def test_without_a_tariff_one_period_per_state() -> None:
    start = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    built = build_charging_periods(
        None,
        samples(start, (0, 0, True), (10, 2, True), (20, 4, False), (30, 4, False)),
        end=start + timedelta(minutes=45),
        time_zone="UTC",
    )
    assert [dims(p) for p in built] == [
        {"ENERGY": D(4), "TIME": D("0.333333")},
        {"PARKING_TIME": D("0.416667")},
    ]
    assert built[0].tariff_id is None


def test_sample_errors() -> None:
    start = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    with pytest.raises(PricingError, match="no meter samples"):
        build_charging_periods(None, [], end=start, time_zone="UTC")
    with pytest.raises(PricingError, match="not in time order"):
        build_charging_periods(
            None,
            samples(start, (10, 0, True), (0, 1, True)),
            end=start + timedelta(hours=1),
            time_zone="UTC",
        )
    with pytest.raises(PricingError, match="ends before its last meter sample"):
        build_charging_periods(
            None, samples(start, (0, 0, True), (10, 1, True)), end=start, time_zone="UTC"
        )


_RICH = tariff(
    [
        element(
            pc("FLAT", "0.50", 1, vat=21),
            pc("ENERGY", "0.20", 100, vat=21),
            start_time="22:00",
            end_time="07:00",
        ),
        element(pc("ENERGY", "0.45", 1, vat=21), min_power=50),
        element(pc("ENERGY", "0.35", 1, vat=21), max_kwh=30),
        element(pc("ENERGY", "0.30", 1, vat=21), pc("TIME", "0.60", 60, vat=21)),
        element(
            pc("PARKING_TIME", "6", 300, vat=21),
            min_duration=7200,
            day_of_week=["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        ),
        element(pc("PARKING_TIME", "2", 900, vat=21), start_time="08:00", end_time="20:00"),
    ],
    max_price={"excl_vat": "60", "incl_vat": "72.6"},
)


def _random_session(rng: random.Random) -> tuple[list[MeterSample], datetime]:
    start = datetime(2024, 10, 25, 12, 0, 3, tzinfo=UTC) + timedelta(minutes=rng.randrange(4000))
    at, kwh, out = start, Decimal(0), []
    for _ in range(rng.randrange(3, 40)):
        charging = rng.random() < 0.7
        power = Decimal(rng.choice([0, 3, 11, 22, 49, 50, 51, 120])) if charging else Decimal(0)
        current = Decimal(rng.randrange(0, 200))
        out.append(MeterSample(at, kwh, charging, current=current, power=power))
        step = timedelta(seconds=rng.randrange(30, 2400))
        if charging:
            kwh += (power * Decimal(step.total_seconds()) / 3600).quantize(Decimal("0.001"))
        at += step
    out.append(MeterSample(at, kwh, False, power=Decimal(0)))
    return out, at + timedelta(seconds=rng.randrange(0, 3000))


@pytest.mark.parametrize("seed", range(25))
def test_build_wire_parse_price_is_stable_2_2_1(seed: int) -> None:
    """Pricing the built periods and pricing them after JSON and back give the same result
    (same periods, same totals, same components), and no period needs splitting."""
    rng = random.Random(seed)
    readings, end = _random_session(rng)
    start = readings[0].at
    for merge in (True, False):
        built = build_charging_periods(_RICH, readings, end=end, time_zone=AMS, merge=merge)
        parsed = wire_trip(built)
        assert [p.wire() for p in parsed] == [p.wire() for p in built]
        a = price_periods([_RICH], built, start=start, end=end, time_zone=AMS)
        b = price_periods([_RICH], parsed, start=start, end=end, time_zone=AMS)
        assert a.to_json() == b.to_json()
        assert a.warnings == b.warnings
        assert not any("becomes active inside" in w for w in a.warnings), a.warnings
        assert sum((dims(p).get("ENERGY", D(0)) for p in built), D(0)) == readings[-1].energy_kwh


@pytest.mark.parametrize("seed", range(10))
def test_build_wire_parse_price_is_stable_2_1_1(seed: int) -> None:
    """The same through the 2.1.1 wire form (``domain/v211/cdrs.periods_from_canonical``: no
    tariff_id, no power dimensions): power restrictions judged on average power both ways."""
    rng = random.Random(1000 + seed)
    readings, end = _random_session(rng)
    start = readings[0].at
    built = build_charging_periods(_RICH, readings, end=end, time_zone=AMS, version="2.1.1")
    assert not any("POWER" in str(d.type) for p in built for d in p.dimensions)
    wire = cdr_conv.periods_from_canonical([p.model_dump() for p in built])
    parsed = [
        w211.ChargingPeriod.model_validate(p)
        for p in json.loads(
            json.dumps([w211.ChargingPeriod.model_validate(p).wire() for p in wire])
        )
    ]
    a = price_periods([_RICH], built, start=start, end=end, time_zone=AMS, version="2.1.1")
    b = price_periods([_RICH], parsed, start=start, end=end, time_zone=AMS, version="2.1.1")
    assert a.to_json() == b.to_json()
    assert not any("becomes active inside" in w for w in a.warnings), a.warnings


def test_a_later_part_of_the_session_counts_kwh_and_duration_from_the_session_start() -> None:
    """A tariff change at 30 minutes: the periods after it are built from the samples from
    then on with ``session_start``; energies are cumulative since the session start, so
    the kWh threshold (20) and the duration threshold (90 minutes) are the session's."""
    first = tariff([element(pc("ENERGY", 1, 1))], id="A")
    second = tariff(
        [
            element(pc("ENERGY", 1, 1), max_kwh=20),
            element(pc("ENERGY", 2, 1), max_duration=5400),
            element(pc("ENERGY", 3, 1)),
        ],
        id="B",
    )
    start = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    change = start + timedelta(minutes=30)
    end = start + timedelta(minutes=120)
    before = build_charging_periods(
        first, samples(start, (0, 0, True), (30, 15, True)), end=change, time_zone=AMS
    )
    after = build_charging_periods(
        second,
        samples(start, (30, 15, True), (120, 35, False)),
        end=end,
        time_zone=AMS,
        session_start=start,
    )
    assert [p.start_date_time - start for p in after] == [
        timedelta(minutes=30),
        timedelta(minutes=52, seconds=30),
        timedelta(minutes=90),
    ]
    assert [dims(p)["ENERGY"] for p in after] == [D(5), D("8.333333"), D("6.666667")]
    priced = price_periods([first, second], before + after, start=start, end=end, time_zone=AMS)
    assert priced.warnings == []
    assert priced.total_cost.excl_vat == D("15") + D("5") + D("16.666666") + D("20.000001")
