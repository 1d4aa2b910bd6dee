"""OCPI 2.2.1 wire models against the spec's own examples, plus negative cases.

The examples live outside the repo (``/work/shared/ocpi-spec/2.2.1/examples``);
set ``ROAMKIT_SPEC_DIR`` to the ``ocpi-spec`` folder to point elsewhere. The
example-based tests are skipped when the folder is absent; the negative tests
need no spec files and always run.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from roamkit.models import v221

SPEC_DIR = Path(
    os.environ.get("ROAMKIT_SPEC_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "ocpi-spec"
)
EXAMPLES = SPEC_DIR / "2.2.1" / "examples"

needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"OCPI 2.2.1 spec examples not found at {EXAMPLES} (set ROAMKIT_SPEC_DIR)",
)


@dataclass(frozen=True)
class Case:
    """How to read one example file: the type, and where the object sits."""

    type: Any
    envelope: bool = False
    """A full response envelope: the object is ``data``."""
    key: str | None = None
    """A fragment ``{key: object}`` cut out of a larger object: parse ``[key]``."""
    exact: bool = True
    """The re-serialized object equals the example's JSON (no data lost)."""


CASES: dict[str, Case] = {
    "cdr_example.json": Case(v221.CDR),
    "credentials_example.json": Case(v221.Credentials),
    "credentials_example2.json": Case(v221.Credentials),
    "credentials_example3.json": Case(v221.Credentials),
    "credentials_example4.json": Case(v221.Credentials),
    # The three energy-mix examples are {"energy_mix": {...}} fragments of a Location.
    "location_energymix_example_complete.json": Case(v221.EnergyMix, key="energy_mix"),
    "location_energymix_example_energy_provider.json": Case(v221.EnergyMix, key="energy_mix"),
    "location_energymix_example_simple.json": Case(v221.EnergyMix, key="energy_mix"),
    "location_example.json": Case(v221.Location),
    "location_example_parking_garage_opening_hours.json": Case(v221.Location),
    "location_example_uc2_destination_charger.json": Case(v221.Location),
    "location_example_uc3_destination_charger_not_published.json": Case(v221.Location),
    "location_example_uc4_limited_visibility.json": Case(v221.Location),
    "location_example_uc5_home_charge_point.json": Case(v221.Location),
    "location_hours_247_open_exception_closing.json": Case(v221.Hours),
    "location_hours_opening_hours_with_exceptional_closing.json": Case(v221.Hours),
    "location_hours_opening_hours_with_exceptional_opening.json": Case(v221.Hours),
    # PATCH bodies; the spec text gives the URL level (Location, EVSE or Connector).
    "location_patch_example_location.json": Case(v221.LocationPatch),
    "location_patch_example_remove_evse.json": Case(v221.EvsePatch),
    "location_patch_example_status.json": Case(v221.EvsePatch),
    "location_patch_example_tariff.json": Case(v221.ConnectorPatch),
    # Not a valid EVSE: see test_spec_quirk_location_put_add_evse.
    "location_put_example_add_evse.json": Case(v221.EVSE, exact=False),
    # {"opening_times": {...}} fragment of a Location.
    "location_regularhours_example.json": Case(v221.Hours, key="opening_times"),
    "session_example_1_simple_start.json": Case(v221.Session),
    "session_example_2_short_finished.json": Case(v221.Session),
    "session_patch_example_charging_period.json": Case(v221.SessionPatch),
    "session_patch_example_total_cost.json": Case(v221.SessionPatch),
    "tariff_10_025kwh_parking_start.json": Case(v221.Tariff),
    "tariff_11_not_possible_alt_text.json": Case(v221.Tariff),
    "tariff_12_025kwh_min_price.json": Case(v221.Tariff),
    "tariff_13_simple_3hour_5parking.json": Case(v221.Tariff),
    "tariff_14_step_size.json": Case(v221.Tariff),
    "tariff_15_reservation_5_euro_per_hour.json": Case(v221.Tariff),
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour.json": Case(v221.Tariff),
    "tariff_17_reservation_with_expire_fee.json": Case(v221.Tariff),
    "tariff_18_reservation_with_expire_time.json": Case(v221.Tariff),
    "tariff_1_simple_2hour.json": Case(v221.Tariff),
    "tariff_2_alt_text.json": Case(v221.Tariff),
    "tariff_3_alt_url.json": Case(v221.Tariff),
    "tariff_4_complex.json": Case(v221.Tariff),
    "tariff_5_free_of_charge.json": Case(v221.Tariff),
    "tariff_6_025kwh_start_max_price.json": Case(v221.Tariff),
    "tariff_8_simple_025kwh.json": Case(v221.Tariff),
    "tariff_9_025kwh_start.json": Case(v221.Tariff),
    # Not a valid Tariff: see test_spec_quirk_tariff_put_without_last_updated.
    "tariff_put_example.json": Case(v221.Tariff),
    "tariffrestriction_example_max_duration.json": Case(v221.Tariff),
    "tariffrestriction_example_max_power.json": Case(v221.Tariff),
    "token_example_1_app_user.json": Case(v221.Token),
    "token_example_2_full_rfid.json": Case(v221.Token),
    "token_patch_example.json": Case(v221.TokenPatch),
    "token_put_example.json": Case(v221.Token),
    "transport_and_format_get_token_example.json": Case(v221.Token, envelope=True),
    "transport_and_format_get_token_list_example.json": Case(list[v221.Token], envelope=True),
    "transport_and_format_version_details_example.json": Case(v221.VersionDetails, envelope=True),
    "transport_and_format_version_info_example.json": Case(list[v221.Version], envelope=True),
    "type_displaytext_example.json": Case(v221.DisplayText),
    "version_details_example.json": Case(v221.VersionDetails),
    "version_details_example2.json": Case(v221.VersionDetails),
    # A bare list: the `data` of GET versions.
    "versions_info_example.json": Case(list[v221.Version]),
}

