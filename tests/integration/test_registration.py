"""Two real nodes on loopback register, rotate and unregister, in both directions
and on both versions; after each step old tokens get 401 and new ones work."""

from __future__ import annotations

import pytest

from support import Node

from .helpers import b64, token_out


def _works(node: Node, token: str, version: str) -> None:
    for header in (b64(token), token):  # Base64 and raw are both accepted
        resp = node.ocpi("GET", f"/ocpi/{version}/credentials", token=header)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["status_code"] == 1000
        assert body["data"]["token"] == token


def _refused(node: Node, token: str, version: str) -> None:
    for header in (b64(token), token):
        resp = node.ocpi("GET", f"/ocpi/{version}/credentials", token=header)
        assert resp.status_code == 401, resp.text
        assert resp.json()["status_code"] == 2000
        assert node.ocpi("GET", "/ocpi/versions", token=header).status_code == 401


def _status(node: Node, name: str) -> dict:
    return node.api_data("GET", f"/api/partners/{name}")


@pytest.mark.parametrize(
    ("cpo_versions", "expected"),
    [(["2.2.1", "2.1.1"], "2.2.1"), (["2.1.1"], "2.1.1")],
    ids=["both-2.2.1", "cpo-only-2.1.1"],
)
def test_register_rotate_unregister(start_node, cpo_versions: list[str], expected: str) -> None:
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO", versions=cpo_versions)
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", country_code="DE")

    invite = cpo.api_data("POST", "/api/partners/invite", json={"name": "msp"})
    assert set(invite) == {"name", "token", "versions_url"}
    token_a = invite["token"]
    # TOKEN_A opens versions and credentials only.
    assert cpo.ocpi("GET", "/ocpi/versions", token=b64(token_a)).status_code == 200

    partner = emsp.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite["versions_url"], "token": token_a, "name": "cpo"},
    )
    assert partner["status"] == "registered"
    assert partner["version"] == expected
    assert partner["roles"][0]["party_id"] == "CPO"
    assert partner["roles"][0]["role"] == "CPO"
    on_cpo = _status(cpo, "msp")
    assert on_cpo["status"] == "registered" and on_cpo["version"] == expected
    assert on_cpo["roles"][0]["country_code"] == "DE"
    assert on_cpo["roles"][0]["party_id"] == "MSP"
    assert on_cpo["roles"][0]["role"] == "EMSP"

    token_c = token_out(emsp, "cpo")  # eMSP → CPO
    token_b = token_out(cpo, "msp")  # CPO → eMSP
    assert token_c and token_b and token_a not in (token_b, token_c)
    _refused(cpo, token_a, expected)  # TOKEN_A died with the registration
    _works(cpo, token_c, expected)
    _works(emsp, token_b, expected)

    # Rotation started by the eMSP.
    emsp.api_data("POST", "/api/partners/cpo/rotate")
    new_c, new_b = token_out(emsp, "cpo"), token_out(cpo, "msp")
    assert new_c and new_b and new_c != token_c and new_b != token_b
    _refused(cpo, token_c, expected)
    _refused(emsp, token_b, expected)
    _works(cpo, new_c, expected)
    _works(emsp, new_b, expected)

    # Rotation started by the CPO.
    cpo.api_data("POST", "/api/partners/msp/rotate")
    c3, b3 = token_out(emsp, "cpo"), token_out(cpo, "msp")
    assert c3 and b3 and c3 != new_c and b3 != new_b
    _refused(cpo, new_c, expected)
    _refused(emsp, new_b, expected)
    _works(cpo, c3, expected)
    _works(emsp, b3, expected)

    # Unregister, started by the eMSP: both sides forget, every token dies.
    removed = emsp.api_data("DELETE", "/api/partners/cpo")
    assert removed["status"] == "unregistered"
    assert _status(cpo, "msp")["status"] == "unregistered"
    _refused(cpo, c3, expected)
    _refused(emsp, b3, expected)

    # A new invitation registers again (CHECKLIST A-221-7).
    invite2 = cpo.api_data("POST", "/api/partners/invite", json={"name": "msp"})
    again = emsp.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite2["versions_url"], "token": invite2["token"], "name": "cpo"},
    )
    assert again["status"] == "registered"
    _works(cpo, token_out(emsp, "cpo") or "", expected)


def test_cpo_registers_with_emsp_and_unregisters(start_node) -> None:
    """The mirror direction: the eMSP hands out TOKEN_A, the CPO is the Sender."""
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    cpo = start_node("cpo", roles=["CPO"], party_id="CPO")
    invite = emsp.api_data("POST", "/api/partners/invite", json={"name": "cpo"})
    partner = cpo.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite["versions_url"], "token": invite["token"], "name": "msp"},
    )
    assert partner["version"] == "2.2.1"
    assert _status(emsp, "cpo")["roles"][0]["role"] == "CPO"
    token_b = token_out(emsp, "cpo")
    assert token_b
    cpo.api_data("DELETE", "/api/partners/msp")
    _refused(emsp, token_out(cpo, "msp") or token_b, "2.2.1")
    assert _status(emsp, "cpo")["status"] == "unregistered"


def test_dual_role_node_lists_both_roles(start_node) -> None:
    both = start_node("both", roles=["CPO", "EMSP"], party_id="BTH")
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP")
    invite = both.api_data("POST", "/api/partners/invite", json={"name": "msp"})
    partner = emsp.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite["versions_url"], "token": invite["token"], "name": "both"},
    )
    assert sorted(r["role"] for r in partner["roles"]) == ["CPO", "EMSP"]
