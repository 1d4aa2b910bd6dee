"""Bad input never gets a framework default body: right HTTP code, OCPI envelope."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI

from roamkit.modules.deps import PartyCaller
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from support import Node

from .helpers import b64, token_out

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _envelope(resp, http: int, code: int) -> dict:
    assert resp.status_code == http, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["status_code"] == code, body
    assert TIMESTAMP.match(body["timestamp"])
    if code >= 2000:
        assert body.get("status_message")
    return body


def _party_routes(app: FastAPI) -> None:
    """A party-scoped route as the functional modules mount them."""
    router = APIRouter()

    @router.get("/ocpi/2.2.1/test/{country_code}/{party_id}/{object_id}")
    async def owned(
        country_code: str, party_id: str, object_id: str, caller: PartyCaller
    ) -> OcpiResponse:
        return ocpi_response({"owner": caller.partner.name, "id": object_id})

    @router.get("/ocpi/2.2.1/boom")
    async def boom() -> OcpiResponse:
        raise RuntimeError("unexpected")

    app.include_router(router)


@pytest.fixture
def registered(start_node) -> tuple[Node, Node, Node]:
    """A CPO with two registered eMSPs (parties DE*MSP and FR*ABC)."""
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO", app_hook=_party_routes)
    msp = start_node("msp", roles=["EMSP"], party_id="MSP", country_code="DE")
    abc = start_node("abc", roles=["EMSP"], party_id="ABC", country_code="FR")
    for node, name in ((msp, "msp"), (abc, "abc")):
        invite = cpo.api_data("POST", "/api/partners/invite", json={"name": name})
        node.api_data(
            "POST",
            "/api/partners/register",
            json={"versions_url": invite["versions_url"], "token": invite["token"], "name": "cpo"},
        )
    return cpo, msp, abc


def test_missing_and_garbage_authorization(start_node) -> None:
    node = start_node("n")
    for headers in (
        {},
        {"Authorization": "garbage"},
        {"Authorization": "Token"},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Token %%% ==="},
        {"Authorization": "Token not-a-known-token"},
    ):
        resp = node.http.get(node.url + "/ocpi/versions", headers=headers)
        _envelope(resp, 401, 2000)
        _envelope(node.http.get(node.url + "/ocpi/2.2.1", headers=headers), 401, 2000)
        _envelope(
            node.http.post(node.url + "/ocpi/2.2.1/credentials", headers=headers, content=b"{}"),
            401,
            2000,
        )


def test_unknown_route_wrong_method_bad_json(registered) -> None:
    cpo, msp, _ = registered
    token = b64(token_out(msp, "cpo") or "")
    _envelope(cpo.ocpi("GET", "/nothing/here", token=token), 404, 2000)
    _envelope(cpo.ocpi("GET", "/ocpi/9.9", token=token), 404, 2000)
    _envelope(cpo.ocpi("GET", "/ocpi/2.2.1/nomodule", token=token), 404, 2000)
    _envelope(cpo.ocpi("PATCH", "/ocpi/2.2.1/credentials", token=token), 405, 2000)
    _envelope(cpo.ocpi("POST", "/ocpi/versions", token=token), 405, 2000)
    resp = cpo.ocpi(
        "PUT",
        "/ocpi/2.2.1/credentials",
        token=token,
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    _envelope(resp, 400, 2001)
    # Valid JSON that is not a Credentials object reached the OCPI layer: 2001, no HTTP error.
    resp = cpo.ocpi("PUT", "/ocpi/2.2.1/credentials", token=token, json={"token": 5})
    body = _envelope(resp, 200, 2001)
    assert "url" in body["status_message"] or "roles" in body["status_message"]
    # The failed PUT changed nothing: the token still works.
    assert cpo.ocpi("GET", "/ocpi/2.2.1/credentials", token=token).status_code == 200


def test_unexpected_exception_is_an_envelope(registered) -> None:
    cpo, _, _ = registered
    resp = cpo.http.get(cpo.url + "/ocpi/2.2.1/boom", headers={"X-Request-ID": "r-1"})
    _envelope(resp, 500, 3000)
    assert resp.headers["x-request-id"] == "r-1"


def test_credentials_method_rules(registered, start_node) -> None:
    cpo, msp, _ = registered
    token = b64(token_out(msp, "cpo") or "")
    creds = cpo.ocpi("GET", "/ocpi/2.2.1/credentials", token=token).json()["data"]
    # POST when already registered → 405 (credentials.asciidoc#credentials_post_method).
    _envelope(cpo.ocpi("POST", "/ocpi/2.2.1/credentials", token=token, json=creds), 405, 2000)
    # PUT / DELETE with TOKEN_A, i.e. before registration → 405.
    invite = cpo.api_data("POST", "/api/partners/invite", json={"name": "later"})
    token_a = b64(invite["token"])
    _envelope(cpo.ocpi("PUT", "/ocpi/2.2.1/credentials", token=token_a, json=creds), 405, 2000)
    _envelope(cpo.ocpi("DELETE", "/ocpi/2.2.1/credentials", token=token_a), 405, 2000)
    # TOKEN_A on a functional module → 401 (221-T-4).
    _envelope(cpo.ocpi("GET", "/ocpi/2.2.1/test/DE/MSP/1", token=token_a), 401, 2000)


def test_registration_reports_3001_when_client_api_unreachable(start_node) -> None:
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO")
    invite = cpo.api_data("POST", "/api/partners/invite", json={"name": "ghost"})
    body = {
        "token": "tok-b",
        "url": "http://127.0.0.1:9/ocpi/versions",
        "roles": [
            {
                "role": "EMSP",
                "party_id": "GHO",
                "country_code": "NL",
                "business_details": {"name": "Ghost"},
            }
        ],
    }
    resp = cpo.ocpi("POST", "/ocpi/2.2.1/credentials", token=b64(invite["token"]), json=body)
    _envelope(resp, 200, 3001)
    # Nothing was registered, and the invitation is still usable.
    assert cpo.api_data("GET", "/api/partners/ghost")["status"] == "invited"
    assert cpo.ocpi("GET", "/ocpi/versions", token=b64(invite["token"])).status_code == 200


def test_registration_refuses_insecure_url_unless_allowed(start_node) -> None:
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO", allow_insecure_urls=False)
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", allow_insecure_urls=False)
    invite = cpo.api_data("POST", "/api/partners/invite", json={"name": "msp"})
    resp = emsp.api(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite["versions_url"], "token": invite["token"]},
    )
    body = _envelope(resp, 502, 3001)
    assert "https" in body["status_message"]


def test_party_isolation(registered) -> None:
    cpo, msp, abc = registered
    msp_token = b64(token_out(msp, "cpo") or "")
    abc_token = b64(token_out(abc, "cpo") or "")
    ok = cpo.ocpi("GET", "/ocpi/2.2.1/test/DE/MSP/1", token=msp_token)
    assert ok.status_code == 200 and ok.json()["data"]["owner"] == "msp"
    assert cpo.ocpi("GET", "/ocpi/2.2.1/test/de/msp/1", token=msp_token).status_code == 200
    # Another partner's party → refused, even with a valid token.
    _envelope(cpo.ocpi("GET", "/ocpi/2.2.1/test/DE/MSP/1", token=abc_token), 404, 2000)
    _envelope(cpo.ocpi("GET", "/ocpi/2.2.1/test/FR/ABC/1", token=msp_token), 404, 2000)
    ok = cpo.ocpi("GET", "/ocpi/2.2.1/test/FR/ABC/1", token=abc_token)
    assert ok.json()["data"]["owner"] == "abc"


def test_request_and_correlation_ids(registered) -> None:
    cpo, msp, _ = registered
    token = b64(token_out(msp, "cpo") or "")
    resp = cpo.ocpi(
        "GET",
        "/ocpi/versions",
        token=token,
        headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"},
    )
    assert resp.headers["x-request-id"] == "req-1"
    assert resp.headers["x-correlation-id"] == "corr-1"
    generated = cpo.ocpi("GET", "/ocpi/versions", token=token)
    assert generated.headers["x-request-id"] and generated.headers["x-correlation-id"]
    unauth = cpo.http.get(cpo.url + "/ocpi/versions", headers={"X-Request-ID": "req-2"})
    assert unauth.status_code == 401 and unauth.headers["x-request-id"] == "req-2"


def test_management_api_needs_admin_token(start_node) -> None:
    node = start_node("n")
    _envelope(node.http.get(node.url + "/api/partners"), 401, 2000)
    _envelope(
        node.http.get(node.url + "/api/partners", headers={"Authorization": "Bearer wrong"}),
        401,
        2000,
    )
    open_node = start_node("open", admin_token=None)
    _envelope(
        open_node.http.get(open_node.url + "/api/partners", headers={"Authorization": "Bearer x"}),
        403,
        2000,
    )


def test_version_details_list_mounted_modules(start_node) -> None:
    node = start_node("n", versions=["2.1.1"])
    invite = node.api_data("POST", "/api/partners/invite", json={})
    token = b64(invite["token"])
    versions = node.ocpi("GET", "/ocpi/versions", token=token).json()["data"]
    assert versions == [{"version": "2.1.1", "url": node.url + "/ocpi/2.1.1"}]
    details = node.ocpi("GET", versions[0]["url"], token=token).json()["data"]
    assert details["version"] == "2.1.1"
    assert {"identifier": "credentials", "url": node.url + "/ocpi/2.1.1/credentials"} in details[
        "endpoints"
    ]
    assert all("role" not in e for e in details["endpoints"])
    _envelope(node.ocpi("GET", "/ocpi/2.2.1", token=token), 404, 2000)
