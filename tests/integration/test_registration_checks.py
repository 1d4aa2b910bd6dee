"""What a node checks about a partner during registration: 3001, 3002, 3003."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from roamkit.config import Settings
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec
from roamkit.partners import discovery
from roamkit.partners.discovery import DiscoveryError, check_endpoints
from support import free_socket

from .helpers import b64


@contextmanager
def fake_partner(versions: list[str], modules: list[tuple[str, str]]) -> Iterator[str]:
    """A minimal foreign OCPI party: versions and details only. Yields its versions URL."""
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = FastAPI()

    def env(data: Any) -> dict[str, Any]:
        return {"data": data, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}

    @app.get("/versions")
    def get_versions() -> dict[str, Any]:
        return env([{"version": v, "url": f"{base}/{v}"} for v in versions])

    @app.get("/{version}")
    def get_details(version: str) -> dict[str, Any]:
        return env(
            {
                "version": version,
                "endpoints": [
                    {"identifier": m, "role": r, "url": f"{base}/{version}/{m}"} for m, r in modules
                ],
            }
        )

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"{base}/versions"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _post_credentials(node, token_a: str, url: str, version: str = "2.2.1") -> dict:
    body = {
        "token": "their-token-b",
        "url": url,
        "roles": [
            {
                "role": "EMSP",
                "party_id": "FAK",
                "country_code": "NL",
                "business_details": {"name": "Fake"},
            }
        ],
    }
    resp = node.ocpi("POST", f"/ocpi/{version}/credentials", token=b64(token_a), json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_inbound_3003_without_credentials_endpoint(start_node) -> None:
    cpo = start_node("cpo")
    token_a = cpo.api_data("POST", "/api/partners/invite", json={"name": "f"})["token"]
    with fake_partner(["2.2.1"], [("locations", RECEIVER)]) as url:
        body = _post_credentials(cpo, token_a, url)
    assert body["status_code"] == 3003 and "credentials" in body["status_message"]
    assert cpo.api_data("GET", "/api/partners/f")["status"] == "invited"


def test_inbound_3002_when_client_lacks_the_called_version(start_node) -> None:
    cpo = start_node("cpo")
    token_a = cpo.api_data("POST", "/api/partners/invite", json={"name": "f"})["token"]
    with fake_partner(["2.1.1"], [("credentials", SENDER)]) as url:
        body = _post_credentials(cpo, token_a, url)
    assert body["status_code"] == 3002


def test_inbound_success_with_fake_client(start_node) -> None:
    cpo = start_node("cpo")
    token_a = cpo.api_data("POST", "/api/partners/invite", json={"name": "f"})["token"]
    with fake_partner(["2.2.1"], [("credentials", SENDER), ("locations", RECEIVER)]) as url:
        body = _post_credentials(cpo, token_a, url)
    assert body["status_code"] == 1000
    creds = body["data"]
    assert creds["url"] == cpo.versions_url and creds["token"] != token_a
    assert creds["roles"][0]["role"] == "CPO"
    partner = cpo.api_data("GET", "/api/partners/f")
    assert partner["roles"][0]["party_id"] == "FAK"
    assert {e["identifier"] for e in partner["endpoints"]} == {"credentials", "locations"}


def test_outbound_refuses_partner_without_credentials_or_common_version(start_node) -> None:
    node = start_node("n", versions=["2.2.1"])
    with fake_partner(["2.2.1"], [("locations", SENDER)]) as url:
        resp = node.api("POST", "/api/partners/register", json={"versions_url": url, "token": "a"})
    assert resp.status_code == 502 and "credentials" in resp.json()["status_message"]
    with fake_partner(["2.1.1"], [("credentials", SENDER)]) as url:
        resp = node.api("POST", "/api/partners/register", json={"versions_url": url, "token": "a"})
    assert resp.status_code == 502 and "no common OCPI version" in resp.json()["status_message"]
    assert node.api_data("GET", "/api/partners") == []


def _spec(module: str, interface: str) -> ModuleSpec:
    return ModuleSpec(module, "2.2.1", interface, frozenset({"CPO"}), module, lambda v: None)


def test_check_endpoints_requires_a_mutual_module(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(roles=["CPO"])
    ours = [_spec("credentials", SENDER), _spec("locations", SENDER)]
    monkeypatch.setattr(discovery, "mounted", lambda s, v: ours)
    creds = {"identifier": "credentials", "role": "SENDER", "url": "u"}
    check_endpoints(
        settings, "2.2.1", [creds, {"identifier": "locations", "role": "RECEIVER", "url": "u"}]
    )
    with pytest.raises(DiscoveryError) as err:
        # Their locations SENDER does not pair with our SENDER.
        check_endpoints(
            settings, "2.2.1", [creds, {"identifier": "locations", "role": "SENDER", "url": "u"}]
        )
    assert err.value.status_code == 3003
    with pytest.raises(DiscoveryError):
        check_endpoints(settings, "2.2.1", [creds])
