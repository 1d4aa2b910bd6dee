"""Pricing throughput: CDRs priced per second by one process (``roamkit.pricing.price_cdr``).

A seeded mix of realistic tariffs (time-of-day and night rates, power, current and kWh
thresholds, durations, day-of-week parking windows, step sizes, VAT, min/max price) and
CDRs of 10-200 charging periods, made the way roamkit makes them: synthetic meter samples
(ramp, plateau, taper, pauses, parking at the end) through ``build_charging_periods``
(``merge=False``: one period per sample, split where the tariff changes). Each CDR carries
its tariff; ``price_cdr`` compiles it on every call, as a re-pricing eMSP does.

Reference, same process, same CDRs: parsing them from their JSON bytes with the canonical
pydantic model (``c.CDR.model_validate_json``). Figures are CDRs/s and periods/s, and the
ratio price / parse. Price and parse alternate in short rounds (the VM's speed drifts);
the figures are the medians of the rounds. The workloads are made first and then frozen
out of the garbage collector's reach, as ``roamkit serve`` does with its start-up heap
(``roamkit.gctools``); the engine itself pauses the collector while it prices (it makes no
reference cycles). "price" is ``price_cdr`` (totals, warnings; the per-period breakdown is
made on first access); "price + to_json" also makes the breakdown with every explanation.
Two workloads: the 10-200 mix, and CDRs of exactly 50 periods (the target: 2,000 CDRs/s).
Writes ``bench/pricing_throughput.json``.

    .venv/bin/python bench/pricing_throughput.py [--quick] [--seconds N] [--seed S] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from roamkit.domain import canonical as c
from roamkit.gctools import freeze_startup_heap
from roamkit.pricing import MeterSample, build_charging_periods, price_cdr, price_periods

BENCH_DIR = Path(__file__).resolve().parent
TZ = "Europe/Amsterdam"
D = Decimal
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]


def _pc(kind: str, price: str, step: int, vat: str | None = "21") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "price": price, "step_size": step}
    if vat is not None:
        out["vat"] = vat
    return out


def _tariff(tariff_id: str, elements: list[dict[str, Any]], **fields: Any) -> c.Tariff:
    return c.Tariff.model_validate({
        "country_code": "NL", "party_id": "RKT", "id": tariff_id, "currency": "EUR",
        "elements": elements, "last_updated": "2024-01-01T00:00:00Z", **fields,
    })  # fmt: skip


def tariffs() -> list[c.Tariff]:
    """Six tariffs of the kinds CPOs publish."""
    return [
        _tariff("TOD", [  # day/night energy, time fee, parking penalty after 2 h, cap
            {"price_components": [_pc("FLAT", "0.35", 1), _pc("ENERGY", "0.29", 1)],
             "restrictions": {"start_time": "22:00", "end_time": "07:00"}},
            {"price_components": [_pc("ENERGY", "0.39", 1)],
             "restrictions": {"start_time": "07:00", "end_time": "22:00",
                              "day_of_week": WEEKDAYS}},
            {"price_components": [_pc("FLAT", "0.35", 1), _pc("ENERGY", "0.34", 1),
                                  _pc("TIME", "0.60", 60)]},
            {"price_components": [_pc("PARKING_TIME", "6.00", 300)],
             "restrictions": {"min_duration": 7200}},
            {"price_components": [_pc("PARKING_TIME", "1.20", 900)],
             "restrictions": {"start_time": "08:00", "end_time": "20:00"}},
        ], max_price={"excl_vat": "45", "incl_vat": "54.45"}),
        _tariff("HPC", [  # power bands, per-minute idle fee
            {"price_components": [_pc("ENERGY", "0.49", 1)],
             "restrictions": {"max_power": "50"}},
            {"price_components": [_pc("ENERGY", "0.59", 1)],
             "restrictions": {"max_power": "150"}},
            {"price_components": [_pc("ENERGY", "0.69", 1), _pc("FLAT", "1.00", 1)]},
            {"price_components": [_pc("PARKING_TIME", "24.00", 60)],
             "restrictions": {"min_duration": 2700}},
        ]),
        _tariff("AC", [  # start fee, energy per 100 Wh, min price, daytime parking
            {"price_components": [_pc("FLAT", "0.50", 1, "20"), _pc("ENERGY", "0.25", 100, "10")]},
            {"price_components": [_pc("PARKING_TIME", "2.00", 900, "20")],
             "restrictions": {"start_time": "09:00", "end_time": "18:00"}},
        ], min_price={"excl_vat": "1.00", "incl_vat": "1.20"}),
        _tariff("CMPLX", [  # the spec's complex example, with current bands
            {"price_components": [_pc("FLAT", "2.50", 1, "15")]},
            {"price_components": [_pc("TIME", "1.00", 900, "20")],
             "restrictions": {"max_current": "32"}},
            {"price_components": [_pc("TIME", "2.00", 600, "20")],
             "restrictions": {"min_current": "32", "day_of_week": WEEKDAYS}},
            {"price_components": [_pc("TIME", "1.25", 600, "20")],
             "restrictions": {"min_current": "32", "day_of_week": ["SATURDAY", "SUNDAY"]}},
            {"price_components": [_pc("PARKING_TIME", "5.00", 300, "10")],
             "restrictions": {"start_time": "09:00", "end_time": "18:00",
                              "day_of_week": WEEKDAYS}},
            {"price_components": [_pc("PARKING_TIME", "6.00", 300, "10")],
             "restrictions": {"start_time": "10:00", "end_time": "17:00",
                              "day_of_week": ["SATURDAY"]}},
        ]),
        _tariff("SHOP", [  # free first 30 minutes, then by energy, dearer after an hour
            {"price_components": [_pc("ENERGY", "0.00", 1)],
             "restrictions": {"max_duration": 1800}},
            {"price_components": [_pc("ENERGY", "0.25", 1)],
             "restrictions": {"max_duration": 3600}},
            {"price_components": [_pc("ENERGY", "0.40", 1), _pc("PARKING_TIME", "3.00", 300)]},
        ]),
        _tariff("KWH", [  # volume discount after 30 kWh, night rate, no VAT given
            {"price_components": [_pc("ENERGY", "0.22", 500, None)],
             "restrictions": {"min_kwh": "30"}},
            {"price_components": [_pc("ENERGY", "0.27", 500, None)],
             "restrictions": {"start_time": "23:00", "end_time": "06:00"}},
            {"price_components": [_pc("ENERGY", "0.32", 500, None),
                                  _pc("TIME", "0.90", 300, None)]},
        ]),
    ]  # fmt: skip


def meter_samples(
    rng: random.Random, intervals: int, dc: bool
) -> tuple[list[MeterSample], datetime]:
    """A session of ``intervals`` sample intervals: charging with a ramp, a noisy plateau
    and a taper (sometimes a pause), then parking for the last few."""
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(366 * 86400))
    peak = rng.choice([50, 75, 120, 150, 200]) if dc else rng.choice([3.7, 7.4, 11, 22])
    parking = min(intervals - 1, rng.randrange(0, 4))
    pause = rng.randrange(intervals) if rng.random() < 0.2 else -1
    at, kwh, out = start, D(0), []
    charging_intervals = intervals - parking
    for i in range(intervals):
        charging = i < charging_intervals and i != pause
        if charging:
            progress = i / max(1, charging_intervals - 1)
            shape = min(1.0, 0.4 + 3 * progress) if progress < 0.6 else 1.6 - progress
            power = D(str(round(max(1.0, peak * shape * rng.uniform(0.9, 1.05)), 1)))
            volts = 400 if dc else 230 * 3
            current = D(str(round(float(power) * 1000 / volts, 1)))
        else:
            power, current = D(0), D(0)
        seconds = rng.randrange(60, 600) if dc else rng.randrange(180, 1200)
        out.append(MeterSample(at, kwh, charging, current=current, power=power))
        if charging:
            kwh += (power * seconds / 3600).quantize(D("0.001"))
        at += timedelta(seconds=seconds)
    out.append(MeterSample(at, kwh, False, current=D(0), power=D(0)))
    return out, at + timedelta(seconds=rng.randrange(0, 300))


def make_cdr(rng: random.Random, index: int, tariff: c.Tariff, periods: int) -> c.CDR:
    """A CDR of about ``periods`` charging periods (10-200), priced with ``tariff``."""
    dc = tariff.id in ("HPC", "KWH", "SHOP") or rng.random() < 0.3
    intervals = max(3, int(periods * 0.85))
    for _ in range(50):
        samples, end = meter_samples(rng, intervals, dc)
        built = build_charging_periods(tariff, samples, end=end, time_zone=TZ, merge=False)
        if abs(len(built) - periods) <= max(2, periods // 20) and 10 <= len(built) <= 200:
            break
        intervals = max(3, intervals + (periods - len(built)))
    start = samples[0].at
    pricing = price_periods([tariff], built, start=start, end=end, time_zone=TZ)
    total = pricing.total_cost.to_price()
    return c.CDR.model_validate({
        "country_code": "NL", "party_id": "RKT", "id": f"CDR{index:06d}",
        "start_date_time": start, "end_date_time": end, "session_id": f"S{index:06d}",
        "cdr_token": {"country_code": "DE", "party_id": "MSP", "uid": f"RFID{index:06d}",
                      "type": "RFID", "contract_id": f"DE-MSP-C{index:06d}"},
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1", "name": "Garage Centraal", "address": "Stationsplein 1",
            "city": "Utrecht", "postal_code": "3511", "country": "NLD",
            "coordinates": {"latitude": "52.08940", "longitude": "5.10970"},
            "evse_uid": "EVSE1", "evse_id": "NL*RKT*E1", "connector_id": "1",
            "connector_standard": "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
            "connector_format": "CABLE" if dc else "SOCKET",
            "connector_power_type": "DC" if dc else "AC_3_PHASE",
        },
        "currency": "EUR", "tariffs": [tariff],
        "charging_periods": [p.model_dump() for p in built],
        "total_cost": total.model_dump(exclude_none=True),
        "total_energy": pricing.total_energy, "total_time": pricing.total_time,
        "total_parking_time": pricing.total_parking_time,
        "last_updated": end,
    })  # fmt: skip


def workload(rng: random.Random, count: int, sizes: Callable[[], int]) -> list[c.CDR]:
    mix = tariffs()
    return [make_cdr(rng, i, mix[i % len(mix)], sizes()) for i in range(count)]


def _rate(fn: Callable[[Any], Any], items: Sequence[Any], seconds: float) -> tuple[float, int]:
    """Calls per second of ``fn`` cycling over ``items`` for about ``seconds``."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for item in items:
            fn(item)
        done += len(items)
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - started), done


