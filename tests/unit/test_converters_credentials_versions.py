"""Credentials and Versions converters: round trips and documented losses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roamkit.domain import ConversionError
from roamkit.domain import canonical as c
from roamkit.domain.v211 import credentials, versions
from roamkit.models.v211 import credentials as wc
from roamkit.models.v211 import versions as wv

from .test_converters_support import (
    CTX,
    CTX_EMSP,
    example_211,
    example_221,
    example_names_221,
    needs_211,
    same,
    wire_valid,
)

# --- Credentials ----------------------------------------------------------------------


@needs_211
def test_spec_211_credentials_round_trip_exactly() -> None:
    original = wc.Credentials.model_validate(example_211("credentials.md", "Example"))
    canonical = wire_valid(credentials.to_canonical(original, CTX))
    (role,) = canonical.roles
    assert (role.role, role.country_code, role.party_id) == (c.Role.CPO, "NL", "EXA")
    assert canonical.token == original.token  # raw in both versions
    same(wire_valid(credentials.from_canonical(canonical, CTX)), original)


def test_credentials_need_a_role() -> None:
    original = wc.Credentials.model_validate(
        {"token": "t", "url": "https://x.example/versions", "party_id": "ABC",
         "country_code": "NL", "business_details": {"name": "X"}}
    )  # fmt: skip
    with pytest.raises(ConversionError, match="role"):
        credentials.to_canonical(original, replace(CTX, role=None))


@pytest.mark.parametrize("name", example_names_221("credentials_example") or ["<none>"])
def test_spec_221_credentials_pick_one_role(name: str) -> None:
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    original = c.Credentials.model_validate(example_221(name))
    for wanted in (None, *(r.role for r in original.roles)):
        v211 = wire_valid(credentials.from_canonical(original, CTX, role=wanted))
        chosen = next((r for r in original.roles if r.role == wanted), original.roles[0])
        assert (v211.country_code, v211.party_id) == (chosen.country_code, chosen.party_id)
        back = wire_valid(credentials.to_canonical(v211, replace(CTX, role=chosen.role)))
        # the other roles are the documented loss
        same(back, c.Credentials(token=original.token, url=original.url, roles=[chosen]))


# --- Versions ---------------------------------------------------------------------------


@needs_211
def test_spec_211_version_details_round_trip_exactly() -> None:
    # the chapter's second "### Example" is the version details one
    original = wv.VersionDetails.model_validate(
        example_211("version_information_endpoint.md", "Example", nth=1)
    )
    canonical = wire_valid(versions.to_canonical(original, CTX))
    roles = {e.identifier: e.role for e in canonical.endpoints}
    assert roles == {"credentials": c.InterfaceRole.SENDER, "locations": c.InterfaceRole.SENDER}
    same(wire_valid(versions.from_canonical(canonical, CTX, role=c.Role.CPO)), original)


@pytest.mark.parametrize(
    ("module", "cpo", "emsp"),
    [
        ("credentials", "SENDER", "SENDER"),
        ("locations", "SENDER", "RECEIVER"),
        ("sessions", "SENDER", "RECEIVER"),
        ("cdrs", "SENDER", "RECEIVER"),
        ("tariffs", "SENDER", "RECEIVER"),
        ("tokens", "RECEIVER", "SENDER"),
        ("commands", "RECEIVER", "SENDER"),
        ("custom-x", None, None),
    ],
)
def test_interface_roles(module: str, cpo: str | None, emsp: str | None) -> None:
    assert versions.interface_role(module, c.Role.CPO) == cpo
    assert versions.interface_role(module, c.Role.EMSP) == emsp
    with pytest.raises(ConversionError):
        versions.interface_role(module, c.Role.HUB)


def test_v211_emsp_details_and_custom_modules() -> None:
    original = wv.VersionDetails.model_validate(
        {
            "version": "2.1.1",
            "endpoints": [
                {"identifier": "credentials", "url": "https://e.example/cred"},
                {"identifier": "tokens", "url": "https://e.example/tokens"},
                {"identifier": "locations", "url": "https://e.example/locations"},
            ],
        }
    )
    canonical = wire_valid(versions.to_canonical(original, CTX_EMSP))
    assert [e.role for e in canonical.endpoints] == ["SENDER", "SENDER", "RECEIVER"]
    same(wire_valid(versions.from_canonical(canonical, CTX_EMSP, role=c.Role.EMSP)), original)
    custom = original.model_validate(
        {**original.wire(), "endpoints": [*original.wire()["endpoints"],
                                          {"identifier": "nltnm-tokens", "url": "https://x/y"}]}
    )  # fmt: skip
    assert versions.to_canonical(custom, CTX_EMSP) == canonical  # custom module: dropped
    with pytest.raises(ConversionError, match="role"):
        versions.to_canonical(original, replace(CTX, role=None))


def test_canonical_details_lose_roles_and_221_modules() -> None:
    canonical = c.VersionDetails.model_validate(
        {
            "version": "2.1.1",
            "endpoints": [
                {"identifier": "credentials", "role": "SENDER", "url": "https://n/cred"},
                {"identifier": "locations", "role": "RECEIVER", "url": "https://n/emsp/loc"},
                {"identifier": "locations", "role": "SENDER", "url": "https://n/cpo/loc"},
                {"identifier": "chargingprofiles", "role": "RECEIVER", "url": "https://n/cp"},
                {"identifier": "hubclientinfo", "role": "RECEIVER", "url": "https://n/hci"},
                {"identifier": "nltnm-tokens", "role": "SENDER", "url": "https://n/x"},
            ],
        }
    )
    as_cpo = wire_valid(versions.from_canonical(canonical, CTX, role=c.Role.CPO))
    assert as_cpo.wire()["endpoints"] == [
        {"identifier": "credentials", "url": "https://n/cred"},
        {"identifier": "locations", "url": "https://n/cpo/loc"},
        {"identifier": "nltnm-tokens", "url": "https://n/x"},
    ]
    as_emsp = versions.from_canonical(canonical, CTX, role=c.Role.EMSP)
    assert as_emsp.wire()["endpoints"][1] == {
        "identifier": "locations",
        "url": "https://n/emsp/loc",
    }
    first = versions.from_canonical(canonical, CTX)
    assert first.wire()["endpoints"][1] == {"identifier": "locations", "url": "https://n/emsp/loc"}


@pytest.mark.parametrize("name", example_names_221("version_details_example") or ["<none>"])
def test_spec_221_version_details(name: str) -> None:
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    original = c.VersionDetails.model_validate(example_221(name))
    v211 = wire_valid(versions.from_canonical(original, CTX, role=c.Role.CPO))
    back = wire_valid(versions.to_canonical(v211, CTX))
    assert back.version == original.version  # "2.2" in the example (E-221-7), kept as is
    # per module, the endpoint of the CPO interface (else the first); roles recomputed
    expected: dict[str, str] = {}
    for e in original.endpoints:
        if e.identifier not in expected or e.role == versions.interface_role(
            e.identifier, c.Role.CPO
        ):
            expected[e.identifier] = e.url
    assert [(e.identifier, e.url) for e in back.endpoints] == list(expected.items())
    assert all(e.role == versions.interface_role(e.identifier, c.Role.CPO) for e in back.endpoints)


@needs_211
def test_spec_211_version_list() -> None:
    versions_list = wv.VersionList.model_validate(
        example_211("version_information_endpoint.md", "Example")
    )
    for version in versions_list.root:
        canonical = wire_valid(versions.version_to_canonical(version, CTX))
        same(wire_valid(versions.version_from_canonical(canonical, CTX)), version)
