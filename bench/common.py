"""Shared plumbing for the benchmarks: seeded databases, server processes, wrk, results.

Everything listens on 127.0.0.1; every process started here is stopped on exit (and
dies with the benchmark even if that is SIGKILLed: PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
CACHE_DIR = Path(os.environ.get("ROAMKIT_BENCH_CACHE") or BENCH_DIR / ".cache")
VENV_BIN = REPO / ".venv" / "bin"
ROAMKIT = VENV_BIN / "roamkit"
PYTHON = VENV_BIN / "python"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
ADMIN_TOKEN = "bench-admin-token"
HOST = "127.0.0.1"

#: Every target gets the same load: 2 wrk threads, 32 connections (2-core machine).
WRK_THREADS = 2
WRK_CONNECTIONS = 32


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM the child when the benchmark process dies (Linux)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --------------------------------------------------------------------------- results


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def code_version() -> dict[str, Any]:
    """The roamkit commit measured, and whether ``src/`` had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "src_uncommitted_changes": bool(git("status", "--porcelain", "--", "src")),
    }


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_result(name: str, data: dict[str, Any], quick: bool) -> Path:
    """``bench/<name>.json`` (``<name>.quick.json`` for --quick runs)."""
    path = BENCH_DIR / (f"{name}.quick.json" if quick else f"{name}.json")
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def command_line() -> str:
    rel = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        rel = rel.relative_to(REPO)
    return " ".join([".venv/bin/python", str(rel), *sys.argv[1:]])


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# --------------------------------------------------------------------------- databases


def schema_fingerprint() -> str:
    """Short hash of what a seeded database depends on: the migrations, the seed
    generator and the SQLite settings a new file gets (``store/db.py``: page size). A
    cached database made with other versions of them is not reused."""
    import hashlib

    src = REPO / "src" / "roamkit"
    files = sorted((src / "store" / "migrations").rglob("*.py"))
    files += sorted((src / "sim").rglob("*.py"))
    files.append(src / "store" / "db.py")
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(src).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


def seeded_db(locations: int, evses: int = 2, connectors: int = 2) -> Path:
    """A SQLite file with ``roamkit seed --locations N --evses E --connectors C`` done,
    cached in ``bench/.cache`` (seeding 100,000 locations takes minutes)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    ignore = CACHE_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = CACHE_DIR / f"locations-{locations}-e{evses}c{connectors}-{schema_fingerprint()}.db"
    if path.exists():
        return path
    for stale in CACHE_DIR.glob(f"locations-{locations}-e{evses}c{connectors}*.db"):
        log(f"removing {stale.name}: made with another schema or seed generator")
        stale.unlink()
    tmp = path.with_suffix(".db.tmp")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    log(f"seeding {locations} locations into {path.name} (cached for later runs)")
    started = time.monotonic()
    env = {**os.environ, "ROAMKIT_DATABASE_URL": f"sqlite:///{tmp}"}
    subprocess.run(
        [
            str(ROAMKIT),
            "seed",
            "--locations",
            str(locations),
            "--evses",
            str(evses),
            "--connectors",
            str(connectors),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    tmp.rename(path)
    log(f"seeded in {time.monotonic() - started:.0f}s")
    return path


def working_copy(src: Path, workdir: Path, name: str) -> Path:
    """A private copy of a cached database (registration writes partners into it)."""
    dst = workdir / f"{name}.db"
    shutil.copyfile(src, dst)
    return dst


# --------------------------------------------------------------------------- processes


@dataclass
class Server:
    """A server subprocess on 127.0.0.1."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    db_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Management API call; returns ``data``, raises on anything but OCPI 1000."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        resp = httpx.request(method, self.url + path, headers=headers, timeout=120, **kwargs)
        body = resp.json()
        if resp.status_code >= 300 or body.get("status_code") != 1000:
            raise RuntimeError(f"{self.name} {method} {path}: HTTP {resp.status_code} {body}")
        return body["data"]


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_http(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{url}: process exited {proc.returncode}:\n"
                f"{log_path.read_text(errors='replace')[-3000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=2)
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout}s")
        time.sleep(0.1)


@contextlib.contextmanager
def spawn(
    name: str,
    cmd: Sequence[str],
    port: int,
    workdir: Path,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
    cwd: Path | None = None,
    drop_env: Collection[str] = (),
) -> Iterator[Server]:
    """Start ``cmd`` (which listens on ``port``), wait until ``ready_path`` answers.
    ``drop_env``: variables (and prefixes ending in ``*``) kept out of its environment."""
    log_path = workdir / f"{name}.log"
    prefixes = tuple(d[:-1] for d in drop_env if d.endswith("*"))
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop_env and not (prefixes and k.startswith(prefixes))
    }
    full_env.update(env or {})
    for key in ("NO_PROXY", "no_proxy"):
        full_env[key] = "127.0.0.1,localhost"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            list(cmd),
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd or workdir,
            preexec_fn=_die_with_parent,
        )
        try:
            wait_http(f"http://{HOST}:{port}{ready_path}", proc, log_path)
            yield Server(name, port, proc, log_path, env=env or {})
        except BaseException:
            tail = log_path.read_text(errors="replace")[-3000:].strip()
            if tail:
                log(f"--- last lines of the {name} log ---\n{tail}\n--- end of {name} log ---")
            raise
        finally:
            stop(proc)


