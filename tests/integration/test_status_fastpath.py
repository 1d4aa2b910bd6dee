"""The EVSE status fast path (``api/status_fastpath.py``) answers exactly as the route
does: the same requests to a node with it and to a node without it (the FastAPI route
only) get the same status, envelope and stored result; it answers the valid ones itself
and leaves everything else to the route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from roamkit.api import status_fastpath
from support import ADMIN_TOKEN, Node

from .ocpi_data import location

PATH = "/api/locations/{lid}/evses/{uid}/status"
JSON = {"Content-Type": "application/json"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", **JSON}

CASES: list[tuple[str, str, str, dict[str, str], bytes]] = [
    ("ok", "FP-1", "FP-1-e1", ADMIN, b'{"status": "CHARGING"}'),
    ("ok again", "FP-1", "FP-1-e1", ADMIN, b'{"status": "BLOCKED"}'),
    (
        "token scheme",
        "FP-1",
        "FP-1-e1",
        {"Authorization": f"Token {ADMIN_TOKEN}", **JSON},
        b'{"status": "AVAILABLE"}',
    ),
    ("unknown location", "NOPE", "NOPE-e1", ADMIN, b'{"status": "CHARGING"}'),
    ("unknown EVSE", "FP-1", "NOPE", ADMIN, b'{"status": "CHARGING"}'),
    ("invalid status", "FP-1", "FP-1-e1", ADMIN, b'{"status": "ASLEEP"}'),
    ("no status", "FP-1", "FP-1-e1", ADMIN, b"{}"),
    ("not an object", "FP-1", "FP-1-e1", ADMIN, b'["CHARGING"]'),
    ("not JSON", "FP-1", "FP-1-e1", ADMIN, b"status=CHARGING"),
    ("no token", "FP-1", "FP-1-e1", JSON, b'{"status": "CHARGING"}'),
    (
        "wrong token",
        "FP-1",
        "FP-1-e1",
        {"Authorization": "Bearer nope", **JSON},
        b'{"status": "CHARGING"}',
    ),
]


def _route_only(app: FastAPI) -> None:
    app.user_middleware = [
        m for m in app.user_middleware if m.cls is not status_fastpath.StatusFastPath
    ]


def _answer(node: Node, lid: str, uid: str, headers: dict[str, str], body: bytes) -> Any:
    resp = node.http.post(
        node.url + PATH.format(lid=lid, uid=uid),
        content=body,
        headers={**headers, "X-Request-ID": "rid-1"},
    )
    envelope = resp.json()
    envelope.pop("timestamp", None)
    return (
        resp.status_code,
        envelope,
        resp.headers.get("x-request-id"),
        resp.headers.get("content-type"),
    )


@pytest.fixture
def nodes(start_node: Any) -> tuple[Node, Node]:
    fast = start_node("fast", roles=["CPO"], party_id="CPO")
    route = start_node("route", roles=["CPO"], party_id="CPO", app_hook=_route_only)
    for node in (fast, route):
        node.api_data("PUT", "/api/locations/FP-1", json=location("FP-1"))
    return fast, route


def test_fast_path_answers_as_the_route(
    nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, route = nodes
    answered: list[int] = []
    encode = status_fastpath.encode_response

    def counting(*args: Any) -> Any:
        answered.append(1)
        return encode(*args)

    monkeypatch.setattr(status_fastpath, "encode_response", counting)
    for name, lid, uid, headers, body in CASES:
        expected = _answer(route, lid, uid, headers, body)
        got = _answer(fast, lid, uid, headers, body)
        assert got == expected, name
    assert len(answered) == 3, "the three valid changes were answered by the fast path"
    stored = [n.api_data("GET", "/api/locations/FP-1")["evses"][0]["status"] for n in (fast, route)]
    assert stored == ["AVAILABLE", "AVAILABLE"]


def test_other_requests_go_to_the_app(nodes: tuple[Node, Node]) -> None:
    fast, _ = nodes
    # Another method, a longer path: the app's own answers (405 and 404 envelopes).
    resp = fast.http.put(
        fast.url + "/api/locations/FP-1/evses/FP-1-e1/status",
        json={"status": "CHARGING"},
        headers=ADMIN,
    )
    assert resp.status_code == 405 and resp.json()["status_code"] == 2000
    resp = fast.http.post(
        fast.url + "/api/locations/FP-1/evses/FP-1-e1/x/status",
        json={"status": "CHARGING"},
        headers=ADMIN,
    )
    assert resp.status_code == 404
