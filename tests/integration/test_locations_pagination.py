"""The CPO's Sender interfaces of Locations and Tariffs, through real HTTP on both
versions: pagination headers and Links (211-P-1..5, 221-P-1..3, 4.3), date filters
(from inclusive, to exclusive), query-parameter errors, authentication, GET object,
and parents' ``last_updated`` following their children (221-L-2, 211-P-5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from roamkit.protocol.pagination import MAX_PAGE_SIZE
from support import Node

from .helpers import b64, token_out
from .ocpi_data import (
    V211,
    V221,
    connector,
    envelope,
    evse,
    location,
    module_nodes,
    ok,
    register,
    stamped,
    tariff,
)

LIMIT = 4


@dataclass
class Net:
    """A CPO (both versions) with a 2.2.1 eMSP and a 2.1.1 eMSP registered."""

    cpo: Node
    tokens: dict[str, str]  # version → token the eMSP of that version uses on the CPO

    def get(
        self, version: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"/ocpi/{version}/cpo/{path}"
        return self.cpo.ocpi("GET", url, token=token or self.tokens[version], **kwargs)


def _net(start: Any, tag: str) -> Net:
    cpo = start(f"cpo{tag}", roles=["CPO"], party_id="CPO", country_code="NL")
    msp = start(f"msp{tag}", roles=["EMSP"], party_id="MSP", country_code="DE")
    old = start(f"old{tag}", roles=["EMSP"], party_id="OLD", country_code="FR", versions=[V211])
    register(cpo, msp, emsp_name="msp")
    register(cpo, old, emsp_name="old")
    assert cpo.api_data("GET", "/api/partners/old")["version"] == V211
    return Net(
        cpo, {V221: b64(token_out(msp, "cpo") or ""), V211: b64(token_out(old, "cpo") or "")}
    )


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """Shared by the tests that do not depend on the total number of objects."""
    with module_nodes(tmp_path_factory.mktemp("pagination")) as start:
        yield _net(start, "m")


def _ids(resp: httpx.Response) -> list[str]:
    return [obj["id"] for obj in ok(resp)]


def _crawl(net: Net, version: str, module: str, **params: Any) -> tuple[list[str], list[str]]:
    """Follow Links from the first page to the end: (ids in order, Link URLs)."""
    resp = net.get(version, module, params=params)
    ids, links = _ids(resp), []
    for _ in range(100):
        link = resp.links.get("next", {}).get("url")
        if not link:
            return ids, links
        links.append(link)
        resp = net.get(version, link)
        ids += _ids(resp)
    raise AssertionError("Link chain does not end")


def _put_location(cpo: Node, body: dict[str, Any], status: int | None = None) -> None:
    resp = cpo.api("PUT", f"/api/locations/{body['id']}", json=body)
    envelope(resp, status or resp.status_code, 1000)
    assert resp.status_code in (200, 201), resp.text


# --- list pagination -----------------------------------------------------------------


def test_page_boundaries_limit_minus_one_exact_plus_one(start_node: Any) -> None:
    """Datasets of L-1, L and L+1 locations at limit=L, both versions: Link only when
    more follow; a crawl yields every id once, in creation order."""
    net = _net(start_node, "")
    created: list[str] = []
    for n in (LIMIT - 1, LIMIT, LIMIT + 1):
        while len(created) < n:
            lid = f"LOC-{len(created):02d}"
            # Ids chosen so that id order and creation order differ.
            lid = f"{'ZYXWVUT'[len(created)]}-{lid}"
            _put_location(net.cpo, location(lid))
            created.append(lid)
        for version in (V221, V211):
            resp = net.get(version, "locations", params={"limit": LIMIT})
            envelope(resp, 200, 1000)
            assert resp.headers["X-Total-Count"] == str(n)
            assert resp.headers["X-Limit"] == str(LIMIT)
            assert _ids(resp) == created[:LIMIT]
            if n <= LIMIT:
                assert "link" not in resp.headers, (n, resp.headers.get("link"))
            else:
                link = resp.links["next"]["url"]
                query = parse_qs(urlsplit(link).query)
                assert query["offset"] == [str(LIMIT)] and query["limit"] == [str(LIMIT)]
                assert link.startswith(net.cpo.url + f"/ocpi/{version}/cpo/locations")
                last = net.get(version, link)
                assert _ids(last) == created[LIMIT:]
                assert last.headers["X-Total-Count"] == str(n)
                assert last.headers["X-Limit"] == str(LIMIT)
                assert "link" not in last.headers
    # Small pages over the whole set: no gaps, no duplicates, creation order.
    for version in (V221, V211):
        for size in (1, 2, 3):
            ids, links = _crawl(net, version, "locations", limit=size)
            assert ids == created, (version, size)
            assert len(links) == -(-len(created) // size) - 1


def test_limit_is_capped_and_default(net: Net) -> None:
    _put_location(net.cpo, location("CAP-1"))
    for version in (V221, V211):
        for limit in (MAX_PAGE_SIZE + 1, 50_000):
            resp = net.get(version, "locations", params={"limit": limit})
            envelope(resp, 200, 1000)
            assert resp.headers["X-Limit"] == str(MAX_PAGE_SIZE)
        assert net.get(version, "locations").headers["X-Limit"] == "100"
        capped = net.get(version, "locations", params={"limit": MAX_PAGE_SIZE})
        assert capped.headers["X-Limit"] == str(MAX_PAGE_SIZE)


def test_offset_past_the_end_and_expired_locations(net: Net) -> None:
    """An offset beyond the end gives an empty page without Link; a location whose
    EVSEs are all REMOVED is expired for 2.1.1 (211-L-1) but still listed in 2.2.1.
    (A date window keeps the counts independent of the other tests' locations.)"""
    when, window = (
        "2017-02-02T02:02:02Z",
        {"date_from": "2017-02-02T00:00:00Z", "date_to": "2017-02-03T00:00:00Z"},
    )
    _put_location(net.cpo, stamped(location("LIVE-1"), when))
    _put_location(
        net.cpo, stamped(location("GONE-1", evses=[evse("GONE-1-e1", status="REMOVED")]), when)
    )
    resp = net.get(V221, "locations", params={"offset": 5, "limit": 2, **window})
    assert ok(resp) == [] and resp.headers["X-Total-Count"] == "2"
    assert "link" not in resp.headers
    assert _ids(net.get(V221, "locations", params=window)) == ["LIVE-1", "GONE-1"]
    old = net.get(V211, "locations", params=window)
    assert _ids(old) == ["LIVE-1"] and old.headers["X-Total-Count"] == "1"
    envelope(net.get(V211, "locations/GONE-1"), 404, 2003)
    net.cpo.api_data(
        "POST", "/api/locations/LIVE-1/evses/LIVE-1-e1/status", json={"status": "REMOVED"}
    )
    everything = {v: _ids(net.get(v, "locations", params={"limit": 1000})) for v in (V221, V211)}
    assert "LIVE-1" in everything[V221] and "GONE-1" in everything[V221]
    assert "LIVE-1" not in everything[V211] and "GONE-1" not in everything[V211]


def test_date_filters_boundaries_and_link_keeps_them(net: Net) -> None:
    """date_from inclusive, date_to exclusive, exactly at the stored last_updated;
    the Link of a filtered page repeats both filters (both versions)."""
    times = [f"2019-03-0{d}T10:00:00Z" for d in (1, 2, 3, 4)]
    for i, when in enumerate(times):
        _put_location(net.cpo, stamped(location(f"DATE-{i}"), when))
    for version in (V221, V211):

        def ids(version: str = version, **params: Any) -> list[str]:
            return _ids(net.get(version, "locations", params=params))

        assert ids(date_from=times[1], date_to="2019-03-05T00:00:00Z") == [
            "DATE-1",
            "DATE-2",
            "DATE-3",
        ]
        assert ids(date_from="2019-01-01T00:00:00Z", date_to=times[2]) == ["DATE-0", "DATE-1"]
        assert ids(date_from=times[1], date_to=times[2]) == ["DATE-1"]
        assert ids(date_from=times[1], date_to=times[1]) == []
        # Offsets and fractional seconds are accepted and compare as instants.
        assert ids(date_from="2019-03-02T11:00:00+01:00", date_to="2019-03-02T10:00:00.001Z") == [
            "DATE-1"
        ]
        # A crawl over a window: the Link keeps date_from and date_to.
        resp = net.get(
            version, "locations", params={"date_from": times[0], "date_to": times[3], "limit": 1}
        )
        assert resp.headers["X-Total-Count"] == "3"
        query = parse_qs(urlsplit(resp.links["next"]["url"]).query)
        assert query["date_from"] == [times[0]] and query["date_to"] == [times[3]]
        got, links = _crawl(
            net, version, "locations", date_from=times[0], date_to=times[3], limit=1
        )
        assert got == ["DATE-0", "DATE-1", "DATE-2"]
        assert len(links) == 2
        for link in links:
            q = parse_qs(urlsplit(link).query)
            assert q["date_from"] == [times[0]] and q["date_to"] == [times[3]]
            assert q["limit"] == ["1"]


def test_version_shapes_in_list_and_object(net: Net) -> None:
    body = location("SHAPE-1", evses=[evse("SHAPE-1-e1", connectors=[connector("c1")])])
    _put_location(net.cpo, body)
    new = ok(net.get(V221, "locations/SHAPE-1"))
    assert new["country_code"] == "NL" and new["party_id"] == "CPO"
    assert new["publish"] is True and new["parking_type"] == "ON_STREET"
    assert new["evses"][0]["connectors"][0]["max_voltage"] == 230
    old = ok(net.get(V211, "locations/SHAPE-1"))
    assert "country_code" not in old and "party_id" not in old and "publish" not in old
    assert old["type"] == "ON_STREET" and "parking_type" not in old
    conn = old["evses"][0]["connectors"][0]
    assert conn["voltage"] == 230 and conn["amperage"] == 32 and "max_voltage" not in conn
    listed = {
        v: [o for o in ok(net.get(v, "locations", params={"limit": 1000})) if o["id"] == "SHAPE-1"]
        for v in (V221, V211)
    }
    assert listed[V221] == [new]
    assert listed[V211] == [old]


def test_get_object_each_level_and_unknown(net: Net) -> None:
    _put_location(
        net.cpo,
        location(
            "OBJ-1",
            evses=[
                evse("OBJ-1-e1", connectors=[connector("1"), connector("2", standard="CHADEMO")])
            ],
        ),
    )
    for version in (V221, V211):
        loc = ok(net.get(version, "locations/OBJ-1"))
        assert loc["id"] == "OBJ-1"
        ev = ok(net.get(version, "locations/OBJ-1/OBJ-1-e1"))
        assert ev["uid"] == "OBJ-1-e1" and len(ev["connectors"]) == 2
        conn = ok(net.get(version, "locations/OBJ-1/OBJ-1-e1/2"))
        assert conn["id"] == "2" and conn["standard"] == "CHADEMO"
        envelope(net.get(version, "locations/NOPE"), 404, 2003)
        envelope(net.get(version, "locations/NOPE/OBJ-1-e1"), 404, 2003)
        envelope(net.get(version, "locations/NOPE/OBJ-1-e1/1"), 404, 2003)
        for path in (
            "locations/OBJ-1/NOPE",
            "locations/OBJ-1/NOPE/1",
            "locations/OBJ-1/OBJ-1-e1/9",
        ):
            resp = net.get(version, path)
            code = resp.json().get("status_code")
            assert code in (2000, 2003), resp.text
            envelope(resp, 404, code)


@pytest.mark.parametrize("version", [V221, V211])
@pytest.mark.parametrize("module", ["locations", "tariffs"])
@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"offset": "-1"},
        {"limit": "-5"},
        {"offset": "1.5"},
        {"date_from": "garbage"},
        {"date_to": "2024-13-45T00:00:00Z"},
    ],
    ids=["limit-abc", "offset-neg", "limit-neg", "offset-float", "date_from", "date_to"],
)
def test_bad_query_parameters(net: Net, version: str, module: str, params: dict[str, str]) -> None:
    resp = net.get(version, module, params=params)
    body = envelope(resp, 400, 2001)
    assert next(iter(params)) in body["status_message"]