def roamkit_env(
    name: str, db_path: Path, port: int, roles: str, party_id: str, country_code: str = "NL"
) -> dict[str, str]:
    return {
        "ROAMKIT_DATABASE_URL": f"sqlite:///{db_path}",
        "ROAMKIT_BASE_URL": f"http://{HOST}:{port}",
        "ROAMKIT_HOST": HOST,
        "ROAMKIT_PORT": str(port),
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROAMKIT_ALLOW_INSECURE_URLS": "true",
        "ROAMKIT_ROLES": roles,
        "ROAMKIT_PARTY_ID": party_id,
        "ROAMKIT_COUNTRY_CODE": country_code,
        "ROAMKIT_BUSINESS_NAME": f"bench {name}",
        # no access log: the same for every server measured (extrawest runs with warning too)
        "ROAMKIT_LOG_LEVEL": "warning",
        "ROAMKIT_CONFIG": "/nonexistent/roamkit.toml",
    }


@contextlib.contextmanager
def roamkit_node(
    name: str,
    db_path: Path,
    workdir: Path,
    *,
    roles: str = "CPO",
    party_id: str = "RKT",
    country_code: str = "NL",
    script: Sequence[str] | None = None,
) -> Iterator[Server]:
    """``roamkit serve`` (one process) on a free port; ``script`` replaces the command
    (it gets the same ROAMKIT_* environment)."""
    port = free_port()
    env = roamkit_env(name, db_path, port, roles, party_id, country_code)
    cmd = list(script) if script else [str(ROAMKIT), "serve"]
    with spawn(name, cmd, port, workdir, env=env, ready_path="/ocpi/versions") as server:
        server.db_path = db_path
        yield server


def register(emsp: Server, cpo: Server, name_on_cpo: str, name_on_emsp: str) -> None:
    """The eMSP registers with the CPO through the management API (credentials POST)."""
    invite = cpo.api("POST", "/api/partners/invite", json={"name": name_on_cpo})
    partner = emsp.api(
        "POST",
        "/api/partners/register",
        json={
            "versions_url": invite["versions_url"],
            "token": invite["token"],
            "name": name_on_emsp,
        },
    )
    assert partner["status"] == "registered", partner


def register_foreign(emsp: Server, versions_url: str, token_a: str, name: str) -> dict[str, Any]:
    return emsp.api(  # type: ignore[no-any-return]
        "POST",
        "/api/partners/register",
        json={"versions_url": versions_url, "token": token_a, "name": name},
    )


def token_out(db_path: Path, partner: str) -> str:
    """The token the node with database ``db_path`` sends to ``partner`` (what the
    partner issued in the credentials handshake), read from that node's database."""
    from roamkit.partners import repository as repo
    from roamkit.store.db import Database

    async def read() -> str | None:
        db = Database(f"sqlite:///{db_path}")
        try:
            async with db.session() as session:
                row = await repo.get_by_name(session, partner)
                return row.token_out if row else None
        finally:
            await db.dispose()

    token = asyncio.run(read())
    if not token:
        raise RuntimeError(f"no token for partner {partner!r} in {db_path}")
    return token


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(line.split()[1])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """CPU cores used between start and stop: by the machine, by given processes, and by
    everything else (other users of the machine: the noise in a figure)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.started = time.monotonic()
        self.machine = machine_busy_seconds()
        self.own = resource.getrusage(resource.RUSAGE_SELF)
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.before = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.started
        used = {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}
        own = resource.getrusage(resource.RUSAGE_SELF)
        used["benchmark_process"] = (
            own.ru_utime - self.own.ru_utime + own.ru_stime - self.own.ru_stime
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # commands that finished
        used["finished_children"] = (
            children.ru_utime - self.children.ru_utime + children.ru_stime - self.children.ru_stime
        )
        machine_cpu = machine_busy_seconds() - self.machine
        out = {name: round(v / wall, 2) for name, v in used.items()}
        out["other"] = round(max(0.0, machine_cpu - sum(used.values())) / wall, 2)
        out["machine"] = round(machine_cpu / wall, 2)
        return out


def workdir(prefix: str) -> contextlib.AbstractContextManager[str]:
    return tempfile.TemporaryDirectory(prefix=f"roamkit-bench-{prefix}-")


# --------------------------------------------------------------------------- wrk

_REPORT_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,'
    .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,'
    .. '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read,
    e.write, e.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""

_ROTATE_LUA = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  pages = tonumber(args[1])
  step = tonumber(args[2])
  base = args[3]
  -- threads start half a cycle apart so they do not request the same page together
  i = tid * math.floor(pages / 2) + tid
end
function request()
  local off = (i % pages) * step
  i = i + 1
  return wrk.format(nil, base .. "offset=" .. off)
end
"""


