"""A roamkit node behind a hub, tested against a scripted stand-in for the hub
(``fake_hub``): the hubclientinfo Receiver (2.2.1 mod_hub_client_info.asciidoc), requests
through the hub acting as the party behind it (transport_and_format.asciidoc
#transport_and_format_message_routing), where the node's own pushes and calls go, and
how the parties follow the hub's connection."""

from __future__ import annotations

import time
from typing import Any

import httpx

from support import Node

from .fake_hub import outbox_rows, owner_of, partner_row, run_fake_hub
from .helpers import b64
from .ocpi_data import envelope, location, ok, poll, stamped, tariff

CPO, MSP = ("NL", "CPO"), ("NL", "MSP")
MSA, MSB, MSC = ("DE", "MSA"), ("DE", "MSB"), ("DE", "MSC")
CPA = ("DE", "CPA")
HUB = ("NL", "HUB")
T = [f"2026-01-01T00:00:{s:02d}Z" for s in range(60)]
V = "/ocpi/2.2.1"


def _no_routing(resp: httpx.Response) -> None:
    """Configuration modules carry no routing headers (221-R-1)."""
    assert not [h for h in resp.headers if h.lower().startswith("ocpi-")], resp.headers


def _routed(resp: httpx.Response, frm: tuple[str, str], to: tuple[str, str]) -> None:
    h = resp.headers
    assert (h["ocpi-from-country-code"], h["ocpi-from-party-id"]) == frm, h
    assert (h["ocpi-to-country-code"], h["ocpi-to-party-id"]) == to, h


def _info(party: tuple[str, str], role: str, status: str, when: str) -> dict[str, str]:
    return {
        "country_code": party[0],
        "party_id": party[1],
        "role": role,
        "status": status,
        "last_updated": when,
    }


def _token(uid: str, party: tuple[str, str], whitelist: str = "ALWAYS") -> dict[str, Any]:
    return {
        "country_code": party[0],
        "party_id": party[1],
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{party[0]}-{party[1]}-C{uid}",
        "issuer": "eMSP behind the hub",
        "valid": True,
        "whitelist": whitelist,
        "last_updated": T[1],
    }


def _token_path(party: tuple[str, str], uid: str) -> str:
    return f"{V}/cpo/tokens/{party[0]}/{party[1]}/{uid}?type=RFID"


def _partners(node: Node) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in node.api_data("GET", "/api/partners")}


def _cpo(start_node: Any) -> Node:
    return start_node("cpo", roles=["CPO"], party_id="CPO", versions=["2.2.1"])


def test_client_info_receiver(start_node) -> None:
    cpo = _cpo(start_node)
    with run_fake_hub() as hub:
        hub.register(cpo)
        details = ok(hub.call(cpo, "GET", V))
        ours = {
            "identifier": "hubclientinfo",
            "role": "RECEIVER",
            "url": f"{cpo.url}{V}/hubclientinfo",
        }
        assert ours in details["endpoints"]
        path = f"{V}/hubclientinfo/DE/MSA"
        missing = hub.call(cpo, "GET", path, frm=MSA, to=CPO)  # routing sent or not: none back
        envelope(missing, 404, 2000)  # none held (status_codes: GET)
        bad = hub.call(cpo, "PUT", path, content=b"{", headers={"Content-Type": "application/json"})
        envelope(bad, 400, 2001)
        invalid = hub.call(cpo, "PUT", path, json={"country_code": "DE"})
        envelope(invalid, 200, 2001)
        other = _info(MSB, "EMSP", "CONNECTED", T[1])
        mismatch = hub.call(cpo, "PUT", path, json=other)
        assert "URL" in envelope(mismatch, 200, 2001)["status_message"]
        for error in (missing, bad, invalid, mismatch):
            _no_routing(error)

        resp = hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[1])
        envelope(resp, 201, 1000)
        _no_routing(resp)
        resp = hub.call(cpo, "GET", path)
        assert ok(resp) == _info(MSA, "EMSP", "CONNECTED", T[1])
        _no_routing(resp)
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[2]), 200, 1000)
        older = envelope(hub.client_info(cpo, MSA, "EMSP", "OFFLINE", T[0]), 200, 1000)
        assert "Not newer" in older["status_message"]
        own = envelope(hub.client_info(cpo, CPO, "CPO", "CONNECTED", T[3]), 200, 1000)
        assert "own party" in own["status_message"]
        envelope(hub.client_info(cpo, MSB, "EMSP", "PLANNED", T[3]), 201, 1000)

        partners = _partners(cpo)
        assert set(partners) == {"hub", "hub/DE*MSA", "hub/DE*MSB"}
        the_hub, msa, msb = partners["hub"], partners["hub/DE*MSA"], partners["hub/DE*MSB"]
        assert the_hub["via"] is None and the_hub["client_info"] is None
        assert msa["via"] == "hub" and msa["status"] == "registered"
        assert msa["client_info"] == _info(MSA, "EMSP", "CONNECTED", T[2])
        assert msa["roles"] == [{"role": "EMSP", "country_code": "DE", "party_id": "MSA"}]
        assert msa["endpoints"] == the_hub["endpoints"] and msa["version"] == "2.2.1"
        assert msb["status"] == "planned"
        assert set(msa) >= {
            "name",
            "status",
            "version",
            "versions_url",
            "roles",
            "endpoints",
            "token_encoding",
            "created_at",
            "updated_at",
        }
        # A party behind a hub is no connection of its own.
        resp = cpo.api("POST", "/api/partners/invite", json={"name": "hub/DE*MSA"})
        assert resp.status_code == 409, resp.text

        # Only a hub connection may use the module (anyone else: 404, as Forbidden).
        with run_fake_hub(party=MSP, role="EMSP") as direct:
            direct.register(cpo, name="direct")
            resp = direct.client_info(cpo, MSC, "EMSP", "CONNECTED", T[1])
            envelope(resp, 404, 2000)
            envelope(direct.call(cpo, "GET", path), 404, 2000)
        assert "hub/DE*MSC" not in _partners(cpo)


