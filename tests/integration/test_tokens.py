"""Tokens and real-time authorization between a real eMSP node and a real CPO node,
over 2.1.1 and 2.2.1: the eMSP's sender (list, authorize, unknown token), push of
new and changed tokens to the CPO, the CPO's decision per whitelist type with the
eMSP up, slow and down, the cache and revocation, and party isolation."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .ocpi_data import envelope, ok, poll
from .tokens_support import Pair, add_token, authorize, cpo_copy, token_pair, wait_copy

VERSIONS = ["2.2.1", "2.1.1"]
WHITELISTS = ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]


def sender_url(pair: Pair) -> str:
    return pair.emsp.url + f"/ocpi/{pair.version}/emsp/tokens"


def post_authorize(pair: Pair, uid: str, body: Any = None, **params: str) -> Any:
    return pair.emsp.ocpi(
        "POST",
        f"{sender_url(pair)}/{uid}/authorize",
        token=pair.cpo_on_emsp,
        json=body,
        params=params,
    )


# --- eMSP side: sender interface ---------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_sender_list_and_authorize(tmp_path: Path, version: str) -> None:
    with token_pair(tmp_path, version) as pair:
        for i in range(5):
            add_token(pair.emsp, f"LIST{i}", whitelist="ALWAYS")
        add_token(
            pair.emsp,
            "RULED",
            whitelist="NEVER",
            allowed_locations=[
                {"location_id": "LOC1", "evse_uids": ["E1", "E2"]},
                {"location_id": "LOC2"},
            ],
        )
        add_token(pair.emsp, "OLD", expires_at="2020-01-01T00:00:00Z")
        add_token(pair.emsp, "POOR", no_credit=True)
        add_token(pair.emsp, "APP1", type="APP_USER", whitelist="NEVER")

        # GET list with the pagination contract; our rules never on the wire.
        resp = pair.emsp.ocpi("GET", sender_url(pair), token=pair.cpo_on_emsp, params={"limit": 3})
        page = ok(resp)
        assert len(page) == 3 and resp.headers["X-Total-Count"] == "9"
        assert resp.headers["X-Limit"] == "3" and "offset=3" in resp.headers["Link"]
        everything = ok(pair.emsp.ocpi("GET", sender_url(pair), token=pair.cpo_on_emsp))
        assert len(everything) == 9
        assert all("_roamkit" not in t and "allowed_locations" not in t for t in everything)
        app = next(t for t in everything if t["uid"] == "APP1")
        if version == "2.1.1":
            assert "auth_id" in app and "country_code" not in app and app["type"] == "OTHER"
        else:
            assert app["contract_id"] == "APP1" and app["type"] == "APP_USER"

        info = ok(post_authorize(pair, "LIST1"))
        assert info["allowed"] == "ALLOWED"
        if version == "2.2.1":
            assert info["token"]["uid"] == "LIST1" and len(info["authorization_reference"]) <= 36
            again = ok(post_authorize(pair, "LIST1"))
            assert again["authorization_reference"] != info["authorization_reference"]
        else:
            assert "token" not in info and "authorization_reference" not in info

        # Location rules: outside → NOT_ALLOWED; inside → only the allowed EVSEs.
        assert (
            ok(post_authorize(pair, "RULED", {"location_id": "LOC9"}))["allowed"] == "NOT_ALLOWED"
        )
        inside = ok(
            post_authorize(pair, "RULED", {"location_id": "LOC1", "evse_uids": ["E2", "E3"]})
        )
        assert inside["allowed"] == "ALLOWED"
        assert inside["location"] == {"location_id": "LOC1", "evse_uids": ["E2"]}
        assert (
            ok(post_authorize(pair, "RULED", {"location_id": "LOC1", "evse_uids": ["E3"]}))[
                "allowed"
            ]
            == "NOT_ALLOWED"
        )
        anywhere = ok(post_authorize(pair, "RULED", {"location_id": "LOC2", "evse_uids": ["X"]}))
        assert anywhere["location"] == {"location_id": "LOC2", "evse_uids": ["X"]}
        # Rules need a location: 2002 (2.2.1 SHALL, 2.1.1 SHOULD).
        envelope(post_authorize(pair, "RULED"), 200, 2002)

        assert ok(post_authorize(pair, "OLD"))["allowed"] == "EXPIRED"
        assert ok(post_authorize(pair, "POOR"))["allowed"] == "NO_CREDIT"
        pair.emsp.api_data("POST", "/api/tokens/LIST2/block")
        assert ok(post_authorize(pair, "LIST2"))["allowed"] == "BLOCKED"
        # APP_USER: by its type in 2.2.1; a 2.1.1 CPO knows it as OTHER.
        app_type = "OTHER" if version == "2.1.1" else "APP_USER"
        assert ok(post_authorize(pair, "APP1", type=app_type))["allowed"] == "ALLOWED"
        # Without type the spec's default is RFID: APP1 is not an RFID token.
        unknown_app = post_authorize(pair, "APP1")
        assert unknown_app.status_code == 404

        # Unknown token: 2.2.1 HTTP 404 + 2004 without data; 2.1.1 404 + 2000 (A-211-4).
        body = envelope(
            post_authorize(pair, "NOPE", {"location_id": "LOC1"}),
            404,
            2004 if version == "2.2.1" else 2000,
        )
        assert "data" not in body


# --- push to the CPO, receiver, and the CPO's decision per whitelist type ----------------


def expect(pair: Pair, uid: str, allowed: str, source: str, **req: Any) -> dict[str, Any]:
    decision = authorize(pair.cpo, uid, **req)
    assert (decision["allowed"], decision["source"]) == (allowed, source), decision
    return decision


@pytest.mark.parametrize("version", VERSIONS)
def test_whitelist_types_with_emsp_up_slow_and_down(tmp_path: Path, version: str) -> None:
    cpo_settings = {"authorize_timeout": 0.6, "token_cache_seconds": 0}
    with ExitStack() as stack:
        pair = stack.enter_context(token_pair(tmp_path, version, cpo_settings=cpo_settings))
        for wl in WHITELISTS:
            add_token(pair.emsp, f"WL-{wl}", whitelist=wl)
        add_token(
            pair.emsp, "NEVER-RULED", whitelist="NEVER", allowed_locations=[{"location_id": "LOC1"}]
        )
        for wl in WHITELISTS:
            copy = wait_copy(pair, f"WL-{wl}", lambda t: True)
            assert copy["whitelist"] == wl and copy["valid"] is True
            assert "_roamkit" not in copy
        # Pushes of different tokens run side by side: wait for this one too.
        wait_copy(pair, "NEVER-RULED", lambda t: True)

        # eMSP up.
        calls = pair.slowness.calls()
        expect(pair, "WL-ALWAYS", "ALLOWED", "local")
        expect(pair, "WL-ALLOWED", "ALLOWED", "local")
        assert pair.slowness.calls() == calls, "ALWAYS/ALLOWED must not ask the eMSP"
        offline = expect(pair, "WL-ALLOWED_OFFLINE", "ALLOWED", "realtime")
        never = expect(pair, "WL-NEVER", "ALLOWED", "realtime", location_id="LOC1", evse_uid="E1")
        assert pair.slowness.calls() == calls + 2
        if version == "2.2.1":
            assert offline["authorization_reference"] and never["authorization_reference"]
            assert never["location"] == {"location_id": "LOC1", "evse_uids": ["E1"]}
        else:
            assert offline["authorization_reference"] is None
        assert never["token"]["uid"] == "WL-NEVER" and never["partner"] == "msp"
        # The eMSP's real-time refusal wins.
        expect(pair, "NEVER-RULED", "NOT_ALLOWED", "realtime", location_id="LOC2")

        # eMSP slow (answers after the CPO's timeout).
        pair.slowness.delay = 2.0
        expect(pair, "WL-ALWAYS", "ALLOWED", "local")
        expect(pair, "WL-ALLOWED", "ALLOWED", "local")
        started = time.monotonic()
        expect(pair, "WL-ALLOWED_OFFLINE", "ALLOWED", "fallback")
        refused = expect(pair, "WL-NEVER", "NOT_ALLOWED", "fallback")
        assert time.monotonic() - started < 2 * 0.6 + 1.0, "the timeout was not applied"
        assert "did not answer" in refused["reason"]
        pair.slowness.delay = 0.0

        # eMSP down (stopped: connections refused).
        pair.emsp.stop()
        expect(pair, "WL-ALWAYS", "ALLOWED", "local")
        expect(pair, "WL-ALLOWED", "ALLOWED", "local")
        expect(pair, "WL-ALLOWED_OFFLINE", "ALLOWED", "fallback")
        expect(pair, "WL-NEVER", "NOT_ALLOWED", "fallback")


@pytest.mark.parametrize("version", VERSIONS)
def test_block_unblock_revoke_reach_the_cpo(tmp_path: Path, version: str) -> None:
    with token_pair(tmp_path, version) as pair:
        created = add_token(
            pair.emsp, "CARD1", whitelist="ALWAYS", allowed_locations=[{"location_id": "LOC1"}]
        )
        assert created["state"] == "active"
        assert created["rules"]["allowed_locations"] == [{"location_id": "LOC1"}]
        wait_copy(pair, "CARD1", lambda t: t["valid"])
        expect(pair, "CARD1", "ALLOWED", "local")

        blocked = pair.emsp.api_data("POST", "/api/tokens/CARD1/block")
        assert blocked["valid"] is False and blocked["state"] == "blocked"
        wait_copy(pair, "CARD1", lambda t: not t["valid"])
        expect(pair, "CARD1", "BLOCKED", "local")

        pair.emsp.api_data("POST", "/api/tokens/CARD1/unblock")
        wait_copy(pair, "CARD1", lambda t: t["valid"])
        expect(pair, "CARD1", "ALLOWED", "local")

        revoked = pair.emsp.api_data("POST", "/api/tokens/CARD1/revoke")
        assert revoked["state"] == "revoked"
        wait_copy(pair, "CARD1", lambda t: not t["valid"])
        expect(pair, "CARD1", "BLOCKED", "local")
        # Revoked is for good.
        resp = pair.emsp.api("POST", "/api/tokens/CARD1/unblock")
        assert resp.json()["status_code"] == 2001
        copy = cpo_copy(pair, "CARD1")
        assert copy is not None and copy["valid"] is False
        # What the CPO stored is the eMSP's token without its rules.
        assert set(copy) >= {"uid", "type", "issuer", "valid", "whitelist", "last_updated"}


@pytest.mark.parametrize("version", VERSIONS)
def test_cache_is_voided_by_a_change_from_the_emsp(tmp_path: Path, version: str) -> None:
    with token_pair(tmp_path, version, cpo_settings={"token_cache_seconds": 60}) as pair:
        add_token(pair.emsp, "CACHED", whitelist="ALLOWED_OFFLINE")
        add_token(pair.emsp, "NEVERC", whitelist="NEVER")
        wait_copy(pair, "CACHED", lambda t: True)
        wait_copy(pair, "NEVERC", lambda t: True)
        expect(pair, "CACHED", "ALLOWED", "realtime")
        calls = pair.slowness.calls()
        expect(pair, "CACHED", "ALLOWED", "cache")
        assert pair.slowness.calls() == calls
        # NEVER: every use is asked in real time, never cached.
        expect(pair, "NEVERC", "ALLOWED", "realtime")
        expect(pair, "NEVERC", "ALLOWED", "realtime")

        pair.emsp.api_data("POST", "/api/tokens/CACHED/block")
        wait_copy(pair, "CACHED", lambda t: not t["valid"])
        # The cached ALLOWED was for the token as it was: asked again, refused.
        expect(pair, "CACHED", "BLOCKED", "realtime")
        expect(pair, "CACHED", "BLOCKED", "cache")
        # 221-K-6: valid=false does not stop the real-time call; unblocked at the eMSP
        # (and the push not yet counted on), the eMSP's answer wins.
        pair.emsp.api_data("POST", "/api/tokens/CACHED/unblock")
        poll(
            lambda: authorize(pair.cpo, "CACHED")["allowed"] == "ALLOWED",
            what="ALLOWED after unblock",
        )


def test_revocation_racing_authorizations(tmp_path: Path) -> None:
    """Authorizations run without pause while the eMSP blocks the token: once the
    CPO holds the blocked copy, no authorization that starts afterwards allows it
    (not from the local copy, not from a cached real-time answer)."""
    with token_pair(tmp_path, cpo_settings={"token_cache_seconds": 60}) as pair:
        add_token(pair.emsp, "RACE-A", whitelist="ALWAYS")
        add_token(pair.emsp, "RACE-O", whitelist="ALLOWED_OFFLINE")
        wait_copy(pair, "RACE-A", lambda t: True)
        wait_copy(pair, "RACE-O", lambda t: True)
        expect(pair, "RACE-O", "ALLOWED", "realtime")
        expect(pair, "RACE-O", "ALLOWED", "cache")

        results: list[tuple[str, float, str, str]] = []
        stop = threading.Event()

        def hammer(uid: str) -> None:
            while not stop.is_set():
                started = time.monotonic()
                d = authorize(pair.cpo, uid)
                results.append((uid, started, d["allowed"], d["source"]))

        threads = [threading.Thread(target=hammer, args=(u,)) for u in ("RACE-A", "RACE-O")]
        for t in threads:
            t.start()
        time.sleep(0.3)
        pair.emsp.api_data("POST", "/api/tokens/RACE-A/block")
        pair.emsp.api_data("POST", "/api/tokens/RACE-O/block")
        poll(
            lambda: (
                not (cpo_copy(pair, "RACE-A") or {"valid": True})["valid"]
                and not (cpo_copy(pair, "RACE-O") or {"valid": True})["valid"]
            ),
            interval=0.01,
            what="both blocked copies at the CPO",
        )
        landed = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        after = [r for r in results if r[1] > landed]
        assert {r[0] for r in after} == {"RACE-A", "RACE-O"}
        assert all(r[2] == "BLOCKED" for r in after), [r for r in after if r[2] != "BLOCKED"]
        assert any(r[2] == "ALLOWED" for r in results if r[1] < landed)


# --- party isolation ---------------------------------------------------------------------


def test_a_token_of_one_emsp_cannot_be_changed_by_another(tmp_path: Path) -> None:
    with ExitStack() as stack:
        a = stack.enter_context(token_pair(tmp_path, emsp_party="AAA"))
        # A second eMSP (party BBB) registered with the same CPO.
        from support import run_node

        from .helpers import b64, token_out
        from .ocpi_data import register

        b_node = stack.enter_context(run_node(tmp_path, "emspbbb", roles=["EMSP"], party_id="BBB"))
        register(a.cpo, b_node, emsp_name="bbb")
        b_token = b64(token_out(b_node, "cpo") or "")
        base = a.cpo.url + "/ocpi/2.2.1/cpo/tokens"

        add_token(a.emsp, "SHARED", whitelist="ALWAYS")
        wait_copy(a, "SHARED", lambda t: True)

        def token(party: str, valid: bool = True) -> dict[str, Any]:
            return {
                "country_code": "NL",
                "party_id": party,
                "uid": "SHARED",
                "type": "RFID",
                "contract_id": f"NL-{party}-1",
                "issuer": party,
                "valid": valid,
                "whitelist": "ALWAYS",
                "last_updated": "2030-01-01T00:00:00Z",
            }

        # B may not read, replace or patch A's token under A's party.
        assert a.cpo.ocpi("GET", f"{base}/NL/AAA/SHARED", token=b_token).status_code == 404
        resp = a.cpo.ocpi(
            "PUT", f"{base}/NL/AAA/SHARED", token=b_token, json=token("AAA", valid=False)
        )
        assert resp.status_code == 404
        resp = a.cpo.ocpi(
            "PATCH",
            f"{base}/NL/AAA/SHARED",
            token=b_token,
            json={"valid": False, "last_updated": "2030-01-01T00:00:00Z"},
        )
        assert resp.status_code == 404
        # Nor by naming its own party in the URL with A's party in the body.
        envelope(
            a.cpo.ocpi(
                "PUT", f"{base}/NL/BBB/SHARED", token=b_token, json=token("AAA", valid=False)
            ),
            200,
            2001,
        )
        # Its own token with the same uid is a different token.
        assert (
            a.cpo.ocpi(
                "PUT", f"{base}/NL/BBB/SHARED", token=b_token, json=token("BBB", valid=False)
            ).status_code
            == 201
        )
        # PATCH of an unknown token of B's.
        envelope(
            a.cpo.ocpi(
                "PATCH",
                f"{base}/NL/BBB/OTHER",
                token=b_token,
                json={"valid": False, "last_updated": "2030-01-01T00:00:00Z"},
            ),
            404,
            2004,
        )

        copy = cpo_copy(a, "SHARED")
        assert copy is not None and copy["valid"] is True and copy["party_id"] == "AAA"
        expect(a, "SHARED", "ALLOWED", "local", country_code="NL", party_id="AAA")
        expect(a, "SHARED", "BLOCKED", "local", country_code="NL", party_id="BBB")


def test_receiver_rules(tmp_path: Path) -> None:
    """2.2.1 receiver: ?type= names the token, PATCH needs last_updated, a stale write
    changes nothing, and identity fields do not move."""
    with token_pair(tmp_path) as pair:
        base = pair.cpo.url + "/ocpi/2.2.1/cpo/tokens/NL/MSP"
        tok = {
            "country_code": "NL",
            "party_id": "MSP",
            "uid": "T1",
            "type": "APP_USER",
            "contract_id": "NL-MSP-T1",
            "issuer": "x",
            "valid": True,
            "whitelist": "NEVER",
            "last_updated": "2030-01-01T00:00:10Z",
        }
        t = pair.emsp_on_cpo
        assert (
            pair.cpo.ocpi("PUT", f"{base}/T1?type=APP_USER", token=t, json=tok).status_code == 201
        )
        envelope(pair.cpo.ocpi("PUT", f"{base}/T1?type=RFID", token=t, json=tok), 200, 2001)
        envelope(pair.cpo.ocpi("PUT", f"{base}/T2?type=APP_USER", token=t, json=tok), 200, 2001)
        assert pair.cpo.ocpi("GET", f"{base}/T1", token=t).status_code == 404  # RFID default
        assert ok(pair.cpo.ocpi("GET", f"{base}/t1?type=APP_USER", token=t))["uid"] == "T1"
        envelope(
            pair.cpo.ocpi("PATCH", f"{base}/T1?type=APP_USER", token=t, json={"valid": False}),
            200,
            2001,
        )
        stale = {"valid": False, "last_updated": "2030-01-01T00:00:05Z"}
        ok(pair.cpo.ocpi("PATCH", f"{base}/T1?type=APP_USER", token=t, json=stale))
        assert ok(pair.cpo.ocpi("GET", f"{base}/T1?type=APP_USER", token=t))["valid"] is True
        fresh = {"valid": False, "last_updated": "2030-01-01T00:00:20Z"}
        ok(pair.cpo.ocpi("PATCH", f"{base}/T1?type=APP_USER", token=t, json=fresh))
        stored = ok(pair.cpo.ocpi("GET", f"{base}/T1?type=APP_USER", token=t))
        assert stored["valid"] is False and stored["last_updated"] == "2030-01-01T00:00:20Z"
        envelope(
            pair.cpo.ocpi(
                "PATCH",
                f"{base}/T1?type=APP_USER",
                token=t,
                json={"party_id": "XXX", "last_updated": "2030-01-01T00:00:30Z"},
            ),
            200,
            2001,
        )


# --- unknown tokens at the CPO --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_token_at_the_cpo(tmp_path: Path, version: str) -> None:
    with token_pair(tmp_path, version) as pair:
        add_token(pair.emsp, "NOTPUSHED", whitelist="NEVER")
        wait_copy(pair, "NOTPUSHED", lambda t: True)
        d = expect(pair, "GHOST", "NOT_ALLOWED", "unknown")
        assert d["token"] is None
        calls = pair.slowness.calls()
        # Naming the eMSP party: asked in real time; the eMSP does not know it either.
        d = expect(pair, "GHOST", "NOT_ALLOWED", "realtime", country_code="NL", party_id="MSP")
        assert pair.slowness.calls() == calls + 1 and d["partner"] == "msp"
        # A party nobody speaks for.
        expect(pair, "GHOST", "NOT_ALLOWED", "unknown", country_code="NL", party_id="ZZZ")
