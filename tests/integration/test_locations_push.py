"""Real-time push of our own locations and tariffs (management API → outbox → worker
→ partners' receivers), to a 2.2.1 and a 2.1.1 eMSP at once, each in its version;
status changes as PATCH; what 2.1.1 cannot express or must not see; a partner that
is down (stopped, then restarted on the same port and database) loses nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from roamkit.app import create_app
from roamkit.store.db import Database
from roamkit.store.tables import OutboxEntry
from support import ADMIN_TOKEN, Node

from .ocpi_data import (
    TIMESTAMP,
    V211,
    V221,
    connector,
    envelope,
    evse,
    get_data,
    location,
    module_nodes,
    ok,
    poll,
    register,
    start_of_second,
    tariff,
)

# --- local helpers -------------------------------------------------------------------


@dataclass
class Recorder:
    """Records the writes a node receives on its eMSP interfaces; can play dead
    (HTTP 503, no envelope) while ``down`` is set."""

    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    down: threading.Event = field(default_factory=threading.Event)
    refused: list[str] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    """While set, writes wait (a slow partner: the sender's delivery stays in flight)."""

    def hook(self, app: FastAPI) -> None:
        recorder = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if (
                    scope["type"] != "http"
                    or "/emsp/" not in scope["path"]
                    or scope["method"] == "GET"
                ):
                    await self.inner(scope, receive, send)
                    return
                while recorder.hold.is_set():
                    await asyncio.sleep(0.02)
                if recorder.down.is_set():
                    recorder.refused.append(scope["path"])
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 503,
                            "headers": [(b"content-type", b"text/plain")],
                        }
                    )
                    await send({"type": "http.response.body", "body": b"down"})
                    return
                chunks: list[bytes] = []

                async def rec() -> Any:
                    message = await receive()
                    if message["type"] == "http.request":
                        chunks.append(message.get("body", b""))
                    return message

                await self.inner(scope, rec, send)
                raw = b"".join(chunks)
                recorder.requests.append(
                    (scope["method"], scope["path"], json.loads(raw) if raw else None)
                )

        app.add_middleware(Middleware)

    def writes(self, needle: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if needle in r[1]]


