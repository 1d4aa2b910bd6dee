"""The ``roamkit`` command line against real nodes: the public contract of each command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from roamkit.cli import app
from support import ADMIN_TOKEN, free_socket, fresh_database

runner = CliRunner()


def _env(node) -> dict[str, str]:
    return {
        "ROAMKIT_DATABASE_URL": node.settings.database_url,
        "ROAMKIT_BASE_URL": node.url,
        "ROAMKIT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ROAMKIT_API_URL": node.url,
        "ROAMKIT_COUNTRY_CODE": node.settings.country_code,
        "ROAMKIT_PARTY_ID": node.settings.party_id,
    }


def _run(node, *args: str) -> dict | list:
    result = runner.invoke(app, list(args), env=_env(node))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_partner_commands_end_to_end(start_node) -> None:
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO")
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")

    invite = _run(cpo, "partner", "invite", "--name", "msp")
    assert set(invite) == {"name", "token", "versions_url"}
    assert invite["name"] == "msp" and invite["versions_url"] == cpo.versions_url

    partner = _run(
        emsp,
        "partner",
        "register",
        invite["versions_url"],
        "--token",
        invite["token"],
        "--name",
        "cpo",
    )
    assert partner["name"] == "cpo" and partner["status"] == "registered"
    assert partner["version"] == "2.2.1"
    # No credentials token in the output (the Tokens module's endpoint name aside).
    shown = json.dumps(partner).lower().replace("token_encoding", "").replace("tokens", "")
    assert "token" not in shown

    listed = _run(cpo, "partner", "list", "--json")
    assert [(p["name"], p["status"]) for p in listed] == [("msp", "registered")]
    table = runner.invoke(app, ["partner", "list"], env=_env(cpo))
    assert table.exit_code == 0 and "msp" in table.stdout and "registered" in table.stdout

    rotated = _run(emsp, "partner", "rotate", "cpo")
    assert rotated["status"] == "registered"

    removed = _run(emsp, "partner", "remove", "cpo")
    assert removed["status"] == "unregistered"
    assert _run(cpo, "partner", "list", "--json")[0]["status"] == "unregistered"


def test_cli_errors_are_readable(start_node) -> None:
    node = start_node("n")
    result = runner.invoke(app, ["partner", "rotate", "nobody"], env=_env(node))
    assert result.exit_code == 1 and "nobody" in result.output
    result = runner.invoke(
        app,
        ["partner", "register", "http://127.0.0.1:9/ocpi/versions", "--token", "x"],
        env=_env(node),
    )
    assert result.exit_code == 1 and "failed" in result.output
    _run(node, "partner", "invite", "--name", "dup")
    # Re-inviting an invited partner renews its TOKEN_A.
    _run(node, "partner", "invite", "--name", "dup")


def test_init_and_serve_as_processes(tmp_path: Path) -> None:
    """``roamkit init`` then ``roamkit serve`` as a user runs them (what ``make run`` does)."""
    with fresh_database(tmp_path, "served") as db_url:
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        env = {
            **os.environ,
            "ROAMKIT_DATABASE_URL": db_url,
            "ROAMKIT_BASE_URL": f"http://127.0.0.1:{port}",
            "ROAMKIT_ADMIN_TOKEN": "adm",
        }
        exe = Path(sys.executable).with_name("roamkit")
        init = subprocess.run(
            [exe, "init"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert init.returncode == 0, init.stderr
        proc = subprocess.Popen(
            [exe, "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    resp = httpx.get(f"http://127.0.0.1:{port}/ocpi/versions", timeout=2)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.1)
            assert resp.status_code == 401 and resp.json()["status_code"] == 2000
            invite = httpx.post(
                f"http://127.0.0.1:{port}/api/partners/invite",
                json={},
                headers={"Authorization": "Bearer adm"},
            ).json()["data"]
            resp = httpx.get(
                invite["versions_url"], headers={"Authorization": f"Token {invite['token']}"}
            )
            assert resp.json()["data"][0]["version"] == "2.2.1"
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def test_own_data_commands(start_node, tmp_path: Path) -> None:
    """location put / location status / tariff put / tariff delete / seed, through the API."""
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO")
    tariff_file = tmp_path / "tariff.json"
    tariff_file.write_text(
        json.dumps(
            {
                "id": "T1",
                "currency": "EUR",
                "elements": [
                    {"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}
                ],
            }
        )
    )
    tariff = _run(cpo, "tariff", "put", str(tariff_file))
    assert tariff["id"] == "T1" and tariff["country_code"] == "NL" and tariff["party_id"] == "CPO"
    location_file = tmp_path / "location.json"
    location_file.write_text(
        json.dumps(
            {
                "id": "L1",
                "publish": True,
                "address": "Main 1",
                "city": "Utrecht",
                "country": "NLD",
                "coordinates": {"latitude": "52.090737", "longitude": "5.121420"},
                "time_zone": "Europe/Amsterdam",
                "evses": [
                    {
                        "uid": "E1",
                        "status": "AVAILABLE",
                        "connectors": [
                            {
                                "id": "1",
                                "standard": "IEC_62196_T2",
                                "format": "SOCKET",
                                "power_type": "AC_3_PHASE",
                                "max_voltage": 230,
                                "max_amperage": 16,
                                "tariff_ids": ["T1"],
                            }
                        ],
                    }
                ],
            }
        )
    )
    location = _run(cpo, "location", "put", str(location_file))
    assert location["evses"][0]["connectors"][0]["last_updated"]
    changed = _run(cpo, "location", "status", "L1", "E1", "charging")
    assert changed["status"] == "CHARGING"
    stored = cpo.api_data("GET", "/api/locations/L1")
    assert stored["evses"][0]["status"] == "CHARGING"
    _run(cpo, "tariff", "delete", "T1")
    assert cpo.api("GET", "/api/tariffs/T1").status_code == 404
    bad = runner.invoke(app, ["location", "status", "L1", "E1", "FLYING"], env=_env(cpo))
    assert bad.exit_code == 1
    seeded = _run(cpo, "seed", "--locations", "7", "--tariffs", "3", "--seed", "5")
    assert seeded == {"locations": 7, "tariffs": 3}
    assert cpo.api_data("GET", "/api/locations/LOC-000007")["party_id"] == "CPO"
