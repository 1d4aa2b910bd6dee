"""Revocation: a token blocked at the eMSP is refused by the CPO node's authorization
decision within 1 s (p99 over 200 revocations), with no window in which a stale cache
allows it.

eMSP and CPO: ``roamkit serve`` each (SQLite), the eMSP registered with the CPO over
OCPI 2.2.1. 200 tokens are created at the eMSP (half ``ALWAYS``: decided from the CPO's
local copy; half ``ALLOWED_OFFLINE``: real-time answers cached for 60 s at the CPO, and
the cache is warmed first) and pushed to the CPO. Then, one after the other:
``POST /api/tokens/{uid}/block`` at the eMSP, and ``POST /api/authorize`` at the CPO in a
tight loop until it refuses. Latency = first refusal - block call sent. After the first
refusal, five more decisions must refuse too (a stale cache would show here).

    .venv/bin/python bench/revocation.py [--quick] [--count 200]

Writes ``bench/revocation.json`` (``revocation.quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from authorize_latency import bench_lock
from common import (
    ADMIN_TOKEN,
    CpuWatch,
    Server,
    code_version,
    command_line,
    log,
    machine,
    now_iso,
    register,
    roamkit_node,
    verdict,
    workdir,
    write_result,
)

TARGET_P99_S = 1.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 revocations")
    parser.add_argument("--count", type=int, default=None)
    args = parser.parse_args()
    count = args.count or (40 if args.quick else 200)

    with bench_lock(), workdir("revocation") as tmp:
        wd = Path(tmp)
        with (
            roamkit_node("emsp", wd / "emsp.db", wd, roles="EMSP", party_id="MSP") as emsp,
            roamkit_node("cpo", wd / "cpo.db", wd, roles="CPO", party_id="CPO") as cpo,
        ):
            register(emsp, cpo, name_on_cpo="msp", name_on_emsp="cpo")
            result = run(emsp, cpo, count)
    result.update(
        {
            "benchmark": "revocation",
            "date": now_iso(),
            "command": command_line(),
            "code": code_version(),
            "machine": machine(),
        }
    )
    path = write_result("revocation", result, args.quick)
    log(
        f"{count} revocations: p50 {result['latency_ms']['p50']} ms, p99 "
        f"{result['latency_ms']['p99']} ms, max {result['latency_ms']['max']} ms; stale "
        f"allows after a refusal: {result['stale_allows']}: {result['verdict']} -> {path.name}"
    )


def run(emsp: Server, cpo: Server, count: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    kinds = {f"RV{i:04d}": ("ALWAYS" if i % 2 == 0 else "ALLOWED_OFFLINE") for i in range(count)}
    with httpx.Client(headers=headers, timeout=30) as client:

        def decide(uid: str) -> dict[str, Any]:
            body = client.post(f"{cpo.url}/api/authorize", json={"uid": uid}).json()
            assert body["status_code"] == 1000, body
            return body["data"]  # type: ignore[no-any-return]

        for uid, whitelist in kinds.items():
            r = client.post(f"{emsp.url}/api/tokens", json={"uid": uid, "whitelist": whitelist})
            assert r.json()["status_code"] == 1000, r.text
        log(f"{count} tokens created at the eMSP; waiting for them at the CPO")
        deadline = time.monotonic() + 60
        for uid in kinds:
            while decide(uid)["allowed"] != "ALLOWED":
                assert time.monotonic() < deadline, f"{uid} never reached the CPO"
                time.sleep(0.02)
        warmed = [decide(uid)["source"] for uid, k in kinds.items() if k == "ALLOWED_OFFLINE"]
        assert all(s == "cache" for s in warmed), warmed

        latencies: dict[str, list[float]] = {"ALWAYS": [], "ALLOWED_OFFLINE": []}
        stale = 0
        polls = 0
        watch = CpuWatch({"emsp": emsp.pid, "cpo": cpo.pid})
        for uid, whitelist in kinds.items():
            started = time.monotonic()
            r = client.post(f"{emsp.url}/api/tokens/{uid}/block")
            assert r.json()["status_code"] == 1000, r.text
            while True:
                polls += 1
                d = decide(uid)
                if d["allowed"] != "ALLOWED":
                    break
                assert time.monotonic() - started < 30, f"{uid} still allowed after 30 s"
            latencies[whitelist].append(time.monotonic() - started)
            for _ in range(5):
                if decide(uid)["allowed"] == "ALLOWED":
                    stale += 1
        cores = watch.stop()

    every = latencies["ALWAYS"] + latencies["ALLOWED_OFFLINE"]

    def ms(values: list[float]) -> dict[str, float]:
        return {
            "p50": round(percentile(values, 50) * 1000, 1),
            "p99": round(percentile(values, 99) * 1000, 1),
            "max": round(max(values) * 1000, 1),
            "mean": round(statistics.fmean(values) * 1000, 1),
        }

    p99 = percentile(every, 99)
    return {
        "revocations": len(every),
        "latency_ms": ms(every),
        "by_whitelist_ms": {k: ms(v) for k, v in latencies.items() if v},
        "stale_allows": stale,
        "authorize_polls": polls,
        "cores": cores,
        "target": f"p99 <= {TARGET_P99_S:g} s and no stale allow",
        "verdict": verdict(p99 <= TARGET_P99_S and stale == 0),
    }


if __name__ == "__main__":
    main()