@contextmanager
def restarted(node: Node, recorder: Recorder | None = None) -> Iterator[Node]:
    """The stopped ``node`` again: same settings, same database, same port."""
    port = int(node.url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    app = create_app(node.settings)
    if recorder is not None:
        recorder.hook(app)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "restart failed"
        time.sleep(0.02)
    again = Node(node.settings, server, thread)
    try:
        yield again
    finally:
        again.stop()
        sock.close()


def outbox(node: Node) -> list[OutboxEntry]:
    """The node's pending push entries, read from its database."""

    async def read() -> list[OutboxEntry]:
        db = Database(node.settings.database_url)
        try:
            async with db.sessions() as session:
                return list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
        finally:
            await db.dispose()

    return asyncio.run(read())


@dataclass
class Emsp:
    node: Node
    version: str
    token: str  # what the CPO uses on this eMSP
    recorder: Recorder

    def get(self, *parts: str, module: str = "locations") -> Any | None:
        path = f"/ocpi/{self.version}/emsp/{module}/NL/CPO/" + "/".join(parts)
        return get_data(self.node, path, self.token)


@dataclass
class Net:
    cpo: Node
    new: Emsp  # 2.2.1
    old: Emsp  # 2.1.1

    @property
    def both(self) -> tuple[Emsp, Emsp]:
        return self.new, self.old


def _net(start: Any, tag: str) -> Net:
    cpo = start(f"cpo{tag}", roles=["CPO"], party_id="CPO", country_code="NL")
    emsps = []
    for name, version, cc, pid in (("msp", V221, "DE", "MSP"), ("old", V211, "FR", "OLD")):
        recorder = Recorder()
        node = start(
            f"{name}{tag}",
            roles=["EMSP"],
            party_id=pid,
            country_code=cc,
            versions=[V221, V211] if version == V221 else [V211],
            app_hook=recorder.hook,
        )
        token = register(cpo, node, emsp_name=name)
        assert cpo.api_data("GET", f"/api/partners/{name}")["version"] == version
        emsps.append(Emsp(node, version, token, recorder))
    return Net(cpo, *emsps)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    with module_nodes(tmp_path_factory.mktemp("push")) as start:
        yield _net(start, "m")


def _arrived(emsp: Emsp, *parts: str, module: str = "locations", **expect: Any) -> Any:
    """Poll ``emsp`` until the object exists and has the ``expect`` fields."""

    def probe() -> Any | None:
        data = emsp.get(*parts, module=module)
        if data is not None and all(data.get(k) == v for k, v in expect.items()):
            return data
        return None

    return poll(probe, what=f"{parts} {expect} at the {emsp.version} eMSP")


def _marker(net: Net, lid: str) -> None:
    """A later change that must arrive at both: whatever was queued before it has
    been attempted by then."""
    net.cpo.api_data("PUT", f"/api/locations/{lid}", json=location(lid))
    for emsp in net.both:
        _arrived(emsp, lid)


# --- the tests -----------------------------------------------------------------------


def test_location_and_tariff_arrive_at_both_in_their_version(net: Net) -> None:
    body = location(
        "PUSH-1", evses=[evse("PUSH-1-e1", connectors=[connector("1", tariff_ids=["TAR-1"])])]
    )
    envelope(net.cpo.api("PUT", "/api/locations/PUSH-1", json=body), 201, 1000)
    envelope(net.cpo.api("PUT", "/api/tariffs/TAR-1", json=tariff("TAR-1")), 201, 1000)
    new, old = net.new, net.old
    got = _arrived(new, "PUSH-1")
    assert (got["country_code"], got["party_id"], got["publish"]) == ("NL", "CPO", True)
    assert got["evses"][0]["connectors"][0]["tariff_ids"] == ["TAR-1"]
    assert got == ok(
        net.cpo.ocpi("GET", "/ocpi/2.2.1/cpo/locations/PUSH-1", token=_token_on_cpo(net, "msp"))
    )
    got = _arrived(old, "PUSH-1")
    assert "country_code" not in got and got["type"] == "ON_STREET"
    assert got["evses"][0]["connectors"][0]["tariff_id"] == "TAR-1"
    t_new = _arrived(new, "TAR-1", module="tariffs")
    assert t_new["country_code"] == "NL" and t_new["currency"] == "EUR"
    t_old = _arrived(old, "TAR-1", module="tariffs")
    assert "country_code" not in t_old

    # EVSE, connector and tariff changes follow.
    net.cpo.api_data("PUT", "/api/locations/PUSH-1/evses/PUSH-1-e2", json=evse("PUSH-1-e2"))
    net.cpo.api_data(
        "PUT",
        "/api/locations/PUSH-1/evses/PUSH-1-e1/connectors/2",
        json=connector("2", standard="CHADEMO", power_type="DC"),
    )
    net.cpo.api_data("PUT", "/api/tariffs/TAR-1", json=tariff("TAR-1", price=0.31))
    for emsp in net.both:
        _arrived(emsp, "PUSH-1", "PUSH-1-e2", status="AVAILABLE")
        _arrived(emsp, "PUSH-1", "PUSH-1-e1", "2", standard="CHADEMO")
        poll(
            lambda emsp=emsp: (
                (t := emsp.get("TAR-1", module="tariffs"))
                and t["elements"][0]["price_components"][0]["price"] == 0.31
            ),
            what=f"tariff update at {emsp.version}",
        )
    # A deleted tariff is deleted at both.
    ok(net.cpo.api("DELETE", "/api/tariffs/TAR-1"))
    for emsp in net.both:
        poll(
            lambda emsp=emsp: emsp.get("TAR-1", module="tariffs") is None,
            what=f"tariff delete at {emsp.version}",
        )
        assert (
            "DELETE",
            f"/ocpi/{emsp.version}/emsp/tariffs/NL/CPO/TAR-1",
            None,
        ) in emsp.recorder.requests


def _token_on_cpo(net: Net, name: str) -> str:
    from .helpers import b64, token_out

    node = net.new.node if name == "msp" else net.old.node
    return b64(token_out(node, "cpo") or "")


def test_status_change_arrives_as_patch(net: Net) -> None:
    net.cpo.api_data("PUT", "/api/locations/STAT-1", json=location("STAT-1"))
    for emsp in net.both:
        _arrived(emsp, "STAT-1", "STAT-1-e1", status="AVAILABLE")
    for status in ("CHARGING", "BLOCKED", "AVAILABLE", "OUTOFORDER"):
        net.cpo.api_data(
            "POST", "/api/locations/STAT-1/evses/STAT-1-e1/status", json={"status": status}
        )
        for emsp in net.both:
            _arrived(emsp, "STAT-1", "STAT-1-e1", status=status)
    for emsp in net.both:
        patches = emsp.recorder.writes("/STAT-1/STAT-1-e1")
        assert [m for m, _, _ in patches] == ["PATCH"] * 4, patches
        assert [b["status"] for _, _, b in patches] == [
            "CHARGING",
            "BLOCKED",
            "AVAILABLE",
            "OUTOFORDER",
        ]
        assert all(set(b) == {"status", "last_updated"} for _, _, b in patches), patches
        # The location follows its EVSE.
        loc = emsp.get("STAT-1")
        assert loc["evses"][0]["status"] == "OUTOFORDER"
        assert loc["last_updated"] >= loc["evses"][0]["last_updated"][:19]


# Regression (bug at f1f7145): locations/own.py set_evse_status: the pushed PATCH body
# carries last_updated=now.isoformat() ('2026-01-01T10:00:00.123456+00:00'), not the
# OCPI DateTime output format YYYY-MM-DDThh:mm:ssZ the README promises
def test_status_patch_body_uses_ocpi_datetime(net: Net) -> None:
    net.cpo.api_data("PUT", "/api/locations/FMT-1", json=location("FMT-1"))
    _arrived(net.new, "FMT-1")
    net.cpo.api_data(
        "POST", "/api/locations/FMT-1/evses/FMT-1-e1/status", json={"status": "CHARGING"}
    )
    _arrived(net.new, "FMT-1", "FMT-1-e1", status="CHARGING")
    ((method, _, body),) = net.new.recorder.writes("/FMT-1/FMT-1-e1")
    assert method == "PATCH"
    assert TIMESTAMP.match(body["last_updated"]), body


def test_unexpressible_evse_reaches_only_2_2_1(net: Net) -> None:
    body = location(
        "GBT-1",
        evses=[
            evse("GBT-1-e1"),
            evse("GBT-1-e2", connectors=[connector("1", standard="GBT_DC", power_type="DC")]),
        ],
    )
    net.cpo.api_data("PUT", "/api/locations/GBT-1", json=body)
    got = _arrived(net.new, "GBT-1")
    assert [e["uid"] for e in got["evses"]] == ["GBT-1-e1", "GBT-1-e2"]
    assert got["evses"][1]["connectors"][0]["standard"] == "GBT_DC"
    got = _arrived(net.old, "GBT-1")
    assert [e["uid"] for e in got["evses"]] == ["GBT-1-e1"]
    # Changes of that EVSE reach the 2.2.1 partner only.
    net.cpo.api_data(
        "POST", "/api/locations/GBT-1/evses/GBT-1-e2/status", json={"status": "CHARGING"}
    )
    net.cpo.api_data(
        "PUT",
        "/api/locations/GBT-1/evses/GBT-1-e2/connectors/2",
        json=connector("2", standard="GBT_AC"),
    )
    _arrived(net.new, "GBT-1", "GBT-1-e2", status="CHARGING")
    _arrived(net.new, "GBT-1", "GBT-1-e2", "2", standard="GBT_AC")
    _marker(net, "GBT-MARK")
    assert net.old.get("GBT-1", "GBT-1-e2") is None
    assert [e["uid"] for e in net.old.get("GBT-1")["evses"]] == ["GBT-1-e1"]
    # Also absent from the CPO's own 2.1.1 interface.
    token = _token_on_cpo(net, "old")
    envelope(
        net.cpo.ocpi("GET", "/ocpi/2.1.1/cpo/locations/GBT-1/GBT-1-e2", token=token), 404, 2000
    )
    listed = ok(
        net.cpo.ocpi("GET", "/ocpi/2.1.1/cpo/locations", token=token, params={"limit": 1000})
    )
    (gbt,) = [o for o in listed if o["id"] == "GBT-1"]
    assert [e["uid"] for e in gbt["evses"]] == ["GBT-1-e1"]


# Regression (bug at f1f7145): sync/push.py build: a PATCH for an EVSE that 2.1.1 cannot
# express (GBT_DC only) is still sent to the 2.1.1 partner (which answers 404; the
# worker then retries it as a PUT that is skipped), delaying later changes of the same
# location by the backoff
def test_no_request_about_unexpressible_evse_to_2_1_1(net: Net) -> None:
    body = location(
        "GBT-2",
        evses=[
            evse("GBT-2-e1"),
            evse("GBT-2-e2", connectors=[connector("1", standard="GBT_DC", power_type="DC")]),
        ],
    )
    net.cpo.api_data("PUT", "/api/locations/GBT-2", json=body)
    _arrived(net.old, "GBT-2")
    net.cpo.api_data(
        "POST", "/api/locations/GBT-2/evses/GBT-2-e2/status", json={"status": "CHARGING"}
    )
    _arrived(net.new, "GBT-2", "GBT-2-e2", status="CHARGING")
    _marker(net, "GBT-MARK2")
    assert net.old.recorder.writes("GBT-2-e2") == []


def test_unpublished_location(net: Net) -> None:
    """publish=false: the 2.2.1 partner gets it with publish=false (221-L-4, uc3);
    2.1.1 cannot express it, so it is in no 2.1.1 list."""
    net.cpo.api_data("PUT", "/api/locations/PRIV-1", json=location("PRIV-1", publish=False))
    got = _arrived(net.new, "PRIV-1")
    assert got["publish"] is False
    new_list = ok(
        net.cpo.ocpi(
            "GET",
            "/ocpi/2.2.1/cpo/locations",
            token=_token_on_cpo(net, "msp"),
            params={"limit": 1000},
        )
    )
    assert [o["publish"] for o in new_list if o["id"] == "PRIV-1"] == [False]
    token = _token_on_cpo(net, "old")
    old_list = ok(
        net.cpo.ocpi("GET", "/ocpi/2.1.1/cpo/locations", token=token, params={"limit": 1000})
    )
    assert "PRIV-1" not in [o["id"] for o in old_list]
    envelope(net.cpo.ocpi("GET", "/ocpi/2.1.1/cpo/locations/PRIV-1", token=token), 404, 2003)


# Regression (bug at f1f7145): sync/push.py build: PUT of a publish=false location is
# pushed to 2.1.1 partners (no visible_to_v211/published check), though the CPO's own
# 2.1.1 list and GET hide it; its status PATCHes follow
def test_unpublished_location_is_not_pushed_to_2_1_1(net: Net) -> None:
    net.cpo.api_data("PUT", "/api/locations/PRIV-2", json=location("PRIV-2", publish=False))
    net.cpo.api_data(
        "POST", "/api/locations/PRIV-2/evses/PRIV-2-e1/status", json={"status": "CHARGING"}
    )
    _arrived(net.new, "PRIV-2", "PRIV-2-e1", status="CHARGING")
    _marker(net, "PRIV-MARK")
    assert net.old.get("PRIV-2") is None
    assert net.old.recorder.writes("PRIV-2") == []


# Regression (bug at f1f7145): locations/own.py: set_evse_status stamps the location
# with utcnow() including microseconds, while stamp() truncates management-API
# last_updated to the second; a PUT /api/locations/{id} in the same second after a
# status change is then 'older' and silently ignored (service.put_location → UNCHANGED,
# API still 200)
def test_management_put_right_after_status_change_is_kept(net: Net) -> None:
    net.cpo.api_data("PUT", "/api/locations/SAME-1", json=location("SAME-1"))
    start_of_second()
    net.cpo.api_data(
        "POST", "/api/locations/SAME-1/evses/SAME-1-e1/status", json={"status": "CHARGING"}
    )
    resp = net.cpo.api("PUT", "/api/locations/SAME-1", json=location("SAME-1", name="Renamed"))
    ok(resp)
    stored = net.cpo.api_data("GET", "/api/locations/SAME-1")
    assert stored["name"] == "Renamed", stored


# Regression (bug at f1f7145): SQLite: concurrent POST
# /api/locations/{id}/evses/{uid}/status on different EVSEs of one location lose updates
# on the CPO itself (service.patch read-modify-writes the location document; FOR UPDATE
# is a no-op on SQLite), and the lost status is then also what PUT retries send
def test_concurrent_status_changes_on_one_location(net: Net) -> None:
    uids = [f"MANY-1-e{i}" for i in range(8)]
    net.cpo.api_data(
        "PUT", "/api/locations/MANY-1", json=location("MANY-1", evses=[evse(u) for u in uids])
    )
    for emsp in net.both:
        _arrived(emsp, "MANY-1")

    def charge(uid: str) -> int:
        with httpx.Client(timeout=30) as client:
            return client.post(
                f"{net.cpo.url}/api/locations/MANY-1/evses/{uid}/status",
                json={"status": "CHARGING"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ).status_code

    with ThreadPoolExecutor(len(uids)) as pool:
        assert list(pool.map(charge, uids)) == [200] * len(uids)
    stored = net.cpo.api_data("GET", "/api/locations/MANY-1")
    assert [e["status"] for e in stored["evses"]] == ["CHARGING"] * len(uids)
    for emsp in net.both:
        poll(
            lambda emsp=emsp: (
                [e["status"] for e in (emsp.get("MANY-1") or {}).get("evses", [])]
                == ["CHARGING"] * len(uids)
            ),
            what=f"all CHARGING at {emsp.version}",
        )


# --- partner down --------------------------------------------------------------------


def test_partner_down_loses_nothing(start_node: Any) -> None:
    """Both eMSPs stop; the CPO keeps changing things; they come back on the same
    port and database; every change arrives, in order (the last status wins)."""
    net = _net(start_node, "")
    cpo = net.cpo
    cpo.api_data("PUT", "/api/locations/DOWN-1", json=location("DOWN-1"))
    cpo.api_data("PUT", "/api/tariffs/DT-1", json=tariff("DT-1"))
    cpo.api_data("PUT", "/api/tariffs/DT-2", json=tariff("DT-2"))
    for emsp in net.both:
        _arrived(emsp, "DOWN-1")
        _arrived(emsp, "DT-1", module="tariffs")
        _arrived(emsp, "DT-2", module="tariffs")
    for emsp in net.both:
        emsp.node.stop()

    cpo.api_data("PUT", "/api/locations/DOWN-1", json=location("DOWN-1", name="While down"))
    cpo.api_data("PUT", "/api/locations/DOWN-2", json=location("DOWN-2"))
    for status in ("CHARGING", "BLOCKED", "AVAILABLE"):
        cpo.api_data(
            "POST", "/api/locations/DOWN-1/evses/DOWN-1-e1/status", json={"status": status}
        )
    cpo.api_data("PUT", "/api/locations/DOWN-1/evses/DOWN-1-e2", json=evse("DOWN-1-e2"))
    cpo.api_data(
        "PUT",
        "/api/locations/DOWN-1/evses/DOWN-1-e1/connectors/2",
        json=connector("2", standard="CHADEMO", power_type="DC"),
    )
    cpo.api_data(
        "POST", "/api/locations/DOWN-1/evses/DOWN-1-e2/status", json={"status": "RESERVED"}
    )
    cpo.api_data(
        "POST", "/api/locations/DOWN-1/evses/DOWN-1-e1/status", json={"status": "OUTOFORDER"}
    )
    cpo.api_data("PUT", "/api/tariffs/DT-1", json=tariff("DT-1", price=0.44))
    ok(cpo.api("DELETE", "/api/tariffs/DT-2"))
    cpo.api_data("PUT", "/api/tariffs/DT-3", json=tariff("DT-3"))

    # The worker has tried and failed: nothing was dropped on the floor.
    poll(
        lambda: [e for e in outbox(cpo) if e.attempts >= 1],
        timeout=10,
        what="failed push attempts in the CPO's outbox",
    )

    with (
        restarted(net.new.node, net.new.recorder) as new,
        restarted(net.old.node, net.old.recorder) as old,
    ):
        for emsp, node in ((net.new, new), (net.old, old)):
            emsp.node = node
        for emsp in net.both:
            _arrived(emsp, "DOWN-1", name="While down")
            poll(
                lambda emsp=emsp: _final(emsp),
                timeout=15,
                what=f"every change at the {emsp.version} eMSP",
            )
            _arrived(emsp, "DOWN-2")
            _arrived(emsp, "DT-3", module="tariffs")
            poll(lambda emsp=emsp: emsp.get("DT-2", module="tariffs") is None, what="DT-2 deleted")
            poll(
                lambda emsp=emsp: (
                    (t := emsp.get("DT-1", module="tariffs"))
                    and t["elements"][0]["price_components"][0]["price"] == 0.44
                ),
                what="DT-1 price update",
            )
        poll(lambda: not outbox(cpo), what="an empty outbox")
        # Settled: nothing older comes in afterwards.
        for emsp in net.both:
            assert _final(emsp), emsp.get("DOWN-1")


def test_cpo_restart_hands_in_flight_changes_on(start_node: Any) -> None:
    """A change in flight when the CPO stops (its worker holds the outbox row) goes back
    to the table at once: after the restart it is delivered within the 1 s poll, not
    after the 60 s lease a crashed worker would leave."""
    net = _net(start_node, "r")
    cpo, new = net.cpo, net.new
    cpo.api_data("PUT", "/api/locations/RST-1", json=location("RST-1"))
    _arrived(new, "RST-1")
    new.recorder.hold.set()
    writes = len(new.recorder.requests)
    cpo.api_data("POST", "/api/locations/RST-1/evses/RST-1-e1/status", json={"status": "BLOCKED"})
    poll(lambda: [e for e in outbox(cpo) if e.object_id == "RST-1"], what="the queued PATCH")
    time.sleep(0.3)  # the delivery has started and waits at the partner
    assert len(new.recorder.requests) == writes
    cpo.stop()
    with restarted(cpo, None) as again:
        new.recorder.hold.clear()
        started = time.monotonic()
        _arrived(new, "RST-1", "RST-1-e1", status="BLOCKED")
        poll(lambda: not outbox(again), timeout=10, what="an empty outbox")
        assert time.monotonic() - started < 10


def _final(emsp: Emsp) -> bool:
    loc = emsp.get("DOWN-1")
    if loc is None:
        return False
    evses = {e["uid"]: e for e in loc["evses"]}
    return (
        set(evses) == {"DOWN-1-e1", "DOWN-1-e2"}
        and evses["DOWN-1-e1"]["status"] == "OUTOFORDER"
        and evses["DOWN-1-e2"]["status"] == "RESERVED"
        and [c["id"] for c in evses["DOWN-1-e1"]["connectors"]] == ["1", "2"]
    )


# Regression (bug at f1f7145): sync/worker.py: a DELETE that the partner answers 404 (it
# never got the object) counts as a failure and is retried forever with backoff; e.g. a
# tariff created and deleted while the partner was down stays in the outbox
def test_delete_of_object_partner_never_had_is_settled(net: Net) -> None:
    for emsp in net.both:
        emsp.recorder.down.set()
    net.cpo.api_data("PUT", "/api/tariffs/GONE-1", json=tariff("GONE-1"))
    ok(net.cpo.api("DELETE", "/api/tariffs/GONE-1"))
    poll(
        lambda: all(any("GONE-1" in r for r in e.recorder.refused) for e in net.both),
        what="refused pushes",
    )
    for emsp in net.both:
        emsp.recorder.down.clear()
    poll(
        lambda: all(emsp.recorder.writes("GONE-1") for emsp in net.both),
        what="the DELETE delivered",
    )
    poll(
        lambda: not [e for e in outbox(net.cpo) if e.object_id == "GONE-1"],
        timeout=3,
        what="no GONE-1 entry left in the outbox",
    )


def test_refused_status_patch_is_retried_and_arrives(net: Net) -> None:
    """A PATCH the partner refuses (HTTP 503) is retried as a PUT of the EVSE; with the
    refused change in the same wall-clock second as the delivered one before it, the
    retry must still win at the receiver (second-truncated wire timestamps)."""
    new = net.new
    net.cpo.api_data("PUT", "/api/locations/LOST-1", json=location("LOST-1"))
    _arrived(new, "LOST-1")
    for _ in range(3):  # the scenario needs both changes in one wall-clock second
        start_of_second()
        second = int(time.time())
        net.cpo.api_data(
            "POST", "/api/locations/LOST-1/evses/LOST-1-e1/status", json={"status": "CHARGING"}
        )
        poll(
            lambda: (new.get("LOST-1", "LOST-1-e1") or {}).get("status") == "CHARGING",
            interval=0.01,
            what="CHARGING",
        )
        new.recorder.down.set()
        refused = len(new.recorder.refused)
        net.cpo.api_data(
            "POST", "/api/locations/LOST-1/evses/LOST-1-e1/status", json={"status": "AVAILABLE"}
        )
        same_second = int(time.time()) == second
        poll(
            lambda refused=refused: any(
                p.endswith("/LOST-1/LOST-1-e1") for p in new.recorder.refused[refused:]
            ),
            what="a refused PATCH",
        )
        new.recorder.down.clear()
        if same_second:
            break
        _arrived(new, "LOST-1", "LOST-1-e1", status="AVAILABLE")
    _arrived(new, "LOST-1", "LOST-1-e1", status="AVAILABLE")