@dataclass
class WrkResult:
    url: str
    duration_s: float
    requests: int
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    mb_read: float
    rotating_pages: int | None = None
    #: CPU cores busy during the run: the whole machine, the server (if its pid was
    #: given), wrk, and everything else (other users of the machine: noise)
    cores_machine: float | None = None
    cores_server: float | None = None
    cores_wrk: float | None = None
    cores_other: float | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def wrk(
    url: str,
    headers: dict[str, str],
    duration: float,
    *,
    rotate_pages: int | None = None,
    page_step: int = 50,
    threads: int = WRK_THREADS,
    connections: int = WRK_CONNECTIONS,
    server_pid: int | None = None,
) -> WrkResult:
    """Run wrk against ``url``. With ``rotate_pages`` every request asks for the next of
    that many pages (``offset`` = 0, step, 2*step, ...; ``url`` must end in ``?`` or ``&``
    and carry the other query parameters)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write((_ROTATE_LUA if rotate_pages else "") + _REPORT_LUA)
    try:
        path = url.split("/", 3)[3] if rotate_pages else ""
        cmd = [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
        ]
        for key, value in headers.items():
            cmd += ["-H", f"{key}: {value}"]
        cmd.append(url)
        if rotate_pages:
            cmd += ["--", str(rotate_pages), str(page_step), "/" + path]
        machine_before = machine_busy_seconds()
        server_before = cpu_seconds(server_pid) if server_pid else 0.0
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 60, stdin=subprocess.DEVNULL
        )
        wall = time.monotonic() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = (
            children.ru_utime
            - children_before.ru_utime
            + children.ru_stime
            - children_before.ru_stime
        )
        machine_cpu = machine_busy_seconds() - machine_before
        server_cpu = cpu_seconds(server_pid) - server_before if server_pid else 0.0
    finally:
        os.unlink(script.name)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}")
    match = re.search(r"^WRKJSON (\{.*\})$", proc.stdout, re.M)
    if not match:
        raise RuntimeError(f"no wrk summary in:\n{proc.stdout}\n{proc.stderr}")
    raw = json.loads(match.group(1))
    secs = raw["duration_us"] / 1e6
    return WrkResult(
        url=url,
        duration_s=round(secs, 2),
        requests=raw["requests"],
        rps=round(raw["requests"] / secs, 1),
        mean_ms=round(raw["mean_us"] / 1000, 2),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        non_2xx=raw["status_errors"],
        socket_errors=raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"],
        mb_read=round(raw["bytes"] / 1e6, 1),
        rotating_pages=rotate_pages,
        cores_machine=round(machine_cpu / wall, 2),
        cores_server=round(server_cpu / wall, 2) if server_pid else None,
        cores_wrk=round(wrk_cpu / wall, 2),
        cores_other=round(max(0.0, machine_cpu - server_cpu - wrk_cpu) / wall, 2)
        if server_pid
        else None,
    )


# --------------------------------------------------------------------------- profiling


def py_spy_record(pid: int, seconds: float, out: Path) -> list[str]:
    """The py-spy command that samples ``pid`` for ``seconds`` into ``out`` (raw
    collapsed stacks, 200 Hz, GIL holder only, without pausing the process)."""
    return [
        str(VENV_BIN / "py-spy"),
        "record",
        "-p",
        str(pid),
        "-d",
        str(max(1, round(seconds))),
        "-r",
        "200",
        "-f",
        "raw",
        "-o",
        str(out),
        "--nonblocking",
        "--gil",
    ]


def py_spy_top(
    pid: int, seconds: float, out: Path, top: int = 25
) -> dict[str, list[tuple[str, float]]]:
    """Sample ``pid`` with py-spy for ``seconds`` (collapsed stacks into ``out``); the
    hottest functions (see :func:`summarize_stacks`). ``--gil``: only the thread holding
    the GIL is sampled, i.e. Python CPU time; SQLite work (GIL released) does not show,
    and py-spy's idle detection is unreliable for threads blocked in C (aiosqlite)."""
    proc = subprocess.run(
        py_spy_record(pid, seconds, out),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {proc.stderr[-2000:]}")
    return summarize_stacks(out, top)


#: Frames worth showing in an inclusive profile (the rest is framework plumbing).
INTERESTING = (
    "roamkit/",
    "sqlalchemy/",
    "aiosqlite/",
    "sqlite3",
    "json",
    "pydantic",
    "starlette/responses",
    "fastapi/routing",
    "encoders",
    "gc",
    "asyncpg",
)


def summarize_stacks(path: Path, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: ``self`` = % of samples with the function on top
    of the stack, ``inclusive`` = % with it anywhere on the stack (only INTERESTING)."""
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_s)
        total += count
        seen: set[str] = set()
        frames = [re.sub(r":\d+\)$", ")", f.strip()) for f in stack.split(";")]
        for name in frames:
            if name not in seen:
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + count
        leaf[frames[-1]] = leaf.get(frames[-1], 0) + count

    def pct(items: list[tuple[str, int]]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / max(total, 1), 1)) for name, n in items]

    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])
    return {
        "self": pct(sorted(leaf.items(), key=lambda kv: -kv[1])[:top]),
        "inclusive": pct([kv for kv in ranked if any(k in kv[0] for k in INTERESTING)][:top]),
    }
