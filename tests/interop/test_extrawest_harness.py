"""Prove the extrawest-ocpi harness works without roamkit: plain httpx plays the client.

These tests also pin down how extrawest-ocpi deviates from OCPI (see README.md), so a
library upgrade that changes behaviour shows up here first.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .extrawest import (
    ExtrawestNode,
    ensure_extrawest_venv,
    run_extrawest_cpo,
    unavailable_reason,
)

pytestmark = pytest.mark.interop

TOKEN_A = "exw-token-a-0001"
TOKEN_B = "roamkit-token-b-0001"
LOCATIONS = 5
TIMEOUT = httpx.Timeout(15.0)


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def auth(token: str, *, encode: bool = True) -> dict[str, str]:
    return {"Authorization": f"Token {b64(token) if encode else token}"}


def parse_link(link: str) -> tuple[str, str]:
    """``<url>; rel="next"`` -> (url, rel)."""
    url_part, _, params = link.partition(";")
    rel = params.strip().removeprefix("rel=").strip('"')
    return url_part.strip().removeprefix("<").removesuffix(">"), rel


# --------------------------------------------------------------------------- fake client


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeParty:
    """A tiny OCPI eMSP (versions, version details, credentials) on 127.0.0.1."""

    token_b: str
    base_url: str = ""
    seen: list[SeenRequest] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header in (f"Token {self.token_b}", f"Token {b64(self.token_b)}")

    def _envelope(self, data: Any, status: int = 1000) -> JSONResponse:
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return JSONResponse({"data": data, "status_code": status, "timestamp": ts})

    def app(self) -> Starlette:
        async def record(request: Request) -> JSONResponse | None:
            self.seen.append(SeenRequest(request.method, request.url.path, dict(request.headers)))
            if not self._authorized(request):
                return JSONResponse(
                    {"status_code": 2000, "status_message": "unauthorized"}, status_code=401
                )
            return None

        async def versions(request: Request) -> JSONResponse:
            return await record(request) or self._envelope(
                [
                    {"version": "2.2.1", "url": f"{self.base_url}/ocpi/2.2.1"},
                    {"version": "2.1.1", "url": f"{self.base_url}/ocpi/2.1.1"},
                ]
            )

        async def details_221(request: Request) -> JSONResponse:
            url = f"{self.base_url}/ocpi/2.2.1"
            return await record(request) or self._envelope(
                {
                    "version": "2.2.1",
                    "endpoints": [
                        {
                            "identifier": "credentials",
                            "role": "SENDER",
                            "url": f"{url}/credentials",
                        },
                        {"identifier": "locations", "role": "RECEIVER", "url": f"{url}/locations"},
                    ],
                }
            )

        async def details_211(request: Request) -> JSONResponse:
            url = f"{self.base_url}/ocpi/2.1.1"
            return await record(request) or self._envelope(
                {
                    "version": "2.1.1",
                    "endpoints": [
                        {"identifier": "credentials", "url": f"{url}/credentials"},
                        {"identifier": "locations", "url": f"{url}/locations"},
                    ],
                }
            )

        async def credentials(request: Request) -> JSONResponse:
            return await record(request) or self._envelope(
                {
                    "token": self.token_b,
                    "url": self.versions_url,
                    "roles": [
                        {
                            "role": "EMSP",
                            "business_details": {"name": "Fake roamkit"},
                            "party_id": "RMK",
                            "country_code": "DE",
                        }
                    ],
                }
            )

        return Starlette(
            routes=[
                Route("/ocpi/versions", versions),
                Route("/ocpi/2.2.1", details_221),
                Route("/ocpi/2.1.1", details_211),
                Route("/ocpi/2.2.1/credentials", credentials, methods=["GET", "POST", "PUT"]),
                Route("/ocpi/2.1.1/credentials", credentials, methods=["GET", "POST", "PUT"]),
            ]
        )

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake OCPI party did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def extrawest_python() -> None:
    if ensure_extrawest_venv() is None:
        pytest.skip(f"extrawest-ocpi unavailable: {unavailable_reason()}")


@pytest.fixture(scope="module")
def node(extrawest_python: None) -> Iterator[ExtrawestNode]:
    with run_extrawest_cpo(TOKEN_A, locations=LOCATIONS, version="2.2.1") as running:
        yield running


@pytest.fixture(scope="module")
def party() -> Iterator[FakeParty]:
    fake = FakeParty(token_b=TOKEN_B)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # trust_env=False: never route loopback traffic through a configured proxy
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as c:
        yield c


@dataclass
class Registration:
    response: httpx.Response
    token_c: str
    callbacks: list[SeenRequest]


@pytest.fixture(scope="module")
def registration(node: ExtrawestNode, party: FakeParty, client: httpx.Client) -> Registration:
    before = len(party.seen)
    body = {
        "token": TOKEN_B,
        "url": party.versions_url,
        "roles": [
            {
                "role": "EMSP",
                "business_details": {"name": "Fake roamkit"},
                "party_id": "RMK",
                "country_code": "DE",
            }
        ],
    }
    response = client.post(node.module_url("credentials"), json=body, headers=auth(TOKEN_A))
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["status_code"] == 1000, (payload, node.logs())
    return Registration(response, payload["data"]["token"], party.seen[before:])


# --------------------------------------------------------------------------- 2.2.1


def test_versions_accepts_base64_token_a(node: ExtrawestNode, client: httpx.Client) -> None:
    response = client.get(node.versions_url, headers=auth(TOKEN_A))
    assert response.status_code == 200
    payload = response.json()
    assert payload["status_code"] == 1000
    assert payload["data"] == [{"version": "2.2.1", "url": node.version_details_url("2.2.1")}]


def test_versions_rejects_raw_token_a_oddly(node: ExtrawestNode, client: httpx.Client) -> None:
    # The raw token is fed to base64.b64decode; "Incorrect padding" escapes the library's
    # error handling and becomes HTTP 200 with OCPI status 3000 (not 401).
    response = client.get(node.versions_url, headers=auth(TOKEN_A, encode=False))
    assert response.status_code == 200
    assert response.json()["status_code"] == 3000
    assert response.json()["data"] == []


def test_missing_or_bad_authorization_is_403(node: ExtrawestNode, client: httpx.Client) -> None:
    missing = client.get(node.versions_url)
    assert missing.status_code == 403
    assert missing.json() == {"detail": "Not authenticated"}
    wrong = client.get(node.module_url("locations"), headers=auth("not-a-known-token"))
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "Your authorization token is invalid."}
    unknown = client.get(node.versions_url, headers=auth("not-a-known-token"))
    assert unknown.status_code == 401
    assert unknown.json() == {"detail": "Unauthorized"}


def test_version_details(node: ExtrawestNode, client: httpx.Client) -> None:
    response = client.get(node.version_details_url(), headers=auth(TOKEN_A))
    assert response.status_code == 200
    payload = response.json()
    assert payload["status_code"] == 1000
    assert payload["data"]["version"] == "2.2.1"
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in payload["data"]["endpoints"]}
    assert endpoints == {
        ("credentials", "RECEIVER"): node.module_url("credentials"),
        ("locations", "SENDER"): node.module_url("locations"),
        ("tariffs", "SENDER"): node.module_url("tariffs"),
    }
    assert all(url.endswith("/") for url in endpoints.values())


def test_credentials_handshake(
    node: ExtrawestNode, registration: Registration, client: httpx.Client
) -> None:
    data = registration.response.json()["data"]
    assert registration.token_c and registration.token_c not in (TOKEN_A, TOKEN_B)
    assert data["url"] == node.versions_url
    # CiString fields come back lower-cased; optional fields are explicit nulls
    assert data["roles"] == [
        {
            "role": "CPO",
            "business_details": {"name": "Extrawest Interop CPO", "website": None, "logo": None},
            "party_id": "exw",
            "country_code": "nl",
        }
    ]
    # It called back our versions endpoint and the 2.2.1 details, with Base64 token B,
    # and nothing else (no GET on our credentials, no X-Request-ID/X-Correlation-ID).
    assert [(s.method, s.path) for s in registration.callbacks] == [
        ("GET", "/ocpi/versions"),
        ("GET", "/ocpi/2.2.1"),
    ]
    for seen in registration.callbacks:
        assert seen.headers["authorization"] == f"Token {b64(TOKEN_B)}"
        assert "x-request-id" not in seen.headers
        assert "x-correlation-id" not in seen.headers

    # token C works for GET credentials, and a second POST with it is refused with HTTP 405
    mine = client.get(node.module_url("credentials"), headers=auth(registration.token_c))
    assert mine.status_code == 200
    assert mine.json()["data"]["token"] == registration.token_c
    again = client.post(
        node.module_url("credentials"),
        json={"token": TOKEN_B, "url": "http://127.0.0.1:9/x", "roles": []},
        headers=auth(registration.token_c),
    )
    assert again.status_code == 405
    assert again.json() == {"detail": "Client is already registered"}


def test_credentials_post_with_unreachable_client(
    node: ExtrawestNode, client: httpx.Client
) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    body = {
        "token": TOKEN_B,
        "url": "http://127.0.0.1:9/ocpi/versions",
        "roles": [
            {
                "role": "EMSP",
                "business_details": {"name": "x"},
                "party_id": "RMK",
                "country_code": "DE",
            }
        ],
    }
    response = client.post(node.module_url("credentials"), json=body, headers=auth(TOKEN_A))
    # connection errors are not caught by the route: the middleware turns them into 200/3000
    assert response.status_code == 200
    assert response.json()["status_code"] in (3000, 3001)


def test_locations_page_and_link_header(
    node: ExtrawestNode, registration: Registration, client: httpx.Client
) -> None:
    url = node.module_url("locations")
    headers = auth(registration.token_c)
    first = client.get(url, params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["status_code"] == 1000
    assert len(first.json()["data"]) == 2
    assert first.headers["x-total-count"] == str(LOCATIONS)
    assert first.headers["x-limit"] == "2"

    link_url, rel = parse_link(first.headers["link"])
    assert rel == "next"
    parts = urlsplit(link_url)
    query = parse_qs(parts.query)
    # Deviations: always https, unset filters serialised as the string "None", and on
    # Python >= 3.11 the enum reprs leak into the path (".../cpo/VersionNumber.v_2_2_1/...").
    assert parts.scheme == "https"
    assert parts.netloc == f"127.0.0.1:{node.port}"
    assert query["date_from"] == ["None"] and query["date_to"] == ["None"]
    assert query["offset"] == ["2"] and query["limit"] == ["2"]
    assert parts.path in (
        "/ocpi/cpo/2.2.1/locations/",
        "/ocpi/cpo/VersionNumber.v_2_2_1/ModuleID.locations/",
    )
    # Following the link as given cannot work (the "None" filters alone give HTTP 422):
    broken = client.get(url, params={k: v[0] for k, v in query.items()}, headers=headers)
    assert broken.status_code == 422

    # What a client has to do instead: keep the published URL, take offset/limit from Link.
    ids = [loc["id"] for loc in first.json()["data"]]
    next_params: dict[str, str] | None = {"offset": query["offset"][0], "limit": "2"}
    while next_params is not None:
        page = client.get(url, params=next_params, headers=headers)
        assert page.status_code == 200 and page.json()["status_code"] == 1000
        ids += [loc["id"] for loc in page.json()["data"]]
        link = page.headers.get("link")
        if link:
            next_query = parse_qs(urlsplit(parse_link(link)[0]).query)
            next_params = {"offset": next_query["offset"][0], "limit": "2"}
        else:
            # last page: the header is present but empty
            assert link == ""
            next_params = None
    assert ids == [f"exw-loc-{i:04d}" for i in range(1, LOCATIONS + 1)]


def test_location_ids_are_lower_cased(
    node: ExtrawestNode, registration: Registration, client: httpx.Client
) -> None:
    headers = auth(registration.token_c)
    response = client.get(node.module_url("locations"), params={"limit": 1}, headers=headers)
    location = response.json()["data"][0]
    assert (location["country_code"], location["party_id"], location["id"]) == (
        "nl",
        "exw",
        "exw-loc-0001",
    )
    evse = location["evses"][0]
    assert evse["uid"] == "exw-loc-0001-e1"
    assert evse["evse_id"] == "nl*exw*e0001*1"
    assert evse["connectors"][0]["tariff_ids"] == ["exw-tariff-ac"]
    assert len(location["evses"]) == 2
    assert all(len(e["connectors"]) == 2 for e in location["evses"])
    # Optional fields are sent as null instead of being omitted
    assert location["state"] is None
    assert evse["status_schedule"] is None


def test_single_location_is_wrapped_in_a_list(
    node: ExtrawestNode, registration: Registration, client: httpx.Client
) -> None:
    headers = auth(registration.token_c)
    # the path id is lower-cased by the library before it reaches the CRUD layer
    one = client.get(node.module_url("locations") + "EXW-LOC-0002", headers=headers)
    assert one.status_code == 200
    assert isinstance(one.json()["data"], list)
    assert one.json()["data"][0]["id"] == "exw-loc-0002"
    evse = client.get(
        node.module_url("locations") + "EXW-LOC-0002/EXW-LOC-0002-E2", headers=headers
    )
    assert evse.status_code == 200
    assert evse.json()["data"][0]["uid"] == "exw-loc-0002-e2"
    missing = client.get(node.module_url("locations") + "nope", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Object not found."}
    no_slash = client.get(node.module_url("locations").rstrip("/"), headers=headers)
    assert no_slash.status_code == 307
    assert no_slash.headers["location"] == node.module_url("locations")


def test_token_c_must_be_base64(
    node: ExtrawestNode, registration: Registration, client: httpx.Client
) -> None:
    raw = client.get(node.module_url("locations"), headers=auth(registration.token_c, encode=False))
    assert raw.status_code == 403


def test_tariffs(node: ExtrawestNode, registration: Registration, client: httpx.Client) -> None:
    response = client.get(node.module_url("tariffs"), headers=auth(registration.token_c))
    assert response.status_code == 200
    payload = response.json()
    assert payload["status_code"] == 1000
    assert [t["id"] for t in payload["data"]] == ["exw-tariff-ac", "exw-tariff-dc"]
    assert response.headers["link"] == ""


def test_fix_links_option(extrawest_python: None, party: FakeParty, client: httpx.Client) -> None:
    with run_extrawest_cpo(TOKEN_A, locations=3, fix_links=True) as fixed:
        body = {
            "token": TOKEN_B,
            "url": party.versions_url,
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": "Fake roamkit"},
                    "party_id": "RMK",
                    "country_code": "DE",
                }
            ],
        }
        reg = client.post(fixed.module_url("credentials"), json=body, headers=auth(TOKEN_A))
        token_c = reg.json()["data"]["token"]
        next_url: str | None = fixed.module_url("locations") + "?limit=1"
        ids = []
        while next_url:
            page = client.get(next_url, headers=auth(token_c))
            assert page.status_code == 200, page.text
            ids += [loc["id"] for loc in page.json()["data"]]
            link = page.headers.get("link")
            next_url = parse_link(link)[0] if link else None
            if next_url:
                assert next_url.startswith(fixed.module_url("locations") + "?")
                assert "None" not in next_url
        assert ids == ["exw-loc-0001", "exw-loc-0002", "exw-loc-0003"]
    assert fixed.process.poll() is not None


# --------------------------------------------------------------------------- 2.1.1


def test_ocpi_211_uses_raw_tokens_and_keeps_case(
    extrawest_python: None, party: FakeParty, client: httpx.Client
) -> None:
    with run_extrawest_cpo(TOKEN_A, locations=2, version="2.1.1") as n211:
        # /versions is version-agnostic and always tries Base64 first: the raw 2.1.1 token
        # trips "Incorrect padding" (HTTP 200 / OCPI 3000); only the Base64 form works there.
        raw_versions = client.get(n211.versions_url, headers=auth(TOKEN_A, encode=False))
        assert raw_versions.status_code == 200
        assert raw_versions.json()["status_code"] == 3000
        versions = client.get(n211.versions_url, headers=auth(TOKEN_A))
        assert versions.json()["data"] == [
            {"version": "2.1.1", "url": n211.version_details_url("2.1.1")}
        ]
        # ... while the 2.1.1 details (and every 2.1.1 module) want the raw token.
        b64_details = client.get(n211.version_details_url(), headers=auth(TOKEN_A))
        assert b64_details.status_code == 401
        details = client.get(n211.version_details_url(), headers=auth(TOKEN_A, encode=False))
        endpoints = {e["identifier"]: e["url"] for e in details.json()["data"]["endpoints"]}
        assert endpoints == {m: n211.module_url(m) for m in ("credentials", "locations", "tariffs")}

        before = len(party.seen)
        body = {
            "token": TOKEN_B,
            "url": party.versions_url,
            "business_details": {"name": "Fake roamkit"},
            "party_id": "RMK",
            "country_code": "DE",
        }
        reg = client.post(
            n211.module_url("credentials"), json=body, headers=auth(TOKEN_A, encode=False)
        )
        assert reg.status_code == 200 and reg.json()["status_code"] == 1000, reg.text
        data = reg.json()["data"]
        assert (data["party_id"], data["country_code"]) == ("EXW", "NL")
        callbacks = party.seen[before:]
        assert [(s.method, s.path) for s in callbacks] == [
            ("GET", "/ocpi/versions"),
            ("GET", "/ocpi/2.1.1"),
        ]
        assert all(s.headers["authorization"] == f"Token {TOKEN_B}" for s in callbacks)

        token_c = data["token"]
        locations = client.get(n211.module_url("locations"), headers=auth(token_c, encode=False))
        assert locations.status_code == 200 and locations.json()["status_code"] == 1000
        ids = [loc["id"] for loc in locations.json()["data"]]
        assert ids == ["EXW-LOC-0001", "EXW-LOC-0002"]
        connector = locations.json()["data"][0]["evses"][0]["connectors"][0]
        assert connector["tariff_id"] == "EXW-TARIFF-AC"
        assert {"voltage", "amperage"} <= connector.keys()
    assert n211.process.poll() is not None