def test_token_a_and_unknown_tokens_are_refused(net: Net) -> None:
    invite = net.cpo.api_data("POST", "/api/partners/invite", json={"name": "later"})
    for version in (V221, V211):
        for module in ("locations", "tariffs", "locations/OBJ-1"):
            for token in (
                b64(invite["token"]),
                invite["token"],
                b64("no-such-token"),
                "no-such-token",
            ):
                envelope(net.get(version, module, token=token), 401, 2000)
            envelope(net.cpo.ocpi("GET", f"/ocpi/{version}/cpo/{module}"), 401, 2000)


def test_child_changes_bump_location_last_updated(net: Net) -> None:
    """An EVSE PUT, a connector PUT and a status change through the management API
    move the location's last_updated (and the EVSE's), so a date_from query finds
    the location on both versions (221-L-2, 211-P-5). One location per change."""
    old = "2018-06-01T00:00:00Z"
    for lid in ("BUMP-E", "BUMP-C", "BUMP-S"):
        _put_location(net.cpo, stamped(location(lid), old))

    def found_since(lid: str, since: str) -> dict[str, Any]:
        out = {}
        for version in (V221, V211):
            items = ok(net.get(version, "locations", params={"date_from": since, "limit": 1000}))
            out[version] = next((o for o in items if o["id"] == lid), None)
        return out

    since = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found_since("BUMP-E", "2018-06-02T00:00:00Z") == {V221: None, V211: None}

    net.cpo.api_data("PUT", "/api/locations/BUMP-E/evses/BUMP-E-e2", json=evse("BUMP-E-e2"))
    net.cpo.api_data(
        "PUT",
        "/api/locations/BUMP-C/evses/BUMP-C-e1/connectors/7",
        json=connector("7", standard="IEC_62196_T2_COMBO"),
    )
    net.cpo.api_data(
        "POST", "/api/locations/BUMP-S/evses/BUMP-S-e1/status", json={"status": "CHARGING"}
    )

    hit = found_since("BUMP-E", since)
    assert hit[V221] and hit[V211], "EVSE PUT did not move the location's last_updated"
    assert hit[V221]["last_updated"] >= since
    assert [e["uid"] for e in hit[V221]["evses"]] == ["BUMP-E-e1", "BUMP-E-e2"]

    hit = found_since("BUMP-C", since)
    assert hit[V221] and hit[V211], "connector PUT did not move the location's last_updated"
    (e1,) = hit[V221]["evses"]
    assert e1["last_updated"] >= since, "connector PUT did not move the EVSE's last_updated"
    assert [c["id"] for c in e1["connectors"]] == ["1", "7"]
    assert ok(net.get(V221, "locations/BUMP-C/BUMP-C-e1"))["last_updated"] >= since

    hit = found_since("BUMP-S", since)
    assert hit[V221] and hit[V211], "status change did not move the location's last_updated"
    (e1,) = hit[V221]["evses"]
    assert e1["status"] == "CHARGING" and e1["last_updated"] >= since
    assert hit[V211]["evses"][0]["status"] == "CHARGING"