def test_requests_through_the_hub_act_as_the_party(start_node) -> None:
    cpo = _cpo(start_node)
    with run_fake_hub() as hub:
        hub.register(cpo)
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[1]), 201, 1000)
        # Addressed push from MSA: stored as MSA's, answered with the routing swapped.
        resp = hub.call(
            cpo,
            "PUT",
            _token_path(MSA, "TOK1"),
            frm=MSA,
            to=CPO,
            json=_token("TOK1", MSA, "NEVER"),
        )
        envelope(resp, 201, 1000)
        _routed(resp, CPO, MSA)
        msa = partner_row(cpo, "hub/DE*MSA")
        assert msa is not None and owner_of(cpo, "tokens", "RFID:TOK1") == msa.id
        # Another party behind the same hub cannot read or write MSA's token: MSB is
        # created on the fly (the hub has not sent its ClientInfo), as an eMSP.
        envelope(hub.call(cpo, "GET", _token_path(MSA, "TOK1"), frm=MSB, to=CPO), 404, 2000)
        envelope(
            hub.call(
                cpo, "PUT", _token_path(MSA, "TOK1"), frm=MSB, to=CPO, json=_token("TOK1", MSA)
            ),
            404,
            2000,
        )
        msb = _partners(cpo)["hub/DE*MSB"]
        assert msb["status"] == "registered" and msb["client_info"] is None
        assert msb["roles"][0]["role"] == "EMSP"
        # A Broadcast Push (OCPI-from = the hub) keeps the sender's URL segments: the
        # URL names the party (221-R-3).
        resp = hub.call(
            cpo, "PUT", _token_path(MSC, "TOK2"), frm=HUB, to=CPO, json=_token("TOK2", MSC)
        )
        envelope(resp, 201, 1000)
        msc = partner_row(cpo, "hub/DE*MSC")
        assert msc is not None and owner_of(cpo, "tokens", "RFID:TOK2") == msc.id
        # No routing headers at all: the URL's party too.
        assert ok(hub.call(cpo, "GET", _token_path(MSA, "TOK1")))["uid"] == "TOK1"

        # Real-time authorization of MSA's token goes to the hub, addressed to MSA, with
        # the hub's token.
        answer = cpo.api_data("POST", "/api/authorize", json={"uid": "TOK1"})
        assert answer["source"] == "realtime" and answer["allowed"] == "ALLOWED", answer
        assert answer["partner"] == "hub/DE*MSA"
        call = hub.functional("tokens")[-1]
        assert call.method == "POST" and call.path.endswith("/sender/tokens/TOK1/authorize")
        assert call.to() == MSA and call.frm() == CPO
        assert call.headers["authorization"] == f"Token {b64(hub.token_b)}"

        # A party the hub reports OFFLINE is refused, by routing header or by URL.
        envelope(hub.client_info(cpo, MSA, "EMSP", "OFFLINE", T[2]), 200, 1000)
        for frm in (MSA, None):
            resp = hub.call(cpo, "GET", _token_path(MSA, "TOK1"), frm=frm, to=CPO)
            assert "OFFLINE" in envelope(resp, 404, 2000)["status_message"]
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[3]), 200, 1000)
        assert ok(hub.call(cpo, "GET", _token_path(MSA, "TOK1"), frm=MSA, to=CPO))


