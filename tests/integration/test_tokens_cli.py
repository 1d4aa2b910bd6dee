"""``roamkit token ...`` against real nodes: add, block, show on the eMSP, and the
CPO's ``token authorize`` decision, each printing JSON (public contract)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from roamkit.cli import app
from support import ADMIN_TOKEN, Node

from .ocpi_data import poll
from .tokens_support import token_pair

runner = CliRunner()


def _run(node: Node, *args: str) -> dict:
    env = {
        "ROAMKIT_DATABASE_URL": node.settings.database_url,
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROAMKIT_API_URL": node.url,
    }
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_token_commands(tmp_path: Path) -> None:
    with token_pair(tmp_path) as pair:
        added = _run(
            pair.emsp,
            "token",
            "add",
            "CLI1",
            "--whitelist",
            "always",
            "--contract-id",
            "NL-MSP-C00001-1",
            "--location",
            "LOC1:E1,E2",
            "--location",
            "LOC2",
        )
        assert added["uid"] == "CLI1" and added["whitelist"] == "ALWAYS"
        assert added["contract_id"] == "NL-MSP-C00001-1" and added["state"] == "active"
        assert added["rules"]["allowed_locations"] == [
            {"location_id": "LOC1", "evse_uids": ["E1", "E2"]},
            {"location_id": "LOC2"},
        ]
        poll(
            lambda: (
                _run(pair.cpo, "token", "authorize", "CLI1", "--location", "LOC1", "--evse", "E1")[
                    "source"
                ]
                == "local"
            ),
            what="token at the CPO",
        )
        decision = _run(pair.cpo, "token", "authorize", "CLI1")
        assert decision["allowed"] == "ALLOWED" and decision["token"]["uid"] == "CLI1"

        blocked = _run(pair.emsp, "token", "block", "CLI1")
        assert blocked["valid"] is False and blocked["state"] == "blocked"
        assert _run(pair.emsp, "token", "show", "CLI1")["state"] == "blocked"
        poll(
            lambda: _run(pair.cpo, "token", "authorize", "CLI1")["allowed"] == "BLOCKED",
            what="blocked at the CPO",
        )

        unknown = _run(pair.cpo, "token", "authorize", "NOBODY", "--party", "NL*MSP")
        assert (unknown["allowed"], unknown["source"]) == ("NOT_ALLOWED", "realtime")
        bad = runner.invoke(
            app,
            ["token", "authorize", "X", "--party", "NLMSP"],
            env={"ROAMKIT_API_URL": pair.cpo.url},
        )
        assert bad.exit_code == 2
