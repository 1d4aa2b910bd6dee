"""The eMSP's Locations Receiver interface, pushed to by real CPO partners over real
HTTP, on both versions: PUT/PATCH/GET at location, EVSE and connector level
(221-W-*, 211-W-*, 221-L-1/2, 211-L-1/4), stale writes, id and party checks, and
party isolation on every receiver route (4.3: client-owned objects)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from .ocpi_data import (
    V211,
    V221,
    Pusher,
    World,
    envelope,
    location,
    module_nodes,
    ok,
    receiver_world,
    stamped,
)

T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-01T11:00:00Z"
T2 = "2024-05-01T12:00:00Z"
T3 = "2024-05-01T13:00:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with module_nodes(tmp_path_factory.mktemp("receiver")) as start:
        yield receiver_world(start)


BOTH = pytest.mark.parametrize("version", [V221, V211])


# --- PUT / GET at every level ---------------------------------------------------------


@BOTH
def test_put_creates_then_updates_each_level(world: World, version: str) -> None:
    p = world.by_version(version)
    lid = f"PUT-{version}"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    envelope(p.call("PUT", lid, body=p.location(lid, T1, name="Renamed")), 200, 1000)
    got = ok(p.call("GET", lid))
    assert got["id"] == lid and got["name"] == "Renamed" and got["last_updated"] == T1
    if version == V211:
        assert got["type"] == "ON_STREET" and "country_code" not in got
    else:
        assert (got["country_code"], got["party_id"], got["publish"]) == ("NL", "CPO", True)

    uid = f"{lid}-e2"
    envelope(p.call("PUT", lid, uid, body=p.evse(uid, T1)), 201, 1000)
    envelope(p.call("PUT", lid, uid, body=p.evse(uid, T2, status="BLOCKED")), 200, 1000)
    got_evse = ok(p.call("GET", lid, uid))
    assert got_evse["uid"] == uid and got_evse["status"] == "BLOCKED"
    assert got_evse["last_updated"] == T2

    envelope(p.call("PUT", lid, uid, "2", body=p.connector("2", T2)), 201, 1000)
    envelope(p.call("PUT", lid, uid, "2", body=p.connector("2", T3, format="SOCKET")), 200, 1000)
    got_conn = ok(p.call("GET", lid, uid, "2"))
    assert got_conn["id"] == "2" and got_conn["format"] == "SOCKET"
    assert got_conn["last_updated"] == T3

    whole = ok(p.call("GET", lid))
    assert [e["uid"] for e in whole["evses"]] == [f"{lid}-e1", uid]
    assert [c["id"] for c in whole["evses"][1]["connectors"]] == ["1", "2"]
    # A connector change moves the EVSE's and the location's last_updated (221-L-2).
    assert whole["evses"][1]["last_updated"] == T3
    assert whole["last_updated"] == T3
    envelope(p.call("GET", lid, "NOPE"), 404, 2000)
    envelope(p.call("GET", lid, uid, "9"), 404, 2000)
    envelope(p.call("GET", "NO-SUCH-LOC"), 404, 2003)


@BOTH
def test_patch_each_level(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"PATCH-{version}", f"PATCH-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)

    ok(p.call("PATCH", lid, body={"name": "Patched", "last_updated": T1}))
    got = ok(p.call("GET", lid))
    assert got["name"] == "Patched" and got["address"] == "Stationsplein 1"
    assert got["last_updated"] == T1

    ok(p.call("PATCH", lid, uid, body={"status": "CHARGING", "last_updated": T2}))
    got_evse = ok(p.call("GET", lid, uid))
    assert got_evse["status"] == "CHARGING" and got_evse["last_updated"] == T2
    assert got_evse["connectors"][0]["id"] == "1"
    assert ok(p.call("GET", lid))["last_updated"] == T2

    amp = "amperage" if version == V211 else "max_amperage"
    ok(p.call("PATCH", lid, uid, "1", body={amp: 10, "last_updated": T3}))
    got_conn = ok(p.call("GET", lid, uid, "1"))
    assert got_conn[amp] == 10 and got_conn["standard"] == "IEC_62196_T2"
    assert got_conn["last_updated"] == T3
    assert ok(p.call("GET", lid, uid))["last_updated"] == T3
    assert ok(p.call("GET", lid))["last_updated"] == T3

    # PATCH of something unknown.
    envelope(p.call("PATCH", "NO-SUCH-LOC", body={"name": "x", "last_updated": T3}), 404, 2003)
    envelope(
        p.call("PATCH", lid, "NOPE", body={"status": "BLOCKED", "last_updated": T3}), 404, 2000
    )


def test_patch_without_last_updated(world: World) -> None:
    """2.2.1: every PATCH SHALL carry last_updated → 2001 (HTTP 200), nothing changes
    (221-W-3). 2.1.1 does not require it: accepted (211-W-2)."""
    p = world.a
    lid, uid = "NOLU-221", "NOLU-221-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    for parts, body in (
        ((lid,), {"name": "X"}),
        ((lid, uid), {"status": "BLOCKED"}),
        ((lid, uid, "1"), {"max_amperage": 1}),
    ):
        resp = p.call("PATCH", *parts, body=body)
        assert "last_updated" in envelope(resp, 200, 2001)["status_message"]
    got = ok(p.call("GET", lid))
    assert got["name"] == f"Location {lid}" and got["last_updated"] == T0
    assert got["evses"][0]["status"] == "AVAILABLE"
    assert got["evses"][0]["connectors"][0]["max_amperage"] == 32

    p = world.old
    lid, uid = "NOLU-211", "NOLU-211-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    ok(p.call("PATCH", lid, body={"name": "X"}))
    ok(p.call("PATCH", lid, uid, body={"status": "BLOCKED"}))
    ok(p.call("PATCH", lid, uid, "1", body={"amperage": 8}))
    got = ok(p.call("GET", lid))
    assert got["name"] == "X" and got["evses"][0]["status"] == "BLOCKED"
    assert got["evses"][0]["connectors"][0]["amperage"] == 8
    assert got["last_updated"] > T0  # stamped at reception


@BOTH
def test_children_of_unknown_location_are_refused(world: World, version: str) -> None:
    p = world.by_version(version)
    envelope(p.call("PUT", "GHOST", "GHOST-e1", body=p.evse("GHOST-e1", T0)), 404, 2003)
    envelope(p.call("PUT", "GHOST", "GHOST-e1", "1", body=p.connector("1", T0)), 404, 2003)
    envelope(p.call("GET", "GHOST"), 404, 2003)
    # A connector into an unknown EVSE of a known location.
    lid = f"HALF-{version}"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    envelope(p.call("PUT", lid, "NOPE", "1", body=p.connector("1", T1)), 404, 2000)
    assert [e["uid"] for e in ok(p.call("GET", lid))["evses"]] == [f"{lid}-e1"]


@BOTH
def test_older_write_does_not_overwrite_newer(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"STALE-{version}", f"STALE-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T2, name="Newer")), 201, 1000)
    resp = p.call("PUT", lid, body=p.location(lid, T1, name="Older"))
    envelope(resp, 200, 1000)
    got = ok(p.call("GET", lid))
    assert got["name"] == "Newer" and got["last_updated"] == T2

    ok(p.call("PUT", lid, uid, body=p.evse(uid, T3, status="CHARGING")))
    ok(p.call("PUT", lid, uid, body=p.evse(uid, T1, status="OUTOFORDER")))
    ok(p.call("PATCH", lid, uid, body={"status": "BLOCKED", "last_updated": T2}))
    assert ok(p.call("GET", lid, uid))["status"] == "CHARGING"

    ok(p.call("PUT", lid, uid, "1", body=p.connector("1", T3, format="SOCKET")))
    ok(p.call("PUT", lid, uid, "1", body=p.connector("1", T2, format="CABLE")))
    ok(p.call("PATCH", lid, uid, "1", body={"format": "CABLE", "last_updated": T1}))
    assert ok(p.call("GET", lid, uid, "1"))["format"] == "SOCKET"
    final = ok(p.call("GET", lid))
    assert final["name"] == "Newer" and final["last_updated"] == T3


@BOTH
def test_id_mismatch_is_2001(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"IDS-{version}", f"IDS-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    envelope(p.call("PUT", "OTHER-ID", body=p.location(lid, T1)), 200, 2001)
    envelope(p.call("PUT", lid, "OTHER-UID", body=p.evse(uid, T1)), 200, 2001)
    envelope(p.call("PUT", lid, uid, "9", body=p.connector("1", T1)), 200, 2001)
    envelope(p.call("PUT", "OTHER-T", module="tariffs", body=p.tariff("T-1", T1)), 200, 2001)
    envelope(p.call("GET", "OTHER-ID"), 404, 2003)
    assert ok(p.call("GET", lid))["last_updated"] == T0


def test_party_in_body_differs_from_url_is_2001(world: World) -> None:
    """2.2.1 #mod_locations_request_parameters_msp: the URL's country_code/party_id
    SHALL equal the object's (221-L-7); same for tariffs."""
    p = world.a
    for cc, pid in (("NL", "XXX"), ("BE", "CPO")):
        body = stamped(location("PARTY-1"), T0, cc, pid)
        envelope(p.call("PUT", "PARTY-1", body=body), 200, 2001)
        t = dict(p.tariff("PARTY-T", T0), country_code=cc, party_id=pid)
        envelope(p.call("PUT", "PARTY-T", module="tariffs", body=t), 200, 2001)
    envelope(p.call("GET", "PARTY-1"), 404, 2003)
    envelope(p.call("GET", "PARTY-T", module="tariffs"), 404, 2000)
    # Case differences are not a mismatch (CiString).
    envelope(
        p.call("PUT", "PARTY-2", body=stamped(location("PARTY-2"), T0, "nl", "cpo")), 201, 1000
    )


