"""``roamkit session ...`` and ``roamkit cdr ...`` against real nodes (public contract):
charger events on the CPO print JSON; the eMSP lists CDRs and disputes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from roamkit.cli import app
from support import ADMIN_TOKEN, Node

from .ocpi_data import envelope
from .sessions_support import charging_pair

runner = CliRunner()


def _invoke(node: Node, *args: str) -> Any:
    env = {
        "ROAMKIT_DATABASE_URL": node.settings.database_url,
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROAMKIT_API_URL": node.url,
    }
    return runner.invoke(app, list(args), env=env)


def _run(node: Node, *args: str) -> Any:
    result = _invoke(node, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_session_and_cdr_commands(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        started = _run(
            ch.cpo, "session", "start", ch.uid, "--location", "LOC1", "--evse", "LOC1-e1",
            "--connector", "1", "--id", "C1", "--meter-start", "100",
            "--at", "2026-11-20T10:00:00Z",
        )  # fmt: skip
        assert started["id"] == "C1" and started["status"] == "ACTIVE"
        metered = _run(ch.cpo, "session", "meter", "C1", "104", "--at", "2026-11-20T10:30:00Z")
        assert metered["kwh"] == 4
        parked = _run(
            ch.cpo, "session", "meter", "C1", "105", "--parking", "--at", "2026-11-20T10:40:00Z"
        )
        assert parked["kwh"] == 5
        done = _run(ch.cpo, "session", "stop", "C1", "--at", "2026-11-20T11:00:00Z")
        assert done["session"]["status"] == "COMPLETED"
        assert done["cdr"]["total_cost"] == {"excl_vat": 2.0}  # 0.50 + 5 x 0.30
        shown = _run(ch.cpo, "session", "show", "C1")
        assert shown["charger"]["samples"] == 3  # a stop without a reading adds none
        assert [c["id"] for c in _run(ch.cpo, "cdr", "list")] == ["C1"]
        assert _run(ch.cpo, "cdr", "show", "C1")["total_energy"] == 5
        ch.wait_cdr("C1")
        assert [c["id"] for c in _run(ch.emsp, "cdr", "list", "--received")] == ["C1"]
        assert _run(ch.emsp, "cdr", "disputes", "--json") == []

        # A CDR the eMSP prices differently: a dispute, in the table and as JSON.
        wrong = {**done["cdr"], "id": "C1-W", "total_cost": {"excl_vat": 9.99}}
        resp = ch.emsp.ocpi(
            "POST", f"{ch.emsp.url}/ocpi/2.2.1/emsp/cdrs", token=ch.pair.cpo_on_emsp, json=wrong
        )
        envelope(resp, 201, 1000)
        disputes = _run(ch.emsp, "cdr", "disputes", "--json")
        assert [(d["cdr_id"], d["kind"]) for d in disputes] == [("C1-W", "price_mismatch")]
        assert disputes[0]["claimed_total"] == "9.99" and disputes[0]["expected_total"] == "2.0"
        table = _invoke(ch.emsp, "cdr", "disputes")
        assert table.exit_code == 0 and "C1-W" in table.stdout and "price_mismatch" in table.stdout

        failed = _invoke(ch.cpo, "session", "meter", "C1", "200")
        assert failed.exit_code == 1 and "COMPLETED" in failed.output
        invalid = _run(
            ch.cpo, "session", "start", ch.uid, "--location", "LOC1", "--evse", "LOC1-e1",
            "--connector", "1", "--id", "C2",
        )  # fmt: skip
        assert invalid["status"] == "ACTIVE"
        ended = _run(ch.cpo, "session", "stop", "C2", "--invalid", "--reason", "EV fault")
        assert ended["session"]["status"] == "INVALID" and ended["cdr"] is None
        assert {s["id"] for s in _run(ch.cpo, "session", "list")} == {"C1", "C2"}
