"""Remote start and stop end to end: commands from an eMSP node through a CPO node and
its charger side, until every session's CDR is at the eMSP.

Two ``roamkit serve`` processes on 127.0.0.1 (SQLite, OCPI 2.2.1), registered. The eMSP
has 20 tokens (pushed to the CPO), the CPO 50 locations (EVSEs capable of remote
start/stop) and a tariff. A charger side runs in this process as an OCPP backend would:
it long-polls the CPO's hook (``POST /api/charger/commands/take?wait=``), starts the session of
a START_SESSION (``POST /api/sessions`` with ``command_id``: ACCEPTED goes to the eMSP on
the way) and, for a STOP_SESSION, reports ACCEPTED and stops the session. N drivers
(``--concurrency``) each run sessions one after the other: send START_SESSION at the
eMSP, wait until the eMSP has the result, send STOP_SESSION, wait for its result.

Figures: per command, the eMSP's answer (``POST /api/commands``: eMSP → CPO and back)
and the result's arrival as the driver sees it (the charger side, the CPO's outbox POST
to ``response_url``; the driver looks every 20 ms in the eMSP's database file, not through
its API, so the looking costs the nodes nothing); sessions per second. Reference, in the
same run: bare admin reads (``GET /api/tariffs/{id}`` on the CPO) at the same
concurrency, so the ratio says what a command's answer costs over one bare round trip.

    .venv/bin/python bench/commands_e2e.py [--quick] [--sessions N] [--concurrency C]

Writes ``bench/commands_e2e.json`` (``commands_e2e.quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADMIN_TOKEN,
    CACHE_DIR,
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
from sessions_e2e import TARIFF, count, location, pct, wait_for

TOKENS = 20
LOCATIONS = 50
POLL_S = 0.02
CAPABLE = ["REMOTE_START_STOP_CAPABLE", "RFID_READER"]


def _client(server: Server, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60)


def _ok(resp: httpx.Response) -> Any:
    body = resp.json()
    if resp.status_code >= 300 or body.get("status_code") != 1000:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.status_code} {body}")
    return body["data"]


async def charger_side(cpo: Server, stop: asyncio.Event, concurrency: int) -> int:
    """The OCPP backend's part; returns how many requests it handled."""
    handled: set[str] = set()
    tasks: set[asyncio.Task[None]] = set()
    async with _client(cpo, concurrency + 2) as c:

        async def handle(task: dict[str, Any]) -> None:
            req = task["request"]
            if task["type"] == "START_SESSION":
                body = {
                    "id": req["authorization_reference"],
                    "command_id": task["id"],
                    "location_id": req["location_id"],
                    "evse_uid": req["evse_uid"],
                    "connector_id": "1",
                }
                _ok(await c.post("/api/sessions", json=body))
            else:
                sid = task["session_id"]
                _ok(
                    await c.post(
                        f"/api/charger/commands/{task['id']}/result", json={"result": "ACCEPTED"}
                    )
                )
                _ok(await c.post(f"/api/sessions/{sid}/meter", json={"meter": "3.5"}))
                _ok(await c.post(f"/api/sessions/{sid}/stop", json={}))

        while not stop.is_set():
            taken = await c.post("/api/charger/commands/take", params={"wait": 1})
            for task in _ok(taken):
                handled.add(task["id"])
                t = asyncio.ensure_future(handle(task))
                tasks.add(t)
                t.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return len(handled)


async def drive(
    cpo: Server, emsp: Server, n: int, concurrency: int
) -> tuple[dict[str, list[float]], float]:
    lat: dict[str, list[float]] = {"answer": [], "result": []}
    left = list(range(n))
    stop = asyncio.Event()
    charger = asyncio.ensure_future(charger_side(cpo, stop, concurrency))
    emsp_db = sqlite3.connect(f"file:{emsp.db_path}?mode=ro", uri=True, timeout=30)
    async with _client(emsp, concurrency) as c:

        async def command(body: dict[str, Any]) -> None:
            t0 = time.perf_counter()
            rec = _ok(await c.post("/api/commands", json={"partner": "cpo", **body}))
            lat["answer"].append((time.perf_counter() - t0) * 1000)
            if rec["state"] != "accepted":
                raise RuntimeError(f"not accepted: {rec}")
            state = rec["state"]
            while state == "accepted":  # read from the eMSP's file: the API stays unloaded
                await asyncio.sleep(POLL_S)
                state = emsp_db.execute(
                    "select state from commands where id = ?", (rec["id"],)
                ).fetchone()[0]
            rec = _ok(await c.get(f"/api/commands/{rec['id']}"))
            if rec["outcome"] != "ACCEPTED":
                raise RuntimeError(f"command ended {rec['state']} {rec['outcome']}: {rec}")
            lat["result"].append((time.perf_counter() - t0) * 1000)

        async def runner() -> None:
            while left:
                i = left.pop()
                loc = i % LOCATIONS
                sid = f"BR{i:06d}"
                await command(
                    {
                        "type": "START_SESSION",
                        "location_id": f"BL{loc:03d}",
                        "evse_uid": f"BL{loc:03d}-E{i // LOCATIONS % 2 + 1}",
                        "token_uid": f"BT{i % TOKENS:05d}",
                        "authorization_reference": sid,
                    }
                )
                await command({"type": "STOP_SESSION", "session_id": sid})

        t0 = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    stop.set()
    await charger
    emsp_db.close()
    return lat, elapsed