# Genuine errors in the spec's examples; each has its own test below.
INVALID_EXAMPLES = {"location_put_example_add_evse.json", "tariff_put_example.json"}


def _example_files() -> list[str]:
    if not EXAMPLES.is_dir():
        return sorted(CASES)
    return sorted(p.name for p in EXAMPLES.glob("*.json"))


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _payload(name: str) -> Any:
    case = CASES[name]
    raw = _load(name)
    if case.envelope:
        assert raw["status_code"] == 1000
        raw = raw["data"]
    if case.key is not None:
        raw = raw[case.key]
    return raw


def _round_trip(tp: Any, payload: Any) -> tuple[Any, Any]:
    """Parse, re-serialize as ``wire()`` does, parse again; return (object, wire JSON)."""
    adapter = TypeAdapter(tp)
    obj = adapter.validate_python(payload)
    wire = adapter.dump_python(obj, mode="json", exclude_none=True)
    if isinstance(obj, v221.V221Model):
        assert obj.wire() == wire
    json.dumps(wire)  # really JSON-ready
    assert adapter.validate_python(wire) == obj
    return obj, wire


@needs_examples
def test_every_example_file_is_mapped() -> None:
    on_disk = {p.name for p in EXAMPLES.glob("*.json")}
    assert on_disk, f"no examples in {EXAMPLES}"
    assert on_disk - set(CASES) == set(), "new example files: add them to CASES"
    assert set(CASES) - on_disk == set(), "CASES names files that do not exist"


@needs_examples
@pytest.mark.parametrize("name", [n for n in _example_files() if n not in INVALID_EXAMPLES])
def test_example_parses_and_round_trips(name: str) -> None:
    case = CASES[name]
    payload = _payload(name)
    _obj, wire = _round_trip(case.type, payload)
    if case.exact:
        # Nothing dropped or altered: numbers compare by value (2.00 == 2).
        assert wire == payload


# --- Genuine spec-example errors -------------------------------------------------


