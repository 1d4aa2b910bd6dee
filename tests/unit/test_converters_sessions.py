"""Sessions converters (``roamkit.domain.v211.sessions``): round trips and documented losses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from roamkit.domain import NA, ConversionContext, ConversionError
from roamkit.domain import canonical as c
from roamkit.domain.v211 import locations
from roamkit.domain.v211 import sessions as conv
from roamkit.models.v211 import sessions as w

from .test_converters_locations import rich_location
from .test_converters_support import (
    CTX,
    example_211,
    example_221,
    example_names_221,
    needs_211,
    needs_221,
    same,
    updated,
    wire_valid,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2024, 3, 1, 13, 0, tzinfo=UTC)
SESSION_EXAMPLES = [n for n in example_names_221("session_example")]


def token_of(cdr_token: c.CdrToken) -> c.Token:
    """The Token a caller would look up for a cdr_token (to show nothing else is lost)."""
    return c.Token(
        country_code=cdr_token.country_code,
        party_id=cdr_token.party_id,
        uid=cdr_token.uid,
        type=cdr_token.type,
        contract_id=cdr_token.contract_id,
        issuer="x",
        valid=True,
        whitelist=c.WhitelistType.ALLOWED,
        last_updated=T0,
    )


def rich_session(**changes: Any) -> c.Session:
    data: dict[str, Any] = {
        "country_code": "BE",
        "party_id": "BEC",
        "id": "S-1",
        "start_date_time": T0,
        "end_date_time": T1,
        "kwh": "12.345",
        "cdr_token": {
            "country_code": "DE",
            "party_id": "XYZ",
            "uid": "APP1",
            "type": "APP_USER",
            "contract_id": "DE-XYZ-C1",
        },
        "auth_method": "COMMAND",
        "authorization_reference": "AUTH-REF-1",
        "location_id": "LOC-RICH",
        "evse_uid": "EVSE-1",
        "connector_id": "1",
        "meter_id": "M-1",
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": T0,
                "dimensions": [
                    {"type": "ENERGY", "volume": "10"},
                    {"type": "STATE_OF_CHARGE", "volume": "80"},
                    {"type": "MAX_CURRENT", "volume": "16"},
                ],
                "tariff_id": "T1",
            },
            {"start_date_time": T1, "dimensions": [{"type": "POWER", "volume": "7.4"}]},
        ],
        "total_cost": {"excl_vat": "4.99", "incl_vat": "5.94"},
        "status": "RESERVATION",
        "last_updated": T1,
    }
    data.update(changes)
    return c.Session.model_validate(data)


def expected_after_trip(original: c.Session, *, with_token: bool) -> c.Session:
    """The original minus the documented losses."""
    data = original.model_dump()
    data["authorization_reference"] = None
    if data["auth_method"] == c.AuthMethod.COMMAND:
        data["auth_method"] = c.AuthMethod.AUTH_REQUEST
    if data["status"] == c.SessionStatus.RESERVATION:
        data["status"] = c.SessionStatus.PENDING
    if data["total_cost"] is not None:
        data["total_cost"]["incl_vat"] = None
    if not with_token:
        data["cdr_token"].update(
            country_code=CTX.own_country_code,
            party_id=CTX.own_party_id,
            uid=NA,
            type=CTX.unknown_token_type,
        )
    periods = []
    v211 = {"ENERGY", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"}
    for period in data["charging_periods"] or []:
        dims = [d for d in period["dimensions"] if d["type"].value in v211]
        if dims:
            periods.append({**period, "dimensions": dims, "tariff_id": None})
    data["charging_periods"] = periods if original.charging_periods is not None else None
    return c.Session.model_validate(data)


def _trip(
    original: c.Session, location: c.Location, *, with_token: bool
) -> tuple[w.Session, c.Session]:
    v211 = wire_valid(conv.from_canonical(original, CTX, location=location))
    token = token_of(original.cdr_token) if with_token else None
    ctx = replace(CTX, country_code=original.country_code, party_id=original.party_id)
    return v211, wire_valid(conv.to_canonical(v211, ctx, token=token))


@pytest.mark.parametrize("with_token", [True, False])
def test_rich_session_losses_are_the_documented_ones(with_token: bool) -> None:
    original = rich_session()
    v211, back = _trip(original, rich_location(), with_token=with_token)
    same(back, expected_after_trip(original, with_token=with_token))
    assert v211.auth_id == "DE-XYZ-C1"
    assert v211.auth_method == "AUTH_REQUEST" and v211.status == "PENDING"
    assert v211.total_cost == Decimal("4.99")
    assert v211.start_datetime == T0 and v211.end_datetime == T1
    # the embedded Location holds only the session's EVSE and connector
    assert [e.uid for e in v211.location.evses or []] == ["EVSE-1"]
    assert [k.id for k in (v211.location.evses or [])[0].connectors] == ["1"]
    assert v211.charging_periods and len(v211.charging_periods) == 1  # POWER-only period gone
    if not with_token:
        assert back.cdr_token.uid == NA and back.cdr_token.type == c.TokenType.OTHER
        assert (back.cdr_token.country_code, back.cdr_token.party_id) == ("NL", "TNM")


def test_session_on_a_connector_2_1_1_cannot_express() -> None:
    """Connector 2 of EVSE-1 is a NEMA plug: the embedded EVSE is dropped, ids become #NA."""
    original = rich_session(connector_id="2")
    v211, back = _trip(original, rich_location(), with_token=True)
    assert v211.location.evses == []
    assert (back.evse_uid, back.connector_id) == (NA, NA)