def measure(cdrs: list[c.CDR], seconds: float, rounds: int) -> dict[str, Any]:
    raws = [cdr.model_dump_json(exclude_none=True).encode() for cdr in cdrs]
    periods = sum(len(cdr.charging_periods) for cdr in cdrs) / len(cdrs)

    def price(cdr: c.CDR) -> Any:
        return price_cdr(cdr, time_zone=TZ)

    def price_json(cdr: c.CDR) -> Any:
        return price_cdr(cdr, time_zone=TZ).to_json("2.2.1")

    for cdr in cdrs[:20]:  # warm up (imports, caches)
        price_json(cdr)
        c.CDR.model_validate_json(raws[0])
    per_round = seconds / rounds
    price_rates, parse_rates, json_rates = [], [], []
    for _ in range(rounds):
        price_rates.append(_rate(price, cdrs, per_round)[0])
        parse_rates.append(_rate(c.CDR.model_validate_json, raws, per_round)[0])
        json_rates.append(_rate(price_json, cdrs, per_round / 2)[0])
    price_rate = statistics.median(price_rates)
    parse_rate = statistics.median(parse_rates)
    json_rate = statistics.median(json_rates)
    return {
        "cdrs": len(cdrs),
        "periods_per_cdr": round(periods, 1),
        "periods_min_max": [
            min(len(x.charging_periods) for x in cdrs),
            max(len(x.charging_periods) for x in cdrs),
        ],
        "json_bytes_per_cdr": round(sum(map(len, raws)) / len(raws)),
        "price_cdrs_per_s": round(price_rate, 1),
        "price_periods_per_s": round(price_rate * periods),
        "price_and_to_json_cdrs_per_s": round(json_rate, 1),
        "parse_cdrs_per_s": round(parse_rate, 1),
        "parse_periods_per_s": round(parse_rate * periods),
        "price_over_parse": round(price_rate / parse_rate, 3),
        "rounds": {
            "price": [round(r, 1) for r in price_rates],
            "parse": [round(r, 1) for r in parse_rates],
            "price_and_to_json": [round(r, 1) for r in json_rates],
        },
    }