@needs_examples
def test_spec_quirk_location_put_add_evse() -> None:
    """``location_put_example_add_evse.json`` (mod_locations_example_add_an_evse).

    The example writes ``floor`` for ``floor_level``, a number for the string
    ``physical_reference``, and its connector lacks the required ``power_type``,
    ``max_voltage``, ``max_amperage`` and ``last_updated`` (CHECKLIST E-221-7).
    The spec text itself says such an incomplete object may be discarded, so
    the EVSE model rejects it. The lenient parts: the unknown ``floor`` is
    ignored and the number ``3`` is read as the string ``"3"``.
    """
    raw = _load("location_put_example_add_evse.json")
    with pytest.raises(ValidationError) as err:
        v221.EVSE.model_validate(raw)
    missing = {e["loc"] for e in err.value.errors() if e["type"] == "missing"}
    assert missing == {
        ("connectors", 0, "power_type"),
        ("connectors", 0, "max_voltage"),
        ("connectors", 0, "max_amperage"),
        ("connectors", 0, "last_updated"),
    }
    assert len(err.value.errors()) == len(missing)

    fixed = copy.deepcopy(raw)
    fixed["connectors"][0].update(
        power_type="AC_3_PHASE",
        max_voltage=220,
        max_amperage=16,
        last_updated=raw["last_updated"],
    )
    evse, wire = _round_trip(v221.EVSE, fixed)
    assert evse.physical_reference == "3"
    assert wire["physical_reference"] == "3"
    assert evse.floor_level is None
    assert "floor" not in wire
    assert evse.connectors[0].tariff_ids == ["14"]


@needs_examples
def test_spec_quirk_tariff_put_without_last_updated() -> None:
    """``tariff_put_example.json`` has no ``last_updated``, which Tariff requires.

    It is rejected for exactly that reason and parses once the field is present.
    """
    raw = _load("tariff_put_example.json")
    with pytest.raises(ValidationError) as err:
        v221.Tariff.model_validate(raw)
    assert [(e["loc"], e["type"]) for e in err.value.errors()] == [(("last_updated",), "missing")]
    tariff, _ = _round_trip(v221.Tariff, {**raw, "last_updated": "2019-06-24T12:39:09Z"})
    assert tariff.elements[0].price_components[0].step_size == 300


@needs_examples
@pytest.mark.parametrize(
    "name",
    [
        "version_details_example.json",
        "version_details_example2.json",
        "transport_and_format_version_details_example.json",
    ],
)
def test_spec_quirk_version_details_report_2_2(name: str) -> None:
    """The 2.2.1 version-details examples say version "2.2" (CHECKLIST E-221-7).

    "2.2" is a (deprecated) VersionNumber, so they parse as they are.
    """
    details = v221.VersionDetails.model_validate(_payload(name))
    assert details.version is v221.VersionNumber.V2_2


@needs_examples
def test_spec_quirk_cdr_swapped_coordinates() -> None:
    """``cdr_example.json`` swaps latitude and longitude for Gent (CHECKLIST E-221-7).

    Both values still fit the lengths, so they parse; we do not check ranges.
    """
    cdr = v221.CDR.model_validate(_load("cdr_example.json"))
    assert cdr.cdr_location.coordinates.latitude == "3.729944"
    assert cdr.cdr_location.coordinates.longitude == "51.047599"


@needs_examples
def test_spec_quirk_session_energy_in_wh() -> None:
    """``session_example_2_short_finished.json`` gives ENERGY volumes in Wh.

    120 + 41000 against ``kwh`` 41.12 (CHECKLIST E-221-7). The model keeps the
    numbers as sent; fixtures for cost checks must convert them.
    """
    session = v221.Session.model_validate(_load("session_example_2_short_finished.json"))
    energy = [
        d.volume
        for p in session.charging_periods or []
        for d in p.dimensions
        if d.type is v221.CdrDimensionType.ENERGY
    ]
    assert energy == [Decimal(120), Decimal(41000)]
    assert session.kwh == Decimal("41.12")


# --- Spot checks on parsed content ------------------------------------------------


