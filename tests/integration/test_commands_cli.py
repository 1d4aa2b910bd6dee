"""``roamkit command ...`` (eMSP) and ``roamkit charger ...`` (CPO) against real nodes:
public contract, JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from roamkit.cli import app
from support import ADMIN_TOKEN, Node

from .commands_support import wait_state
from .sessions_support import charging_pair

runner = CliRunner()


def _invoke(node: Node, *args: str) -> Any:
    env = {"ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN, "ROAMKIT_API_URL": node.url, "COLUMNS": "200"}
    return runner.invoke(app, list(args), env=env)


def _run(node: Node, *args: str) -> Any:
    result = _invoke(node, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_command_and_charger_commands(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        sent = _run(
            ch.emsp, "command", "start-session", "--partner", "cpo", "--location", "LOC1",
            "--evse", "LOC1-e1", "--token", ch.uid,
        )  # fmt: skip
        assert sent["type"] == "START_SESSION" and sent["state"] == "accepted"
        pending = _run(ch.cpo, "charger", "pending", "--wait", "5")
        assert [p["type"] for p in pending] == ["START_SESSION"]
        assert [t["id"] for t in _run(ch.cpo, "charger", "take")] == [pending[0]["id"]]
        assert _run(ch.cpo, "charger", "take") == []
        session = _run(
            ch.cpo, "session", "start", "--command", pending[0]["id"], "--location", "LOC1",
            "--evse", "LOC1-e1", "--connector", "1", "--id", "CLI-1",
        )  # fmt: skip
        assert session["auth_method"] == "COMMAND" and session["cdr_token"]["uid"] == ch.uid
        wait_state(ch.emsp, sent["id"], "done")
        assert _run(ch.emsp, "command", "show", sent["id"])["outcome"] == "ACCEPTED"

        stop = _run(ch.emsp, "command", "stop-session", "CLI-1", "--partner", "cpo")
        task = _run(ch.cpo, "charger", "pending")[0]
        assert task["type"] == "STOP_SESSION" and task["session_id"] == "CLI-1"
        reported = _run(ch.cpo, "charger", "report", task["id"], "evse_occupied", "--message", "x")
        assert reported["state"] == "done" and reported["outcome"] == "EVSE_OCCUPIED"
        assert wait_state(ch.emsp, stop["id"], "done")["outcome"] == "EVSE_OCCUPIED"

        listed = _run(ch.emsp, "command", "list", "--json", "--direction", "out")
        assert [r["type"] for r in listed] == ["STOP_SESSION", "START_SESSION"]
        table = _invoke(ch.emsp, "command", "list")
        assert table.exit_code == 0 and "EVSE_OCCUPIED" in table.stdout

        reserved = _run(
            ch.emsp, "command", "reserve", "--partner", "cpo", "--location", "LOC1",
            "--token", ch.uid, "--minutes", "20", "--reservation-id", "R-CLI",
        )  # fmt: skip
        assert reserved["outcome"] == "ACCEPTED"
        task = _run(ch.cpo, "charger", "pending")[0]
        _run(ch.cpo, "charger", "report", task["id"], "ACCEPTED")
        wait_state(ch.emsp, reserved["id"], "done")
        ours = _run(ch.cpo, "command", "reservations", "--status", "active")
        assert [r["reservation_id"] for r in ours] == ["R-CLI"]
        cancelled = _run(ch.cpo, "charger", "cancel-reservation", ours[0]["id"])
        assert cancelled["status"] == "cancelled"

        # --wait ends with the outcome; anything but ACCEPTED exits 1.
        unlock = _invoke(
            ch.emsp, "command", "unlock", "--partner", "cpo", "--location", "NOPE",
            "--evse", "E", "--connector", "1", "--wait",
        )  # fmt: skip
        assert unlock.exit_code == 1 and json.loads(unlock.stdout)["outcome"] == "REJECTED"
        bad = _invoke(ch.emsp, "command", "stop-session", "X", "--partner", "nobody")
        assert bad.exit_code == 1 and "Unknown partner" in bad.output
