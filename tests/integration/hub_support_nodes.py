"""Three real roamkit nodes connected ONLY through the hub simulator
(``roamkit.sim.hub``): a CPO NL*CPO and two eMSPs NL*MSA and NL*MSB, all OCPI 2.2.1.
Every request each node receives is recorded with its answer's headers, so tests can
check the routing headers (CHECKLIST 221-R-1) on every leg.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from roamkit.store.tables import StoredObject
from support import Node

from .fake_hub import _read, outbox_rows, partner_row
from .helpers import token_out
from .hub_support import RunningHub, run_hub
from .ocpi_data import connector, evse, location, module_nodes, poll
from .sessions_support import TARIFF

HUB = ("NL", "HUB")
CPO, MSA, MSB = ("NL", "CPO"), ("NL", "MSA"), ("NL", "MSB")
PARTIES = {"cpo": CPO, "a": MSA, "b": MSB}
LOCATION, EVSE, CONNECTOR = "LOC1", "LOC1-e1", "1"


@dataclass
class Seen:
    """One request a node received and the headers of its answer (lower-case names)."""

    method: str
    path: str
    request: dict[str, str]
    status: int
    response: dict[str, str]


@dataclass
class Recorder:
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, app: FastAPI) -> None:
        recorder = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] != "http" or not scope["path"].startswith("/ocpi"):
                    await self.inner(scope, receive, send)
                    return
                request = {k.decode().lower(): v.decode() for k, v in scope["headers"]}

                async def recording_send(message: Any) -> None:
                    if message["type"] == "http.response.start":
                        headers = {
                            k.decode().lower(): v.decode() for k, v in message.get("headers", [])
                        }
                        with recorder.lock:
                            recorder.seen.append(
                                Seen(
                                    scope["method"],
                                    scope["path"],
                                    request,
                                    message["status"],
                                    headers,
                                )
                            )
                    await send(message)

                await self.inner(scope, receive, recording_send)

        app.add_middleware(Middleware)

    def requests(self, needle: str = "", method: str | None = None) -> list[Seen]:
        with self.lock:
            seen = list(self.seen)
        return [s for s in seen if needle in s.path and (method is None or s.method == method)]


@dataclass
class HubWorld:
    hub: RunningHub
    nodes: dict[str, Node]
    """``cpo``, ``a`` (eMSP NL*MSA), ``b`` (eMSP NL*MSB)."""
    recorders: dict[str, Recorder]
    tokens: dict[str, str]
    """What each node calls the hub with."""

    @property
    def cpo(self) -> Node:
        return self.nodes["cpo"]

    @property
    def a(self) -> Node:
        return self.nodes["a"]

    @property
    def b(self) -> Node:
        return self.nodes["b"]

    def child(self, node: str, party: tuple[str, str]) -> dict[str, Any]:
        """The Partner (API view) of ``party`` behind the hub, at ``node``."""
        name = f"hub/{party[0]}*{party[1]}"
        return self.nodes[node].api_data("GET", f"/api/partners/{name}")  # type: ignore[no-any-return]

    def child_id(self, node: str, party: tuple[str, str]) -> int:
        row = partner_row(self.nodes[node], f"hub/{party[0]}*{party[1]}")
        assert row is not None
        return row.id

    def wait_status(self, node: str, party: tuple[str, str], status: str) -> None:
        def probe() -> bool:
            resp = self.nodes[node].api("GET", f"/api/partners/hub/{party[0]}*{party[1]}")
            return resp.status_code == 200 and resp.json()["data"]["status"] == status

        poll(probe, timeout=15, what=f"{party} {status} at {node}")


def stored(node: Node, module: str, object_id: str) -> tuple[int, dict[str, Any]] | None:
    """(owner_id, document) of a stored object, or None."""

    async def work(session: Any) -> tuple[int, dict[str, Any]] | None:
        row = await session.scalar(
            select(StoredObject).where(
                StoredObject.module == module, StoredObject.object_id == object_id
            )
        )
        return None if row is None else (row.owner_id, row.data)

    return _read(node, work)  # type: ignore[no-any-return]


def _register(hub: RunningHub, node: Node, name: str) -> None:
    token_a = hub.invite(name)
    partner = node.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": hub.versions_url, "token": token_a, "name": "hub"},
    )
    assert partner["status"] == "registered", partner


@contextmanager
def hub_world(tmp: Path) -> Iterator[HubWorld]:
    """The hub, the three nodes registered with it (nothing else), each told about the
    others by ClientInfo; the CPO's tariff T1 and location LOC1 (one EVSE, one connector
    priced by T1) pushed to both eMSPs."""
    with ExitStack() as stack:
        hub = stack.enter_context(run_hub(client_info_backoff=0.1))
        start: Callable[..., Node] = stack.enter_context(module_nodes(tmp))
        recorders = {name: Recorder() for name in PARTIES}
        nodes = {
            "cpo": start(
                "hubcpo",
                app_hook=recorders["cpo"].hook,
                roles=["CPO"],
                party_id="CPO",
                versions=["2.2.1"],
                session_push_interval=0.2,
            ),
            "a": start(
                "hubmsa",
                app_hook=recorders["a"].hook,
                roles=["EMSP"],
                party_id="MSA",
                versions=["2.2.1"],
            ),
            "b": start(
                "hubmsb",
                app_hook=recorders["b"].hook,
                roles=["EMSP"],
                party_id="MSB",
                versions=["2.2.1"],
            ),
        }
        for name, node in nodes.items():
            _register(hub, node, name)
        tokens = {name: token_out(node, "hub") or "" for name, node in nodes.items()}
        world = HubWorld(hub, nodes, recorders, tokens)
        for party in (MSA, MSB):
            world.wait_status("cpo", party, "registered")
        for node in ("a", "b"):
            world.wait_status(node, CPO, "registered")
        cpo = nodes["cpo"]
        cpo.api_data("PUT", f"/api/tariffs/{TARIFF['id']}", json=TARIFF)
        loc = location(
            LOCATION,
            time_zone="Europe/Amsterdam",
            evses=[evse(EVSE, connectors=[connector(CONNECTOR, tariff_ids=[TARIFF["id"]])])],
        )
        cpo.api_data("PUT", f"/api/locations/{LOCATION}", json=loc)
        for node in ("a", "b"):  # delivered: nothing of the set-up is left in the outbox
            for module, oid in (("tariffs", TARIFF["id"]), ("locations", LOCATION)):
                poll(
                    lambda n=node, m=module, o=oid: stored(nodes[n], m, o),
                    what=f"{module} {oid} at {node}",
                )
        poll(lambda: not outbox_rows(cpo), what="the CPO's outbox empty")
        yield world
