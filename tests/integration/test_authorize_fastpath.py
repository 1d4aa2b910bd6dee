"""The authorize fast path (``modules.tokens.fastpath``) answers exactly like the
framework route it stands in front of: the same request sent through both, on a real
eMSP node with a registered CPO, gets the same status, headers and body, for every
outcome (allowed, rules, 2001/2002, unknown token, 400, 401, 500) and both versions.

A test middleware just outside the fast path sends requests marked ``x-test-path:
framework`` past it, to the app behind it (RequestIdMiddleware, the Starlette route),
and counts what reaches the app, which proves the unmarked ones were answered by the
fast path."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from roamkit.modules.tokens import service
from roamkit.modules.tokens.fastpath import AuthorizeFastPath, FastPathApp

from .tokens_support import Pair, add_token, token_pair

VERSIONS = ["2.2.1", "2.1.1"]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
VARYING = {"date", "server"}
"""Headers of the server (uvicorn), not of the app."""


class PathSwitch:
    """Test hook: ``x-test-path: framework`` skips the fast path; counts app calls."""

    def __init__(self) -> None:
        self.framework_calls = 0

    def hook(self, app: FastAPI) -> None:
        switch = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                fast = self.inner
                assert isinstance(fast, AuthorizeFastPath), "fast path is not the next layer"
                if scope["type"] != "http" or not scope["path"].endswith("/authorize"):
                    await fast(scope, receive, send)
                    return
                if (b"x-test-path", b"framework") in scope["headers"]:
                    switch.framework_calls += 1
                    await fast.app(scope, receive, send)
                    return
                inner_app = fast.app

                async def counting(scope: Any, receive: Any, send: Any) -> None:
                    switch.framework_calls += 1
                    await inner_app(scope, receive, send)

                fast.app = counting
                try:
                    await fast(scope, receive, send)
                finally:
                    fast.app = inner_app

        app.add_middleware(Middleware)


@pytest.fixture(params=VERSIONS)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Pair, PathSwitch]]:
    switch = PathSwitch()
    with token_pair(tmp_path, request.param, emsp_hook=switch.hook) as pair:
        add_token(pair.emsp, "FAST1", whitelist="NEVER")
        add_token(pair.emsp, "APP1", type="APP_USER", whitelist="NEVER")
        add_token(
            pair.emsp,
            "RULED",
            whitelist="NEVER",
            allowed_locations=[{"location_id": "LOC1", "evse_uids": ["E1", "E2"]}],
        )
        yield pair, switch


def both(
    pair: Pair,
    switch: PathSwitch,
    uid: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = "",
    params: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[httpx.Response, httpx.Response]:
    """The same request through the fast path, then through the framework route."""
    url = f"{pair.emsp.url}/ocpi/{pair.version}/emsp/tokens/{uid}/authorize"
    h = dict(headers or {})
    if token == "":
        h["Authorization"] = f"Token {pair.cpo_on_emsp}"
    elif token is not None:
        h["Authorization"] = token
    if body is not None:
        h["Content-Type"] = "application/json"
    before = switch.framework_calls
    fast = pair.emsp.http.request(method, url, headers=h, content=body, params=params)
    fast_reached_app = switch.framework_calls - before
    slow = pair.emsp.http.request(
        method, url, headers={**h, "x-test-path": "framework"}, content=body, params=params
    )
    if method == "POST":
        assert fast_reached_app == 0, "the fast path handed the request to the app"
    return fast, slow


def same(fast: httpx.Response, slow: httpx.Response) -> dict[str, Any]:
    """Assert both answers are the same; returns the fast path's body."""
    assert fast.status_code == slow.status_code, (fast.text, slow.text)
    names = [k for k, _ in fast.headers.raw if k.decode().lower() not in VARYING]
    assert names == [k for k, _ in slow.headers.raw if k.decode().lower() not in VARYING]
    for name in names:
        key = name.decode()
        if key.lower() not in ("x-request-id", "x-correlation-id"):
            assert fast.headers.get_list(key) == slow.headers.get_list(key), key
    fb, sb = fast.json(), slow.json()
    assert fb.keys() == sb.keys()
    fast_data, slow_data = dict(fb.get("data") or {}), dict(sb.get("data") or {})
    if "authorization_reference" in fast_data:  # fresh per answer (32 hex)
        assert len(fast_data.pop("authorization_reference")) == len(
            slow_data.pop("authorization_reference")
        )
    assert fast_data == slow_data
    for key in ("status_code", "status_message"):
        assert fb.get(key) == sb.get(key), key
    assert len(fast.content) == len(slow.content)
    return fb