def test_pushes_go_to_connected_parties_of_the_receiving_role(start_node) -> None:
    cpo = _cpo(start_node)
    with run_fake_hub() as hub:
        hub.register(cpo)
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[1]), 201, 1000)
        envelope(hub.client_info(cpo, MSB, "EMSP", "OFFLINE", T[1]), 201, 1000)
        envelope(hub.client_info(cpo, CPA, "CPO", "CONNECTED", T[1]), 201, 1000)
        msa = partner_row(cpo, "hub/DE*MSA")
        msb = partner_row(cpo, "hub/DE*MSB")
        assert msa is not None and msb is not None

        cpo.api_data("PUT", "/api/tariffs/T1", json=tariff("T1"))
        poll(lambda: hub.functional("tariffs"), what="the tariff push")
        time.sleep(0.5)  # anything else would have gone out by now
        pushes = hub.functional("tariffs")
        assert [(c.method, c.to(), c.frm()) for c in pushes] == [("PUT", MSA, CPO)]
        assert pushes[0].path == "/2.2.1/receiver/tariffs/NL/CPO/T1"
        assert outbox_rows(cpo, msb.id) == []  # OFFLINE: not even queued (221-H-2)

        # Queued for MSA while its endpoint fails; MSA goes OFFLINE before the retry:
        # the worker drops the row instead of delivering it.
        hub.down.add("/receiver/locations")
        cpo.api_data("PUT", "/api/locations/LOC1", json=location("LOC1"))
        poll(lambda: hub.functional("locations"), what="the failed location push")
        assert len(outbox_rows(cpo, msa.id)) == 1
        envelope(hub.client_info(cpo, MSA, "EMSP", "OFFLINE", T[2]), 200, 1000)
        hub.down.clear()
        poll(lambda: not outbox_rows(cpo, msa.id), timeout=15, what="the row dropped")
        assert len(hub.functional("locations")) == 1  # only the failed attempt

        # Back CONNECTED: new changes go out again.
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[3]), 200, 1000)
        cpo.api_data("PUT", "/api/tariffs/T2", json=tariff("T2"))
        poll(lambda: len(hub.functional("tariffs")) == 2, what="the second tariff push")
        assert hub.functional("tariffs")[-1].to() == MSA


def test_parties_follow_the_hub_connection(start_node) -> None:
    cpo = _cpo(start_node)
    with run_fake_hub() as hub:
        hub.register(cpo)
        envelope(hub.client_info(cpo, MSA, "EMSP", "CONNECTED", T[1]), 201, 1000)
        envelope(hub.client_info(cpo, MSB, "EMSP", "SUSPENDED", T[1]), 201, 1000)
        first = partner_row(cpo, "hub/DE*MSA")
        assert first is not None and first.token_out == hub.token_b

        hub.rotate(cpo, "fake-hub-token-b2")  # credentials PUT by the hub
        msa = partner_row(cpo, "hub/DE*MSA")
        assert msa is not None and msa.token_out == "fake-hub-token-b2"
        assert msa.token_in_hash is None  # only the hub's token authenticates

        envelope(hub.call(cpo, "DELETE", f"{V}/credentials"), 200, 1000)
        partners = _partners(cpo)
        assert {n: p["status"] for n, p in partners.items()} == {
            "hub": "unregistered",
            "hub/DE*MSA": "unregistered",
            "hub/DE*MSB": "unregistered",
        }
        msa = partner_row(cpo, "hub/DE*MSA")
        assert msa is not None and msa.token_out is None

        hub.register(cpo)  # the same connection again: the parties come back as they were
        statuses = {n: p["status"] for n, p in _partners(cpo).items()}
        assert statuses == {
            "hub": "registered",
            "hub/DE*MSA": "registered",
            "hub/DE*MSB": "suspended",
        }
        again = partner_row(cpo, "hub/DE*MSA")
        assert again is not None and again.id == first.id and again.token_out == hub.token_b


def test_emsp_node_behind_a_hub(start_node) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", versions=["2.2.1"])
    with run_fake_hub() as hub:
        hub.register(emsp)
        envelope(hub.client_info(emsp, CPA, "CPO", "CONNECTED", T[1]), 201, 1000)
        # The CPO behind the hub pushes a location: stored as CPA's.
        body = stamped(location("LOC1"), T[5], *CPA)
        resp = hub.call(emsp, "PUT", f"{V}/emsp/locations/DE/CPA/LOC1", frm=CPA, to=MSP, json=body)
        envelope(resp, 201, 1000)
        _routed(resp, MSP, CPA)
        cpa = partner_row(emsp, "hub/DE*CPA")
        assert cpa is not None and owner_of(emsp, "locations", "LOC1") == cpa.id

        # Our tokens go to the CPO behind the hub, addressed to it.
        emsp.api_data("POST", "/api/tokens", json={"uid": "UID1"})
        poll(lambda: hub.functional("tokens"), what="the token push")
        call = hub.functional("tokens")[0]
        assert call.method == "PUT" and call.path == "/2.2.1/receiver/tokens/NL/MSP/UID1"
        assert (call.to(), call.frm()) == (CPA, MSP)

        # Real-time authorization through the hub (answered by the fast path).
        path = f"{V}/emsp/tokens/UID1/authorize"
        resp = hub.call(emsp, "POST", path, frm=CPA, to=MSP)
        assert ok(resp)["allowed"] == "ALLOWED"
        _routed(resp, MSP, CPA)
        envelope(hub.client_info(emsp, CPA, "CPO", "SUSPENDED", T[2]), 200, 1000)
        resp = hub.call(emsp, "POST", path, frm=CPA, to=MSP)
        assert "SUSPENDED" in envelope(resp, 404, 2000)["status_message"]
