"""Pull sync (``roamkit sync pull``, ``POST /api/sync/{partner}/{module}``) against real
roamkit CPOs and against fake CPOs that misbehave: page boundaries at limit and
limit ± 1, incremental ``date_from``, quarantine of bad objects, data moving while
the eMSP pages, unusable Links, removal after a full pull, and the CLI contract."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from typer.testing import CliRunner

from roamkit.cli import app as cli_app
from roamkit.protocol.timeutil import format_datetime, parse_datetime, utcnow
from roamkit.store.db import Database
from roamkit.store.tables import Partner, StoredObject, SyncState
from support import ADMIN_TOKEN, Node, free_socket

from .ocpi_data import V211, location, register, stamped, tariff

OLD = "2024-01-01T00:00:00Z"
SUMMARY_KEYS = {
    "partner",
    "module",
    "full",
    "received",
    "stored",
    "unchanged",
    "quarantined",
    "removed",
    "pages",
    "duration_s",
}


# --- helpers ---------------------------------------------------------------------------


def _old(i: int) -> str:
    """Distinct timestamps well before any sync."""
    return f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z"


def pair(
    start_node: Callable[..., Node],
    before: Callable[[Node], None] | None = None,
    **cpo_settings: Any,
) -> tuple[Node, Node]:
    """A CPO and an eMSP that registered with it (the eMSP calls it ``cpo``).

    The CPO pushes every change of its own data to registered eMSPs; ``before`` creates
    data before the registration, so only the pull can bring it to the eMSP."""
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO", country_code="NL", **cpo_settings)
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", country_code="DE")
    if before is not None:
        before(cpo)
    register(cpo, emsp, emsp_name="msp")
    return cpo, emsp


def put_locations(cpo: Node, ids: list[str], when: Callable[[int], str] | None = _old) -> None:
    for i, lid in enumerate(ids):
        body = stamped(location(lid), when(i)) if when else location(lid)
        cpo.api_data("PUT", f"/api/locations/{lid}", json=body)


def sync(node: Node, module: str = "locations", partner: str = "cpo", **params: Any) -> dict:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    summary = node.api_data("POST", f"/api/sync/{partner}/{module}", params=query)
    assert set(summary) >= SUMMARY_KEYS, summary
    assert (
        summary["received"] == summary["stored"] + summary["unchanged"] + summary["quarantined"]
    ), summary
    return summary


def _run(coro_fn: Callable[[Database], Any], node: Node) -> Any:
    async def go() -> Any:
        db = Database(node.settings.database_url)
        try:
            async with db.session() as session:
                return await coro_fn(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def stored(node: Node, module: str = "locations", partner: str = "cpo") -> dict[tuple, dict]:
    """What ``node`` holds of ``partner``'s objects: key → canonical document."""

    async def read(session: Any) -> dict[tuple, dict]:
        owner = await session.scalar(select(Partner.id).where(Partner.name == partner))
        rows = await session.scalars(
            select(StoredObject).where(
                StoredObject.module == module, StoredObject.owner_id == owner
            )
        )
        return {(r.country_code, r.party_id, r.object_id): r.data for r in rows}

    return _run(read, node)


def sync_state(node: Node, module: str = "locations") -> SyncState | None:
    async def read(session: Any) -> SyncState | None:
        return await session.scalar(select(SyncState).where(SyncState.module == module))

    return _run(read, node)


# --- a fake CPO -----------------------------------------------------------------------