def _git_rev() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH_DIR,
                             capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (~10 s)")
    parser.add_argument("--seconds", type=float, help="seconds per workload and side")
    parser.add_argument("--seed", type=int, default=20240603)
    parser.add_argument("--profile", action="store_true", help="cProfile the 50-period prices")
    parser.add_argument("--output", default=str(BENCH_DIR / "pricing_throughput.json"))
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 12.0)
    rounds = 2 if args.quick else 6
    count = 60 if args.quick else 300
    rng = random.Random(args.seed)
    made = time.perf_counter()
    mix = workload(rng, count, lambda: rng.randint(10, 200))
    fifty = workload(rng, count, lambda: 50)
    made = time.perf_counter() - made
    print(f"made {2 * count} CDRs in {made:.1f} s", file=sys.stderr)
    # As `roamkit serve` does after start-up (roamkit.gctools.freeze_startup_heap): the
    # workloads stay alive for the whole run and should not be walked by every full
    # collection that parsing triggers.
    freeze_startup_heap()
    results = {
        "mix_10_200": measure(mix, seconds, rounds),
        "fixed_50": measure(fifty, seconds, rounds),
    }
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _rate(lambda cdr: price_cdr(cdr, time_zone=TZ), fifty, min(seconds, 5))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    report = {
        "benchmark": "pricing_throughput",
        "command": " ".join([".venv/bin/python", "bench/pricing_throughput.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code": _git_rev(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "seed": args.seed,
        "seconds_per_side": seconds,
        "rounds": rounds,
        "time_zone": TZ,
        "tariffs": [t.id for t in tariffs()],
        "workloads": results,
    }
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name, f in results.items():
        print(
            f"{name:>11}: {f['periods_per_cdr']:6.1f} periods/CDR  price "
            f"{f['price_cdrs_per_s']:8.1f} CDRs/s ({f['price_periods_per_s']:,} periods/s)  "
            f"parse {f['parse_cdrs_per_s']:8.1f} CDRs/s  price/parse "
            f"{f['price_over_parse']:.3f}  (+to_json {f['price_and_to_json_cdrs_per_s']:.1f}/s)"
        )
    print(f"written: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
