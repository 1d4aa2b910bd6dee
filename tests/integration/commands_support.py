"""Commands between a CPO and an eMSP on loopback (``sessions_support.charging_pair``):
the eMSP sends through its management API; the CPO's charger side is played by the
test through the CPO's hook (``/api/charger/commands``)."""

from __future__ import annotations

from typing import Any

from support import Node

from .ocpi_data import poll
from .sessions_support import Charging


def send(ch: Charging, type_: str, **fields: Any) -> dict[str, Any]:
    """``POST /api/commands`` at the eMSP, to its CPO partner ("cpo")."""
    body = {"partner": "cpo", "type": type_, **fields}
    resp = ch.emsp.api("POST", "/api/commands", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


def start_session(ch: Charging, **fields: Any) -> dict[str, Any]:
    defaults = {"location_id": ch.location_id, "evse_uid": ch.evse_uid, "token_uid": ch.uid}
    return send(ch, "START_SESSION", **{**defaults, **fields})


def charger_takes(cpo: Node, type_: str, wait: float = 10) -> dict[str, Any]:
    """The charger side's long poll: the first waiting request of ``type_``."""

    def probe() -> dict[str, Any] | None:
        pending = cpo.api_data("GET", "/api/charger/commands", params={"wait": 2})
        return next((p for p in pending if p["type"] == type_), None)

    return poll(probe, timeout=wait, what=f"{type_} at the charger side")


def report(cpo: Node, command_id: str, result: str, **extra: Any) -> dict[str, Any]:
    body = {"result": result, **extra}
    return cpo.api_data(  # type: ignore[no-any-return]
        "POST", f"/api/charger/commands/{command_id}/result", json=body
    )


def command(node: Node, command_id: str) -> dict[str, Any]:
    return node.api_data("GET", f"/api/commands/{command_id}")  # type: ignore[no-any-return]


def wait_state(node: Node, command_id: str, state: str, timeout: float = 15) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        rec = command(node, command_id)
        return rec if rec["state"] == state else None

    return poll(probe, timeout=timeout, what=f"command {command_id} {state}")