@needs_examples
def test_example_types_are_rich() -> None:
    loc = v221.Location.model_validate(_load("location_example.json"))
    assert loc.evses is not None
    evse = loc.evses[0]
    assert isinstance(evse.status, v221.Status)
    assert isinstance(evse.connectors[0].standard, v221.ConnectorType)
    assert loc.last_updated.tzinfo is not None

    tariff = v221.Tariff.model_validate(_load("tariff_1_simple_2hour.json"))
    price = tariff.elements[0].price_components[0].price
    assert isinstance(price, Decimal)

    token = v221.Token.model_validate(_load("token_example_2_full_rfid.json"))
    assert token.default_profile_type is v221.ProfileType.GREEN
    assert token.energy_contract is not None


# --- Negative tests (no spec files needed) ----------------------------------------

TS = "2019-06-24T12:39:09Z"


def _token(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "TNM",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "NL-TNM-C12345678-X",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": TS,
    }
    data.update(overrides)
    return data


def _connector(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "last_updated": TS,
    }
    data.update(overrides)
    return data


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["type"]) for e in exc.value.errors()]


def test_valid_fixtures_parse() -> None:
    assert v221.Token.model_validate(_token()).uid == "012345678"
    assert v221.Connector.model_validate(_connector()).id == "1"


def test_too_long_cistring_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        v221.Token.model_validate(_token(party_id="TNMX"))
    assert _errors(exc) == [(("party_id",), "string_too_long")]

    with pytest.raises(ValidationError) as exc:
        v221.Token.model_validate(_token(uid="x" * 37))
    assert _errors(exc) == [(("uid",), "string_too_long")]
    assert v221.Token.model_validate(_token(uid="x" * 36)).uid == "x" * 36


def test_too_long_string_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        v221.DisplayText.model_validate({"language": "en", "text": "x" * 513})
    assert _errors(exc) == [(("text",), "string_too_long")]


def test_unknown_enum_value_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        v221.Token.model_validate(_token(type="MAGIC_CARD"))
    assert _errors(exc) == [(("type",), "enum")]

    with pytest.raises(ValidationError) as exc:
        v221.Connector.model_validate(_connector(standard="IEC_62196_T4"))
    assert _errors(exc) == [(("standard",), "enum")]

    # Enum values are case-sensitive.
    with pytest.raises(ValidationError):
        v221.Token.model_validate(_token(whitelist="allowed"))


def test_empty_plus_list_rejected() -> None:
    evse = {"uid": "3256", "status": "AVAILABLE", "connectors": [], "last_updated": TS}
    with pytest.raises(ValidationError) as exc:
        v221.EVSE.model_validate(evse)
    assert _errors(exc) == [(("connectors",), "too_short")]

    tariff = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "1",
        "currency": "EUR",
        "elements": [{"price_components": []}],
        "last_updated": TS,
    }
    with pytest.raises(ValidationError) as exc:
        v221.Tariff.model_validate(tariff)
    assert _errors(exc) == [(("elements", 0, "price_components"), "too_short")]

    with pytest.raises(ValidationError) as exc:
        v221.Credentials.model_validate({"token": "abc", "url": "https://x/versions", "roles": []})
    assert _errors(exc) == [(("roles",), "too_short")]

    # A `+` list in a patch may be absent, but not empty.
    assert v221.EvsePatch.model_validate({"last_updated": TS}).connectors is None
    with pytest.raises(ValidationError):
        v221.EvsePatch.model_validate({"connectors": [], "last_updated": TS})


def test_star_list_absent_null_or_empty() -> None:
    for value in ({}, {"tariff_ids": None}, {"tariff_ids": []}):
        connector = v221.Connector.model_validate(_connector(**value))
        assert connector.tariff_ids in (None, [])


def test_missing_required_field_rejected() -> None:
    data = _token()
    del data["issuer"]
    with pytest.raises(ValidationError) as exc:
        v221.Token.model_validate(data)
    assert _errors(exc) == [(("issuer",), "missing")]

    with pytest.raises(ValidationError) as exc:
        v221.Connector.model_validate({k: v for k, v in _connector().items() if k != "id"})
    assert _errors(exc) == [(("id",), "missing")]


