"""Commands end to end between two real nodes (2.2.1 mod_commands.asciidoc, 2.1.1
mod_commands.md): remote start and stop with the session and CDR flowing as usual,
timeouts on both sides, a response_url that is down, reservations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .commands_support import (
    charger_takes,
    command,
    report,
    send,
    start_session,
    wait_state,
)
from .ocpi_data import poll
from .sessions_support import Outage, charging_pair


def at(minutes: int) -> str:
    """A time ``minutes`` from now, on the wire."""
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_remote_start_and_stop_flow_into_session_and_cdr(tmp_path: Path, version: str) -> None:
    with charging_pair(tmp_path, version) as ch:
        sent = start_session(ch)
        assert sent["state"] == "accepted" and sent["outcome"] == "ACCEPTED", sent
        assert sent["response"]["result"] == "ACCEPTED"

        task = charger_takes(ch.cpo, "START_SESSION")
        assert task["request"]["token"]["uid"] == ch.uid
        # The backend's loop takes each request once; the list keeps it until reported.
        taken = ch.cpo.api_data("POST", "/api/charger/commands/take", params={"wait": 2})
        assert [t["id"] for t in taken] == [task["id"]] and taken[0]["taken"]
        assert ch.cpo.api_data("POST", "/api/charger/commands/take") == []
        assert [t["id"] for t in ch.cpo.api_data("GET", "/api/charger/commands")] == [task["id"]]
        assert task["request"]["location_id"] == ch.location_id
        assert "response_url" not in task["request"]  # the charger side never needs it

        # The charger side reports the session it started for the command: the token
        # and its eMSP come from the command, ACCEPTED goes to the eMSP on the way.
        ch.cpo.api_data(
            "POST",
            "/api/sessions",
            json={
                "id": "S-REMOTE",
                "command_id": task["id"],
                "location_id": ch.location_id,
                "evse_uid": ch.evse_uid,
                "connector_id": ch.connector_id,
                "start": at(-15),
            },
        )
        done = wait_state(ch.emsp, sent["id"], "done")
        assert done["outcome"] == "ACCEPTED"
        assert command(ch.cpo, task["id"])["state"] == "done"
        session = ch.wait_session("S-REMOTE", "ACTIVE")
        if version == "2.2.1":
            assert session["auth_method"] == "COMMAND"
            assert session["cdr_token"]["uid"] == ch.uid
        ch.meter("S-REMOTE", 7.5, at=at(-10))

        stop = send(ch, "STOP_SESSION", session_id="S-REMOTE")
        assert stop["outcome"] == "ACCEPTED", stop
        task = charger_takes(ch.cpo, "STOP_SESSION")
        assert task["session_id"] == "S-REMOTE"
        report(ch.cpo, task["id"], "ACCEPTED")
        ch.stop("S-REMOTE", at=at(-5))
        assert wait_state(ch.emsp, stop["id"], "done")["outcome"] == "ACCEPTED"
        ch.wait_session("S-REMOTE", "COMPLETED")
        cdr = ch.wait_cdr("S-REMOTE")
        assert cdr["total_energy"] == 7.5


def test_immediate_answers_of_the_cpo(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        unknown = start_session(ch, location_id="NOPE")
        assert unknown["state"] == "rejected" and unknown["outcome"] == "REJECTED"
        assert "2003" in unknown["error"]
        stop = send(ch, "STOP_SESSION", session_id="never-started")
        assert stop["outcome"] == "UNKNOWN_SESSION" and stop["state"] == "rejected"
        bad_evse = start_session(ch, evse_uid="LOC1-e9")
        assert bad_evse["outcome"] == "REJECTED"
        cancel = send(ch, "CANCEL_RESERVATION", reservation_id="nothing")
        assert cancel["outcome"] == "REJECTED"
        # Nothing of that reached the charger side.
        assert ch.cpo.api_data("GET", "/api/charger/commands") == []


def test_command_the_charger_never_answers_times_out_on_both_sides(tmp_path: Path) -> None:
    with charging_pair(tmp_path, cpo_settings={"command_timeout": 2}) as ch:
        ch.emsp.settings.command_result_grace = 30  # the CPO's TIMEOUT decides
        sent = send(
            ch,
            "UNLOCK_CONNECTOR",
            location_id=ch.location_id,
            evse_uid=ch.evse_uid,
            connector_id=ch.connector_id,
        )
        assert sent["response"]["timeout"] == 2
        task = charger_takes(ch.cpo, "UNLOCK_CONNECTOR")
        assert wait_state(ch.cpo, task["id"], "timed_out", timeout=10)["outcome"] == "TIMEOUT"
        emsp_side = wait_state(ch.emsp, sent["id"], "done", timeout=10)
        assert emsp_side["outcome"] == "TIMEOUT"
        # Too late now: the charger side's report is refused, nothing more is posted.
        resp = ch.cpo.api(
            "POST", f"/api/charger/commands/{task['id']}/result", json={"result": "ACCEPTED"}
        )
        assert resp.json()["status_code"] == 2001


def test_emsp_times_out_when_no_result_ever_comes(tmp_path: Path) -> None:
    """The CPO is gone after answering: the eMSP ends the wait on its own."""
    with charging_pair(tmp_path, cpo_settings={"command_timeout": 1}) as ch:
        ch.emsp.settings.command_result_grace = 1
        sent = send(
            ch,
            "UNLOCK_CONNECTOR",
            location_id=ch.location_id,
            evse_uid=ch.evse_uid,
            connector_id=ch.connector_id,
        )
        ch.cpo.stop()  # it never posts anything
        rec = wait_state(ch.emsp, sent["id"], "timed_out", timeout=10)
        assert rec["outcome"] == "TIMEOUT" and rec["result"] is None


def test_result_to_a_response_url_that_is_down_is_retried(tmp_path: Path) -> None:
    outage = Outage(paths=("/ocpi/2.2.1/emsp/commands",))
    with charging_pair(tmp_path, emsp_hook=outage.hook) as ch:
        sent = send(
            ch,
            "UNLOCK_CONNECTOR",
            location_id=ch.location_id,
            evse_uid=ch.evse_uid,
            connector_id=ch.connector_id,
        )
        task = charger_takes(ch.cpo, "UNLOCK_CONNECTOR")
        outage.down = True
        report(ch.cpo, task["id"], "ACCEPTED")
        poll(lambda: outage.refused >= 1, what="a refused result post")
        assert command(ch.emsp, sent["id"])["state"] == "accepted"
        outage.down = False
        rec = wait_state(ch.emsp, sent["id"], "done", timeout=20)
        assert rec["outcome"] == "ACCEPTED"


def test_reservation_expires_and_can_be_cancelled(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        soon = (datetime.now(UTC) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sent = send(
            ch,
            "RESERVE_NOW",
            location_id=ch.location_id,
            evse_uid=ch.evse_uid,
            token_uid=ch.uid,
            expiry_date=soon,
        )
        assert sent["outcome"] == "ACCEPTED", sent
        reservation_id = sent["request"]["reservation_id"]
        task = charger_takes(ch.cpo, "RESERVE_NOW")
        ours = task["reservation_id"]
        assert ours != reservation_id  # the charger side gets the CPO's own id
        report(ch.cpo, task["id"], "ACCEPTED")
        wait_state(ch.emsp, sent["id"], "done")

        def status(node, rid):  # type: ignore[no-untyped-def]
            rows = node.api_data("GET", "/api/reservations")
            return next(r["status"] for r in rows if r["reservation_id"] == rid)

        assert status(ch.emsp, reservation_id) == "active"
        assert status(ch.cpo, reservation_id) == "active"
        poll(lambda: status(ch.cpo, reservation_id) == "expired", what="expired at the CPO")
        poll(lambda: status(ch.emsp, reservation_id) == "expired", what="expired at the eMSP")
        # An expired reservation cannot be cancelled.
        late = send(ch, "CANCEL_RESERVATION", reservation_id=reservation_id)
        assert late["outcome"] == "REJECTED"

        # A second one, cancelled by the eMSP; a third, cancelled by the CPO itself.
        later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for rid in ("R2", "R3"):
            rec = send(
                ch,
                "RESERVE_NOW",
                location_id=ch.location_id,
                token_uid=ch.uid,
                reservation_id=rid,
                expiry_date=later,
            )
            report(ch.cpo, charger_takes(ch.cpo, "RESERVE_NOW")["id"], "ACCEPTED")
            wait_state(ch.emsp, rec["id"], "done")
        cancel = send(ch, "CANCEL_RESERVATION", reservation_id="R2")
        task = charger_takes(ch.cpo, "CANCEL_RESERVATION")
        report(ch.cpo, task["id"], "ACCEPTED")
        wait_state(ch.emsp, cancel["id"], "done")
        assert status(ch.emsp, "R2") == "cancelled" and status(ch.cpo, "R2") == "cancelled"
        r3 = next(
            r for r in ch.cpo.api_data("GET", "/api/reservations") if r["reservation_id"] == "R3"
        )
        ch.cpo.api_data(
            "POST", f"/api/charger/reservations/{r3['id']}/cancel", json={"message": "roadworks"}
        )
        poll(lambda: status(ch.emsp, "R3") == "cancelled", what="CPO's cancellation at the eMSP")


def test_a_reservation_is_a_session_until_charging_takes_it_over(tmp_path: Path) -> None:
    """2.2.1 #mod_sessions_reservation: a reservation that holds is a Session with status
    RESERVATION; a charging session for it continues under the same id (ACTIVE); one
    that expires unused ends COMPLETED, without a CDR."""
    with charging_pair(tmp_path) as ch:
        ids = {}
        for rid, minutes in (("RA", 60), ("RB", 0)):
            until = (datetime.now(UTC) + timedelta(minutes=minutes, seconds=4)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            sent = send(
                ch, "RESERVE_NOW", location_id=ch.location_id, token_uid=ch.uid,
                reservation_id=rid, expiry_date=until,
            )  # fmt: skip
            task = charger_takes(ch.cpo, "RESERVE_NOW")
            report(ch.cpo, task["id"], "ACCEPTED")
            wait_state(ch.emsp, sent["id"], "done")
            ids[rid] = task["reservation_id"]
        held = ch.wait_session(ids["RA"], "RESERVATION")
        assert held["evse_uid"] == ch.evse_uid and held["kwh"] == 0
        assert "end_date_time" not in held and held["cdr_token"]["uid"] == ch.uid
        ch.wait_session(ids["RB"], "RESERVATION")

        # The driver arrives at RA's charger: the same Session goes ACTIVE.
        ch.cpo.api_data(
            "POST",
            "/api/sessions",
            json={
                "reservation_id": ids["RA"],
                "location_id": ch.location_id,
                "evse_uid": ch.evse_uid,
                "connector_id": ch.connector_id,
                "start": at(-20),
            },
        )
        active = ch.wait_session(ids["RA"], "ACTIVE")
        assert active["auth_method"] == "COMMAND"
        ch.stop(ids["RA"], at=at(-10), meter=2)
        assert ch.wait_cdr(ids["RA"])["total_energy"] == 2

        # RB expires unused: COMPLETED, no CDR.
        ended = ch.wait_session(ids["RB"], "COMPLETED", timeout=20)
        assert ended["kwh"] == 0 and "end_date_time" in ended
        assert ch.cpo.api("GET", f"/api/cdrs/{ids['RB']}").status_code == 404  # none was made
        rows = ch.cpo.api_data("GET", "/api/reservations")
        assert {r["reservation_id"]: r["status"] for r in rows} == {"RA": "used", "RB": "expired"}
        reused = ch.cpo.api(
            "POST",
            "/api/sessions",
            json={"reservation_id": ids["RB"], "location_id": ch.location_id,
                  "evse_uid": ch.evse_uid, "connector_id": ch.connector_id},
        )  # fmt: skip
        assert reused.json()["status_code"] == 2001