def test_from_canonical_checks_the_location() -> None:
    with pytest.raises(ConversionError, match="not the session"):
        conv.from_canonical(rich_session(location_id="OTHER"), CTX, location=rich_location())


def test_cdr_token_needs_an_owner() -> None:
    v211 = conv.from_canonical(rich_session(), CTX, location=rich_location())
    with pytest.raises(ConversionError, match="own_country_code"):
        conv.to_canonical(v211, ConversionContext(country_code="BE", party_id="BEC"))


@needs_221
@pytest.mark.parametrize("name", SESSION_EXAMPLES)
def test_spec_221_session_examples(name: str) -> None:
    original = c.Session.model_validate(example_221(name))
    location = c.Location.model_validate(example_221("location_example.json"))
    for with_token in (True, False):
        _, back = _trip(original, location, with_token=with_token)
        same(back, expected_after_trip(original, with_token=with_token))


# --- 2.1.1 → canonical → 2.1.1 --------------------------------------------------------


def _trip_211(original: w.Session) -> tuple[c.Session, w.Session]:
    canonical = wire_valid(conv.to_canonical(original, CTX))
    location = wire_valid(locations.to_canonical(original.location, CTX))
    return canonical, wire_valid(conv.from_canonical(canonical, CTX, location=location))


@needs_211
@pytest.mark.parametrize(
    "heading",
    [
        "Simple Session example of a just starting session",
        "Simple Session example of a short finished session",
    ],
)
def test_spec_211_session_examples_round_trip_exactly(heading: str) -> None:
    original = w.Session.model_validate(example_211("mod_sessions.md", heading))
    canonical, back = _trip_211(original)
    same(back, original)
    assert (canonical.location_id, canonical.evse_uid, canonical.connector_id) == (
        "LOC1",
        "3256",
        "1",
    )
    assert canonical.cdr_token.contract_id == original.auth_id
    if original.total_cost is not None:
        assert canonical.total_cost == c.Price(excl_vat=original.total_cost)


def test_v211_flat_dimension_is_dropped() -> None:
    """The documented inexact trip: 2.2.1 has no FLAT CdrDimension."""
    original = w.Session.model_validate(
        {
            **conv.from_canonical(rich_session(), CTX, location=rich_location()).model_dump(),
            "charging_periods": [
                {"start_date_time": T0, "dimensions": [{"type": "FLAT", "volume": 1}]},
                {
                    "start_date_time": T1,
                    "dimensions": [{"type": "FLAT", "volume": 1}, {"type": "TIME", "volume": 1}],
                },
            ],
        }
    )
    canonical, back = _trip_211(original)
    assert canonical.charging_periods and len(canonical.charging_periods) == 1
    assert back.charging_periods == [
        w.ChargingPeriod.model_validate(
            {"start_date_time": T1, "dimensions": [{"type": "TIME", "volume": 1}]}
        )
    ]


# --- PATCH ------------------------------------------------------------------------------


@needs_211
def test_spec_211_session_patch_example() -> None:
    raw = example_211("mod_sessions.md", "Example: update the total cost")
    patch = wire_valid(conv.patch_to_canonical(raw, CTX))
    assert patch.model_dump(exclude_unset=True) == {"total_cost": {"excl_vat": Decimal("0.60")}}
    back = wire_valid(conv.patch_from_canonical(patch, CTX))
    assert back.model_dump(exclude_unset=True) == {"total_cost": Decimal("0.60")}


@needs_221
@pytest.mark.parametrize("name", example_names_221("session_patch"))
def test_spec_221_session_patch_examples(name: str) -> None:
    original = c.SessionPatch.model_validate(example_221(name))
    v211 = wire_valid(conv.patch_from_canonical(original, CTX))
    back = wire_valid(conv.patch_to_canonical(v211, CTX))
    expected = original.model_dump(exclude_unset=True)
    if "total_cost" in expected:
        expected["total_cost"] = {"excl_vat": expected["total_cost"]["excl_vat"]}
    for period in expected.get("charging_periods", []):
        period.pop("tariff_id", None)
    assert back.model_dump(exclude_unset=True) == expected


def test_session_patch_mappings() -> None:
    canonical = c.SessionPatch.model_validate(
        {
            "end_date_time": T1,
            "status": "COMPLETED",
            "authorization_reference": "R",
            "cdr_token": rich_session().cdr_token.model_dump(),
            "last_updated": T1,
        }
    )
    v211 = wire_valid(conv.patch_from_canonical(canonical, CTX))
    assert v211.model_dump(exclude_unset=True) == {
        "end_datetime": T1,
        "status": w.SessionStatus.COMPLETED,
        "auth_id": "DE-XYZ-C1",
        "last_updated": T1,
    }
    moved = c.SessionPatch(evse_uid="EVSE-1", connector_id="1", last_updated=T1)
    with pytest.raises(ConversionError, match="location"):
        conv.patch_from_canonical(moved, CTX)
    v211_moved = wire_valid(conv.patch_from_canonical(moved, CTX, location=rich_location()))
    assert v211_moved.location and [e.uid for e in v211_moved.location.evses or []] == ["EVSE-1"]
    again = conv.patch_to_canonical(v211_moved, CTX)
    assert again.model_dump(exclude_unset=True) == {
        "location_id": "LOC-RICH",
        "evse_uid": "EVSE-1",
        "connector_id": "1",
        "last_updated": T1,
    }
    assert updated(again, last_updated=T0).last_updated == T0
