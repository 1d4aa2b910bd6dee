"""Sessions end to end: charger events at a CPO node until every Session and CDR is
stored, re-priced and accepted at a registered eMSP node.

Two ``roamkit serve`` processes on 127.0.0.1 (SQLite, OCPI 2.2.1). The eMSP pushes 100
tokens to the CPO; the CPO publishes a realistic tariff (FLAT start fee, ENERGY in
1 Wh steps at day and night prices split at 22:00 / 07:00 local, TIME after the first
hour, PARKING_TIME in 5-minute steps, VAT) and 50 locations with 4 connectors in
Europe/Amsterdam. Then N sessions (default 1,000) are driven through the CPO's
management API, ``--concurrency`` at a time: start, 10 meter updates (the last one
parking), stop — each with event times spread over two to three hours so the periods
cross tariff boundaries. The run ends when the eMSP holds every session COMPLETED and
every CDR; the figure is the time per session, and the count of disputes (must be 0).

Reference, in the same run: the same number of management API requests (12 per
session) with the same concurrency against a read that does nothing
(``GET /api/tariffs/{id}``), so the ratio says what sessions cost over the bare
HTTP + admin-auth + database round trip on this machine.

    .venv/bin/python bench/sessions_e2e.py [--quick] [--sessions N] [--concurrency C]

Writes ``bench/sessions_e2e.json`` (``sessions_e2e.quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADMIN_TOKEN,
    CACHE_DIR,
    REPO,
    CpuWatch,
    Server,
    code_version,
    command_line,
    log,
    machine,
    now_iso,
    py_spy_record,
    register,
    roamkit_node,
    summarize_stacks,
    verdict,
    workdir,
    write_result,
)

TOKENS = 100
LOCATIONS = 50
CONNECTORS = 4  # 2 EVSEs x 2 connectors
UPDATES = 10
GRACE_S = 300.0

TARIFF = {
    "id": "BENCH-AC",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.35, "vat": 21, "step_size": 1}]},
        {
            "price_components": [{"type": "ENERGY", "price": 0.29, "vat": 21, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "07:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21, "step_size": 1}]},
        {
            "price_components": [{"type": "TIME", "price": 1.20, "vat": 21, "step_size": 60}],
            "restrictions": {"min_duration": 3600},
        },
        {
            "price_components": [
                {"type": "PARKING_TIME", "price": 3.00, "vat": 21, "step_size": 300}
            ]
        },
    ],
}


def location(i: int) -> dict[str, Any]:
    lid = f"BL{i:03d}"
    evses = [
        {
            "uid": f"{lid}-E{e}",
            "evse_id": f"NL*RKT*E{lid}{e}",
            "status": "AVAILABLE",
            "connectors": [
                {
                    "id": str(k),
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 230,
                    "max_amperage": 32,
                    "tariff_ids": [TARIFF["id"]],
                }
                for k in (1, 2)
            ],
        }
        for e in (1, 2)
    ]
    return {
        "id": lid,
        "publish": True,
        "name": f"Bench {lid}",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.090200", "longitude": "5.110500"},
        "parking_type": "ON_STREET",
        "time_zone": "Europe/Amsterdam",
        "evses": evses,
    }


def count(db: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def wait_for(what: str, probe: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(n: int, seed: int = 7) -> list[list[tuple[str, str, dict[str, Any]]]]:
    """Per session, its 12 management API calls (method path body)."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    sessions = []
    for i in range(n):
        loc = i % LOCATIONS
        k = (i // LOCATIONS) % CONNECTORS
        sid = f"BS{i:06d}"
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 14))
        steps = sorted(rng.sample(range(5, 150), UPDATES))
        meter = Decimal(rng.randrange(0, 100000)) / 10
        calls = [
            (
                "POST",
                "/api/sessions",
                {
                    "id": sid,
                    "token_uid": f"BT{i % TOKENS:05d}",
                    "location_id": f"BL{loc:03d}",
                    "evse_uid": f"BL{loc:03d}-E{k // 2 + 1}",
                    "connector_id": str(k % 2 + 1),
                    "start": iso(start),
                    "meter_start": str(meter),
                },
            )
        ]
        for j, minute in enumerate(steps):
            meter += Decimal(rng.randrange(100, 2500)) / 1000
            body: dict[str, Any] = {
                "at": iso(start + timedelta(minutes=minute)),
                "meter": str(meter),
                "power": str(rng.randrange(3, 22)),
            }
            if j == UPDATES - 1:
                body["charging"] = False
            calls.append(("POST", f"/api/sessions/{sid}/meter", body))
        stop_at = start + timedelta(minutes=steps[-1] + rng.randrange(1, 40))
        calls.append(("POST", f"/api/sessions/{sid}/stop", {"at": iso(stop_at)}))
        sessions.append(calls)
    return sessions


