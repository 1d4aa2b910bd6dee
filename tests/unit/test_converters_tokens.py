"""Tokens converters (``roamkit.domain.v211.tokens``): round trips and documented losses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roamkit.domain import canonical as c
from roamkit.domain.v211 import tokens as conv
from roamkit.models.v211 import tokens as w

from .test_converters_support import (
    CTX_EMSP,
    example_211,
    example_221,
    example_names_221,
    needs_211,
    same,
    updated,
    wire_valid,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TOKEN_EXAMPLES = [n for n in example_names_221("token_") if "patch" not in n]


def rich_token() -> c.Token:
    return c.Token.model_validate(
        {
            "country_code": "NL",
            "party_id": "TNM",
            "uid": "APP-1",
            "type": "APP_USER",
            "contract_id": "NL-TNM-C12345678-X",
            "visual_number": "1234",
            "issuer": "TheNewMotion",
            "group_id": "G1",
            "valid": True,
            "whitelist": "ALLOWED_OFFLINE",
            "language": "nl",
            "default_profile_type": "FAST",
            "energy_contract": {"supplier_name": "Eneco", "contract_id": "E1"},
            "last_updated": T0,
        }
    )


def expected_after_trip(original: c.Token) -> c.Token:
    v211_types = {t.value for t in w.TokenType}
    return updated(
        original,
        type=original.type if original.type.value in v211_types else c.TokenType.OTHER,
        group_id=None,
        default_profile_type=None,
        energy_contract=None,
    )


def _trip(original: c.Token) -> tuple[w.Token, c.Token]:
    v211 = wire_valid(conv.from_canonical(original, CTX_EMSP))
    ctx = CTX_EMSP.__class__(country_code=original.country_code, party_id=original.party_id)
    return v211, wire_valid(conv.to_canonical(v211, ctx))


@pytest.mark.parametrize("token_type", list(c.TokenType))
def test_token_losses_are_the_documented_ones(token_type: c.TokenType) -> None:
    original = updated(rich_token(), type=token_type)
    v211, back = _trip(original)
    same(back, expected_after_trip(original))
    assert v211.auth_id == original.contract_id
    expected_type = token_type.value if token_type.value in {"RFID", "OTHER"} else "OTHER"
    assert v211.type == expected_type
    assert back.group_id is None and back.energy_contract is None
    assert back.default_profile_type is None


@pytest.mark.parametrize("name", TOKEN_EXAMPLES or ["<none>"])
def test_spec_221_token_examples(name: str) -> None:
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    original = c.Token.model_validate(example_221(name))
    _, back = _trip(original)
    same(back, expected_after_trip(original))


@needs_211
@pytest.mark.parametrize("heading", ["Example", "Example: put a new Token"])
def test_spec_211_token_examples_round_trip_exactly(heading: str) -> None:
    original = w.Token.model_validate(example_211("mod_tokens.md", heading))
    canonical = wire_valid(conv.to_canonical(original, CTX_EMSP))
    assert (canonical.country_code, canonical.party_id) == ("NL", "TNM")
    assert canonical.contract_id == original.auth_id
    same(wire_valid(conv.from_canonical(canonical, CTX_EMSP)), original)


def test_hand_built_v211_token_round_trips_exactly() -> None:
    original = w.Token(
        uid="X1",
        type=w.TokenType.OTHER,
        auth_id="DE-ABC-1",
        issuer="Issuer",
        valid=False,
        whitelist=w.WhitelistType.NEVER,
        language="de",
        last_updated=T0,
    )
    canonical = wire_valid(conv.to_canonical(original, CTX_EMSP))
    same(wire_valid(conv.from_canonical(canonical, CTX_EMSP)), original)


@needs_211
def test_spec_211_token_patch_example() -> None:
    raw = example_211("mod_tokens.md", "Example: invalidate a Token")
    patch = wire_valid(conv.patch_to_canonical(raw, CTX_EMSP))
    assert patch.model_dump(exclude_unset=True) == {"valid": False}
    back = wire_valid(conv.patch_from_canonical(patch, CTX_EMSP))
    assert back.model_dump(exclude_unset=True) == raw


def test_token_patch_mappings() -> None:
    patch = conv.patch_to_canonical(w.TokenPatch(auth_id="NEW", last_updated=T0), CTX_EMSP)
    assert patch.model_dump(exclude_unset=True) == {"contract_id": "NEW", "last_updated": T0}
    canonical = c.TokenPatch(
        type=c.TokenType.AD_HOC_USER, group_id="G", contract_id="C", last_updated=T0
    )
    v211 = wire_valid(conv.patch_from_canonical(canonical, CTX_EMSP))
    assert v211.model_dump(exclude_unset=True) == {
        "type": w.TokenType.OTHER,
        "auth_id": "C",
        "last_updated": T0,
    }


# --- AuthorizationInfo and LocationReferences -----------------------------------------


def test_authorization_info_round_trips() -> None:
    token = rich_token()
    canonical = c.AuthorizationInfo(
        allowed=c.AllowedType.NO_CREDIT,
        token=token,
        location=c.LocationReferences(location_id="LOC1", evse_uids=["E1", "E2"]),
        authorization_reference="REF-1",
        info=c.DisplayText(language="en", text="Top up"),
    )
    v211 = wire_valid(conv.authorization_info_from_canonical(canonical, CTX_EMSP))
    assert v211.wire() == {
        "allowed": "NO_CREDIT",
        "location": {"location_id": "LOC1", "evse_uids": ["E1", "E2"]},
        "info": {"language": "en", "text": "Top up"},
    }
    back = wire_valid(conv.authorization_info_to_canonical(v211, CTX_EMSP, token=token))
    same(back, updated(canonical, authorization_reference=None))  # documented loss


@pytest.mark.parametrize("allowed", list(w.Allowed))
def test_v211_authorization_info_round_trips_exactly(allowed: w.Allowed) -> None:
    original = w.AuthorizationInfo(allowed=allowed)
    canonical = wire_valid(
        conv.authorization_info_to_canonical(original, CTX_EMSP, token=rich_token())
    )
    assert canonical.allowed.value == allowed.value
    same(wire_valid(conv.authorization_info_from_canonical(canonical, CTX_EMSP)), original)


def test_location_references_lose_connector_ids() -> None:
    """The documented inexact trip: 2.2.1 removed ``connector_ids``."""
    original = w.LocationReferences(location_id="L", evse_uids=["E"], connector_ids=["1", "2"])
    canonical = wire_valid(conv.location_references_to_canonical(original, CTX_EMSP))
    assert canonical.wire() == {"location_id": "L", "evse_uids": ["E"]}
    back = wire_valid(conv.location_references_from_canonical(canonical, CTX_EMSP))
    same(back, updated(original, connector_ids=None))
    info = w.AuthorizationInfo(allowed=w.Allowed.ALLOWED, location=original)
    canonical_info = conv.authorization_info_to_canonical(info, CTX_EMSP, token=rich_token())
    assert canonical_info.location == canonical
