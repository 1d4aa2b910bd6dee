"""Three nodes on loopback: a CPO (NL*CPO) and two eMSPs (NL*MSP, NL*MSB) connected
ONLY through a minimal hub (``roamkit.sim.hub``) that routes by the OCPI-to headers.
A remote start and stop flow end to end through the hub (the hub rewrites the
``response_url``), the session and its CDR reach the eMSP whose token it was, and the
other eMSP can neither see nor stop it (2.2.1 #transport_and_format_message_routing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from support import Node

from .commands_support import charger_takes, report
from .hub_support import RunningHub, run_hub
from .ocpi_data import connector, evse, location, poll
from .sessions_support import CAPABILITIES, TARIFF
from .tokens_support import add_token

CPO_AT_HUB = "hub/NL*CPO"
"""How an eMSP names the CPO behind the hub (a party of the hub connection)."""


def _register(hub: RunningHub, node: Node, name: str) -> None:
    token_a = hub.invite(name)
    node.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": hub.versions_url, "token": token_a, "name": "hub"},
    )


def _partner(node: Node, name: str) -> dict[str, Any] | None:
    resp = node.api("GET", f"/api/partners/{name}")
    return resp.json()["data"] if resp.status_code == 200 else None


def _at(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _send(node: Node, type_: str, **fields: Any) -> dict[str, Any]:
    resp = node.api("POST", "/api/commands", json={"partner": CPO_AT_HUB, "type": type_, **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


def _state(node: Node, command_id: str, state: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        rec = node.api_data("GET", f"/api/commands/{command_id}")
        return rec if rec["state"] == state else None

    return poll(probe, timeout=15, what=f"command {command_id} {state}")


def test_remote_start_and_stop_through_a_hub(start_node: Callable[..., Node]) -> None:
    with run_hub(client_info_backoff=0.1) as hub:
        cpo = start_node("cpo", roles=["CPO"], versions=["2.2.1"], party_id="CPO")
        msp = start_node("msp", roles=["EMSP"], versions=["2.2.1"], party_id="MSP")
        msb = start_node("msb", roles=["EMSP"], versions=["2.2.1"], party_id="MSB")
        for node, name in ((cpo, "cpo"), (msp, "msp"), (msb, "msb")):
            _register(hub, node, name)
        # Each node learns the other parties from the hub's ClientInfo.
        for node in (msp, msb):
            poll(lambda n=node: _partner(n, CPO_AT_HUB), what="the CPO behind the hub")
        for party in ("NL*MSP", "NL*MSB"):
            poll(lambda p=party: _partner(cpo, f"hub/{p}"), what=f"{party} at the CPO")

        add_token(msp, "TOK-A", contract_id="NL-MSP-C00000001")
        add_token(msb, "TOK-B", contract_id="NL-MSB-C00000001")
        cpo.api_data("PUT", f"/api/tariffs/{TARIFF['id']}", json=TARIFF)
        loc = location(
            "LOC1",
            evses=[
                evse(
                    "LOC1-e1",
                    connectors=[connector("1", tariff_ids=[TARIFF["id"]])],
                    capabilities=CAPABILITIES,
                )
            ],
        )
        cpo.api_data("PUT", "/api/locations/LOC1", json=loc)

        sent = _send(
            msp, "START_SESSION", location_id="LOC1", evse_uid="LOC1-e1", token_uid="TOK-A"
        )
        assert sent["state"] == "accepted", sent
        # The hub put its own URL in place of ours; the CPO never sees the eMSP's.
        task = charger_takes(cpo, "START_SESSION")
        assert task["request"]["token"]["uid"] == "TOK-A"
        cpo_rec = cpo.api_data("GET", f"/api/commands/{task['id']}")
        assert cpo_rec["partner"] == "hub/NL*MSP"
        assert cpo_rec["response_url"].startswith(hub.url)
        cpo.api_data(
            "POST",
            "/api/sessions",
            json={
                "id": "HUB-S1",
                "command_id": task["id"],
                "location_id": "LOC1",
                "evse_uid": "LOC1-e1",
                "connector_id": "1",
                "start": _at(-20),
            },
        )
        assert _state(msp, sent["id"], "done")["outcome"] == "ACCEPTED"

        def session_at(node: Node) -> dict[str, Any] | None:
            resp = node.api("GET", "/api/sessions/HUB-S1")
            return resp.json()["data"] if resp.status_code == 200 else None

        got = poll(lambda: session_at(msp), what="the session at NL*MSP")
        assert got["cdr_token"]["uid"] == "TOK-A" and got["auth_method"] == "COMMAND"

        # The other eMSP: nothing of it, and its stop of the session is refused.
        foreign = _send(msb, "STOP_SESSION", session_id="HUB-S1")
        assert foreign["outcome"] == "UNKNOWN_SESSION", foreign
        cpo_on_msb = cpo.api_data("GET", "/api/commands", params={"direction": "in"})
        assert {r["partner"] for r in cpo_on_msb} == {"hub/NL*MSP", "hub/NL*MSB"}

        cpo.api_data("POST", "/api/sessions/HUB-S1/meter", json={"meter": 4.2, "at": _at(-10)})
        stop = _send(msp, "STOP_SESSION", session_id="HUB-S1")
        assert stop["outcome"] == "ACCEPTED"
        task = charger_takes(cpo, "STOP_SESSION")
        report(cpo, task["id"], "ACCEPTED")
        cpo.api_data("POST", "/api/sessions/HUB-S1/stop", json={"at": _at(-5)})
        assert _state(msp, stop["id"], "done")["outcome"] == "ACCEPTED"

        def cdr_at(node: Node) -> dict[str, Any] | None:
            resp = node.api("GET", "/api/cdrs/HUB-S1")
            return resp.json()["data"] if resp.status_code == 200 else None

        cdr = poll(lambda: cdr_at(msp), what="the CDR at NL*MSP")
        assert cdr["total_energy"] == 4.2
        assert session_at(msb) is None and cdr_at(msb) is None
        assert msb.api_data("GET", "/api/commands")[0]["outcome"] == "UNKNOWN_SESSION"

        # A reservation through the hub, then cancelled by the CPO itself: the second
        # message goes to the same (hub's) response_url and reaches the eMSP.
        reserved = _send(
            msp, "RESERVE_NOW", location_id="LOC1", evse_uid="LOC1-e1", token_uid="TOK-A",
            reservation_id="HUB-R1", expiry_date=_at(60),
        )  # fmt: skip
        task = charger_takes(cpo, "RESERVE_NOW")
        report(cpo, task["id"], "ACCEPTED")
        _state(msp, reserved["id"], "done")
        cpo.api_data("POST", f"/api/charger/reservations/{task['reservation_id']}/cancel")

        def reservation_status() -> str:
            rows = msp.api_data("GET", "/api/reservations")
            return next(r["status"] for r in rows if r["reservation_id"] == "HUB-R1")

        poll(lambda: reservation_status() == "cancelled", what="the CPO's cancellation")
