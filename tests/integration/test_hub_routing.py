"""roamkit nodes behind a hub, end to end: a CPO (NL*CPO) and two eMSPs (NL*MSA,
NL*MSB), connected ONLY through the hub simulator (``roamkit.sim.hub``), OCPI 2.2.1.

Each party behind the hub is its own partner at every node (``partners.hub``), so what
one eMSP may see or change stays its own (2.2.1
transport_and_format.asciidoc#transport_and_format_message_routing,
mod_hub_client_info.asciidoc; CHECKLIST 221-R-1 … R-8, 221-H-1 … H-3)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .fake_hub import outbox_rows
from .hub_support_nodes import (
    CONNECTOR,
    CPO,
    EVSE,
    LOCATION,
    MSA,
    MSB,
    HubWorld,
    hub_world,
    stored,
)
from .ocpi_data import envelope, ok, poll
from .sessions_support import TARIFF

ROUTING = (
    "ocpi-from-country-code",
    "ocpi-from-party-id",
    "ocpi-to-country-code",
    "ocpi-to-party-id",
)
FUNCTIONAL = re.compile(r"^/ocpi/2\.2\.1/(cpo|emsp)/(locations|tariffs|sessions|cdrs|tokens)")
CONFIGURATION = re.compile(r"^/ocpi/(versions|2\.2\.1(/credentials|/hubclientinfo.*)?)$")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubWorld]:
    with hub_world(tmp_path_factory.mktemp("hubrouting")) as w:
        yield w


def _hub_get(w: HubWorld, caller: str, path: str, to: tuple[str, str]) -> Any:
    """A GET a node's party sends through the hub, addressed to ``to``."""
    frm = {"cpo": CPO, "a": MSA, "b": MSB}[caller]
    return w.hub.ocpi("GET", f"/ocpi/2.2.1/{path}", w.tokens[caller], frm=frm, to=to)


def _owner(w: HubWorld, node: str, module: str, object_id: str) -> int | None:
    found = stored(w.nodes[node], module, object_id)
    return None if found is None else found[0]


def test_parties_from_client_info(world: HubWorld) -> None:
    """Each node knows the others as parties behind its one hub connection (221-R-8)."""
    w = world
    for node, others in (("cpo", (MSA, MSB)), ("a", (CPO, MSB)), ("b", (CPO, MSA))):
        partners = {p["name"]: p for p in w.nodes[node].api_data("GET", "/api/partners")}
        hub = partners["hub"]
        assert [r["role"] for r in hub["roles"]] == ["HUB"] and hub["via"] is None
        for party in others:
            child = partners[f"hub/{party[0]}*{party[1]}"]
            assert child["via"] == "hub" and child["status"] == "registered"
            assert child["client_info"]["status"] == "CONNECTED"
            assert child["roles"][0]["role"] == ("CPO" if party == CPO else "EMSP")
            assert child["endpoints"] == hub["endpoints"]


def test_locations_and_tariffs_reach_both_emsps(world: HubWorld) -> None:
    w = world
    for node, party in (("a", MSA), ("b", MSB)):
        cpo_there = w.child_id(node, CPO)
        poll(lambda n=node: _owner(w, n, "locations", LOCATION), what=f"location at {node}")
        poll(lambda n=node: _owner(w, n, "tariffs", TARIFF["id"]), what=f"tariff at {node}")
        assert _owner(w, node, "locations", LOCATION) == cpo_there
        assert _owner(w, node, "tariffs", TARIFF["id"]) == cpo_there
        # Addressed pushes: each eMSP got them to its own party, from the CPO.
        pushes = w.recorders[node].requests("/emsp/locations/NL/CPO/", "PUT")
        assert pushes and all(
            (s.request["ocpi-to-party-id"], s.request["ocpi-from-party-id"]) == (party[1], "CPO")
            for s in pushes
        )
        # The CPO reads back what each holds, through the hub.
        resp = _hub_get(w, "cpo", f"receiver/locations/NL/CPO/{LOCATION}", party)
        assert ok(resp)["id"] == LOCATION
        assert (resp.headers["ocpi-from-party-id"], resp.headers["ocpi-to-party-id"]) == (
            party[1],
            "CPO",
        )


def test_each_emsps_tokens_reach_the_cpo_as_its_own(world: HubWorld) -> None:
    w = world
    w.a.api_data("POST", "/api/tokens", json={"uid": "TOKA1"})
    w.b.api_data("POST", "/api/tokens", json={"uid": "TOKB1"})
    poll(lambda: _owner(w, "cpo", "tokens", "RFID:TOKA1"), what="A's token at the CPO")
    poll(lambda: _owner(w, "cpo", "tokens", "RFID:TOKB1"), what="B's token at the CPO")
    assert _owner(w, "cpo", "tokens", "RFID:TOKA1") == w.child_id("cpo", MSA)
    assert _owner(w, "cpo", "tokens", "RFID:TOKB1") == w.child_id("cpo", MSB)
    # Each eMSP reads its own copy at the CPO through the hub; B cannot read A's.
    path = "receiver/tokens/NL/MSA/TOKA1?type=RFID"
    assert ok(_hub_get(w, "a", path, CPO))["uid"] == "TOKA1"
    envelope(_hub_get(w, "b", path, CPO), 404, 2000)