@dataclass
class FakeCpo:
    """A 2.2.1 CPO on loopback whose locations list the test controls: ``objects``
    (creation order), how it writes Links, a hook before each page, failures."""

    base: str = ""
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    link_mode: str = "ok"
    before_page: Callable[[FakeCpo, int], None] | None = None
    fail_pages: set[int] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    default_limit: int = 3
    emsp_token: str = ""
    """The token the eMSP gave us when it registered (to push to its receiver)."""

    @property
    def versions_url(self) -> str:
        return f"{self.base}/versions"

    def add(self, lid: str, when: str, **extra: Any) -> None:
        self.objects[lid] = stamped(location(lid, **extra), when, "NL", "FAK")

    def touch(self, lid: str) -> None:
        """Update an object now (its place in the creation order stays)."""
        now = format_datetime(utcnow())
        self.objects[lid] = stamped(dict(self.objects[lid], name=f"changed {now}"), now)

    def page(self, request: Request) -> JSONResponse:
        q = dict(request.query_params)
        index = len(self.requests)
        self.requests.append(q)
        if self.before_page is not None:
            self.before_page(self, index)
        if index in self.fail_pages:
            return JSONResponse(
                {"status_code": 3000, "status_message": "down", "timestamp": OLD}, status_code=500
            )
        items = [o for o in self.objects.values() if self._matches(o, q)]
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", self.default_limit))
        headers = {"X-Total-Count": str(len(items)), "X-Limit": str(limit)}
        link = self._link(q, offset + limit, limit)
        if offset + limit < len(items) and link is not None:
            headers["Link"] = link
        data = items[offset : offset + limit]
        return JSONResponse({"data": data, "status_code": 1000, "timestamp": OLD}, headers=headers)

    @staticmethod
    def _matches(obj: Any, q: dict[str, str]) -> bool:
        if not isinstance(obj, dict):
            return True
        when = parse_datetime(obj["last_updated"])
        if q.get("date_from") and when < parse_datetime(q["date_from"]):
            return False
        return not (q.get("date_to") and when >= parse_datetime(q["date_to"]))

    def _link(self, q: dict[str, str], offset: int, limit: int) -> str | None:
        params = urlencode({**q, "offset": offset, "limit": limit})
        https = self.base.replace("http://", "https://")
        return {
            "ok": f'<{self.base}/2.2.1/locations?{params}>; rel="next"',
            "https": f'<{https}/2.2.1/locations?{params}>; rel="next"',
            "error": f'<{self.base}/2.2.1/broken?{params}>; rel="next"',
            "stuck": f'<{self.base}/2.2.1/locations?{urlencode({**q, "offset": 0})}>; rel="next"',
            "garbage": '<http://[::1>; rel="next"',
            "missing": None,
        }[self.link_mode]


def _envelope(data: Any) -> dict[str, Any]:
    return {"data": data, "status_code": 1000, "timestamp": OLD}


