"""``roamkit serve --workers 2``: two server processes on one database share the API, the
OCPI endpoints and the push outbox; every change arrives at the partner, the last one
of each EVSE wins, and the outbox drains (PostgreSQL: ``FOR UPDATE SKIP LOCKED``;
SQLite: the processes take turns to write)."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from roamkit.config import Settings
from support import ADMIN_TOKEN, Node, free_socket, fresh_database

from .ocpi_data import get_data, location, poll, register

STATUSES = ("CHARGING", "BLOCKED", "AVAILABLE", "OUTOFORDER", "RESERVED")


class ServedNode(Node):
    """A node running as ``roamkit serve`` processes: the same helpers as a test node."""

    def __init__(self, settings: Settings, proc: subprocess.Popen[bytes]) -> None:
        super().__init__(settings, None, None)  # type: ignore[arg-type]
        self.proc = proc

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.http.close()


@contextmanager
def served(tmp_path: Path, workers: int) -> Iterator[ServedNode]:
    with fresh_database(tmp_path, "workers") as db_url:
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        env = {
            "ROAMKIT_DATABASE_URL": db_url,
            "ROAMKIT_BASE_URL": f"http://127.0.0.1:{port}",
            "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
            "ROAMKIT_ROLES": "CPO",
            "ROAMKIT_COUNTRY_CODE": "NL",
            "ROAMKIT_PARTY_ID": "CPO",
            "ROAMKIT_ALLOW_INSECURE_URLS": "true",
            "ROAMKIT_LOG_LEVEL": "warning",
        }
        exe = Path(sys.executable).with_name("roamkit")
        proc = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--workers", str(workers)],
            env={**os.environ, **env},
            cwd=tmp_path,
        )
        node = ServedNode(Settings(**{k[8:].lower(): v for k, v in env.items()}), proc)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{node.url}/ocpi/versions", timeout=2)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, "no server"
                    time.sleep(0.1)
            yield node
        finally:
            node.stop()


def _jittery(app: FastAPI) -> None:
    """The eMSP answers writes after 0-150 ms: pushes overlap and would arrive out of
    order if the two CPO processes did not keep each object's changes in sequence."""

    class Jitter:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["method"] in ("PUT", "PATCH"):
                await asyncio.sleep(random.uniform(0, 0.15))
            await self.inner(scope, receive, send)

    app.add_middleware(Jitter)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def test_two_server_processes_share_api_and_outbox(tmp_path: Path, start_node: Any) -> None:
    with served(tmp_path, workers=2) as cpo:
        poll(lambda: len(_children(cpo.proc.pid)) >= 2, timeout=30, what="two workers")
        emsp = start_node(
            "msp", roles=["EMSP"], party_id="MSP", country_code="DE", app_hook=_jittery
        )
        token = register(cpo, emsp, emsp_name="msp")
        ids = [f"W-{i}" for i in range(12)]
        for lid in ids:
            cpo.api_data("PUT", f"/api/locations/{lid}", json=location(lid))
        # Each change on a new connection, so both processes take their share; the
        # changes of one EVSE follow each other closely (same second), so an older one
        # is often still in flight in the other process.
        for lid in ids:
            for status in STATUSES:
                resp = httpx.post(
                    f"{cpo.url}/api/locations/{lid}/evses/{lid}-e1/status",
                    json={"status": status},
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                )
                assert resp.json()["status_code"] == 1000, resp.text

        def arrived() -> bool:
            for lid in ids:
                got = get_data(emsp, f"/ocpi/2.2.1/emsp/locations/NL/CPO/{lid}", token)
                if got is None or got["evses"][0]["status"] != STATUSES[-1]:
                    return False
            return True

        poll(arrived, timeout=30, what="every location with its last status at the eMSP")
        partners = cpo.api_data("GET", "/api/partners")
        assert [p["name"] for p in partners] == ["msp"]