def test_session_and_cdr_go_to_their_emsp_only(world: HubWorld) -> None:
    w = world
    w.a.api_data("POST", "/api/tokens", json={"uid": "TOKA2"})
    poll(lambda: _owner(w, "cpo", "tokens", "RFID:TOKA2"), what="A's token at the CPO")
    body = {
        "id": "HUBS1",
        "token_uid": "TOKA2",
        "location_id": LOCATION,
        "evse_uid": EVSE,
        "connector_id": CONNECTOR,
        "start": "2026-11-20T10:00:00Z",
    }
    w.cpo.api_data("POST", "/api/sessions", json=body)
    w.cpo.api_data(
        "POST", "/api/sessions/HUBS1/meter", json={"meter": 5, "at": "2026-11-20T10:30:00Z"}
    )
    result = w.cpo.api_data(
        "POST", "/api/sessions/HUBS1/stop", json={"at": "2026-11-20T11:00:00Z", "meter": 10}
    )
    assert result["cdr"]["id"] == "HUBS1"

    def at_a(kind: str) -> Any:
        resp = w.a.api("GET", f"/api/{kind}/HUBS1")
        return resp.json()["data"] if resp.status_code == 200 else None

    poll(lambda: (s := at_a("sessions")) and s["status"] == "COMPLETED", what="session at A")
    cdr = poll(lambda: at_a("cdrs"), what="CDR at A")
    assert cdr["total_cost"] == result["cdr"]["total_cost"]
    assert w.a.api_data("GET", "/api/cdrs/disputes") == []  # priced with the CPO's tariff
    assert _owner(w, "a", "sessions", "HUBS1") == w.child_id("a", CPO)

    # B never sees it: no push ...
    for kind in ("sessions", "cdrs"):
        assert w.b.api("GET", f"/api/{kind}/HUBS1").status_code == 404
    assert not w.recorders["b"].requests("/emsp/sessions/") + w.recorders["b"].requests(
        "/emsp/cdrs"
    )
    # ... nor by GET through the hub: the CPO lists each eMSP only its own.
    for node, expected in (("a", 1), ("b", 0)):
        for module in ("sessions", "cdrs"):
            summary = w.nodes[node].api_data("POST", f"/api/sync/hub/NL*CPO/{module}")
            assert summary["received"] == expected, (node, module, summary)
    sessions = _hub_get(w, "b", "sender/sessions?date_from=2026-01-01T00:00:00Z", CPO)
    assert ok(sessions) == []


def test_realtime_authorization_goes_through_the_hub_to_its_emsp(world: HubWorld) -> None:
    w = world
    w.a.api_data("POST", "/api/tokens", json={"uid": "TOKA3", "whitelist": "NEVER"})
    poll(lambda: _owner(w, "cpo", "tokens", "RFID:TOKA3"), what="A's token at the CPO")
    answer = w.cpo.api_data("POST", "/api/authorize", json={"uid": "TOKA3"})
    assert (answer["allowed"], answer["source"], answer["partner"]) == (
        "ALLOWED",
        "realtime",
        "hub/NL*MSA",
    )
    asked = w.recorders["a"].requests("/emsp/tokens/TOKA3/authorize", "POST")
    assert len(asked) == 1
    assert (asked[0].request["ocpi-from-party-id"], asked[0].request["ocpi-to-party-id"]) == (
        "CPO",
        "MSA",
    )
    assert (asked[0].response["ocpi-from-party-id"], asked[0].response["ocpi-to-party-id"]) == (
        "MSA",
        "CPO",
    )
    assert not w.recorders["b"].requests("/authorize")


def test_offline_emsp_gets_nothing_and_resyncs_when_back(world: HubWorld) -> None:
    w = world
    w.hub.set_status(*MSB, "OFFLINE")
    try:
        w.wait_status("cpo", MSB, "offline")
        before = len(w.recorders["b"].requests("/emsp/locations/"))
        # last_updated has whole seconds: the change must be newer than what B holds.
        time.sleep(1.05)
        path = f"/api/locations/{LOCATION}/evses/{EVSE}/status"
        w.cpo.api_data("POST", path, json={"status": "OUTOFORDER"})
        assert outbox_rows(w.cpo, w.child_id("cpo", MSB)) == []  # not even queued (221-H-2)

        def evse_status(node: str) -> str | None:
            found = stored(w.nodes[node], "locations", LOCATION)
            return None if found is None else found[1]["evses"][0]["status"]

        poll(lambda: evse_status("a") == "OUTOFORDER", what="the change at A")
        assert evse_status("b") == "AVAILABLE"
        assert len(w.recorders["b"].requests("/emsp/locations/")) == before
    finally:
        w.hub.set_status(*MSB, "CONNECTED")
    w.wait_status("cpo", MSB, "registered")
    # Back: B's responsibility to GET (mod_hub_client_info, "Another Party goes OFFLINE").
    summary = w.b.api_data("POST", "/api/sync/hub/NL*CPO/locations")
    assert summary["error"] is None and summary["received"] >= 1, summary
    assert evse_status("b") == "OUTOFORDER"


def test_routing_headers_on_every_functional_leg_and_none_on_configuration(
    world: HubWorld,
) -> None:
    w = world
    w.b.api_data("POST", "/api/tokens", json={"uid": "TOKB9"})  # some traffic of our own
    poll(lambda: _owner(w, "cpo", "tokens", "RFID:TOKB9"), what="B's token at the CPO")
    functional = configuration = 0
    for name, recorder in w.recorders.items():
        for seen in recorder.requests():
            if FUNCTIONAL.match(seen.path):
                functional += 1
                assert all(h in seen.request for h in ROUTING), (name, seen)
                assert all(h in seen.response for h in ROUTING), (name, seen)
                # The answer goes back to whoever asked.
                assert seen.response["ocpi-to-party-id"] == seen.request["ocpi-from-party-id"]
            elif CONFIGURATION.match(seen.path):
                configuration += 1
                assert not any(h in seen.request for h in ROUTING), (name, seen)
                assert not any(h in seen.response for h in ROUTING), (name, seen)
    assert functional >= 5 and configuration >= 6
    assert all(r.requests("/hubclientinfo/", "PUT") for r in w.recorders.values())