async def reference(cpo: Server, requests: int, concurrency: int) -> float:
    left = [requests]
    async with _client(cpo, concurrency) as c:

        async def runner() -> None:
            while left[0] > 0:
                left[0] -= 1
                (await c.get(f"/api/tariffs/{TARIFF['id']}")).raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        return time.perf_counter() - t0


def capable_location(i: int) -> dict[str, Any]:
    loc = location(i)
    for e in loc["evses"]:
        e["capabilities"] = CAPABLE
    return loc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (40 sessions)")
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--profile", choices=("cpo", "emsp"), help="sample that node with py-spy while it runs"
    )
    args = parser.parse_args()
    n = args.sessions or (40 if args.quick else 400)
    result: dict[str, Any] = {
        "benchmark": "commands_e2e",
        "date": now_iso(),
        "command": command_line(),
        "quick": args.quick,
        "machine": machine(),
        "code": code_version(),
        "setup": {
            "sessions": n,
            "commands": 2 * n,
            "concurrency": args.concurrency,
            "version": "2.2.1",
            "storage": "SQLite (one file per node)",
            "driver_poll_s": POLL_S,
        },
    }
    with workdir("commands") as tmp_s, contextlib.ExitStack() as stack:
        tmp = Path(tmp_s)
        cpo = stack.enter_context(roamkit_node("cpo", tmp / "cpo.db", tmp))
        emsp = stack.enter_context(
            roamkit_node("emsp", tmp / "emsp.db", tmp, roles="EMSP", party_id="MSP")
        )
        register(emsp, cpo, "bench-emsp", "cpo")
        for t in range(TOKENS):
            emsp.api(
                "POST", "/api/tokens", json={"uid": f"BT{t:05d}", "contract_id": f"NL-MSP-C{t:08d}"}
            )
        cpo.api("PUT", f"/api/tariffs/{TARIFF['id']}", json=TARIFF)
        for i in range(LOCATIONS):
            cpo.api("PUT", f"/api/locations/BL{i:03d}", json=capable_location(i))
        wait_for(
            "tokens at the CPO",
            lambda: (
                count(tmp / "cpo.db", "select count(*) from objects where module='tokens'")
                >= TOKENS
            ),
        )
        calls = 2 * n
        ref_s = asyncio.run(reference(cpo, calls, args.concurrency))
        log(f"reference: {calls} bare admin reads in {ref_s:.2f}s")
        watch = CpuWatch({"cpo": cpo.pid, "emsp": emsp.pid})
        profiler = None
        if args.profile:
            out = CACHE_DIR / f"profile-commands-{args.profile}.txt"
            out.parent.mkdir(exist_ok=True)
            target = cpo if args.profile == "cpo" else emsp
            profiler = subprocess.Popen(
                py_spy_record(target.pid, 8 if args.quick else 25, out),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        lat, elapsed = asyncio.run(drive(cpo, emsp, n, args.concurrency))
        if profiler is not None:
            profiler.wait(timeout=120)
            top = summarize_stacks(out)
            result["profile"] = {"node": args.profile, **top}
            for kind in ("self", "inclusive"):
                log(f"{args.profile} profile, {kind} % of samples:")
                for name, share in top[kind][:30]:
                    log(f"  {share:5.1f}%  {name}")
        log(f"{n} sessions by command in {elapsed:.2f}s; waiting for the CDRs")
        wait_for(
            "every CDR at the eMSP",
            lambda: count(tmp / "emsp.db", "select count(*) from objects where module='cdrs'") >= n,
        )
        cores = watch.stop()
        cdrs = count(tmp / "emsp.db", "select count(*) from objects where module='cdrs'")
        done = count(tmp / "emsp.db", "select count(*) from commands where state='done'")
    ref_ms = ref_s / calls * 1000
    answer_mean = statistics.fmean(lat["answer"])
    ok = cdrs == n and done == 2 * n
    result["results"] = {
        "elapsed_s": round(elapsed, 3),
        "sessions_per_s": round(n / elapsed, 1),
        "commands_per_s": round(2 * n / elapsed, 1),
        "latency_ms": {
            kind: {
                "p50": round(pct(v, 50), 2),
                "p99": round(pct(v, 99), 2),
                "mean": round(statistics.fmean(v), 2),
            }
            for kind, v in lat.items()
        },
        "reference_ms_per_call": round(ref_ms, 3),
        "answer_ratio_to_reference": round(answer_mean / ref_ms, 2),
        "cdrs_at_emsp": cdrs,
        "commands_done_at_emsp": done,
        "cores_busy": cores,
        "all_done": ok,
    }
    a, r = result["results"]["latency_ms"]["answer"], result["results"]["latency_ms"]["result"]
    log(
        f"{2 * n} commands ({n / elapsed:.1f} sessions/s): answer p50 {a['p50']} ms p99 "
        f"{a['p99']} ms ({answer_mean / ref_ms:.2f}x a bare admin read of {ref_ms:.2f} ms); "
        f"result p50 {r['p50']} ms p99 {r['p99']} ms; {cdrs} CDRs: {verdict(ok)}"
    )
    path = write_result("commands_e2e", result, args.quick)
    log(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
