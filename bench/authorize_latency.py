"""Authorize latency: real-time ``POST /ocpi/2.2.1/emsp/tokens/{uid}/authorize`` against an
eMSP node holding 100,000 tokens, 50 concurrent clients, next to the bare ASGI reference
app (``bench/bare_asgi.py`` answering a stored AuthorizationInfo) at the same concurrency
in the same run. Figures: p50 and p99 of roamkit as a ratio to the bare app's p99
(target: p99 ratio <= 4).

eMSP: ``roamkit serve`` (roles EMSP) on a copy of a seeded SQLite database (100,000 of our
own tokens, whitelist NEVER, written once into ``bench/.cache``). A CPO node registers
with it, and its token is what wrk sends. wrk: ``-t2 -c50``, a Lua script that POSTs a
LocationReferences body for a random token uid per request (both targets get the same
script; the bare app ignores path and body).

    .venv/bin/python bench/authorize_latency.py [--quick] [--seconds 10]

Writes ``bench/authorize_latency.json`` (``authorize_latency.quick.json`` with --quick).
Waits while /tmp/BENCH_RUNNING exists, and holds /tmp/BENCH_RUNNING_WT4 while it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CACHE_DIR,
    PYTHON,
    ROAMKIT,
    WRK,
    CpuWatch,
    b64,
    code_version,
    command_line,
    free_port,
    log,
    machine,
    now_iso,
    py_spy_record,
    register,
    roamkit_node,
    schema_fingerprint,
    spawn,
    summarize_stacks,
    token_out,
    verdict,
    workdir,
    working_copy,
    write_result,
)

TARGET_RATIO = 4.0
CONNECTIONS = 50
THREADS = 2
UID = "BT{:06d}"
LOCK = Path("/tmp/BENCH_RUNNING")
OWN_LOCK = Path("/tmp/BENCH_RUNNING_WT4")


@contextlib.contextmanager
def bench_lock() -> Iterator[None]:
    """Share the machine politely: wait for the other bench, announce ours."""
    while LOCK.exists():
        log("waiting: /tmp/BENCH_RUNNING exists")
        time.sleep(5)
    OWN_LOCK.write_text(str(os.getpid()))
    try:
        yield
    finally:
        OWN_LOCK.unlink(missing_ok=True)


# --------------------------------------------------------------------------- seeding


def seeded_tokens_db(count: int) -> Path:
    """A SQLite file holding ``count`` of our own tokens, cached in ``bench/.cache``."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    ignore = CACHE_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = CACHE_DIR / f"tokens-{count}-{schema_fingerprint()}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".db.tmp")
    tmp.unlink(missing_ok=True)
    log(f"seeding {count} tokens into {path.name}")
    started = time.monotonic()
    env = {**os.environ, "ROAMKIT_DATABASE_URL": f"sqlite:///{tmp}"}
    subprocess.run([str(ROAMKIT), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    _insert_tokens(tmp, count)
    tmp.rename(path)
    log(f"seeded in {time.monotonic() - started:.0f}s")
    return path


def _insert_tokens(db: Path, count: int) -> None:
    """Rows exactly as ``modules.tokens.service.store`` writes them (bulk, one transaction)."""
    import orjson
    from sqlalchemy import create_engine, insert

    from roamkit.domain import canonical as c
    from roamkit.domain.context import ConversionContext
    from roamkit.domain.v211 import tokens as conv211
    from roamkit.modules.tokens import service
    from roamkit.protocol.timeutil import utcnow
    from roamkit.store.tables import StoredObject

    now = utcnow().replace(microsecond=0)
    ctx = ConversionContext(country_code="NL", party_id="MSP")
    engine = create_engine(f"sqlite:///{db}")
    rows: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i in range(count):
            token = c.Token(
                country_code="NL",
                party_id="MSP",
                uid=UID.format(i),
                type=c.TokenType.RFID,
                contract_id=f"NL-MSP-C{i:08d}-X",
                issuer="bench eMSP",
                valid=True,
                whitelist=c.WhitelistType.NEVER,
                last_updated=now,
            )
            data = token.model_dump(mode="json", exclude_none=True)
            rows.append(
                {
                    "module": service.MODULE,
                    "owner_id": 0,
                    "country_code": "NL",
                    "party_id": "MSP",
                    "object_id": service.object_id(token.uid, token.type),
                    "last_updated": now,
                    "published": True,
                    "data": data,
                    "wire_v221": orjson.dumps(data),
                    "wire_v211": orjson.dumps(
                        conv211.from_canonical(token, ctx).model_dump(
                            mode="json", exclude_none=True
                        )
                    ),
                    "created_at": now,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(StoredObject), rows)
                rows = []
        if rows:
            conn.execute(insert(StoredObject), rows)
    engine.dispose()


# --------------------------------------------------------------------------- wrk

_POST_LUA = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  n = tonumber(args[1])
  base = args[2]
  body = args[3]
  math.randomseed(1000 + tid)
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local uid = string.format("BT%06d", math.random(0, n - 1))
  return wrk.format("POST", base .. uid .. "/authorize", nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,'
    .. '"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def run_wrk(url: str, token_b64: str, tokens: int, seconds: float) -> dict[str, Any]:
    """wrk POSTing authorize requests for random uids to ``url`` (ending in ``/tokens/``)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_POST_LUA)
    try:
        path = "/" + url.split("/", 3)[3]
        body = json.dumps({"location_id": "LOC1", "evse_uids": ["EVSE1"]})
        cmd = [
            WRK,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            "-H",
            f"Authorization: Token {token_b64}",
            url,
            "--",
            str(tokens),
            path,
            body,
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 60, stdin=subprocess.DEVNULL
        )
    finally:
        os.unlink(script.name)
    match = re.search(r"^WRKJSON (\{.*\})$", proc.stdout, re.M)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}")
    raw = json.loads(match.group(1))
    secs = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / secs, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "non_2xx": raw["status_errors"],
        "socket_errors": raw["socket_errors"],
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tokens, 5 s")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--tokens", type=int, default=None)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the eMSP during the roamkit run"
    )
    args = parser.parse_args()
    tokens = args.tokens or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (5.0 if args.quick else 10.0)

    source = seeded_tokens_db(tokens)
    with bench_lock(), workdir("authorize") as tmp:
        wd = Path(tmp)
        emsp_db = working_copy(source, wd, "emsp")
        cpo_db = wd / "cpo.db"
        with (
            roamkit_node("emsp", emsp_db, wd, roles="EMSP", party_id="MSP") as emsp,
            roamkit_node("cpo", cpo_db, wd, roles="CPO", party_id="CPO") as cpo,
        ):
            register(emsp, cpo, name_on_cpo="msp", name_on_emsp="cpo")
            token = b64(token_out(cpo_db, "msp"))
            base = f"{emsp.url}/ocpi/2.2.1/emsp/tokens/"
            # Correctness first: an ALLOWED answer with token and reference, and 2004.
            headers = {"Authorization": f"Token {token}"}
            sample = httpx.post(
                base + UID.format(tokens // 2) + "/authorize",
                json={"location_id": "LOC1"},
                headers=headers,
                timeout=30,
            ).json()
            assert sample["status_code"] == 1000 and sample["data"]["allowed"] == "ALLOWED", sample
            assert sample["data"]["token"]["uid"] == UID.format(tokens // 2)
            unknown = httpx.post(base + "NOPE/authorize", headers=headers, timeout=30)
            assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004
            body_file = wd / "authinfo.json"
            body_file.write_bytes(json.dumps(sample).encode())
            headers_file = wd / "headers.json"
            headers_file.write_text(json.dumps({"content-type": "application/json"}))

            bare_port = free_port()
            with spawn(
                "bare",
                [
                    str(PYTHON),
                    str(Path(__file__).resolve().parent / "bare_asgi.py"),
                    "--port",
                    str(bare_port),
                    "--body",
                    str(body_file),
                    "--headers",
                    str(headers_file),
                ],
                bare_port,
                wd,
            ) as bare:
                bare_url = f"{bare.url}/ocpi/2.2.1/emsp/tokens/"
                log("warm-up")
                run_wrk(bare_url, token, tokens, 2)
                run_wrk(base, token, tokens, 2)
                log(f"bare ASGI, {seconds:g} s, {CONNECTIONS} connections")
                watch = CpuWatch({"bare": bare.pid})
                bare_result = run_wrk(bare_url, token, tokens, seconds)
                bare_result["cores"] = watch.stop()
            log(f"roamkit eMSP, {seconds:g} s, {CONNECTIONS} connections")
            watch = CpuWatch({"emsp": emsp.pid, "cpo": cpo.pid})
            profiler = None
            if args.profile:
                out = CACHE_DIR / "profile-authorize-emsp.txt"
                profiler = subprocess.Popen(
                    py_spy_record(emsp.pid, seconds, out),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            roamkit = run_wrk(base, token, tokens, seconds)
            roamkit["cores"] = watch.stop()
            if profiler is not None:
                profiler.wait(timeout=120)
                top = summarize_stacks(out)
                roamkit["profile"] = top
                for kind in ("inclusive", "self"):
                    log(f"eMSP profile, {kind} % of samples:")
                    for name, pct in top[kind][:25]:
                        log(f"  {pct:5.1f}  {name}")

    bare_p99 = bare_result["p99_ms"]
    ratios = {
        "p50_over_bare_p99": round(roamkit["p50_ms"] / bare_p99, 2),
        "p99_over_bare_p99": round(roamkit["p99_ms"] / bare_p99, 2),
    }
    ok = ratios["p99_over_bare_p99"] <= TARGET_RATIO and roamkit["non_2xx"] == 0
    result = {
        "benchmark": "authorize_latency",
        "date": now_iso(),
        "command": command_line(),
        "code": code_version(),
        "machine": machine(),
        "tokens": tokens,
        "connections": CONNECTIONS,
        "seconds": seconds,
        "bare_asgi": bare_result,
        "roamkit": roamkit,
        "ratios": ratios,
        "target": f"p99 <= {TARGET_RATIO:g} x bare ASGI p99",
        "verdict": verdict(ok),
    }
    name = "authorize_latency" + (".profiled" if args.profile else "")
    path = write_result(name, result, args.quick)
    log(
        f"bare p50 {bare_result['p50_ms']} ms p99 {bare_p99} ms; roamkit p50 "
        f"{roamkit['p50_ms']} ms p99 {roamkit['p99_ms']} ms ({roamkit['rps']} req/s); "
        f"p50/bare p99 {ratios['p50_over_bare_p99']}, p99/bare p99 "
        f"{ratios['p99_over_bare_p99']}: {result['verdict']} -> {path.name}"
    )


if __name__ == "__main__":
    main()
