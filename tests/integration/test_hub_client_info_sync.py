"""Re-syncing the parties behind a hub from the hub's ClientInfo list (2.2.1
mod_hub_client_info.asciidoc#mod_hub_client_info_hub_get, #mod_hub_client_info_pull_model;
CHECKLIST 221-H-1): read after a registration with a hub, both directions, and on demand
(``POST /api/partners/{name}/client-info``, ``roamkit partner sync-parties``).

The node under test refuses the hub's ClientInfo PUTs (an ``app_hook`` middleware), so
whatever it knows about the parties behind the hub came from the list."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI
from typer.testing import CliRunner

from roamkit.cli import app as cli_app
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.sim.hub import ClientInfo as HubClientInfo
from support import ADMIN_TOKEN, Node

from .fake_hub import FakeHub, run_fake_hub
from .hub_support import RunningHub, run_fake, run_hub
from .ocpi_data import envelope, ok, poll

MSP, FAK = ("NL", "MSP"), ("NL", "FAK")
PLANNED = [("DE", f"PL{i}") for i in range(1, 7)]
R, S = "RECEIVER", "SENDER"
T = [f"2026-01-01T00:00:{s:02d}Z" for s in range(60)]


class Refuser:
    """Answers the hub's ClientInfo PUTs with HTTP 503 while ``refusing``: the node
    misses them as if it were down."""

    def __init__(self) -> None:
        self.refusing = True
        self.refused = 0

    def hook(self, app: FastAPI) -> None:
        refuser = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if (
                    refuser.refusing
                    and scope["type"] == "http"
                    and scope["method"] == "PUT"
                    and "/hubclientinfo/" in scope["path"]
                ):
                    refuser.refused += 1
                    body = orjson.dumps(
                        {
                            "status_code": 3000,
                            "status_message": "down for the test",
                            "timestamp": format_datetime(utcnow()),
                        }
                    )
                    headers = [(b"content-type", b"application/json")]
                    await send({"type": "http.response.start", "status": 503, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
                await self.inner(scope, receive, send)

        app.add_middleware(Middleware)


def _add_parties(hub: RunningHub, parties: list[tuple[str, str]], role: str, status: str) -> None:
    """ClientInfo the hub holds without pushing it (parties it plans, say)."""

    async def add() -> None:
        now = format_datetime(utcnow())
        for cc, pid in parties:
            hub.hub.client_infos[(cc, pid, role)] = HubClientInfo(cc, pid, role, status, now, None)

    hub.call(add())


def _partners(node: Node) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in node.api_data("GET", "/api/partners")}


def _statuses(node: Node) -> dict[str, str]:
    return {n: p["status"] for n, p in _partners(node).items() if p["via"] == "hub"}


def _env(node: Node) -> dict[str, str]:
    return {
        "ROAMKIT_DATABASE_URL": node.settings.database_url,
        "ROAMKIT_BASE_URL": node.url,
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROAMKIT_API_URL": node.url,
        "ROAMKIT_COUNTRY_CODE": node.settings.country_code,
        "ROAMKIT_PARTY_ID": node.settings.party_id,
    }


def _counts(**kw: int) -> dict[str, int]:
    base = {"parties": 0, "created": 0, "changed": 0, "unchanged": 0, "skipped": 0, "ignored": 0}
    return {**base, **kw}


def test_parties_from_the_list_at_registration_and_on_demand(
    start_node: Callable[..., Node],
) -> None:
    modules = [("hubclientinfo", R), ("locations", S), ("tokens", R)]
    with (
        run_hub(client_info_backoff=0.05, client_info_attempts=1) as hub,
        run_fake(*FAK, "CPO", modules, token_b="fak-b") as fak,
    ):
        fak.register(hub, "fak")
        _add_parties(hub, PLANNED[:2], "EMSP", "PLANNED")
        _add_parties(hub, [("DE", "TOOLONG")], "CPO", "CONNECTED")  # not a ClientInfo
        refuser = Refuser()
        node = start_node(
            "msp", app_hook=refuser.hook, roles=["EMSP"], party_id="MSP", versions=["2.2.1"]
        )
        token_a = hub.invite("msp")
        partner = node.api_data(
            "POST",
            "/api/partners/register",
            json={"versions_url": hub.versions_url, "token": token_a, "name": "hub"},
        )
        assert partner["status"] == "registered"

        # Known as soon as the registration answered: from the list, not from PUTs.
        assert _statuses(node) == {
            "hub/NL*FAK": "registered",
            "hub/DE*PL1": "planned",
            "hub/DE*PL2": "planned",
        }
        fak_row = _partners(node)["hub/NL*FAK"]
        assert fak_row["roles"] == [{"role": "CPO", "country_code": "NL", "party_id": "FAK"}]
        assert fak_row["client_info"]["status"] == "CONNECTED"
        assert fak_row["endpoints"] == _partners(node)["hub"]["endpoints"]
        hub.drain()
        tries = [
            e.outcome for e in hub.hub.history if e.kind == "client_info" and e.target == "msp"
        ]
        assert tries and "ok" not in tries and refuser.refused == len(tries), tries

        # The party goes OFFLINE at the hub; the PUT telling the node is refused.
        hub.set_status(*FAK, "OFFLINE")
        assert refuser.refused == len(tries) + 1
        assert _statuses(node)["hub/NL*FAK"] == "registered"
        runner = CliRunner()
        result = runner.invoke(
            cli_app, ["partner", "sync-parties", "hub", "--json"], env=_env(node)
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == _counts(
            parties=4, changed=1, unchanged=2, ignored=1, skipped=1
        )
        fak_row = _partners(node)["hub/NL*FAK"]
        assert fak_row["status"] == "offline" and fak_row["client_info"]["status"] == "OFFLINE"
        assert fak_row["client_info"] == next(
            i for i in hub.hub.client_info_list() if i["party_id"] == "FAK"
        )

        # More parties than one page: every page is read (the hub's Link followed).
        _add_parties(hub, PLANNED[2:], "CPO", "PLANNED")
        counts = ok(node.api("POST", "/api/partners/hub/client-info", params={"page_size": 2}))
        assert counts == _counts(parties=8, created=4, unchanged=3, ignored=1, skipped=1)
        assert set(_statuses(node)) == {"hub/NL*FAK"} | {f"hub/DE*{p}" for _, p in PLANNED}
        result = runner.invoke(
            cli_app, ["partner", "sync-parties", "hub", "--page-size", "3"], env=_env(node)
        )
        assert result.exit_code == 0, result.output
        assert "8 parties" in result.stdout and "8 unchanged" not in result.stdout
        assert "7 unchanged" in result.stdout

        # Back in sync, the PUTs are taken again.
        refuser.refusing = False
        hub.set_status(*FAK, "CONNECTED")
        assert _statuses(node)["hub/NL*FAK"] == "registered"

        # Only a hub connection has a list: 2001 for a party behind it, unknown names 404.
        child = node.api("POST", "/api/partners/hub/NL*FAK/client-info")
        assert "party behind a hub" in envelope(child, 200, 2001)["status_message"]
        envelope(node.api("POST", "/api/partners/nobody/client-info"), 404, 2000)


def test_only_a_hub_has_a_list(start_node: Callable[..., Node]) -> None:
    node = start_node("plain", roles=["CPO"], party_id="CPO")
    node.api_data("POST", "/api/partners/invite", json={"name": "msp"})
    resp = node.api("POST", "/api/partners/msp/client-info")
    assert "not a hub" in envelope(resp, 200, 2001)["status_message"]
    result = CliRunner().invoke(cli_app, ["partner", "sync-parties", "msp"], env=_env(node))
    assert result.exit_code == 1 and "not a hub" in result.output


def _serve_list(fake: FakeHub, infos: list[dict[str, str]], lists: list[bool]) -> None:
    """The scripted hub answers ``infos`` on its hubclientinfo Sender endpoint (``/hci``,
    one page), and lists that endpoint while ``lists[0]``."""
    scripted = fake._answer

    def answer(method: str, path: str) -> Any:
        if path == "/hci":
            return infos
        data = scripted(method, path)
        if path == "/2.2.1" and not lists[0]:
            data["endpoints"] = [e for e in data["endpoints"] if e["identifier"] != "hubclientinfo"]
        return data

    fake._answer = answer  # type: ignore[method-assign]


def _info(party: tuple[str, str], role: str, status: str, when: str) -> dict[str, str]:
    return {
        "country_code": party[0],
        "party_id": party[1],
        "role": role,
        "status": status,
        "last_updated": when,
    }


def test_hub_registering_with_us(start_node: Callable[..., Node]) -> None:
    """The hub is the credentials Sender: the list is read once our answer is out."""
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO", versions=["2.2.1"])
    msa, msb = ("DE", "MSA"), ("DE", "MSB")
    infos = [
        _info(msa, "EMSP", "CONNECTED", T[5]),
        _info(msb, "EMSP", "SUSPENDED", T[5]),
        _info(("NL", "CPO"), "CPO", "CONNECTED", T[5]),  # us
        _info(("NL", "HUB"), "HUB", "CONNECTED", T[5]),  # the hub itself
    ]
    lists = [True]
    with run_fake_hub() as fake:
        _serve_list(fake, infos, lists)
        fake.register(cpo)

        def synced() -> dict[str, str] | None:
            statuses = _statuses(cpo)
            return statuses if len(statuses) == 2 else None

        assert poll(synced, what="the parties behind the hub") == {
            "hub/DE*MSA": "registered",
            "hub/DE*MSB": "suspended",
        }
        hci = [c for c in fake.calls if c.path == "/hci"]
        assert hci and hci[0].method == "GET"
        assert not [h for h in hci[0].headers if h.startswith("ocpi-")]  # 221-R-1

        # A newer PUT is not undone by the (older) list.
        envelope(fake.client_info(cpo, msa, "EMSP", "OFFLINE", T[9]), 200, 1000)
        counts = ok(cpo.api("POST", "/api/partners/hub/client-info"))
        assert counts == _counts(parties=4, unchanged=2, ignored=2)
        assert _statuses(cpo)["hub/DE*MSA"] == "offline"

        # A hub that stops listing its hubclientinfo Sender endpoint: a clear error.
        lists[0] = False
        fake.rotate(cpo, "fake-hub-token-b2")
        resp = cpo.api("POST", "/api/partners/hub/client-info")
        assert "no hubclientinfo SENDER endpoint" in envelope(resp, 200, 3003)["status_message"]
