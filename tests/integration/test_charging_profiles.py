"""Charging profiles end to end between real nodes (2.2.1 mod_charging_profiles.asciidoc):
the eMSP sends set/get/clear through its management API, the test plays the CPO's
charger side (``/api/charger/commands``, ``PUT /api/sessions/{id}/charging-profile``);
immediate answers, partner isolation, timeouts, a response_url that is down, and the
Sender interface's envelopes without ``data``."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from support import run_node

from .commands_support import charger_takes, command, report, wait_state
from .ocpi_data import connector, envelope, evse, location, poll, register
from .sessions_support import Charging, Outage, charging_pair

PROFILE = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 11}]}
ACTIVE = {
    "start_date_time": "2026-11-20T10:00:00Z",
    "charging_profile": {
        "charging_rate_unit": "A",
        "duration": 900,
        "charging_profile_period": [
            {"start_period": 0, "limit": 11},
            {"start_period": 600, "limit": 8.5},
        ],
    },
}


def profile_request(ch: Charging, action: str, session_id: str, **fields: Any) -> dict[str, Any]:
    """``POST /api/chargingprofiles`` at the eMSP, to its CPO partner ("cpo")."""
    body = {"partner": "cpo", "session_id": session_id, "action": action, **fields}
    resp = ch.emsp.api("POST", "/api/chargingprofiles", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


def shown(node: Any, session_id: str) -> dict[str, Any]:
    return node.api_data("GET", f"/api/chargingprofiles/{session_id}")  # type: ignore[no-any-return]


def active_changed(ch: Charging, session_id: str, active: dict[str, Any]) -> dict[str, Any]:
    """The charger side reports a changed ActiveChargingProfile at the CPO."""
    path = f"/api/sessions/{session_id}/charging-profile"
    return ch.cpo.api_data("PUT", path, json=active)  # type: ignore[no-any-return]


def cpo_url(ch: Charging, tail: str) -> str:
    return f"{ch.cpo.url}/ocpi/2.2.1/cpo/chargingprofiles/{tail}"


def test_set_get_clear_and_active_profile_updates(tmp_path: Path) -> None:
    with charging_pair(tmp_path, "2.2.1") as ch:
        ch.start("S1")
        sent = profile_request(ch, "set", "S1", charging_profile=PROFILE)
        assert sent["state"] == "accepted" and sent["type"] == "SET_PROFILE", sent
        assert sent["response"] == {"result": "ACCEPTED", "timeout": 60}
        assert "/emsp/chargingprofiles/results/" in sent["response_url"]

        task = charger_takes(ch.cpo, "SET_PROFILE")
        assert task["module"] == "chargingprofiles" and task["session_id"] == "S1"
        assert task["request"] == {"charging_profile": PROFILE}  # no response_url
        report(ch.cpo, task["id"], "ACCEPTED")
        done = wait_state(ch.emsp, sent["id"], "done")
        assert done["outcome"] == "ACCEPTED" and done["result"] == {"result": "ACCEPTED"}
        # It is a command record like any other.
        assert sent["id"] in [r["id"] for r in ch.emsp.api_data("GET", "/api/commands")]
        assert shown(ch.emsp, "S1")["profiles"][0]["profile"] == PROFILE
        cpo_side = shown(ch.cpo, "S1")
        assert [(p["direction"], p["partner"]) for p in cpo_side["profiles"]] == [("in", "msp")]

        # The active profile changed at the EVSE: the eMSP that set a profile hears of it.
        pushed = active_changed(ch, "S1", ACTIVE)
        assert pushed["sent_to"] == ["msp"]
        got = poll(lambda: shown(ch.emsp, "S1")["active"], what="active profile at the eMSP")
        assert got == ACTIVE
        assert shown(ch.cpo, "S1")["active"] == ACTIVE

        # GET: the EVSE's profile comes back in the result.
        asked = profile_request(ch, "get", "S1", duration=1800)
        task = charger_takes(ch.cpo, "GET_PROFILE")
        assert task["request"] == {"duration": 1800}
        # An ACCEPTED GET without the profile is no result.
        resp = ch.cpo.api(
            "POST", f"/api/charger/commands/{task['id']}/result", json={"result": "ACCEPTED"}
        )
        assert resp.json()["status_code"] == 2001
        later = {**ACTIVE, "start_date_time": "2026-11-20T10:05:00Z"}
        report(ch.cpo, task["id"], "ACCEPTED", profile=later)
        done = wait_state(ch.emsp, asked["id"], "done")
        assert done["result"] == {"result": "ACCEPTED", "profile": later}
        assert shown(ch.emsp, "S1")["active"] == later

        # Clear: the partner still hears of changes afterwards (221-CP-2).
        cleared = profile_request(ch, "clear", "S1")
        task = charger_takes(ch.cpo, "CLEAR_PROFILE")
        assert task["request"] == {}
        report(ch.cpo, task["id"], "ACCEPTED")
        assert wait_state(ch.emsp, cleared["id"], "done")["result"] == {"result": "ACCEPTED"}
        assert shown(ch.emsp, "S1")["profiles"][0]["profile"] is None
        assert active_changed(ch, "S1", ACTIVE)["sent_to"] == ["msp"]

        # A SET the EVSE rejected subscribes nobody: a second session gets no updates.
        ch.start("S2")
        failed = profile_request(ch, "set", "S2", charging_profile=PROFILE)
        report(ch.cpo, charger_takes(ch.cpo, "SET_PROFILE")["id"], "REJECTED")
        assert wait_state(ch.emsp, failed["id"], "done")["outcome"] == "REJECTED"
        assert active_changed(ch, "S2", ACTIVE)["sent_to"] == []
        # Nor a session nobody ever set a profile on.
        ch.start("S3")
        assert active_changed(ch, "S3", ACTIVE)["sent_to"] == []
        assert shown(ch.emsp, "S3")["active"] is None
        assert shown(ch.emsp, "S2")["active"] is None


def test_immediate_answers_and_isolation(tmp_path: Path) -> None:
    with charging_pair(tmp_path, "2.2.1") as ch, ExitStack() as stack:
        ch.start("S1")
        unknown = profile_request(ch, "set", "never-started", charging_profile=PROFILE)
        assert unknown["state"] == "rejected" and unknown["outcome"] == "UNKNOWN_SESSION"

        ch.start("DONE1")
        ch.stop("DONE1")
        assert profile_request(ch, "get", "DONE1")["outcome"] == "REJECTED"

        # An EVSE without CHARGING_PROFILE_CAPABLE.
        plain = evse("LOC2-e1", connectors=[connector("1", tariff_ids=["T1"])])
        ch.cpo.api_data("PUT", "/api/locations/LOC2", json=location("LOC2", evses=[plain]))
        ch.cpo.api_data(
            "POST",
            "/api/sessions",
            json={
                "id": "PLAIN1",
                "token_uid": ch.uid,
                "location_id": "LOC2",
                "evse_uid": "LOC2-e1",
                "connector_id": "1",
            },
        )
        assert profile_request(ch, "clear", "PLAIN1")["outcome"] == "NOT_SUPPORTED"

        # Another eMSP on the same CPO: S1 was started by msp's token, so for it the
        # session does not exist (only the token's owner may set profiles).
        other = stack.enter_context(
            run_node(tmp_path, "emsp2", roles=["EMSP"], party_id="MS2", versions=["2.2.1"])
        )
        register(ch.cpo, other, emsp_name="msp2")
        for action in ("set", "get", "clear"):
            body = {"partner": "cpo", "session_id": "S1", "action": action}
            if action == "set":
                body["charging_profile"] = PROFILE
            resp = other.api("POST", "/api/chargingprofiles", json=body)
            assert resp.json()["data"]["outcome"] == "UNKNOWN_SESSION", resp.text
        # Nothing of that reached the charger side.
        assert ch.cpo.api_data("GET", "/api/charger/commands") == []

        # A second CPO may not post results for requests we sent to the first.
        sent = profile_request(ch, "set", "S1", charging_profile=PROFILE)
        cpo2 = stack.enter_context(run_node(tmp_path, "cpo2", roles=["CPO"], party_id="CP2"))
        cpo2_on_emsp = register(cpo2, ch.emsp, emsp_name="msp", cpo_name="cpo2")
        resp = ch.emsp.ocpi(
            "POST", sent["response_url"], token=cpo2_on_emsp, json={"result": "ACCEPTED"}
        )
        envelope(resp, 404, 2000)
        assert command(ch.emsp, sent["id"])["state"] == "accepted"


def test_receiver_and_sender_interfaces_on_the_wire(tmp_path: Path) -> None:
    with charging_pair(tmp_path, "2.2.1") as ch:
        ch.start("S1")
        token = ch.pair.emsp_on_cpo
        back = f"{ch.emsp.url}/ocpi/2.2.1/emsp/chargingprofiles/results/x"
        # GET needs both duration and response_url; DELETE needs response_url.
        for query in ("duration=900", f"response_url={back}", ""):
            resp = ch.cpo.ocpi("GET", cpo_url(ch, f"S1?{query}"), token=token)
            body = envelope(resp, 400, 2001)
            assert resp.headers["OCPI-from-party-id"] == "CPO"  # routing headers, errors too
            assert "data" not in body
        envelope(ch.cpo.ocpi("DELETE", cpo_url(ch, "S1"), token=token), 400, 2001)
        bad = ch.cpo.ocpi("PUT", cpo_url(ch, "S1"), token=token, json={"response_url": back})
        envelope(bad, 200, 2001)
        assert ch.cpo.api_data("GET", "/api/charger/commands") == []

        resp = ch.cpo.ocpi(
            "GET", cpo_url(ch, "S1"), token=token, params={"duration": 60, "response_url": back}
        )
        body = envelope(resp, 200, 1000)
        assert body["data"] == {"result": "ACCEPTED", "timeout": 60}
        assert resp.headers["OCPI-to-party-id"] == "MSP"
        # A session id differing in case only is the same session (CiString).
        resp = ch.cpo.ocpi("DELETE", cpo_url(ch, "s1"), token=token, params={"response_url": back})
        assert envelope(resp, 200, 1000)["data"]["result"] == "ACCEPTED"

        # The Sender interface answers without data (A-221-6), PUT and POST alike.
        put = ch.emsp.ocpi(
            "PUT",
            f"{ch.emsp.url}/ocpi/2.2.1/emsp/chargingprofiles/S9",
            token=ch.pair.cpo_on_emsp,
            json=ACTIVE,
        )
        assert "data" not in envelope(put, 200, 1000)
        assert put.headers["OCPI-to-party-id"] == "CPO"
        assert shown(ch.emsp, "S9")["active"] == ACTIVE
        sent = profile_request(ch, "set", "S1", charging_profile=PROFILE)
        wrong = ch.emsp.ocpi(
            "POST", sent["response_url"], token=ch.pair.cpo_on_emsp, json={"result": "MAYBE"}
        )
        envelope(wrong, 200, 2001)
        post = ch.emsp.ocpi(
            "POST", sent["response_url"], token=ch.pair.cpo_on_emsp, json={"result": "ACCEPTED"}
        )
        assert "data" not in envelope(post, 200, 1000)
        assert command(ch.emsp, sent["id"])["state"] == "done"
        unknown = ch.emsp.ocpi("POST", back, token=ch.pair.cpo_on_emsp, json={"result": "ACCEPTED"})
        envelope(unknown, 404, 2000)


def test_request_the_charger_never_answers_times_out_on_both_sides(tmp_path: Path) -> None:
    with charging_pair(tmp_path, "2.2.1", cpo_settings={"command_timeout": 2}) as ch:
        ch.start("S1")
        ch.emsp.settings.command_result_grace = 30  # the CPO's REJECTED decides
        sent = profile_request(ch, "set", "S1", charging_profile=PROFILE)
        assert sent["response"]["timeout"] == 2
        task = charger_takes(ch.cpo, "SET_PROFILE")
        cpo_side = wait_state(ch.cpo, task["id"], "timed_out", timeout=10)
        assert cpo_side["result"] == {"result": "REJECTED"}  # no TIMEOUT in this module
        emsp_side = wait_state(ch.emsp, sent["id"], "done", timeout=10)
        assert emsp_side["outcome"] == "REJECTED"
        # Too late now: the report is refused, and nobody was subscribed.
        resp = ch.cpo.api(
            "POST", f"/api/charger/commands/{task['id']}/result", json={"result": "ACCEPTED"}
        )
        assert resp.json()["status_code"] == 2001
        assert active_changed(ch, "S1", ACTIVE)["sent_to"] == []

        # The CPO is gone after answering: the eMSP ends the wait on its own.
        ch.emsp.settings.command_result_grace = 1
        asked = profile_request(ch, "get", "S1")
        ch.cpo.stop()
        rec = wait_state(ch.emsp, asked["id"], "timed_out", timeout=10)
        assert rec["outcome"] == "TIMEOUT" and rec["result"] is None


def test_result_and_updates_to_an_emsp_that_is_down_arrive_later(tmp_path: Path) -> None:
    outage = Outage(paths=("/ocpi/2.2.1/emsp/chargingprofiles",))
    with charging_pair(tmp_path, "2.2.1", emsp_hook=outage.hook) as ch:
        ch.start("S1")
        sent = profile_request(ch, "set", "S1", charging_profile=PROFILE)
        task = charger_takes(ch.cpo, "SET_PROFILE")
        outage.down = True
        report(ch.cpo, task["id"], "ACCEPTED")
        active_changed(ch, "S1", ACTIVE)
        poll(lambda: outage.refused >= 1, what="a refused result post")
        assert command(ch.emsp, sent["id"])["state"] == "accepted"
        outage.down = False
        assert wait_state(ch.emsp, sent["id"], "done", timeout=20)["outcome"] == "ACCEPTED"
        poll(lambda: shown(ch.emsp, "S1")["active"], timeout=20, what="the delayed PUT")
        # Delivered once each, after the outage: the result and the update.
        assert sorted(p.split(" ")[0] for p in outage.let_through) == ["POST", "PUT"]


def test_profile_cli(tmp_path: Path) -> None:
    """``roamkit profile ...`` against the running nodes: eMSP set/get/clear/show, CPO
    report/active."""
    from typer.testing import CliRunner

    from roamkit.cli import app
    from support import ADMIN_TOKEN

    runner = CliRunner()

    def run(node: Any, *args: str, as_json: bool = True) -> Any:
        env = {
            "ROAMKIT_DATABASE_URL": node.settings.database_url,
            "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
            "ROAMKIT_API_URL": node.url,
        }
        result = runner.invoke(app, [*args, *(["--json"] if as_json else [])], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if as_json else result.stdout

    with charging_pair(tmp_path, "2.2.1") as ch:
        ch.start("S1")
        sent = run(ch.emsp, "profile", "set", "S1", "--partner", "cpo", "--limit", "16")
        assert sent["request"]["charging_profile"] == {
            "charging_rate_unit": "A",
            "charging_profile_period": [{"start_period": 0, "limit": 16}],
        }
        task = charger_takes(ch.cpo, "SET_PROFILE")
        assert run(ch.cpo, "profile", "report", task["id"], "accepted")["state"] == "done"
        wait_state(ch.emsp, sent["id"], "done")

        file = tmp_path / "profile.json"
        file.write_text(json.dumps({"charging_profile": ACTIVE["charging_profile"]}))
        replaced = run(ch.emsp, "profile", "set", "S1", "--partner", "cpo", "--file", str(file))
        assert replaced["request"]["charging_profile"] == ACTIVE["charging_profile"]
        run(ch.cpo, "profile", "report", charger_takes(ch.cpo, "SET_PROFILE")["id"], "ACCEPTED")

        active = run(ch.cpo, "profile", "active", "S1", "--limit", "3680", "--unit", "W")
        assert active["sent_to"] == ["msp"]
        poll(lambda: shown(ch.emsp, "S1")["active"], what="active profile at the eMSP")

        asked = run(ch.emsp, "profile", "get", "S1", "--partner", "cpo", "--duration", "600")
        task = charger_takes(ch.cpo, "GET_PROFILE")
        assert task["request"] == {"duration": 600}
        run(ch.cpo, "profile", "report", task["id"], "ACCEPTED", "--limit", "10")
        done = wait_state(ch.emsp, asked["id"], "done")
        assert done["result"]["profile"]["charging_profile"]["charging_profile_period"] == [
            {"start_period": 0, "limit": 10}
        ]

        cleared = run(ch.emsp, "profile", "clear", "S1", "--partner", "cpo")
        run(ch.cpo, "profile", "report", charger_takes(ch.cpo, "CLEAR_PROFILE")["id"], "UNKNOWN")
        assert wait_state(ch.emsp, cleared["id"], "done")["outcome"] == "UNKNOWN"

        data = run(ch.emsp, "profile", "show", "S1")
        assert sorted(r["type"] for r in data["requests"]) == [
            "CLEAR_PROFILE",
            "GET_PROFILE",
            "SET_PROFILE",
            "SET_PROFILE",
        ]
        assert data["active"]["charging_profile"]["charging_profile_period"][0]["limit"] == 10
        table = run(ch.emsp, "profile", "show", "S1", as_json=False)
        assert table.startswith("active profile from") and "0s: 10 A" in table