def test_allowed_and_ids(setup: tuple[Pair, PathSwitch]) -> None:
    pair, switch = setup
    ids = {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    body = b'{"location_id": "LOC1", "evse_uids": ["E9"]}'
    fast, slow = both(pair, switch, "FAST1", body=body, headers=ids)
    info = same(fast, slow)["data"]
    assert info["allowed"] == "ALLOWED"
    for resp in (fast, slow):
        assert resp.headers["x-request-id"] == "req-1"
        assert resp.headers["x-correlation-id"] == "corr-1"
    # No ids sent: a UUID is generated, the correlation id defaults to it.
    fast, slow = both(pair, switch, "FAST1")
    same(fast, slow)
    for resp in (fast, slow):
        assert UUID4.match(resp.headers["x-request-id"])
        assert resp.headers["x-correlation-id"] == resp.headers["x-request-id"]
    # Routing headers sent: answered from and to swapped (2.2.1; 2.1.1 has none).
    routing = {
        "OCPI-from-country-code": "nl",
        "OCPI-from-party-id": "CPO",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "MSP",
    }
    fast, slow = both(pair, switch, "FAST1", headers=routing)
    same(fast, slow)
    if pair.version == "2.2.1":
        assert fast.headers["OCPI-to-country-code"] == "NL"
        assert fast.headers["OCPI-to-party-id"] == "CPO"
    else:
        assert "OCPI-to-party-id" not in fast.headers


def test_types_rules_and_unknown(setup: tuple[Pair, PathSwitch]) -> None:
    pair, switch = setup
    app_type = "OTHER" if pair.version == "2.1.1" else "APP_USER"
    info = same(*both(pair, switch, "APP1", params={"type": app_type}))["data"]
    assert info["allowed"] == "ALLOWED"
    # No type means RFID: APP1 is unknown then; unknown tokens are 404 (2004 in 2.2.1).
    unknown = same(*both(pair, switch, "APP1"))
    assert unknown["status_code"] == (2004 if pair.version == "2.2.1" else 2000)
    fast, _ = both(pair, switch, "NOPE", body=b'{"location_id": "LOC1"}')
    assert fast.status_code == 404 and "data" not in fast.json()
    same(*both(pair, switch, "NOPE", params={"type": "rfid", "other": "x"}))
    # Location rules: EVSEs filtered; without LocationReferences 2002.
    ruled = same(*both(pair, switch, "RULED", body=b'{"location_id":"LOC1","evse_uids":["E2"]}'))
    assert ruled["data"]["location"] == {"location_id": "LOC1", "evse_uids": ["E2"]}
    assert same(*both(pair, switch, "RULED"))["status_code"] == 2002
    assert same(*both(pair, switch, "RULED", body=b"{}"))["status_code"] == 2002


def test_invalid_bodies(setup: tuple[Pair, PathSwitch]) -> None:
    pair, switch = setup
    for body in (b'{"evse_uids": ["E1"]}', b'{"location_id": ["L"]}', b"[]", b'"x"'):
        answer = same(*both(pair, switch, "FAST1", body=body))
        assert answer["status_code"] == 2001, body
    fast, slow = both(pair, switch, "FAST1", body=b"{not json")
    assert same(fast, slow)["status_code"] == 2001 and fast.status_code == 400


def test_authentication(setup: tuple[Pair, PathSwitch]) -> None:
    pair, switch = setup
    raw = base64.b64decode(pair.cpo_on_emsp).decode()
    assert same(*both(pair, switch, "FAST1", token=f"Token {raw}"))["data"]["allowed"] == "ALLOWED"
    for token in (None, "Token nope", "Bearer x", "Token"):
        fast, slow = both(pair, switch, "FAST1", token=token)
        assert same(fast, slow)["status_code"] == 2000 and fast.status_code == 401, token
        assert fast.headers["www-authenticate"] == "Token"


def test_other_methods_and_paths_go_to_the_app(setup: tuple[Pair, PathSwitch]) -> None:
    pair, switch = setup
    before = switch.framework_calls
    resp = pair.emsp.ocpi(
        "GET", f"/ocpi/{pair.version}/emsp/tokens/FAST1/authorize", token=pair.cpo_on_emsp
    )
    assert resp.status_code == 405 and switch.framework_calls == before + 1
    other = "2.1.1" if pair.version == "2.2.1" else "2.2.1"  # a version this node lacks
    resp = pair.emsp.ocpi(
        "POST", f"/ocpi/{other}/emsp/tokens/FAST1/authorize", token=pair.cpo_on_emsp
    )
    assert resp.status_code == 404 and switch.framework_calls == before + 2


def test_unexpected_error_is_a_500_envelope(
    setup: tuple[Pair, PathSwitch], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, switch = setup

    async def broken(*_: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "lookup_own", broken)
    fast, slow = both(pair, switch, "FAST1", headers={"X-Request-ID": "r500"})
    assert same(fast, slow)["status_code"] == 3000 and fast.status_code == 500
    assert fast.headers["x-request-id"] == "r500" == slow.headers["x-request-id"]


@pytest.mark.parametrize("version", VERSIONS)
def test_in_front_of_fastapi(tmp_path: Path, version: str) -> None:
    """Without middleware added after ``create_app`` the fast path answers before
    FastAPI's own layers (``FastPathApp``); the answers are those of the route."""
    apps: list[FastAPI] = []
    with token_pair(tmp_path, version, emsp_hook=apps.append, slowness_hook=False) as pair:
        app = apps[0]
        assert isinstance(app, FastPathApp)
        front = app._front
        assert front is not None
        calls: list[str] = []
        authorize = front.authorize

        async def counted(scope: Any, *args: Any) -> None:
            calls.append(scope["path"])
            await authorize(scope, *args)

        front.authorize = counted  # type: ignore[method-assign]
        add_token(pair.emsp, "FRONT1", whitelist="NEVER")
        url = f"/ocpi/{version}/emsp/tokens"
        token = pair.cpo_on_emsp
        ok_ = pair.emsp.ocpi(
            "POST",
            f"{url}/FRONT1/authorize",
            token=token,
            json={"location_id": "LOC1"},
            headers={"X-Request-ID": "f1"},
        )
        assert ok_.status_code == 200 and ok_.json()["data"]["allowed"] == "ALLOWED"
        assert ok_.headers["x-request-id"] == "f1" == ok_.headers["x-correlation-id"]
        assert ok_.headers["content-type"] == "application/json"
        unknown = pair.emsp.ocpi("POST", f"{url}/NOPE/authorize", token=token)
        assert unknown.status_code == 404
        assert unknown.json()["status_code"] == (2004 if version == "2.2.1" else 2000)
        denied = pair.emsp.ocpi("POST", f"{url}/FRONT1/authorize", token="nope")
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Token"
        assert len(calls) == 3
        # Everything else goes through FastAPI as before.
        assert pair.emsp.ocpi("GET", f"{url}/FRONT1/authorize", token=token).status_code == 405
        listed = pair.emsp.ocpi("GET", url, token=token)
        assert listed.status_code == 200 and len(listed.json()["data"]) == 1
        assert len(calls) == 3
