"""Edges of commands and reservations found in review: a replacement ReserveNow that
fails, a result that arrives after the reservation was cancelled, a reservation id used
again, a response_url we must not call, a long X-Correlation-ID, an unknown location
answered HTTP 200 (status_codes.asciidoc: no HTTP error for valid JSON to an existing
endpoint)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .commands_support import charger_takes, report, send, wait_state
from .ocpi_data import poll
from .sessions_support import Charging, charging_pair


def _at(minutes: float) -> str:
    when = datetime.now(UTC) + timedelta(minutes=minutes, seconds=3)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reservation(node: Any, rid: str) -> dict[str, Any]:
    rows = node.api_data("GET", "/api/reservations")
    return next(r for r in rows if r["reservation_id"] == rid)  # type: ignore[no-any-return]


def _reserve(ch: Charging, rid: str, result: str, minutes: float = 60) -> dict[str, Any]:
    sent = send(
        ch, "RESERVE_NOW", location_id=ch.location_id, evse_uid=ch.evse_uid,
        token_uid=ch.uid, reservation_id=rid, expiry_date=_at(minutes),
    )  # fmt: skip
    task = charger_takes(ch.cpo, "RESERVE_NOW")
    report(ch.cpo, task["id"], result)
    wait_state(ch.emsp, sent["id"], "done")
    return task


def test_a_failed_replacement_keeps_the_reservation_it_was_to_replace(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ours = _reserve(ch, "R1", "ACCEPTED")["reservation_id"]
        ch.wait_session(ours, "RESERVATION")
        before = _reservation(ch.cpo, "R1")
        again = _reserve(ch, "R1", "FAILED", minutes=0)  # an extension the charger refused
        assert again["reservation_id"] == ours
        for node in (ch.cpo, ch.emsp):
            kept = _reservation(node, "R1")
            assert kept["status"] == "active" and kept["expiry_date"] == before["expiry_date"]
        time.sleep(4)  # past the refused replacement's expiry: the original still holds
        assert _reservation(ch.cpo, "R1")["status"] == "active"
        body = {"reservation_id": ours, "location_id": ch.location_id,
                "evse_uid": ch.evse_uid, "connector_id": ch.connector_id}  # fmt: skip
        ch.cpo.api_data("POST", "/api/sessions", json=body)
        ch.wait_session(ours, "ACTIVE")
        # An accepted replacement moves the expiry.
        _reserve(ch, "R9", "ACCEPTED")
        later = _at(120)
        sent = send(
            ch, "RESERVE_NOW", location_id=ch.location_id, evse_uid=ch.evse_uid,
            token_uid=ch.uid, reservation_id="R9", expiry_date=later,
        )  # fmt: skip
        report(ch.cpo, charger_takes(ch.cpo, "RESERVE_NOW")["id"], "ACCEPTED")
        wait_state(ch.emsp, sent["id"], "done")
        for node in (ch.cpo, ch.emsp):
            assert _reservation(node, "R9")["expiry_date"] == later


def test_a_late_result_does_not_revive_a_cancelled_reservation(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        sent = send(
            ch, "RESERVE_NOW", location_id=ch.location_id, evse_uid=ch.evse_uid,
            token_uid=ch.uid, reservation_id="RX", expiry_date=_at(60),
        )  # fmt: skip
        task = charger_takes(ch.cpo, "RESERVE_NOW")
        ch.cpo.api_data("POST", f"/api/charger/reservations/{task['reservation_id']}/cancel")
        report(ch.cpo, task["id"], "ACCEPTED")
        wait_state(ch.emsp, sent["id"], "done")
        poll(lambda: _reservation(ch.emsp, "RX")["status"] == "cancelled", what="cancelled")
        assert _reservation(ch.cpo, "RX")["status"] == "cancelled"
        time.sleep(1)
        assert ch.emsp_session(task["reservation_id"]) is None  # no RESERVATION Session


def test_a_reservation_id_used_again_is_a_new_reservation(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        first = _reserve(ch, "R2", "ACCEPTED")["reservation_id"]
        ch.wait_session(first, "RESERVATION")
        cancel = send(ch, "CANCEL_RESERVATION", reservation_id="R2")
        report(ch.cpo, charger_takes(ch.cpo, "CANCEL_RESERVATION")["id"], "ACCEPTED")
        wait_state(ch.emsp, cancel["id"], "done")
        ch.wait_session(first, "COMPLETED")
        second = _reserve(ch, "R2", "ACCEPTED")["reservation_id"]
        assert second != first  # the old id keeps naming its (completed) Session
        ch.wait_session(second, "RESERVATION")
        assert ch.emsp_session(first)["status"] == "COMPLETED"  # type: ignore[index]
        body = {"reservation_id": second, "location_id": ch.location_id,
                "evse_uid": ch.evse_uid, "connector_id": ch.connector_id}  # fmt: skip
        ch.cpo.api_data("POST", "/api/sessions", json=body)
        ch.wait_session(second, "ACTIVE")


def _post_command(ch: Charging, command: str, body: dict[str, Any], **kw: Any) -> Any:
    url = f"{ch.cpo.url}/ocpi/2.2.1/cpo/commands/{command}"
    return ch.cpo.ocpi("POST", url, token=ch.pair.emsp_on_cpo, json=body, **kw)


def test_request_checks_at_the_cpo(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        unlock = {"location_id": ch.location_id, "evse_uid": ch.evse_uid,
                  "connector_id": ch.connector_id}  # fmt: skip
        for bad in ("ftp://elsewhere.example/r", "not a url"):
            resp = _post_command(ch, "UNLOCK_CONNECTOR", {**unlock, "response_url": bad})
            assert resp.status_code == 200 and resp.json()["status_code"] == 2001, resp.text
            assert "response_url" in resp.json()["status_message"]
        start = {"response_url": f"{ch.emsp.url}/r", "location_id": ch.location_id,
                 "connector_id": "1", "token": {"uid": "X"}}  # fmt: skip
        resp = _post_command(ch, "START_SESSION", start)
        assert resp.json()["status_code"] == 2001  # connector_id without evse_uid
        unknown = _post_command(
            ch,
            "UNLOCK_CONNECTOR",
            {**unlock, "location_id": "NOPE", "response_url": f"{ch.emsp.url}/r"},
        )
        assert unknown.status_code == 200 and unknown.json()["status_code"] == 2003
        assert unknown.json()["data"]["result"] == "REJECTED"
        # A correlation id too long to keep is not carried on; nothing breaks (PostgreSQL
        # refused it with HTTP 500 before).
        long_id = _post_command(
            ch, "UNLOCK_CONNECTOR", {**unlock, "response_url": f"{ch.emsp.url}/r"},
            headers={"X-Correlation-ID": "c" * 100},
        )  # fmt: skip
        assert long_id.status_code == 200 and long_id.json()["data"]["result"] == "ACCEPTED"
        assert ch.cpo.api_data("GET", "/api/charger/commands")[0]["type"] == "UNLOCK_CONNECTOR"


def test_bad_input_on_every_new_endpoint_gets_an_envelope(tmp_path: Path) -> None:
    """Garbage at the commands and charging profiles endpoints (OCPI and management API):
    the right HTTP code and an OCPI envelope with a reason, never a 500."""
    with charging_pair(tmp_path) as ch:
        token = ch.pair.emsp_on_cpo
        ocpi = f"{ch.cpo.url}/ocpi/2.2.1/cpo"
        cases: list[tuple[Any, str, str, dict[str, Any], tuple[int, ...], int]] = [
            (ch.cpo, "POST", f"{ocpi}/commands/START_SESSION", {"content": b"{nope"}, (400,), 2001),
            (ch.cpo, "POST", f"{ocpi}/commands/START_SESSION", {"json": [1, 2]}, (200,), 2001),
            (
                ch.cpo,
                "POST",
                f"{ocpi}/commands/START_SESSION",
                {"json": {"token": 5}},
                (200,),
                2001,
            ),
            (ch.cpo, "POST", f"{ocpi}/commands/SELF_DESTRUCT", {"json": {}}, (404,), 2000),
            (ch.cpo, "PUT", f"{ocpi}/chargingprofiles/S1", {"content": b"\xff"}, (400,), 2001),
            (ch.cpo, "PUT", f"{ocpi}/chargingprofiles/S1", {"json": {"x": 1}}, (200,), 2001),
            (ch.cpo, "GET", f"{ocpi}/chargingprofiles/S1?duration=x", {}, (400,), 2001),
        ]
        for node, method, url, kw, http, code in cases:
            resp = node.ocpi(method, url, token=token, **kw)
            body = resp.json()
            assert resp.status_code in http and body["status_code"] == code, (url, resp.text)
            assert body["status_message"], url
        no_token = ch.cpo.ocpi("POST", f"{ocpi}/commands/START_SESSION", json={})
        assert no_token.status_code == 401 and no_token.json()["status_code"] == 2000
        broken = {"content": b"[", "headers": {"content-type": "application/json"}}
        stranger = {"partner": "x", "type": "STOP_SESSION", "session_id": "s"}
        accepted = {"json": {"result": "ACCEPTED"}}
        api: list[tuple[Any, str, str, dict[str, Any], int, int]] = [
            (ch.emsp, "POST", "/api/commands", broken, 400, 2001),
            (ch.emsp, "POST", "/api/commands", {"json": {"partner": "cpo"}}, 200, 2001),
            (ch.emsp, "POST", "/api/commands", {"json": stranger}, 404, 2000),
            (ch.emsp, "GET", "/api/commands/nope", {}, 404, 2000),
            (ch.emsp, "POST", "/api/chargingprofiles", {"json": {"action": "melt"}}, 200, 2001),
            (ch.cpo, "POST", "/api/charger/commands/nope/result", accepted, 404, 2000),
            (ch.cpo, "POST", "/api/charger/commands/take?wait=soon", {}, 400, 2001),
            (ch.cpo, "POST", "/api/charger/reservations/nope/cancel", {}, 404, 2000),
        ]  # fmt: skip
        for node, method, path, kw, http_status, code in api:
            resp = node.api(method, path, **kw)
            body = resp.json()
            assert (resp.status_code, body["status_code"]) == (http_status, code), (path, resp.text)