async def drive(
    cpo: Server, sessions: list[list[tuple[str, str, dict[str, Any]]]], concurrency: int
) -> dict[str, list[float]]:
    """Each session's calls in order; ``concurrency`` sessions at a time."""
    latencies: dict[str, list[float]] = {"start": [], "meter": [], "stop": []}
    queue = list(reversed(sessions))
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=cpo.url, headers=headers, limits=limits, timeout=60) as c:

        async def runner() -> None:
            while queue:
                for method, path, body in queue.pop():
                    t0 = time.perf_counter()
                    resp = await c.request(method, path, json=body)
                    ms = (time.perf_counter() - t0) * 1000
                    data = resp.json()
                    if resp.status_code >= 300 or data.get("status_code") != 1000:
                        raise RuntimeError(f"{method} {path}: {resp.status_code} {data}")
                    kind = "start" if path == "/api/sessions" else path.rsplit("/", 1)[1]
                    latencies[kind].append(ms)

        await asyncio.gather(*(runner() for _ in range(concurrency)))
    return latencies


async def reference(cpo: Server, requests: int, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    left = [requests]
    async with httpx.AsyncClient(base_url=cpo.url, headers=headers, limits=limits, timeout=60) as c:

        async def runner() -> None:
            while left[0] > 0:
                left[0] -= 1
                resp = await c.get(f"/api/tariffs/{TARIFF['id']}")
                resp.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (100 sessions)")
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--profile", action="store_true", help="sample the CPO with py-spy while sessions run"
    )
    args = parser.parse_args()
    n = args.sessions or (100 if args.quick else 1000)
    sessions = plan(n)
    calls = sum(len(s) for s in sessions)
    result: dict[str, Any] = {
        "benchmark": "sessions_e2e",
        "date": now_iso(),
        "command": command_line(),
        "quick": args.quick,
        "machine": machine(),
        "code": code_version(),
        "setup": {
            "sessions": n,
            "calls_per_session": calls // n,
            "concurrency": args.concurrency,
            "tokens": TOKENS,
            "locations": LOCATIONS,
            "version": "2.2.1",
            "storage": "SQLite (one file per node)",
            "session_push_interval_s": 60,
        },
    }
    with workdir("sessions") as tmp_s, contextlib.ExitStack() as stack:
        tmp = Path(tmp_s)
        cpo = stack.enter_context(roamkit_node("cpo", tmp / "cpo.db", tmp))
        emsp = stack.enter_context(
            roamkit_node("emsp", tmp / "emsp.db", tmp, roles="EMSP", party_id="MSP")
        )
        register(emsp, cpo, "bench-emsp", "cpo")
        for t in range(TOKENS):
            emsp.api(
                "POST",
                "/api/tokens",
                json={"uid": f"BT{t:05d}", "contract_id": f"NL-MSP-C{t:08d}"},
            )
        wait_for(
            "tokens at the CPO",
            lambda: (
                count(tmp / "cpo.db", "select count(*) from objects where module='tokens'")
                >= TOKENS
            ),
        )
        cpo.api("PUT", f"/api/tariffs/{TARIFF['id']}", json=TARIFF)
        for i in range(LOCATIONS):
            cpo.api("PUT", f"/api/locations/BL{i:03d}", json=location(i))
        wait_for(
            "tariff and locations at the eMSP",
            lambda: (
                count(
                    tmp / "emsp.db",
                    "select count(*) from objects where module in ('locations','tariffs')",
                )
                >= LOCATIONS + 1
            ),
        )
        time.sleep(1)
        ref_s = asyncio.run(reference(cpo, calls, args.concurrency))
        log(f"reference: {calls} bare admin reads in {ref_s:.2f}s")

        watch = CpuWatch({"cpo": cpo.pid, "emsp": emsp.pid})
        profiler = None
        if args.profile:
            out = CACHE_DIR / "profile-sessions-cpo.txt"
            out.parent.mkdir(exist_ok=True)
            seconds = 8 if args.quick else 30
            profiler = subprocess.Popen(
                py_spy_record(cpo.pid, seconds, out),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        t0 = time.perf_counter()
        latencies = asyncio.run(drive(cpo, sessions, args.concurrency))
        driven_s = time.perf_counter() - t0
        if profiler is not None:
            profiler.wait(timeout=120)
            top = summarize_stacks(out)
            result["cpo_profile"] = {"collapsed_stacks": str(out.relative_to(REPO)), **top}
            for kind in ("self", "inclusive"):
                log(f"CPO profile, {kind} % of samples:")
                for name, share in top[kind][:30]:
                    log(f"  {share:5.1f}%  {name}")
        log(f"{n} sessions driven in {driven_s:.2f}s; waiting for the eMSP")

        def arrived() -> bool:
            cdrs = count(tmp / "emsp.db", "select count(*) from objects where module='cdrs'")
            done = count(
                tmp / "emsp.db",
                "select count(*) from objects where module='sessions' "
                'and data like \'%"status":"COMPLETED"%\'',
            )
            return cdrs >= n and done >= n

        wait_for("every CDR and session at the eMSP", arrived, timeout=GRACE_S)
        total_s = time.perf_counter() - t0
        cores = watch.stop()
        disputes = count(tmp / "emsp.db", "select count(*) from cdr_disputes")
        emsp_cdrs = count(tmp / "emsp.db", "select count(*) from objects where module='cdrs'")

    ref_per_call_ms = ref_s / calls * 1000
    per_session_ms = total_s / n * 1000
    ratio = per_session_ms / (ref_per_call_ms * calls / n)
    ok = disputes == 0 and emsp_cdrs == n
    result["results"] = {
        "total_s": round(total_s, 3),
        "driven_s": round(driven_s, 3),
        "sessions_per_s": round(n / total_s, 1),
        "ms_per_session": round(per_session_ms, 2),
        "reference_s": round(ref_s, 3),
        "reference_ms_per_call": round(ref_per_call_ms, 3),
        "ratio_to_reference": round(ratio, 2),
        "cdrs_at_emsp": emsp_cdrs,
        "disputes": disputes,
        "latency_ms": {
            kind: {
                "p50": round(pct(v, 50), 2),
                "p99": round(pct(v, 99), 2),
                "mean": round(statistics.fmean(v), 2),
            }
            for kind, v in latencies.items()
        },
        "cores_busy": cores,
        "all_accepted_without_dispute": ok,
    }
    log(
        f"{n} sessions end to end in {total_s:.2f}s: {per_session_ms:.1f} ms per session "
        f"({n / total_s:.1f}/s), {ratio:.2f}x the reference's {calls // n} bare calls; "
        f"{emsp_cdrs} CDRs at the eMSP, {disputes} disputes: {verdict(ok)}"
    )
    path = write_result("sessions_e2e", result, args.quick)
    log(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