def test_patch_models_accept_partial_objects() -> None:
    patch = v221.TokenPatch.model_validate({"valid": False})
    assert patch.last_updated is None
    assert patch.wire() == {"valid": False}
    assert v221.SessionPatch.model_validate({}).wire() == {}
    assert v221.LocationPatch.model_validate({"name": "X"}).wire() == {"name": "X"}
    assert v221.ConnectorPatch.model_validate({"tariff_ids": ["15"]}).wire() == {
        "tariff_ids": ["15"]
    }


@pytest.mark.parametrize(
    ("full", "patch"),
    [
        (v221.Location, v221.LocationPatch),
        (v221.EVSE, v221.EvsePatch),
        (v221.Connector, v221.ConnectorPatch),
        (v221.Session, v221.SessionPatch),
        (v221.Token, v221.TokenPatch),
    ],
)
def test_patch_models_mirror_full_models(
    full: type[v221.V221Model], patch: type[v221.V221Model]
) -> None:
    assert list(patch.model_fields) == list(full.model_fields)
    assert not [n for n, f in patch.model_fields.items() if f.is_required()]


def test_unknown_fields_ignored_and_custom_module_ids_kept() -> None:
    token = v221.Token.model_validate(_token(x_custom="y"))
    assert "x_custom" not in token.wire()

    details = v221.VersionDetails.model_validate(
        {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "nltnm-tokens", "role": "SENDER", "url": "https://x/t"},
                {"identifier": "credentials", "role": "SENDER", "url": "https://x/c"},
            ],
        }
    )
    assert details.endpoints[0].identifier == "nltnm-tokens"
    assert details.endpoints[1].identifier == v221.ModuleID.CREDENTIALS


def test_numbers_are_decimal_and_json_numbers() -> None:
    price = v221.Price.model_validate({"excl_vat": 0.1, "incl_vat": 2.00})
    assert price.excl_vat == Decimal("0.1")
    assert price.wire() == {"excl_vat": 0.1, "incl_vat": 2}
    assert json.loads(json.dumps(price.wire())) == {"excl_vat": 0.1, "incl_vat": 2}


def test_command_bodies_cover_every_command_type() -> None:
    assert set(v221.COMMAND_BODIES) == set(v221.CommandType)
    stop = v221.COMMAND_BODIES[v221.CommandType.STOP_SESSION].model_validate(
        {"response_url": "https://x/r/1", "session_id": "s1"}
    )
    assert isinstance(stop, v221.StopSession)


# --- DateTime output ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2015-06-29T20:39:09Z", "2015-06-29T20:39:09Z"),
        ("2015-06-29T20:39:09", "2015-06-29T20:39:09Z"),
        ("2016-12-29T17:45:09.2Z", "2016-12-29T17:45:09Z"),  # strict output: no fraction
        ("2018-01-01T01:08:01.123", "2018-01-01T01:08:01Z"),
        ("2015-06-29T22:39:09+02:00", "2015-06-29T20:39:09Z"),
    ],
)
def test_datetime_fields_emit_z(sent: str, expected: str) -> None:
    info = v221.ClientInfo.model_validate(
        {
            "party_id": "TNM",
            "country_code": "NL",
            "role": "EMSP",
            "status": "CONNECTED",
            "last_updated": sent,
        }
    )
    assert info.last_updated.tzinfo is not None
    assert info.last_updated.utcoffset() == timedelta(0)
    assert info.wire()["last_updated"] == expected


def test_datetime_from_python_objects_emit_z() -> None:
    aware = datetime(2020, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    profile = v221.ActiveChargingProfile(
        start_date_time=aware,
        charging_profile=v221.ChargingProfile(
            start_date_time=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
            charging_rate_unit=v221.ChargingRateUnit.A,
            charging_profile_period=[v221.ChargingProfilePeriod(start_period=0, limit=16)],
        ),
    )
    wire = profile.wire()
    assert wire["start_date_time"] == "2020-01-02T03:04:05Z"
    assert wire["charging_profile"]["start_date_time"] == "2020-01-02T03:04:05Z"
    assert wire["charging_profile"]["charging_rate_unit"] == "A"
    assert wire["charging_profile"]["charging_profile_period"] == [{"start_period": 0, "limit": 16}]
