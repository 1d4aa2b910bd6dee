"""roamkit registers with an independent OCPI implementation (extrawest-ocpi as a CPO),
rotates and unregisters, tolerating its deviations (tests/interop/README.md)."""

from __future__ import annotations

import pytest

from .extrawest import ensure_extrawest_venv, run_extrawest_cpo, unavailable_reason

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", autouse=True)
def _venv() -> None:
    if ensure_extrawest_venv() is None:
        pytest.skip(unavailable_reason())


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_roamkit_registers_with_extrawest_cpo(start_node, version: str) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", country_code="DE")
    with run_extrawest_cpo("extrawest-token-a", locations=3, version=version) as cpo:
        partner = emsp.api_data(
            "POST",
            "/api/partners/register",
            json={"versions_url": cpo.versions_url, "token": cpo.token_a, "name": "exw"},
        )
        assert partner["status"] == "registered"
        assert partner["version"] == version
        # extrawest lower-cases ids on 2.2.1; we store parties upper-cased.
        assert partner["roles"][0]["country_code"] == "NL"
        assert partner["roles"][0]["party_id"] == "EXW"
        modules = {e["identifier"] for e in partner["endpoints"]}
        assert {"credentials", "locations", "tariffs"} <= modules

        rotated = emsp.api_data("POST", "/api/partners/exw/rotate")
        assert rotated["status"] == "registered"

        removed = emsp.api_data("DELETE", "/api/partners/exw")
        assert removed["status"] == "unregistered"