# --- tariffs list --------------------------------------------------------------------


def test_tariffs_list(net: Net) -> None:
    """The only tariffs of the module's CPO."""
    times = ["2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", "2020-01-03T00:00:00Z"]
    for i, when in enumerate(times):
        net.cpo.api_data("PUT", f"/api/tariffs/T-{i}", json=tariff(f"T-{i}", last_updated=when))
    for version in (V221, V211):
        resp = net.get(version, "tariffs", params={"limit": 2})
        assert resp.headers["X-Total-Count"] == "3" and resp.headers["X-Limit"] == "2"
        assert resp.links["next"]
        ids, links = _crawl(net, version, "tariffs", limit=2)
        assert ids == ["T-0", "T-1", "T-2"] and len(links) == 1
        ids, links = _crawl(net, version, "tariffs", limit=3)
        assert ids == ["T-0", "T-1", "T-2"] and links == []
        ids, links = _crawl(net, version, "tariffs", date_from=times[1], date_to=times[2], limit=1)
        assert ids == ["T-1"] and links == []
        resp = net.get(version, "tariffs", params={"date_from": times[1], "limit": 1})
        assert resp.headers["X-Total-Count"] == "2"
        assert parse_qs(urlsplit(resp.links["next"]["url"]).query)["date_from"] == [times[1]]
        capped = net.get(version, "tariffs", params={"limit": 5000})
        assert capped.headers["X-Limit"] == str(MAX_PAGE_SIZE)
        first = ok(net.get(version, "tariffs"))[0]
        assert first["elements"][0]["price_components"][0]["price"] == 0.25
        if version == V221:
            assert first["country_code"] == "NL" and first["party_id"] == "CPO"
        else:
            assert "country_code" not in first and "party_id" not in first
    # A deleted tariff leaves the list.
    ok(net.cpo.api("DELETE", "/api/tariffs/T-1"))
    for version in (V221, V211):
        assert _ids(net.get(version, "tariffs")) == ["T-0", "T-2"]
