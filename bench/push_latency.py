"""Push latency: EVSE status changes on a CPO until they are stored at a registered eMSP.

CPO: ``roamkit serve`` on 1,000 seeded locations (2,000 EVSEs). eMSP: a roamkit node
(``bench/emsp_recorder.py``: the app under a recording ASGI middleware) registered with it
on OCPI 2.2.1 and primed with the CPO's locations. Changes go through the CPO's management
API (``POST /api/locations/{id}/evses/{uid}/status``) on a fixed schedule (default 100/s
for 30 s, spread over all EVSEs; each a real change). Latency = when the eMSP had stored
the PATCH (its answer started) minus when the API call was sent.

    .venv/bin/python bench/push_latency.py [--quick] [--rate 100] [--seconds 30]

Writes ``bench/push_latency.json`` (``push_latency.quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
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
    BENCH_DIR,
    PYTHON,
    REPO,
    CpuWatch,
    Server,
    b64,
    code_version,
    command_line,
    log,
    machine,
    now_iso,
    py_spy_record,
    register,
    roamkit_node,
    seeded_db,
    summarize_stacks,
    token_out,
    verdict,
    workdir,
    working_copy,
    write_result,
)

TARGET_P99_MS = 250.0
LOCATIONS = 1000
#: Statuses a change cycles through (consecutive ones differ, so every change is real).
CYCLE = ("CHARGING", "AVAILABLE", "BLOCKED", "INOPERATIVE", "OUTOFORDER")
GRACE_S = 20.0


def export(url: str, token: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?limit=1000"
    with httpx.Client(headers={"Authorization": f"Token {b64(token)}"}, timeout=60) as client:
        while next_url:
            resp = client.get(next_url)
            body = resp.json()
            assert body["status_code"] == 1000, body
            out += body["data"]
            next_url = resp.links.get("next", {}).get("url")
    return out


def receiver_url(emsp: Server, token_b: str) -> str:
    headers = {"Authorization": f"Token {b64(token_b)}"}
    details = httpx.get(f"{emsp.url}/ocpi/2.2.1", headers=headers, timeout=30).json()["data"]
    for e in details["endpoints"]:
        if e["identifier"] == "locations" and e["role"] == "RECEIVER":
            return str(e["url"]).rstrip("/")
    raise RuntimeError(f"eMSP lists no locations receiver: {details}")


async def prime(url: str, token_b: str, locations: list[dict[str, Any]]) -> None:
    """Store every location at the eMSP, as the CPO's own push of new locations would
    (PUT to its receiver with the token the eMSP issued to the CPO): a PATCH for an
    unknown location is refused, which is not what this benchmark is about."""
    headers = {
        "Authorization": f"Token {b64(token_b)}",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "RKT",
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "MSP",
    }
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def put(loc: dict[str, Any]) -> None:
            async with sem:
                resp = await client.put(
                    f"{url}/{loc['country_code']}/{loc['party_id']}/{loc['id']}", json=loc
                )
            body = resp.json()
            if body.get("status_code") != 1000:
                raise RuntimeError(f"priming {loc['id']}: HTTP {resp.status_code} {body}")

        await asyncio.gather(*(put(loc) for loc in locations))


def plan(locations: list[dict[str, Any]], count: int) -> list[tuple[str, str, str]]:
    """``count`` changes (location_id, evse_uid, status): EVSE order interleaves locations
    (all first EVSEs, then all second ones), each EVSE steps through CYCLE skipping its
    current status, so every change differs from the EVSE's previous status and every
    (evse, status) pair occurs at most once per run (up to 4 changes per EVSE)."""
    evses: list[tuple[str, str, str]] = []
    width = max(len(loc.get("evses") or []) for loc in locations)
    for i in range(width):
        for loc in locations:
            loc_evses = loc.get("evses") or []
            if i < len(loc_evses):
                evses.append((loc["id"], loc_evses[i]["uid"], loc_evses[i]["status"]))
    if count > 4 * len(evses):
        raise ValueError(f"{count} changes need more than {len(evses)} EVSEs")
    upcoming = {uid: [s for s in CYCLE if s != current] for _, uid, current in evses}
    changes = []
    for k in range(count):
        loc_id, uid, _ = evses[k % len(evses)]
        changes.append((loc_id, uid, upcoming[uid].pop(0)))
    return changes


async def drive(
    cpo: Server, changes: list[tuple[str, str, str]], rate: float
) -> list[dict[str, Any]]:
    """Send the changes on a fixed schedule (change k at t0 + k/rate), never waiting for
    earlier answers; returns per change: scheduled, sent and answered times, answer."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    sent: list[dict[str, Any]] = [{} for _ in changes]
    async with httpx.AsyncClient(
        base_url=cpo.url, headers=headers, limits=limits, timeout=60
    ) as client:

        async def one(k: int) -> None:
            loc_id, uid, status = changes[k]
            rec = sent[k]
            rec["t_send"] = time.monotonic()
            try:
                resp = await client.post(
                    f"/api/locations/{loc_id}/evses/{uid}/status", json={"status": status}
                )
                rec["http"] = resp.status_code
                rec["ocpi"] = resp.json().get("status_code")
            except httpx.HTTPError as exc:
                rec["error"] = repr(exc)
            rec["t_ack"] = time.monotonic()

        tasks = []
        t0 = time.monotonic() + 0.2
        for k in range(len(changes)):
            due = t0 + k / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[k]["t_due"] = due
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
    return sent


