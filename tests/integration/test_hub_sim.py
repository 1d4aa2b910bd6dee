"""The hub simulator (``roamkit.sim.hub``) with two real roamkit nodes (a CPO NL*CPO and
an eMSP NL*MSP) connected only through it, and two recording fake parties (an eMSP
DE*REC and a CPO BE*FCP) where a roamkit node does not handle hub traffic (yet).

These tests exercise the hub itself: what it answers and what it sends on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from roamkit.cli import app as cli_app
from support import Node, free_socket

from .helpers import token_out
from .hub_support import FakeParty, Received, RunningHub, b64, routing, run_fake, run_hub
from .ocpi_data import envelope, location, module_nodes, ok, poll

HUB = ("NL", "HUB")
CPO, MSP = ("NL", "CPO"), ("NL", "MSP")
REC, FCP = ("DE", "REC"), ("BE", "FCP")
R, S = "RECEIVER", "SENDER"


@dataclass
class World:
    hub: RunningHub
    cpo: Node
    emsp: Node
    rec: FakeParty  # eMSP, registered first: sees every later registration
    fcp: FakeParty  # CPO, registered last: is told about every earlier one
    cpo_token: str  # what the CPO node calls the hub with
    emsp_token: str


def _register_node(hub: RunningHub, node: Node, name: str) -> dict[str, Any]:
    token_a = hub.invite(name)
    return node.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": hub.versions_url, "token": token_a, "name": "hub"},
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hub")
    fake_modules = {
        "EMSP": [("hubclientinfo", R), ("locations", R), ("tokens", S), ("commands", S)],
        "CPO": [
            ("hubclientinfo", R),
            ("locations", S),
            ("tokens", R),
            ("commands", R),
            ("chargingprofiles", R),
        ],
    }
    with (
        run_hub(client_info_backoff=0.1) as hub,
        module_nodes(tmp) as start,
        run_fake(*REC, "EMSP", fake_modules["EMSP"], token_b="rec-b") as rec,
        run_fake(*FCP, "CPO", fake_modules["CPO"], token_b="fcp-b") as fcp,
    ):
        rec.register(hub, "rec")
        cpo = start("cpo", roles=["CPO"], versions=["2.2.1"], party_id="CPO")
        emsp = start("emsp", roles=["EMSP"], versions=["2.2.1"], party_id="MSP")
        for lid in ("L1", "L2", "L3"):
            cpo.api_data("PUT", f"/api/locations/{lid}", json=location(lid))
        _register_node(hub, cpo, "cpo")
        _register_node(hub, emsp, "emsp")
        fcp.register(hub, "fcp")
        cpo_token, emsp_token = token_out(cpo, "hub"), token_out(emsp, "hub")
        assert cpo_token and emsp_token
        yield World(hub, cpo, emsp, rec, fcp, cpo_token, emsp_token)


def _client_infos(w: World) -> dict[tuple[str, str], dict[str, Any]]:
    resp = w.hub.ocpi("GET", "/ocpi/2.2.1/hubclientinfo", w.emsp_token)
    return {(i["country_code"], i["party_id"]): i for i in ok(resp)}


def test_registration_both_ways_and_client_info(world: World) -> None:
    w = world
    for node, party, role in ((w.cpo, CPO, "CPO"), (w.emsp, MSP, "EMSP")):
        partner = node.api_data("GET", "/api/partners/hub")
        assert partner["status"] == "registered" and partner["version"] == "2.2.1"
        # A hub lists only itself (221-R-8).
        assert [(r["role"], r["country_code"], r["party_id"]) for r in partner["roles"]] == [
            ("HUB", *HUB)
        ]
        ids = {(e["identifier"], e["role"]) for e in partner["endpoints"]}
        assert {("hubclientinfo", S), ("locations", S), ("locations", R)} <= ids
        conn = w.hub.hub.connections["cpo" if role == "CPO" else "emsp"]
        assert conn.registered and conn.roles_of(party) == {role}
        assert (("locations", S) in conn.endpoints) == (role == "CPO")

    infos = _client_infos(w)
    assert set(infos) == {CPO, MSP, REC, FCP}
    assert infos[CPO]["role"] == "CPO" and infos[MSP]["role"] == "EMSP"
    assert all(i["status"] == "CONNECTED" for i in infos.values())

    # The list is paginated, its Link points at the hub and works.
    resp = w.hub.ocpi("GET", "/ocpi/2.2.1/hubclientinfo?limit=3", w.cpo_token)
    assert len(ok(resp)) == 3
    assert resp.headers["X-Total-Count"] == "4" and resp.headers["X-Limit"] == "3"
    assert not any(h.lower().startswith("ocpi-") for h in resp.headers)  # 221-R-1
    link = resp.headers["Link"]
    assert link.startswith(f"<{w.hub.url}/ocpi/2.2.1/hubclientinfo?"), link
    rest = w.hub.ocpi("GET", link[1 : link.index(">")], w.cpo_token)
    assert len(ok(rest)) == 1 and "Link" not in rest.headers
    future = w.hub.ocpi(
        "GET", "/ocpi/2.2.1/hubclientinfo?date_from=2999-01-01T00:00:00Z", w.cpo_token
    )
    assert ok(future) == [] and future.headers["X-Total-Count"] == "0"

    # ClientInfo pushed: DE*REC (first) heard of the three later ones, BE*FCP (last) of
    # the three earlier ones; with the token each issued, without routing headers.
    for fake, expected in ((w.rec, {CPO, MSP, FCP}), (w.fcp, {REC, CPO, MSP})):
        poll(lambda f=fake, n=len(expected): len(f.got("/hubclientinfo/", "PUT")) >= n)
        puts = fake.got("/hubclientinfo/", "PUT")
        seen = {(p.json()["country_code"], p.json()["party_id"]) for p in puts}
        assert seen == expected
        for p in puts:
            body = p.json()
            assert p.path.endswith(f"/hubclientinfo/{body['country_code']}/{body['party_id']}")
            assert body["status"] == "CONNECTED" and body["last_updated"].endswith("Z")
            assert set(body) == {"party_id", "country_code", "role", "status", "last_updated"}
            assert p.headers["authorization"] == f"Token {b64(fake.token_b)}"
            assert not any(h.startswith("ocpi-") for h in p.headers)
    # The real nodes got theirs too if they list a hubclientinfo Receiver endpoint
    # (whether they accept them is their business, not the hub's).
    for name in ("cpo", "emsp"):
        if w.hub.hub.connections[name].endpoint("hubclientinfo", R):
            poll(
                lambda n=name: [
                    e for e in w.hub.hub.history if e.kind == "client_info" and e.target == n
                ]
            )


def test_tokens_and_credentials(world: World) -> None:
    w = world
    assert envelope(w.hub.ocpi("GET", "/ocpi/versions"), 401, 2000)
    assert envelope(w.hub.ocpi("GET", "/ocpi/versions", "nope"), 401, 2000)
    creds = ok(w.hub.ocpi("GET", "/ocpi/2.2.1/credentials", w.emsp_token))
    assert creds["token"] == w.emsp_token and [r["role"] for r in creds["roles"]] == ["HUB"]
    details = ok(w.hub.ocpi("GET", "/ocpi/2.2.1", w.emsp_token))
    urls = {(e["identifier"], e["role"]): e["url"] for e in details["endpoints"]}
    assert urls[("locations", S)] == f"{w.hub.url}/ocpi/2.2.1/sender/locations"
    assert urls[("locations", R)] == f"{w.hub.url}/ocpi/2.2.1/receiver/locations"
    assert ("chargingprofiles", R) in urls and ("hubclientinfo", S) in urls

    token_a = w.hub.invite("later")
    assert ok(w.hub.ocpi("GET", "/ocpi/versions", token_a))
    for path in ("/ocpi/2.2.1/hubclientinfo", "/ocpi/2.2.1/sender/locations"):
        assert envelope(w.hub.ocpi("GET", path, token_a, frm=MSP, to=CPO), 401, 2000)
    assert envelope(w.hub.ocpi("PUT", "/ocpi/2.2.1/credentials", token_a, json={}), 405, 2000)
    # Registered already: POST is 405 (credentials.asciidoc#credentials_post_method).
    resp = w.hub.ocpi("POST", "/ocpi/2.2.1/credentials", w.emsp_token, json=creds)
    envelope(resp, 405, 2000)


def test_addressed_get_with_pagination(world: World) -> None:
    w = world
    path = "/ocpi/2.2.1/sender/locations?limit=2"
    ids = {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    resp = w.hub.ocpi("GET", path, w.emsp_token, frm=MSP, to=CPO, headers=ids)
    page = ok(resp)
    assert [loc["id"] for loc in page] == ["L1", "L2"]
    assert resp.headers["X-Request-ID"] == "req-1" and resp.headers["X-Correlation-ID"] == "corr-1"
    assert resp.headers["X-Total-Count"] == "3" and resp.headers["X-Limit"] == "2"
    link = resp.headers["Link"]
    nxt = link[1 : link.index(">")]
    assert nxt.startswith(f"{w.hub.url}/ocpi/2.2.1/sender/locations?"), link
    assert parse_qs(urlsplit(nxt).query) == {"offset": ["2"], "limit": ["2"]}
    last = w.hub.ocpi("GET", nxt, w.emsp_token, frm=MSP, to=CPO)
    assert [loc["id"] for loc in ok(last)] == ["L3"] and "Link" not in last.headers

    # What the CPO answers the hub, the hub relays unchanged (last_updated too, 221-R-6).
    hub_token = w.hub.hub.connections["cpo"].token_out
    assert hub_token
    direct = w.cpo.ocpi("GET", "/ocpi/2.2.1/cpo/locations?limit=2", token=b64(hub_token))
    assert ok(direct) == page
    one = w.hub.ocpi("GET", "/ocpi/2.2.1/sender/locations/L2", w.emsp_token, frm=MSP, to=CPO)
    assert ok(one)["id"] == "L2"


def test_forwarded_request_is_the_request_sent(world: World) -> None:
    """Method, path rest, query, body bytes, routing headers and X-Correlation-ID go on
    unchanged, with a new X-Request-ID and the receiver's own token; the answer comes
    back with its status, bytes and routing headers."""
    w = world
    body = b'{"id":  "LOC9", "last_updated": "2020-01-01T00:00:00Z", "x": 1.50}'
    w.rec.answer = lambda r: (
        201,
        b'{"status_code": 1000, "timestamp": "2020-01-01T00:00:00Z"}',
        {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "REC", "X-Extra": "no"},
    )
    try:
        resp = w.hub.ocpi(
            "PUT",
            "/ocpi/2.2.1/receiver/locations/NL/CPO/LOC%209?x=1&y=a%20b",
            w.cpo_token,
            frm=CPO,
            to=REC,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Request-ID": "r9",
                "X-Correlation-ID": "c9",
            },
        )
    finally:
        w.rec.answer = None
    assert resp.status_code == 201
    assert resp.content == b'{"status_code": 1000, "timestamp": "2020-01-01T00:00:00Z"}'
    assert resp.headers["OCPI-from-party-id"] == "REC" and "X-Extra" not in resp.headers
    assert resp.headers["X-Request-ID"] == "r9" and resp.headers["X-Correlation-ID"] == "c9"
    got = w.rec.got("/locations/NL/CPO/", "PUT")[-1]
    assert got.path == "/ocpi/2.2.1/receiver/locations/NL/CPO/LOC 9"
    assert got.query == "x=1&y=a%20b" and got.body == body
    assert got.headers["authorization"] == f"Token {b64(w.rec.token_b)}"
    assert got.headers["x-correlation-id"] == "c9" and got.headers["x-request-id"] != "r9"
    assert {k: got.headers[k.lower()] for k in routing(CPO, REC)} == routing(CPO, REC)


def test_real_time_authorization_is_an_addressed_request(world: World) -> None:
    w = world
    w.rec.answer = lambda r: (
        200,
        orjson.dumps(
            {
                "data": {"allowed": "ALLOWED"},
                "status_code": 1000,
                "timestamp": "2024-05-01T10:00:00Z",
            }
        ),
        routing(REC, CPO),
    )
    try:
        resp = w.hub.ocpi(
            "POST",
            "/ocpi/2.2.1/sender/tokens/TOK7/authorize?type=RFID",
            w.cpo_token,
            frm=CPO,
            to=REC,
            json={"location_id": "L1"},
        )
    finally:
        w.rec.answer = None
    assert ok(resp) == {"allowed": "ALLOWED"} and resp.headers["OCPI-to-party-id"] == "CPO"
    got = w.rec.got("/tokens/TOK7/authorize", "POST")[-1]
    assert got.path == "/ocpi/2.2.1/sender/tokens/TOK7/authorize" and got.query == "type=RFID"
    assert got.json() == {"location_id": "L1"}


def test_routing_errors(world: World) -> None:
    w = world
    get = "/ocpi/2.2.1/sender/locations"
    cases = [
        (dict(frm=MSP, to=("NL", "XXX")), 4001, "Unknown receiver"),
        (dict(frm=REC, to=CPO), 2001, "OCPI-from"),  # not one of the caller's roles
        (dict(frm=None, to=CPO), 2001, "OCPI-from"),
        (dict(frm=MSP, to=None), 2001, "Open Routing"),
        (dict(frm=MSP, to=HUB), 2001, "GET All"),
        (dict(frm=MSP, to=REC), 4000, "no locations SENDER"),
    ]
    for headers, code, text in cases:
        body = envelope(w.hub.ocpi("GET", get, w.emsp_token, **headers), 200, code)
        assert text in body["status_message"], (headers, body)
    resp = w.hub.ocpi(
        "DELETE", "/ocpi/2.2.1/receiver/tokens/NL/MSP/T", w.emsp_token, frm=MSP, to=HUB
    )
    assert "only for POST" in envelope(resp, 200, 2001)["status_message"]
    envelope(
        w.hub.ocpi("GET", "/ocpi/2.2.1/sender/nothing", w.emsp_token, frm=MSP, to=CPO), 404, 2000
    )
    envelope(w.hub.ocpi("GET", get, "unknown", frm=MSP, to=CPO), 401, 2000)


def test_offline_party_is_4003_and_its_status_is_pushed(world: World) -> None:
    w = world
    before = len(w.rec.got("/hubclientinfo/NL/CPO", "PUT"))
    refused: list[Received] = []

    def refuse_once(r: Received) -> tuple[int, bytes, dict[str, str]]:
        if not refused:
            refused.append(r)
            return 503, b"busy", {}
        return 200, orjson.dumps({"status_code": 1000, "timestamp": "2024-05-01T10:00:00Z"}), {}

    w.rec.answer = refuse_once  # the first ClientInfo PUT fails: the hub tries again
    try:
        w.hub.set_status("NL", "CPO", "OFFLINE")  # returns once delivered
    finally:
        w.rec.answer = None
    try:
        resp = w.hub.ocpi("GET", "/ocpi/2.2.1/sender/locations", w.emsp_token, frm=MSP, to=CPO)
        assert "OFFLINE" in envelope(resp, 200, 4003)["status_message"]
        assert (
            resp.headers["OCPI-from-party-id"] == "HUB"
            and resp.headers["OCPI-to-party-id"] == "MSP"
        )
        puts = w.rec.got("/hubclientinfo/NL/CPO", "PUT")
        assert len(puts) == before + 2 and puts[-1].json()["status"] == "OFFLINE"
        assert puts[-1].body == puts[-2].body and refused[0].body == puts[-2].body
        tries = [e.outcome for e in w.hub.hub.history if e.target == "rec" and "NL/CPO" in e.url]
        assert tries[-2:] == [503, "ok"]
        assert w.fcp.got("/hubclientinfo/NL/CPO", "PUT")[-1].json()["status"] == "OFFLINE"
        assert _client_infos(w)[CPO]["status"] == "OFFLINE"
    finally:
        w.hub.set_status("NL", "CPO", "CONNECTED")
    ok(w.hub.ocpi("GET", "/ocpi/2.2.1/sender/locations", w.emsp_token, frm=MSP, to=CPO))
    with pytest.raises(KeyError):
        w.hub.set_status("NL", "ZZZ", "OFFLINE")


def test_party_down_or_slow(world: World) -> None:
    w = world
    with run_fake("FR", "DWN", "CPO", [("locations", S)], token_b="dwn-b") as down:
        down.register(w.hub, "down")
        get = "/ocpi/2.2.1/sender/locations"
        ok(w.hub.ocpi("GET", get, w.emsp_token, frm=MSP, to=down.party))

        down.delay = 2.0
        w.hub.hub.config.forward_timeout = 0.5
        try:
            resp = w.hub.ocpi("GET", get, w.emsp_token, frm=MSP, to=down.party)
            assert "0.5 s" in envelope(resp, 200, 4002)["status_message"]
        finally:
            w.hub.hub.config.forward_timeout = 10.0
        down.stop()
        resp = w.hub.ocpi("GET", get, w.emsp_token, frm=MSP, to=down.party)
        assert "not reachable" in envelope(resp, 200, 4003)["status_message"]

        # Unregistering (credentials DELETE) makes the party SUSPENDED for the others.
        assert down.token_at_hub
        ok(w.hub.ocpi("DELETE", "/ocpi/2.2.1/credentials", down.token_at_hub))
        suspended = poll(lambda: w.rec.got("/hubclientinfo/FR/DWN", "PUT")[-1:])[-1]
        poll(lambda: w.rec.got("/hubclientinfo/FR/DWN", "PUT")[-1].json()["status"] == "SUSPENDED")
        assert suspended.json()["role"] == "CPO"
        envelope(w.hub.ocpi("GET", "/ocpi/versions", down.token_at_hub), 401, 2000)
        resp = w.hub.ocpi("GET", get, w.emsp_token, frm=MSP, to=down.party)
        assert "SUSPENDED" in envelope(resp, 200, 4003)["status_message"]


def test_response_url_is_rewritten_and_the_result_forwarded(world: World) -> None:
    w = world
    original = f"{w.rec.url}/results/cmd/1"
    command = {"response_url": original, "token": {"uid": "T1"}, "location_id": "L1"}
    resp = w.hub.ocpi(
        "POST",
        "/ocpi/2.2.1/receiver/commands/START_SESSION",
        w.rec.token_at_hub,
        frm=REC,
        to=FCP,
        json=command,
    )
    ok(resp)
    got = w.fcp.got("/commands/START_SESSION", "POST")[-1]
    sent = got.json()
    ours = sent.pop("response_url")
    assert ours.startswith(f"{w.hub.url}/ocpi/2.2.1/responses/") and sent == {
        k: v for k, v in command.items() if k != "response_url"
    }

    # Someone else may not post the result.
    result = b'{"result":"ACCEPTED"}'
    envelope(w.hub.ocpi("POST", ours, w.emsp_token, content=result), 404, 2000)
    resp = w.hub.ocpi(
        "POST",
        ours,
        w.fcp.token_at_hub,
        content=result,
        headers={"Content-Type": "application/json", "X-Correlation-ID": "c-res"},
    )
    ok(resp)
    posted = w.rec.got("/results/cmd/1", "POST")[-1]
    assert posted.body == result and posted.headers["x-correlation-id"] == "c-res"
    assert posted.headers["authorization"] == f"Token {b64(w.rec.token_b)}"
    assert {k: posted.headers[k.lower()] for k in routing(FCP, REC)} == routing(FCP, REC)
    # Still valid: a CPO cancelling a reservation posts to the ReserveNow's URL again.
    ok(w.hub.ocpi("POST", ours, w.fcp.token_at_hub, content=result))
    assert len(w.rec.got("/results/cmd/1", "POST")) == 2

    # Charging profiles: the response_url of a GET (and DELETE) is a query parameter.
    query = f"duration=900&response_url={original.replace(':', '%3A')}"
    for method in ("GET", "DELETE"):
        resp = w.hub.ocpi(
            method,
            f"/ocpi/2.2.1/receiver/chargingprofiles/S1?{query}",
            w.rec.token_at_hub,
            frm=REC,
            to=FCP,
        )
        ok(resp)
        params = w.fcp.got("/chargingprofiles/S1", method)[-1].params
        assert params["duration"] == ["900"]
        assert params["response_url"][0].startswith(f"{w.hub.url}/ocpi/2.2.1/responses/")
    put = {"charging_profile": {"charging_rate_unit": "W"}, "response_url": original}
    ok(
        w.hub.ocpi(
            "PUT",
            "/ocpi/2.2.1/receiver/chargingprofiles/S1",
            w.rec.token_at_hub,
            frm=REC,
            to=FCP,
            json=put,
        )
    )
    sent = w.fcp.got("/chargingprofiles/S1", "PUT")[-1].json()
    assert sent["response_url"].startswith(f"{w.hub.url}/ocpi/2.2.1/responses/")
    assert sent["charging_profile"] == put["charging_profile"]


def test_broadcast_push(world: World) -> None:
    w = world
    token = orjson.dumps({"uid": "TOK1", "type": "RFID", "last_updated": "2024-05-01T10:00:00Z"})
    resp = w.hub.ocpi(
        "PUT",
        "/ocpi/2.2.1/receiver/tokens/NL/MSP/TOK1?type=RFID",
        w.emsp_token,
        frm=MSP,
        to=HUB,
        content=token,
        headers={"Content-Type": "application/json"},
    )
    assert "Broadcast to 2 parties" in envelope(resp, 200, 1000)["status_message"]
    assert resp.headers["OCPI-from-party-id"] == "HUB" and resp.headers["OCPI-to-party-id"] == "MSP"
    w.hub.drain()
    got = w.fcp.got("/tokens/NL/MSP/TOK1", "PUT")
    assert len(got) == 1 and got[0].body == token and got[0].query == "type=RFID"
    assert {k: got[0].headers[k.lower()] for k in routing(HUB, FCP)} == routing(HUB, FCP)
    assert got[0].headers["authorization"] == f"Token {b64(w.fcp.token_b)}"
    assert not w.rec.got("/tokens/NL/MSP/TOK1")  # an eMSP's push goes to CPOs only
    # The real CPO node got it too (whether it accepts hub traffic yet or not).
    sent = [e for e in w.hub.hub.history if e.kind == "broadcast" and "TOK1" in e.url]
    assert {e.target for e in sent} == {"NL*CPO", "BE*FCP"}
    assert all(isinstance(e.outcome, int) for e in sent)

    # A CPO's push goes to eMSPs (the real one and DE*REC), not to the other CPO.
    loc = orjson.dumps({"id": "B1", "last_updated": "2024-05-01T10:00:00Z"})
    resp = w.hub.ocpi(
        "PUT",
        "/ocpi/2.2.1/receiver/locations/NL/CPO/B1",
        w.cpo_token,
        frm=CPO,
        to=HUB,
        content=loc,
        headers={"Content-Type": "application/json"},
    )
    envelope(resp, 200, 1000)
    w.hub.drain()
    assert w.rec.got("/locations/NL/CPO/B1", "PUT")[-1].body == loc
    assert not w.fcp.got("/locations/NL/CPO/B1")
    sent = [e for e in w.hub.hub.history if e.kind == "broadcast" and "/B1" in e.url]
    assert {e.target for e in sent} == {"NL*MSP", "DE*REC"}


def test_credentials_rotation_by_a_party(world: World) -> None:
    """Credentials PUT by the party (credentials.asciidoc#credentials_put_method): the hub
    reads the endpoints again with the new token, issues a new one, the old one dies."""
    w = world
    with run_fake("FR", "ROT", "CPO", [("locations", S)], token_b="rot-b1") as fake:
        fake.register(w.hub, "rot")
        old = fake.token_at_hub
        assert old
        fake.token_b = "rot-b2"
        body = {
            "token": "rot-b2",
            "url": fake.versions_url,
            "roles": [
                {
                    "role": "CPO",
                    "country_code": "FR",
                    "party_id": "ROT",
                    "business_details": {"name": "fake ROT"},
                }
            ],
        }
        creds = ok(w.hub.ocpi("PUT", "/ocpi/2.2.1/credentials", old, json=body))
        assert creds["token"] != old and [r["role"] for r in creds["roles"]] == ["HUB"]
        envelope(w.hub.ocpi("GET", "/ocpi/2.2.1/credentials", old), 401, 2000)
        ok(w.hub.ocpi("GET", "/ocpi/2.2.1/credentials", creds["token"]))
        ok(
            w.hub.ocpi(
                "GET", "/ocpi/2.2.1/sender/locations", w.emsp_token, frm=MSP, to=("FR", "ROT")
            )
        )
        assert (
            fake.got("/sender/locations")[-1].headers["authorization"] == f"Token {b64('rot-b2')}"
        )
        ok(w.hub.ocpi("DELETE", "/ocpi/2.2.1/credentials", creds["token"]))

    # A roamkit node rotates its connection to the hub the same way.
    w.emsp.api_data("POST", "/api/partners/hub/rotate")
    new = token_out(w.emsp, "hub")
    assert new and new != w.emsp_token
    envelope(w.hub.ocpi("GET", "/ocpi/2.2.1/credentials", w.emsp_token), 401, 2000)
    w.emsp_token = new
    ok(w.hub.ocpi("GET", "/ocpi/2.2.1/sender/locations", new, frm=MSP, to=CPO))


# --- the command line ------------------------------------------------------------------


def test_cli_hub_serve(tmp_path: Path) -> None:
    """``roamkit hub serve`` as a user runs it: prints the versions URL and one TOKEN_A
    per ``--invite``; the token works on the hub."""
    result = CliRunner().invoke(cli_app, ["hub", "serve", "--help"])
    assert result.exit_code == 0 and "--invite" in result.output
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    exe = Path(sys.executable).with_name("roamkit")
    proc = subprocess.Popen(
        [
            exe,
            "hub",
            "serve",
            "--port",
            str(port),
            "--invite",
            "cpo",
            "--invite",
            "msp",
            "--party-id",
            "HBB",
        ],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while not any(line.startswith("TOKEN_A msp") for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, lines
            lines.append(proc.stdout.readline().strip())
        assert f"http://127.0.0.1:{port}/ocpi/versions" in "\n".join(lines)
        tokens = dict(line.split()[1:3] for line in lines if line.startswith("TOKEN_A"))
        assert set(tokens) == {"cpo", "msp"}
        while True:
            try:
                resp = httpx.get(
                    f"http://127.0.0.1:{port}/ocpi/versions",
                    headers={"Authorization": f"Token {b64(tokens['msp'])}"},
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert ok(resp) == [{"version": "2.2.1", "url": f"http://127.0.0.1:{port}/ocpi/2.2.1"}]
        creds = ok(
            httpx.get(
                f"http://127.0.0.1:{port}/ocpi/2.2.1/credentials",
                headers={"Authorization": f"Token {tokens['cpo']}"},
            )
        )
        assert creds["roles"][0]["party_id"] == "HBB"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
