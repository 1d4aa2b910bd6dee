"""A scripted stand-in for a hub, to test a roamkit node's side of hub routing without a
hub simulator: it registers with the node as a connection whose only role is HUB
(CHECKLIST 221-R-8), sends the node ClientInfo and requests "from" parties behind it,
and records every call the node makes to it (answering 1000, or 503 while a path is
marked down).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import uvicorn
from sqlalchemy import select

from roamkit.protocol.envelope import envelope
from roamkit.store.db import Database
from roamkit.store.tables import OutboxEntry, Partner, StoredObject
from support import Node, free_socket

from .helpers import b64

MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens")
Party = tuple[str, str]


@dataclass
class Call:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any

    def to(self) -> Party | None:
        cc, pid = self.headers.get("ocpi-to-country-code"), self.headers.get("ocpi-to-party-id")
        return (cc, pid) if cc and pid else None

    def frm(self) -> Party | None:
        cc = self.headers.get("ocpi-from-country-code")
        pid = self.headers.get("ocpi-from-party-id")
        return (cc, pid) if cc and pid else None


@dataclass
class FakeHub:
    """The hub side: its app records calls; ``node_token`` is what it calls the node with."""

    base: str
    party: Party = ("NL", "HUB")
    role: str = "HUB"
    calls: list[Call] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    """Paths (substrings) answered 503 while listed."""
    token_b: str = "fake-hub-token-b"
    node_token: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status, data = 200, self._answer(scope["method"], path)
        if any(p in path for p in self.down):
            status = 503
        with self.lock:
            self.calls.append(
                Call(
                    scope["method"],
                    path,
                    scope["query_string"].decode(),
                    headers,
                    orjson.loads(body) if body else None,
                )
            )
        payload = orjson.dumps(envelope(data) if status == 200 else {"message": "down"})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, method: str, path: str) -> Any:
        if path == "/versions":
            return [{"version": "2.2.1", "url": f"{self.base}/2.2.1"}]
        if path == "/2.2.1":
            endpoints = [
                {"identifier": "credentials", "role": "RECEIVER", "url": f"{self.base}/creds"},
                {"identifier": "hubclientinfo", "role": "SENDER", "url": f"{self.base}/hci"},
            ]
            for m in MODULES:
                for role in ("SENDER", "RECEIVER"):
                    url = f"{self.base}/2.2.1/{role.lower()}/{m}"
                    endpoints.append({"identifier": m, "role": role, "url": url})
            return {"version": "2.2.1", "endpoints": endpoints}
        if method == "POST" and path.endswith("/authorize"):
            return {"allowed": "ALLOWED"}
        return None

    def functional(self, module: str | None = None) -> list[Call]:
        """Calls the node made to functional modules (not versions, credentials)."""
        with self.lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if "/sender/" in c.path or "/receiver/" in c.path
            if module is None or f"/{module}" in c.path
        ]

    # -- the hub calling the node ---------------------------------------------------------

    def credentials(self, token: str) -> dict[str, Any]:
        cc, pid = self.party
        return {
            "token": token,
            "url": f"{self.base}/versions",
            "roles": [
                {
                    "role": self.role,
                    "country_code": cc,
                    "party_id": pid,
                    "business_details": {"name": "Fake hub"},
                }
            ],
        }

    def register(self, node: Node, name: str = "hub") -> None:
        """The hub registers with ``node`` (the node hands out TOKEN_A)."""
        token_a = node.api_data("POST", "/api/partners/invite", json={"name": name})["token"]
        resp = node.ocpi(
            "POST",
            "/ocpi/2.2.1/credentials",
            token=b64(token_a),
            json=self.credentials(self.token_b),
        )
        assert resp.status_code == 200 and resp.json()["status_code"] == 1000, resp.text
        self.node_token = resp.json()["data"]["token"]

    def rotate(self, node: Node, new_token_b: str) -> None:
        """Credentials PUT by the hub: a new token both ways."""
        self.token_b = new_token_b
        resp = self.call(node, "PUT", "/ocpi/2.2.1/credentials", json=self.credentials(new_token_b))
        assert resp.json()["status_code"] == 1000, resp.text
        self.node_token = resp.json()["data"]["token"]

    def call(
        self,
        node: Node,
        method: str,
        path: str,
        *,
        frm: Party | None = None,
        to: Party | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if frm is not None:
            headers["OCPI-from-country-code"], headers["OCPI-from-party-id"] = frm
        if to is not None:
            headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
        assert self.node_token is not None
        return node.ocpi(method, path, token=b64(self.node_token), headers=headers, **kwargs)

    def client_info(
        self, node: Node, party: Party, role: str, status: str, when: str
    ) -> httpx.Response:
        body = {
            "country_code": party[0],
            "party_id": party[1],
            "role": role,
            "status": status,
            "last_updated": when,
        }
        return self.call(node, "PUT", f"/ocpi/2.2.1/hubclientinfo/{party[0]}/{party[1]}", json=body)


@contextmanager
def run_fake_hub(party: Party = ("NL", "HUB"), role: str = "HUB") -> Iterator[FakeHub]:
    sock = free_socket()
    hub = FakeHub(base=f"http://127.0.0.1:{sock.getsockname()[1]}", party=party, role=role)
    server = uvicorn.Server(
        uvicorn.Config(hub.app, log_level="warning", lifespan="off", interface="asgi3")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake hub did not start")
        time.sleep(0.02)
    try:
        yield hub
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# -- a node's stored state ----------------------------------------------------------------


def _read(node: Node, work: Any) -> Any:
    async def run() -> Any:
        db = Database(node.settings.database_url)
        try:
            async with db.sessions() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(run())


def partner_row(node: Node, name: str) -> Partner | None:
    async def work(session: Any) -> Partner | None:
        return await session.scalar(select(Partner).where(Partner.name == name))

    return _read(node, work)  # type: ignore[no-any-return]


def owner_of(node: Node, module: str, object_id: str) -> int | None:
    async def work(session: Any) -> int | None:
        return await session.scalar(
            select(StoredObject.owner_id).where(
                StoredObject.module == module, StoredObject.object_id == object_id
            )
        )

    return _read(node, work)  # type: ignore[no-any-return]


def outbox_rows(node: Node, partner_id: int | None = None) -> list[OutboxEntry]:
    """The node's outbox rows (for one partner)."""

    async def work(session: Any) -> list[OutboxEntry]:
        query = select(OutboxEntry)
        if partner_id is not None:
            query = query.where(OutboxEntry.partner_id == partner_id)
        return list(await session.scalars(query))

    return _read(node, work)  # type: ignore[no-any-return]