# Regression (bug at f1f7145): receiver.do_patch applies country_code/party_id from a
# 2.2.1 Location PATCH body (service.patch pops only 'id'): the stored location then
# names another party than the URL and the partner's credentials
def test_patch_cannot_move_location_to_another_party(world: World) -> None:
    p = world.a
    envelope(p.call("PUT", "MOVE-1", body=p.location("MOVE-1", T0)), 201, 1000)
    resp = p.call(
        "PATCH", "MOVE-1", body={"party_id": "XXX", "country_code": "BE", "last_updated": T1}
    )
    got = ok(p.call("GET", "MOVE-1"))
    assert (got["country_code"], got["party_id"]) == ("NL", "CPO"), (resp.json(), got)


@BOTH
def test_malformed_and_schema_invalid_bodies(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"BAD-{version}", f"BAD-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    headers = {"Content-Type": "application/json"}
    for parts in ((lid,), (lid, uid), (lid, uid, "1")):
        for method in ("PUT", "PATCH"):
            envelope(p.call(method, *parts, content=b'{"id": ', headers=headers), 400, 2001)
    envelope(p.call("PUT", "BAD-T", module="tariffs", content=b"[", headers=headers), 400, 2001)

    no_address = p.location(lid, T1)
    del no_address["address"]
    body = envelope(p.call("PUT", lid, body=no_address), 200, 2001)
    assert "address" in body["status_message"]
    envelope(p.call("PUT", lid, uid, body=p.evse(uid, T1, status="EXPLODED")), 200, 2001)
    envelope(p.call("PUT", lid, uid, body=p.evse(uid, T1, connectors=[])), 200, 2001)
    bad_conn = p.connector("1", T1)
    bad_conn["format"] = 42
    envelope(p.call("PUT", lid, uid, "1", body=bad_conn), 200, 2001)
    envelope(p.call("PATCH", lid, uid, body={"status": "NOPE", "last_updated": T1}), 200, 2001)
    envelope(p.call("PATCH", lid, body=["not", "an", "object"]), 200, 2001)
    envelope(p.call("PUT", lid, body=[1, 2]), 200, 2001)
    bad_tariff = p.tariff("BAD-T", T1)
    bad_tariff["elements"] = []
    envelope(p.call("PUT", "BAD-T", module="tariffs", body=bad_tariff), 200, 2001)
    # Nothing changed.
    got = ok(p.call("GET", lid))
    assert got["last_updated"] == T0 and got["evses"][0]["status"] == "AVAILABLE"


@BOTH
def test_evse_removed_by_patch_is_stored_and_visible(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"REM-{version}", f"REM-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    envelope(p.call("PUT", lid, f"{lid}-e2", body=p.evse(f"{lid}-e2", T0)), 201, 1000)
    ok(p.call("PATCH", lid, uid, body={"status": "REMOVED", "last_updated": T1}))
    assert ok(p.call("GET", lid, uid))["status"] == "REMOVED"
    got = ok(p.call("GET", lid))
    assert {e["uid"]: e["status"] for e in got["evses"]} == {
        uid: "REMOVED",
        f"{lid}-e2": "AVAILABLE",
    }
    assert got["last_updated"] == T1
    # Also with a PUT of the whole EVSE (221-L-1).
    ok(p.call("PUT", lid, f"{lid}-e2", body=p.evse(f"{lid}-e2", T2, status="REMOVED")))
    got = ok(p.call("GET", lid))
    assert [e["status"] for e in got["evses"]] == ["REMOVED", "REMOVED"]


@BOTH
def test_connector_patch_updates_parents(world: World, version: str) -> None:
    p = world.by_version(version)
    lid, uid = f"PAR-{version}", f"PAR-{version}-e1"
    envelope(p.call("PUT", lid, body=p.location(lid, T0)), 201, 1000)
    ok(p.call("PATCH", lid, uid, "1", body={"format": "SOCKET", "last_updated": T2}))
    got = ok(p.call("GET", lid))
    assert got["evses"][0]["connectors"][0]["format"] == "SOCKET"
    assert got["evses"][0]["last_updated"] == T2 and got["last_updated"] == T2


# --- party isolation -----------------------------------------------------------------


def _owned_by_a(world: World) -> None:
    a = world.a
    envelope(a.call("PUT", "ISO-1", body=a.location("ISO-1", T0)), 201, 1000)
    envelope(a.call("PUT", "ISO-T", module="tariffs", body=a.tariff("ISO-T", T0)), 201, 1000)
    o = world.old
    envelope(o.call("PUT", "ISO-2", body=o.location("ISO-2", T0)), 201, 1000)
    envelope(o.call("PUT", "ISO-T2", module="tariffs", body=o.tariff("ISO-T2", T0)), 201, 1000)


def test_party_isolation_every_route(world: World) -> None:
    """Another registered CPO (BE*BBB), with its own valid token, on NL*CPO's and
    FR*OLD's URLs: 404 on every method and level, and nothing changes."""
    _owned_by_a(world)
    intruders = [
        # (pusher whose token is used, victim party, version, location, tariff)
        (world.b, world.a, V221, "ISO-1", "ISO-T"),
        (world.b, world.old, V211, "ISO-2", "ISO-T2"),
        (world.old, world.a, V221, "ISO-1", "ISO-T"),
        (world.old, world.a, V211, "ISO-1", "ISO-T"),
    ]
    for intruder, victim, version, lid, tid in intruders:

        def call(
            method: str,
            *parts: str,
            body: Any = None,
            module: str = "locations",
            intruder: Pusher = intruder,
            victim: Pusher = victim,
            version: str = version,
        ) -> httpx.Response:
            url = f"/ocpi/{version}/emsp/{module}/{victim.cc}/{victim.pid}/" + "/".join(parts)
            return world.emsp.ocpi(
                method, url, token=intruder.token, **({"json": body} if body is not None else {})
            )

        builder = victim if version == victim.version else world.by_version(version)
        uid = f"{lid}-e1"
        levels = [
            ((lid,), builder.location(lid, T3, name="Hijacked"), {"name": "Hijacked"}),
            ((lid, uid), builder.evse(uid, T3, status="OUTOFORDER"), {"status": "OUTOFORDER"}),
            ((lid, uid, "1"), builder.connector("1", T3, format="SOCKET"), {"format": "SOCKET"}),
        ]
        if version == V221:
            levels[0][1].update(country_code=victim.cc, party_id=victim.pid)
        for parts, put_body, patch_body in levels:
            tag = f"{intruder.pid}->{victim.pid} {version} {parts}"
            assert call("GET", *parts).status_code == 404, tag
            envelope(call("GET", *parts), 404, 2000)
            envelope(call("PUT", *parts, body=put_body), 404, 2000)
            envelope(call("PATCH", *parts, body={**patch_body, "last_updated": T3}), 404, 2000)
        tariff_body = builder.tariff(tid, T3, price=9.99)
        if version == V221:
            tariff_body.update(country_code=victim.cc, party_id=victim.pid)
        envelope(call("GET", tid, module="tariffs"), 404, 2000)
        envelope(call("PUT", tid, module="tariffs", body=tariff_body), 404, 2000)
        envelope(call("DELETE", tid, module="tariffs"), 404, 2000)
        if version == V211:
            envelope(call("PATCH", tid, module="tariffs", body={"currency": "USD"}), 404, 2000)
    # The owners still see their untouched objects.
    for owner, lid, tid in ((world.a, "ISO-1", "ISO-T"), (world.old, "ISO-2", "ISO-T2")):
        got = ok(owner.call("GET", lid))
        assert got["name"] == f"Location {lid}" and got["last_updated"] == T0
        assert got["evses"][0]["status"] == "AVAILABLE"
        assert got["evses"][0]["connectors"][0]["format"] == owner.connector("1", T0)["format"]
        t = ok(owner.call("GET", tid, module="tariffs"))
        assert t["currency"] == "EUR" and t["elements"][0]["price_components"][0]["price"] == 0.25


def test_partner_cannot_read_or_shadow_another_partners_objects(world: World) -> None:
    """Objects are stored per partner: B addressing A's ids under its own party sees
    nothing, and B's object with the same id does not touch A's."""
    a, b = world.a, world.b
    envelope(a.call("PUT", "SHARED-ID", body=a.location("SHARED-ID", T0)), 201, 1000)
    envelope(a.call("PUT", "SHARED-T", module="tariffs", body=a.tariff("SHARED-T", T0)), 201, 1000)
    envelope(b.call("GET", "SHARED-ID"), 404, 2003)
    envelope(b.call("GET", "SHARED-ID", "SHARED-ID-e1"), 404, 2003)
    envelope(b.call("GET", "SHARED-T", module="tariffs"), 404, 2000)
    envelope(b.call("PUT", "SHARED-ID", "SHARED-ID-e1", body=b.evse("SHARED-ID-e1", T1)), 404, 2003)
    envelope(b.call("PATCH", "SHARED-ID", body={"name": "B", "last_updated": T1}), 404, 2003)
    envelope(b.call("DELETE", "SHARED-T", module="tariffs"), 404, 2000)
    envelope(b.call("PUT", "SHARED-ID", body=b.location("SHARED-ID", T1, name="B's")), 201, 1000)
    assert ok(b.call("GET", "SHARED-ID"))["name"] == "B's"
    got = ok(a.call("GET", "SHARED-ID"))
    assert got["name"] == "Location SHARED-ID" and got["party_id"] == "CPO"
    assert ok(a.call("GET", "SHARED-T", module="tariffs"))["id"] == "SHARED-T"


def test_receiver_needs_a_registered_partner_token(world: World) -> None:
    invite = world.emsp.api_data("POST", "/api/partners/invite", json={"name": "later"})
    for version in (V221, V211):
        for token in (invite["token"], "unknown-token", None):
            for module in ("locations", "tariffs"):
                url = f"/ocpi/{version}/emsp/{module}/NL/CPO/X"
                envelope(world.emsp.ocpi("GET", url, token=token), 401, 2000)
                envelope(world.emsp.ocpi("PUT", url, token=token, json={}), 401, 2000)


# Regression (bug at f1f7145): SQLite: concurrent writes into one location lose updates.
# service.put_evse/patch read-modify-write the location document;
# objects.get(for_update=True) is a no-op on SQLite and pysqlite opens the transaction
# only at the first write, so each request overwrites the others' EVSEs (every PUT still
# answers 201)
def test_concurrent_evse_puts_into_one_location_are_all_kept(world: World) -> None:
    p = world.a
    envelope(p.call("PUT", "CONC-1", body=p.location("CONC-1", T0)), 201, 1000)
    uids = [f"CONC-1-u{i:02d}" for i in range(12)]

    def put(uid: str) -> int:
        with httpx.Client(timeout=30) as client:
            resp = client.put(
                world.emsp.url + p.url("CONC-1", uid),
                json=p.evse(uid, T1),
                headers={"Authorization": f"Token {p.token}"},
            )
            return resp.status_code

    with ThreadPoolExecutor(len(uids)) as pool:
        assert list(pool.map(put, uids)) == [201] * len(uids)
    got = ok(p.call("GET", "CONC-1"))
    assert sorted(e["uid"] for e in got["evses"]) == sorted(["CONC-1-e1", *uids])