@contextmanager
def fake_cpo() -> Iterator[FakeCpo]:
    """Serve a FakeCpo (versions, details, credentials POST, locations list)."""
    sock = free_socket()
    fake = FakeCpo(base=f"http://127.0.0.1:{sock.getsockname()[1]}")
    api = FastAPI()

    @api.get("/versions")
    def versions() -> dict[str, Any]:
        return _envelope([{"version": "2.2.1", "url": f"{fake.base}/2.2.1"}])

    @api.get("/2.2.1")
    def details() -> dict[str, Any]:
        endpoints = [("credentials", "SENDER"), ("locations", "SENDER")]
        return _envelope(
            {
                "version": "2.2.1",
                "endpoints": [
                    {"identifier": m, "role": r, "url": f"{fake.base}/2.2.1/{m}"}
                    for m, r in endpoints
                ],
            }
        )

    @api.post("/2.2.1/credentials")
    async def credentials(request: Request) -> dict[str, Any]:
        fake.emsp_token = (await request.json())["token"]  # what the fake pushes with
        return _envelope(
            {
                "token": "fake-token-c",
                "url": fake.versions_url,
                "roles": [
                    {
                        "role": "CPO",
                        "party_id": "FAK",
                        "country_code": "NL",
                        "business_details": {"name": "Fake CPO"},
                    }
                ],
            }
        )

    @api.get("/2.2.1/locations")
    def locations(request: Request) -> JSONResponse:
        return fake.page(request)

    @api.get("/2.2.1/broken")
    def broken() -> JSONResponse:
        return JSONResponse({"detail": [{"msg": "date_from: invalid datetime"}]}, status_code=422)

    server = uvicorn.Server(uvicorn.Config(api, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def register_fake(emsp: Node, fake: FakeCpo, name: str = "fake") -> None:
    partner = emsp.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": fake.versions_url, "token": "a", "name": name},
    )
    assert partner["status"] == "registered", partner


# --- against a real roamkit CPO --------------------------------------------------------

LIMIT = 4


@pytest.mark.parametrize("count", [0, LIMIT - 1, LIMIT, LIMIT + 1, 2 * LIMIT + 1])
def test_full_pull_at_page_boundaries(start_node, count: int) -> None:
    ids = [f"LOC-{i:03d}" for i in range(count)]
    cpo, emsp = pair(start_node, lambda cpo: put_locations(cpo, ids))

    summary = sync(emsp, page_size=LIMIT)
    pages = max(1, math.ceil(count / LIMIT))
    assert summary["full"] is True and summary["complete"] is True
    assert summary["received"] == summary["stored"] == count
    assert summary["quarantined"] == summary["removed"] == summary["duplicates"] == 0
    # A multi-page crawl ends with one catch-up page (date_from = this sync's start).
    assert summary["pages"] == pages + (1 if pages > 1 else 0)
    assert summary["link_fallback"] is None

    got = stored(emsp)
    assert sorted(got) == [("NL", "CPO", i) for i in ids]
    for lid in ids:
        own = cpo.api_data("GET", f"/api/locations/{lid}")
        assert got[("NL", "CPO", lid)] == own
    state = sync_state(emsp)
    assert state is not None and state.last_success_at is not None


def test_incremental_pull_fetches_only_changes(start_node) -> None:
    ids = [f"LOC-{i}" for i in range(6)]
    cpo, emsp = pair(start_node, lambda cpo: put_locations(cpo, ids))
    first = sync(emsp, page_size=4)
    assert first["full"] is True and first["received"] == first["stored"] == 6
    started = sync_state(emsp).last_success_at

    # Two changed, one new: last_updated = now (after the first sync started). The CPO
    # also pushes them, so the pull may find some already stored ("unchanged").
    put_locations(cpo, ["LOC-1", "LOC-4", "LOC-NEW"], when=None)
    second = sync(emsp, page_size=4)
    assert second["full"] is False
    assert second["date_from"] == format_datetime(started)
    assert second["received"] == second["stored"] + second["unchanged"] == 3
    assert second["removed"] == 0
    got = stored(emsp)
    assert len(got) == 7
    assert got[("NL", "CPO", "LOC-1")]["last_updated"] != OLD

    third = sync(emsp, page_size=4)
    assert third["stored"] == 0 and third["received"] == third["unchanged"] <= 3
    assert sync_state(emsp).last_success_at > started


def test_pull_from_a_211_cpo_uses_its_credentials_party(start_node) -> None:
    def data(cpo: Node) -> None:
        put_locations(cpo, ["A", "B", "C"])
        cpo.api_data("PUT", "/api/tariffs/T", json=stamped(tariff("T"), OLD))

    _, emsp = pair(start_node, data, versions=[V211])
    assert emsp.api_data("GET", "/api/partners/cpo")["version"] == V211

    summary = sync(emsp, page_size=2)
    assert summary["version"] == V211 and summary["stored"] == 3
    assert sorted(stored(emsp)) == [("NL", "CPO", x) for x in "ABC"]
    assert sync(emsp, "tariffs")["stored"] == 1
    assert list(stored(emsp, "tariffs")) == [("NL", "CPO", "T")]


def test_api_errors(start_node) -> None:
    _, emsp = pair(start_node)
    resp = emsp.api("POST", "/api/sync/nobody/locations")
    assert resp.status_code == 404 and "nobody" in resp.json()["status_message"]
    resp = emsp.api("POST", "/api/sync/cpo/commands")
    assert resp.json()["status_code"] == 2001
    resp = emsp.api("POST", "/api/sync/cpo/locations", headers={"Authorization": "Bearer x"})
    assert resp.status_code == 401


# --- against fake CPOs -----------------------------------------------------------------


def test_bad_objects_are_quarantined_and_the_rest_stored(start_node) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(5):
            fake.add(f"L{i}", _old(i))
        del fake.objects["L1"]["coordinates"]  # invalid: a required field is missing
        fake.objects["L3"].update(country_code="BE", party_id="XYZ")  # not the partner's party
        fake.objects["L5"] = ["not", "an", "object"]  # type: ignore[assignment]
        register_fake(emsp, fake)
        summary = sync(emsp, partner="fake")
        again = sync(emsp, partner="fake", full=True)
    assert summary["complete"] is True
    assert summary["received"] == 6
    assert summary["stored"] == 3 and summary["quarantined"] == 3
    assert sorted(k[2] for k in stored(emsp, partner="fake")) == ["L0", "L2", "L4"]

    entries = emsp.api_data("GET", "/api/sync/quarantine", params={"partner": "fake"})
    assert len(entries) == 3
    by_payload = {json.dumps(e["payload"], sort_keys=True): e for e in entries}
    reasons = sorted(e["reason"] for e in by_payload.values())
    assert any("coordinates" in r for r in reasons), reasons
    assert any("221-W-6" in r and "BE*XYZ" in r for r in reasons), reasons
    assert any("not a JSON object" in r for r in reasons), reasons
    for e in entries:
        assert e["partner"] == "fake" and e["module"] == "locations"
    assert any(isinstance(e["payload"], dict) and e["payload"].get("id") == "L1" for e in entries)

    # Pulling the same broken objects again does not pile up entries.
    assert again["quarantined"] == 3 and again["unchanged"] == 3
    assert len(emsp.api_data("GET", "/api/sync/quarantine")) == 3


def test_objects_inserted_updated_and_deleted_while_paging(start_node) -> None:
    """Nothing is skipped and nothing is stored twice while the list moves under us."""
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(10):
            fake.add(f"L{i:02d}", _old(i))
        register_fake(emsp, fake)

        def mutate(f: FakeCpo, index: int) -> None:
            if index == 1:  # before page 2: one behind the cursor, one ahead changes; 2 new
                f.touch("L01")
                f.touch("L08")
                f.add("N1", format_datetime(utcnow()))
                f.add("N2", format_datetime(utcnow()))
            if index == 2:  # before page 3: one already read vanishes (the list shifts left)
                del f.objects["L00"]

        fake.before_page = mutate
        summary = sync(emsp, partner="fake", page_size=3)
        final = {k: v["last_updated"] for k, v in fake.objects.items()}

    assert summary["complete"] is True
    got = stored(emsp, partner="fake")
    held = {k[2]: parse_datetime(v["last_updated"]) for k, v in got.items()}
    # Everything the partner serves at the end is here, at its latest version ...
    for lid, when in final.items():
        assert held.get(lid) == parse_datetime(when), (lid, held.get(lid), when)
    # ... plus the one that vanished after we had read it; each exactly once.
    assert set(held) == set(final) | {"L00"}
    assert summary["received"] == len(held) == 12
    assert summary["duplicates"] >= 1  # the step back re-read objects, folded


@pytest.mark.parametrize("mode", ["https", "error", "stuck", "garbage", "missing"])
def test_unusable_link_falls_back_to_offset_paging(start_node, mode: str) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(8):
            fake.add(f"L{i}", _old(i))
        fake.link_mode = mode
        register_fake(emsp, fake)
        summary = sync(emsp, partner="fake")  # no page size: the partner's (3) via X-Limit
        offsets = [r.get("offset", "0") for r in fake.requests]
    assert summary["complete"] is True and summary["stored"] == 8
    assert sorted(k[2] for k in stored(emsp, partner="fake")) == [f"L{i}" for i in range(8)]
    assert offsets[:3] == ["0", "3", "6"], fake.requests
    assert all(r.get("limit") in (None, "3") for r in fake.requests), fake.requests
    if mode == "missing":
        assert summary["link_fallback"] is None
    else:
        assert summary["link_fallback"], summary


@contextmanager
def registered_fake(start_node: Callable[..., Node], count: int) -> Iterator[tuple[Node, FakeCpo]]:
    """An eMSP registered with a fake CPO that serves ``count`` locations (L0, L1, ...)."""
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(count):
            fake.add(f"L{i}", _old(i))
        register_fake(emsp, fake)
        yield emsp, fake


@contextmanager
def synced_fake(start_node: Callable[..., Node], count: int) -> Iterator[tuple[Node, FakeCpo]]:
    """An eMSP that has pulled ``count`` locations (L0, L1, ...) from a fake CPO."""
    with registered_fake(start_node, count) as (emsp, fake):
        assert sync(emsp, partner="fake")["stored"] == count
        yield emsp, fake


def test_full_pull_removes_what_the_partner_no_longer_serves(start_node) -> None:
    with synced_fake(start_node, 5) as (emsp, fake):
        del fake.objects["L1"]
        del fake.objects["L3"]

        incremental = sync(emsp, partner="fake")
        assert incremental["full"] is False and incremental["removed"] == 0
        assert len(stored(emsp, partner="fake")) == 5

        full = sync(emsp, partner="fake", full=True)
    assert full["full"] is True and full["removed"] == 2
    assert full["received"] == full["unchanged"] == 3
    assert sorted(k[2] for k in stored(emsp, partner="fake")) == ["L0", "L2", "L4"]
    assert sync_state(emsp).last_full_at is not None


def test_full_pull_keeps_what_the_partner_pushed_while_it_paged(start_node) -> None:
    """Removal after a full pull considers only what was held when it started: an
    object the partner pushes meanwhile exists there, even if no page showed it."""
    with synced_fake(start_node, 5) as (emsp, fake):
        del fake.objects["L1"]
        second_page = len(fake.requests) + 1

        def push(fake: FakeCpo, index: int) -> None:
            if index == second_page:
                body = stamped(location("LP"), _old(9), "NL", "FAK")
                path = "/ocpi/2.2.1/emsp/locations/NL/FAK/LP"
                resp = emsp.ocpi("PUT", path, fake.emsp_token, json=body)
                assert resp.json()["status_code"] == 1000, resp.text

        fake.before_page = push
        full = sync(emsp, partner="fake", full=True, page_size=3)
    assert full["complete"] is True and full["removed"] == 1
    assert sorted(k[2] for k in stored(emsp, partner="fake")) == ["L0", "L2", "L3", "L4", "LP"]


def test_a_newer_copy_pushed_while_the_pull_pages_is_kept(start_node) -> None:
    """The pull plans to insert an object it did not hold; the partner pushes a newer
    copy before the batch is written. The insert meets the pushed row, the batch is
    redone object by object, and the older pulled copy does not overwrite the push."""
    with registered_fake(start_node, 7) as (emsp, fake):

        def push(fake: FakeCpo, index: int) -> None:
            if index == 2:  # L5 was on the page before; all pages are written at the end
                body = stamped(location("L5", name="pushed"), _old(30), "NL", "FAK")
                path = "/ocpi/2.2.1/emsp/locations/NL/FAK/L5"
                resp = emsp.ocpi("PUT", path, fake.emsp_token, json=body)
                assert resp.json()["status_code"] == 1000, resp.text

        fake.before_page = push
        summary = sync(emsp, partner="fake", page_size=3)
    assert summary["complete"] is True
    assert (summary["stored"], summary["unchanged"]) == (6, 1), summary
    docs = stored(emsp, partner="fake")
    assert len(docs) == 7
    assert docs[("NL", "FAK", "L5")]["name"] == "pushed"
    assert docs[("NL", "FAK", "L4")]["name"] == "Location L4"


def test_usable_link_is_followed(start_node) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(7):
            fake.add(f"L{i}", _old(i))
        register_fake(emsp, fake)
        summary = sync(emsp, partner="fake", page_size=3)
    assert summary["stored"] == 7 and summary["link_fallback"] is None
    assert summary["pages"] == 4  # 3 + the catch-up page


def test_failed_pull_keeps_what_it_stored_and_removes_nothing(start_node) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    with fake_cpo() as fake:
        for i in range(7):
            fake.add(f"L{i}", _old(i))
        register_fake(emsp, fake)
        assert sync(emsp, partner="fake", page_size=3)["stored"] == 7
        before = sync_state(emsp)

        del fake.objects["L6"]
        fake.requests.clear()
        fake.fail_pages = set(range(1, 10))  # page 2 fails, also by offset and retried
        resp = emsp.api("POST", "/api/sync/fake/locations", params={"full": "true", "page_size": 3})
        assert resp.status_code == 502, resp.text
        assert resp.json()["status_code"] == 3001
        assert "HTTP 500" in resp.json()["status_message"]
    assert len(stored(emsp, partner="fake")) == 7  # no removal after a failed full pull
    after = sync_state(emsp)
    assert after.last_success_at == before.last_success_at
    assert after.last_full_at == before.last_full_at


# --- the CLI ---------------------------------------------------------------------------

runner = CliRunner()


def _env(node: Node) -> dict[str, str]:
    return {
        "ROAMKIT_DATABASE_URL": node.settings.database_url,
        "ROAMKIT_ALLOW_INSECURE_URLS": "true",
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
    }


def test_cli_pull_and_quarantine(start_node) -> None:
    _, emsp = pair(start_node, lambda cpo: put_locations(cpo, [f"LOC-{i}" for i in range(5)]))

    result = runner.invoke(
        cli_app, ["sync", "pull", "cpo", "locations", "--json", "--page-size", "2"], env=_env(emsp)
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert set(summary) >= SUMMARY_KEYS
    assert summary["partner"] == "cpo" and summary["module"] == "locations"
    assert summary["full"] is True and summary["received"] == summary["stored"] == 5
    assert summary["pages"] == 4  # 3 pages of 2 + catch-up
    assert len(stored(emsp)) == 5

    text = runner.invoke(cli_app, ["sync", "pull", "cpo", "locations"], env=_env(emsp))
    assert text.exit_code == 0, text.output
    assert "received 0" in text.stdout and "incremental" in text.stdout

    full = runner.invoke(
        cli_app, ["sync", "pull", "cpo", "locations", "--full", "--json"], env=_env(emsp)
    )
    assert json.loads(full.stdout)["unchanged"] == 5

    empty = runner.invoke(cli_app, ["sync", "quarantine", "--json"], env=_env(emsp))
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []

    with fake_cpo() as fake:
        fake.add("GOOD", OLD)
        fake.add("BAD", OLD)
        fake.objects["BAD"]["evses"][0]["status"] = "EXPLODED"
        register_fake(emsp, fake)
        result = runner.invoke(
            cli_app, ["sync", "pull", "fake", "locations", "--json"], env=_env(emsp)
        )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["quarantined"] == 1

    listed = runner.invoke(
        cli_app, ["sync", "quarantine", "--partner", "fake", "--json"], env=_env(emsp)
    )
    assert listed.exit_code == 0, listed.output
    entries = json.loads(listed.stdout)
    assert len(entries) == 1
    assert set(entries[0]) == {"id", "partner", "module", "reason", "payload", "created_at"}
    assert entries[0]["partner"] == "fake" and entries[0]["payload"]["id"] == "BAD"
    assert "status" in entries[0]["reason"]
    table = runner.invoke(cli_app, ["sync", "quarantine"], env=_env(emsp))
    assert table.exit_code == 0 and "BAD" in table.stdout


def test_cli_errors(start_node) -> None:
    _, emsp = pair(start_node)
    result = runner.invoke(cli_app, ["sync", "pull", "nobody", "locations"], env=_env(emsp))
    assert result.exit_code == 1 and "nobody" in result.output
    result = runner.invoke(cli_app, ["sync", "pull", "cpo", "commands"], env=_env(emsp))
    assert result.exit_code == 2
    result = runner.invoke(cli_app, ["sync", "quarantine", "--partner", "x"], env=_env(emsp))
    assert result.exit_code == 1 and "x" in result.output
    with fake_cpo() as fake:
        fake.add("L", OLD)
        register_fake(emsp, fake)
        fake.fail_pages = {0, 1, 2}
        result = runner.invoke(
            cli_app, ["sync", "pull", "fake", "locations", "--json"], env=_env(emsp)
        )
    assert result.exit_code == 1
    failed = json.loads(result.stdout)
    assert failed["complete"] is False and "HTTP 500" in failed["error"]
