"""Test support for the hub simulator (``roamkit.sim.hub``).

``run_hub(...)``: the hub on 127.0.0.1 (a free port), uvicorn in a thread, like
``run_node``. ``run_fake(...)``: a tiny recording OCPI 2.2.1 platform that registers
with the hub and records what the hub sends it, for the cases a real roamkit node does
not handle (yet).
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from roamkit.protocol.envelope import envelope
from roamkit.sim.hub import Hub, HubConfig
from roamkit.sim.hub_app import create_hub_app
from support import free_socket

Party = tuple[str, str]


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def routing(frm: Party | None, to: Party | None) -> dict[str, str]:
    """The OCPI-from-* / OCPI-to-* request headers."""
    headers = {}
    if frm is not None:
        headers["OCPI-from-country-code"], headers["OCPI-from-party-id"] = frm
    if to is not None:
        headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
    return headers


def _serve(app: Any, name: str) -> tuple[uvicorn.Server, threading.Thread, Any, int]:
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    return server, thread, sock, port


class RunningHub:
    """A hub serving on loopback; ``call`` runs a coroutine on the hub's event loop
    (the Python API is async: ``hub.set_status`` …)."""

    def __init__(self, hub: Hub, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.hub = hub
        self.server = server
        self.thread = thread
        self.url = hub.config.base_url
        self.versions_url = hub.config.versions_url
        self.http = httpx.Client(timeout=30)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        assert self.hub.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.hub.loop).result(timeout)

    def invite(self, name: str) -> str:
        async def invite() -> str:
            return self.hub.invite(name)

        return self.call(invite())

    def set_status(self, country_code: str, party_id: str, status: str) -> None:
        self.call(self.hub.set_status(country_code, party_id, status))

    def drain(self) -> None:
        self.call(self.hub.drain())

    def ocpi(
        self,
        method: str,
        url_or_path: str,
        token: str | None = None,
        *,
        frm: Party | None = None,
        to: Party | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A request to the hub with ``Token <base64(token)>`` and routing headers."""
        url = url_or_path if url_or_path.startswith("http") else self.url + url_or_path
        headers = {**routing(frm, to), **kwargs.pop("headers", {})}
        if token is not None:
            headers["Authorization"] = f"Token {b64(token)}"
        return self.http.request(method, url, headers=headers, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.http.close()


@contextmanager
def run_hub(**config: Any) -> Iterator[RunningHub]:
    """Start a hub; ``config`` are ``HubConfig`` fields (country_code, party_id,
    forward_timeout …), ``base_url`` excepted."""
    sock = free_socket()
    port = sock.getsockname()[1]
    hub = Hub(HubConfig(base_url=f"http://127.0.0.1:{port}", **config))
    server = uvicorn.Server(uvicorn.Config(create_hub_app(hub), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started or hub.loop is None:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("hub did not start")
        time.sleep(0.02)
    running = RunningHub(hub, server, thread)
    try:
        yield running
    finally:
        running.stop()
        sock.close()


# --- a recording fake party -----------------------------------------------------------


@dataclass
class Received:
    """One request a fake party received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query)


Answer = Callable[[Received], tuple[int, bytes, dict[str, str]]]


@dataclass
class FakeParty:
    """An OCPI 2.2.1 platform with one role, serving the endpoints it is given as
    ``(module, SENDER|RECEIVER)`` at ``/ocpi/2.2.1/{sender|receiver}/{module}``; every
    other request is recorded and answered 1000 (or by ``answer``), after ``delay``."""

    country_code: str
    party_id: str
    role: str
    modules: list[tuple[str, str]]
    token_b: str = "fake-token-b"
    url: str = ""
    token_at_hub: str | None = None
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    answer: Answer | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def party(self) -> Party:
        return (self.country_code, self.party_id)

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def endpoint(self, module: str, interface: str) -> str:
        return f"{self.url}/ocpi/2.2.1/{interface.lower()}/{module}"

    def details(self) -> dict[str, Any]:
        endpoints = [{"identifier": "credentials", "role": "SENDER", "url": self.url + "/cred"}]
        endpoints += [
            {"identifier": m, "role": i, "url": self.endpoint(m, i)} for m, i in self.modules
        ]
        return {"version": "2.2.1", "endpoints": endpoints}

    def got(self, needle: str, method: str | None = None) -> list[Received]:
        return [
            r
            for r in list(self.received)
            if needle in r.path and (method is None or r.method == method)
        ]

    async def handle(self, request: Request) -> Response:
        rec = Received(
            request.method,
            request.url.path,
            request.url.query,
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
        )
        if rec.headers.get("authorization") != f"Token {b64(self.token_b)}":
            return _json(401, envelope(status_code=2000, status_message="Unknown token"))
        if rec.path == "/ocpi/versions":
            return _json(200, envelope([{"version": "2.2.1", "url": self.url + "/ocpi/2.2.1"}]))
        if rec.path == "/ocpi/2.2.1":
            return _json(200, envelope(self.details()))
        self.received.append(rec)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answer is not None:
            status, body, headers = self.answer(rec)
            return Response(body, status, headers, media_type="application/json")
        headers = {
            "OCPI-from-country-code": self.country_code,
            "OCPI-from-party-id": self.party_id,
        }
        if "ocpi-from-country-code" in rec.headers:
            headers["OCPI-to-country-code"] = rec.headers["ocpi-from-country-code"]
            headers["OCPI-to-party-id"] = rec.headers.get("ocpi-from-party-id", "")
        return _json(200, envelope(), headers)

    def register(self, hub: RunningHub, name: str) -> None:
        """Register with ``hub`` as the credentials Sender (credentials.asciidoc)."""
        token_a = hub.invite(name)
        body = {
            "token": self.token_b,
            "url": self.versions_url,
            "roles": [
                {
                    "role": self.role,
                    "country_code": self.country_code,
                    "party_id": self.party_id,
                    "business_details": {"name": f"fake {self.party_id}"},
                }
            ],
        }
        resp = hub.ocpi("POST", "/ocpi/2.2.1/credentials", token_a, json=body)
        assert resp.status_code == 200 and resp.json()["status_code"] == 1000, resp.text
        data = resp.json()["data"]
        assert [r["role"] for r in data["roles"]] == ["HUB"], data
        self.token_at_hub = data["token"]

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=15)
            self.server = None


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@contextmanager
def run_fake(
    country_code: str, party_id: str, role: str, modules: list[tuple[str, str]], **kw: Any
) -> Iterator[FakeParty]:
    fake = FakeParty(country_code, party_id, role, modules, **kw)
    route = Route("/{path:path}", fake.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    server, thread, sock, port = _serve(Starlette(routes=[route]), f"fake {party_id}")
    fake.url, fake.server, fake.thread = f"http://127.0.0.1:{port}", server, thread
    try:
        yield fake
    finally:
        fake.stop()
        sock.close()