async def idle_api_latency(cpo: Server, locations: list[dict[str, Any]]) -> list[float]:
    """20 status changes one after the other (on EVSEs the run does not use): the cost of
    one change when nothing else happens."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    out = []
    async with httpx.AsyncClient(base_url=cpo.url, headers=headers, timeout=60) as client:
        for loc in locations[:20]:
            evse = loc["evses"][0]
            status = next(s for s in CYCLE if s != evse["status"])
            started = time.monotonic()
            resp = await client.post(
                f"/api/locations/{loc['id']}/evses/{evse['uid']}/status", json={"status": status}
            )
            out.append(1000 * (time.monotonic() - started))
            assert resp.json()["status_code"] == 1000, resp.text
            await asyncio.sleep(0.3)  # let the push go out before the next one
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (50/s, 10 s)")
    parser.add_argument("--rate", type=float, default=None, help="changes per second")
    parser.add_argument("--seconds", type=float, default=None, help="how long to send")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the CPO with py-spy while the changes are sent",
    )
    args = parser.parse_args()
    quick: bool = args.quick
    rate = args.rate or (50.0 if quick else 100.0)
    seconds = args.seconds or (10.0 if quick else 30.0)
    count = round(rate * seconds)

    result: dict[str, Any] = {
        "benchmark": "push_latency",
        "date": now_iso(),
        "command": command_line(),
        "quick": quick,
        "machine": machine(),
        "code": code_version(),
        "setup": {
            "cpo_locations": LOCATIONS,
            "evses": 2 * LOCATIONS,
            "rate_per_s": rate,
            "seconds": seconds,
            "changes": count,
            "version": "2.2.1",
            "storage": "SQLite (one file per node)",
        },
    }
    src = seeded_db(LOCATIONS)
    with workdir("push") as tmp_s, contextlib.ExitStack() as stack:
        tmp = Path(tmp_s)
        cpo = stack.enter_context(roamkit_node("cpo", working_copy(src, tmp, "cpo"), tmp))
        emsp = stack.enter_context(
            roamkit_node(
                "emsp",
                tmp / "emsp.db",
                tmp,
                roles="EMSP",
                party_id="MSP",
                country_code="DE",
                script=[str(PYTHON), str(BENCH_DIR / "emsp_recorder.py")],
            )
        )
        register(emsp, cpo, "bench-emsp", "cpo")
        assert cpo.db_path is not None and emsp.db_path is not None
        token_c = token_out(emsp.db_path, "cpo")  # eMSP -> CPO
        token_b = token_out(cpo.db_path, "bench-emsp")  # CPO -> eMSP
        locations = export(f"{cpo.url}/ocpi/2.2.1/cpo/locations", token_c)
        assert len(locations) == LOCATIONS, len(locations)
        started = time.monotonic()
        asyncio.run(prime(receiver_url(emsp, token_b), token_b, locations))
        log(f"eMSP primed with {len(locations)} locations in {time.monotonic() - started:.1f}s")
        time.sleep(2)  # let the CPO's push worker go idle
        httpx.delete(f"{emsp.url}/_bench/arrivals", timeout=30)

        idle_api_ms = asyncio.run(idle_api_latency(cpo, locations))
        log(f"one status change at a time (idle): p50 {pct(idle_api_ms, 50):.1f} ms")
        httpx.delete(f"{emsp.url}/_bench/arrivals", timeout=30)
        time.sleep(1)

        changes = plan(locations[20:], count)
        log(f"sending {count} status changes at {rate:.0f}/s for {seconds:.0f}s")
        profiler = None
        if args.profile:
            out = BENCH_DIR / ".cache" / "profile-push-cpo.txt"
            out.parent.mkdir(exist_ok=True)
            profiler = subprocess.Popen(
                py_spy_record(cpo.pid, seconds, out),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        watch = CpuWatch({"cpo": cpo.pid, "emsp": emsp.pid})
        sent = asyncio.run(drive(cpo, changes, rate))
        cores = watch.stop()
        log(f"CPU while sending (cores busy, of 2): {cores}")
        if profiler is not None:
            profiler.wait(timeout=120)
            top = summarize_stacks(out)
            result["cpo_profile"] = {"collapsed_stacks": str(out.relative_to(REPO)), **top}
            for kind in ("self", "inclusive"):
                log(f"CPO profile during the run, {kind} % of samples:")
                for name, share in top[kind][:25]:
                    log(f"  {share:5.1f}%  {name}")
        last_send = max(s["t_send"] for s in sent)
        wanted = {(uid, status): k for k, (_, uid, status) in enumerate(changes)}
        deadline = time.monotonic() + GRACE_S
        while True:
            records = httpx.get(f"{emsp.url}/_bench/arrivals", timeout=60).json()
            seen = {tuple(c) for r in records for c in r["changes"]}
            if all(key in seen for key in wanted) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        cpo_log = cpo.logs()

    # ---- analysis
    first: dict[int, dict[str, Any]] = {}
    by_method: dict[str, int] = {}
    refused = 0
    for r in sorted(records, key=lambda r: r["t_done"]):
        by_method[r["method"]] = by_method.get(r["method"], 0) + 1
        if r["http"] != 200 or r["ocpi"] != 1000:
            refused += 1
            continue
        for uid, status in r["changes"]:
            k = wanted.get((uid, status))
            if k is not None and k not in first:
                first[k] = r
    api_errors = [s for s in sent if s.get("http") != 200 or s.get("ocpi") != 1000]
    visible_ms = [1000 * (first[k]["t_done"] - sent[k]["t_send"]) for k in first]
    arrive_ms = [1000 * (first[k]["t_arrive"] - sent[k]["t_send"]) for k in first]
    api_ms = [1000 * (s["t_ack"] - s["t_send"]) for s in sent if "t_ack" in s]
    lateness_ms = [1000 * (s["t_send"] - s["t_due"]) for s in sent]
    # lost: the CPO accepted the change (API answered 1000) and the eMSP never stored it.
    # A change whose API call failed was maybe never made: counted apart.
    accepted = [k for k, s_ in enumerate(sent) if s_.get("http") == 200 and s_.get("ocpi") == 1000]
    lost = sum(1 for k in accepted if k not in first)
    # order: per EVSE, consecutive changes stored at the eMSP in the other order. "causal":
    # only pairs where the CPO had answered the first before the second was sent (so the
    # CPO certainly applied them in that order); the others overlapped at the CPO's API.
    order_violations = 0
    causal_violations = 0
    per_evse: dict[str, list[int]] = {}
    for k in sorted(first):
        per_evse.setdefault(changes[k][1], []).append(k)
    for ks in per_evse.values():
        for a, b in itertools.pairwise(ks):
            if first[b]["t_done"] < first[a]["t_done"]:
                order_violations += 1
                if sent[a].get("t_ack", float("inf")) < sent[b]["t_send"]:
                    causal_violations += 1
    send_span = last_send - min(s["t_send"] for s in sent)

    figures = {
        "changes": count,
        "accepted_by_cpo_api": len(accepted),
        "delivered": len(first),
        "lost": lost,
        "p50_ms": round(pct(visible_ms, 50), 1),
        "p90_ms": round(pct(visible_ms, 90), 1),
        "p99_ms": round(pct(visible_ms, 99), 1),
        "max_ms": round(max(visible_ms, default=float("nan")), 1),
        "mean_ms": round(statistics.fmean(visible_ms), 1) if visible_ms else None,
        "arrival_p50_ms": round(pct(arrive_ms, 50), 1),
        "arrival_p99_ms": round(pct(arrive_ms, 99), 1),
        "api_p50_ms": round(pct(api_ms, 50), 1),
        "api_p99_ms": round(pct(api_ms, 99), 1),
        "api_errors": len(api_errors),
        "idle_api_p50_ms": round(pct(idle_api_ms, 50), 1),
        "cpu_cores_busy_while_sending": cores,
        "achieved_rate_per_s": round((count - 1) / send_span, 1) if send_span else None,
        "sender_lateness_p99_ms": round(pct(lateness_ms, 99), 1),
        "sender_lateness_max_ms": round(max(lateness_ms), 1),
        "receiver_requests": by_method,
        "receiver_refused": refused,
        "order_violations": order_violations,
        "order_violations_causal": causal_violations,
    }
    result["figures"] = figures
    result["targets"] = {
        "p99 < 250 ms": figures["p99_ms"] < TARGET_P99_MS,
        "lost = 0": lost == 0,
    }
    if api_errors:
        result["api_error_samples"] = api_errors[:5]
    if lost:
        result["cpo_log_tail"] = cpo_log[-3000:]
    # py-spy samples during the measured run: keep those figures apart
    name = "push_latency"
    if args.rate or args.seconds:  # not the standard run: keep its figures apart
        name += f".{rate:g}per_s.{seconds:g}s"
    path = write_result(name + (".profiled" if args.profile else ""), result, quick)

    print(
        f"\npush latency, {count} EVSE status changes at {rate:.0f}/s for {seconds:.0f}s "
        f"over {2 * LOCATIONS} EVSEs, CPO -> eMSP (2.2.1 PATCH){' [QUICK]' if quick else ''}"
    )
    print(
        f"  delivered {len(first)} / {count} ({len(accepted)} accepted by the CPO's API), "
        f"lost {lost}, receiver requests {by_method}, "
        f"refused {refused}, order violations {order_violations} "
        f"(of which after the CPO had answered the earlier change: {causal_violations})"
    )
    print(
        f"  API call -> stored at eMSP: p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']} "
        f"ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms"
    )
    print(
        f"  (arrival at eMSP p50 {figures['arrival_p50_ms']} ms, p99 "
        f"{figures['arrival_p99_ms']} ms; management API answer p50 {figures['api_p50_ms']} "
        f"ms, p99 {figures['api_p99_ms']} ms, one at a time {figures['idle_api_p50_ms']} ms; "
        f"API errors {len(api_errors)})"
    )
    print(
        f"  sender: {figures['achieved_rate_per_s']}/s achieved, lateness p99 "
        f"{figures['sender_lateness_p99_ms']} ms; CPU cores busy while sending: {cores}"
    )
    for name, ok in result["targets"].items():
        print(f"  {verdict(ok):8s} {name}")
    print(f"results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
