"""Locations converters (``roamkit.domain.v211.locations``): round trips and documented losses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from roamkit.domain import NA
from roamkit.domain import canonical as c
from roamkit.domain.v211 import locations as conv
from roamkit.models.v211 import locations as w

from .test_converters_support import (
    CTX,
    example_211,
    example_221,
    example_names_221,
    needs_211,
    same,
    updated,
    wire_valid,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
# Whole Locations (``location_example*``); PATCH/PUT bodies are tested below.
LOCATION_EXAMPLES = example_names_221("location_example")


def _connector(cid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": T0,
        **extra,
    }


def rich_location() -> c.Location:
    """A canonical Location using every 2.2.1 field, including each lossy one."""
    return c.Location.model_validate(
        {
            "country_code": "BE",
            "party_id": "BEC",
            "id": "LOC-RICH",
            "publish": False,
            "publish_allowed_to": [{"uid": "ABC123", "type": "RFID"}],
            "name": "Rich Location",
            "address": "A very long street name that exceeds forty-five characters 12",
            "city": "Gent",
            "state": "Oost-Vlaanderen",
            "country": "BEL",
            "coordinates": {"latitude": "51.0475991", "longitude": "3.72994"},
            "related_locations": [
                {
                    "latitude": "51.04",
                    "longitude": "3.7",
                    "name": {"language": "en", "text": "Entrance"},
                }
            ],
            "parking_type": "ALONG_MOTORWAY",
            "evses": [
                {
                    "uid": "EVSE-1",
                    "evse_id": "BE*BEC*E1",
                    "status": "CHARGING",
                    "status_schedule": [
                        {"period_begin": T0, "period_end": T0, "status": "INOPERATIVE"}
                    ],
                    "capabilities": ["RESERVABLE", "CONTACTLESS_CARD_SUPPORT", "RFID_READER"],
                    "connectors": [
                        _connector(
                            "1",
                            power_type="AC_2_PHASE_SPLIT",
                            max_electric_power=7400,
                            tariff_ids=["T1", "T2"],
                            terms_and_conditions="https://example.com/terms",
                        ),
                        _connector("2", standard="NEMA_14_50"),
                    ],
                    "floor_level": "-1",
                    "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
                    "physical_reference": "P1",
                    "directions": [{"language": "en", "text": "Left"}],
                    "parking_restrictions": ["EV_ONLY", "DISABLED"],
                    "images": [
                        {"url": "https://example.com/a.png", "category": "CHARGER", "type": "png"}
                    ],
                    "last_updated": T0,
                },
                {  # only a GB/T connector: the whole EVSE is lost in 2.1.1
                    "uid": "EVSE-2",
                    "status": "AVAILABLE",
                    "connectors": [_connector("1", standard="GBT_DC", power_type="DC")],
                    "last_updated": T0,
                },
            ],
            "directions": [{"language": "nl", "text": "Links"}],
            "operator": {"name": "BeCharged", "website": "https://becharged.example"},
            "suboperator": {"name": "Sub"},
            "owner": {"name": "Owner"},
            "facilities": ["HOTEL", "METRO_STATION", "WIFI", "PARKING_LOT"],
            "time_zone": "Europe/Brussels",
            "opening_times": {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
                "exceptional_closings": [{"period_begin": T0, "period_end": T0}],
            },
            "charging_when_closed": False,
            "images": [
                {"url": "https://example.com/l.jpg", "category": "LOCATION", "type": "jpeg"}
            ],
            "energy_mix": {
                "is_green_energy": False,
                "energy_sources": [{"source": "SOLAR", "percentage": "60.5"}],
                "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": "372"}],
                "supplier_name": "E.ON",
            },
            "last_updated": T0,
        }
    )


def expected_after_trip(original: c.Location) -> c.Location:
    """What canonical → 2.1.1 → canonical gives: the original minus the documented losses."""
    data = original.model_dump()
    data.update(publish=True, publish_allowed_to=None, state=None)
    data["parking_type"] = conv._TYPE_TO_PARKING[
        conv.parking_type_to_location_type(original.parking_type).value
    ]
    data["address"] = original.address[:45]
    for geo in [data["coordinates"], *(data["related_locations"] or [])]:
        geo["latitude"] = f"{float(geo['latitude']):.6f}"
        geo["longitude"] = f"{float(geo['longitude']):.6f}"
    if data["facilities"] is not None:
        v211 = {f.value for f in w.Facility}
        data["facilities"] = [f for f in data["facilities"] if f.value in v211]
    if data["opening_times"] and data["opening_times"]["twentyfourseven"]:
        data["opening_times"]["regular_hours"] = None
    evses = []
    for evse in data["evses"] or []:
        connectors = []
        for conn in evse["connectors"]:
            if conn["standard"].value not in {s.value for s in w.ConnectorType}:
                continue
            if conn["power_type"].value.startswith("AC_2"):
                conn["power_type"] = c.PowerType.AC_1_PHASE
            conn["max_electric_power"] = None
            conn["tariff_ids"] = conn["tariff_ids"][:1] or None if conn["tariff_ids"] else None
            connectors.append(conn)
        if not connectors:
            continue
        if evse["capabilities"] is not None:
            v211 = {cap.value for cap in w.Capability}
            evse["capabilities"] = [x for x in evse["capabilities"] if x.value in v211]
        evses.append({**evse, "connectors": connectors})
    data["evses"] = evses if original.evses is not None else None
    return c.Location.model_validate(data)


# --- canonical → 2.1.1 → canonical ----------------------------------------------------


def _trip(original: c.Location) -> tuple[w.Location, c.Location]:
    v211 = wire_valid(conv.from_canonical(original, CTX))
    back = wire_valid(conv.to_canonical(v211, CTX))
    return v211, back


def test_rich_location_losses_are_the_documented_ones() -> None:
    original = rich_location()
    v211, back = _trip(original)
    same(back, expected_after_trip(original))
    # each loss, explicitly
    assert v211.type == w.LocationType.OTHER and back.parking_type is None
    assert back.publish is True and back.publish_allowed_to is None
    assert back.state is None
    assert v211.address == original.address[:45] and len(original.address) > 45
    assert v211.postal_code == "" and back.postal_code is None
    assert v211.coordinates.latitude == "51.047599"
    assert v211.coordinates.longitude == "3.729940"
    assert v211.facilities == [w.Facility.HOTEL, w.Facility.WIFI]
    assert [e.uid for e in v211.evses or []] == ["EVSE-1"]  # EVSE-2: only a GB/T connector
    evse = (v211.evses or [])[0]
    assert evse.capabilities == [w.Capability.RESERVABLE, w.Capability.RFID_READER]
    assert [conn.id for conn in evse.connectors] == ["1"]  # NEMA_14_50 dropped
    conn = evse.connectors[0]
    assert conn.power_type == w.PowerType.AC_1_PHASE  # AC_2_PHASE_SPLIT
    assert (conn.voltage, conn.amperage, conn.tariff_id) == (230, 32, "T1")
    assert back.evses and back.evses[0].connectors[0].max_electric_power is None
    assert back.energy_mix and back.energy_mix.environ_impact
    assert (
        back.energy_mix.environ_impact[0].category == c.EnvironmentalImpactCategory.CARBON_DIOXIDE
    )
    assert v211.time_zone == "Europe/Brussels"
    assert v211.opening_times and v211.opening_times.twentyfourseven is False


def test_visible_to_v211() -> None:
    assert conv.visible_to_v211(rich_location()) is False  # publish_allowed_to only
    assert conv.visible_to_v211(updated(rich_location(), publish=True, publish_allowed_to=None))


def test_twentyfourseven_with_regular_hours_drops_them() -> None:
    original = updated(
        rich_location(),
        **{
            "opening_times": c.Hours(
                twentyfourseven=True,
                regular_hours=[c.RegularHours(weekday=2, period_begin="00:00", period_end="24:00")],
            )
        },
    )
    v211, back = _trip(original)
    assert v211.opening_times == w.Hours(twentyfourseven=True)
    same(back, expected_after_trip(original))


@pytest.mark.parametrize(
    ("parking", "location_type"),
    [
        ("ON_STREET", "ON_STREET"),
        ("PARKING_GARAGE", "PARKING_GARAGE"),
        ("UNDERGROUND_GARAGE", "UNDERGROUND_GARAGE"),
        ("PARKING_LOT", "PARKING_LOT"),
        ("ALONG_MOTORWAY", "OTHER"),
        ("ON_DRIVEWAY", "OTHER"),
        (None, "UNKNOWN"),
    ],
)
def test_parking_type_mapping(parking: str | None, location_type: str) -> None:
    original = updated(rich_location(), **{"parking_type": parking})
    v211, back = _trip(original)
    assert v211.type == location_type
    assert back.parking_type == (parking if location_type not in {"OTHER", "UNKNOWN"} else None)


def test_na_time_zone_becomes_absent() -> None:
    original = updated(rich_location(), **{"time_zone": NA})
    v211, back = _trip(original)
    assert v211.time_zone is None and back.time_zone == NA


@pytest.mark.parametrize("name", LOCATION_EXAMPLES or ["<none>"])
def test_spec_221_location_examples(name: str) -> None:
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    original = c.Location.model_validate(example_221(name))
    original = updated(original, **{"country_code": "BE", "party_id": "BEC"})
    _, back = _trip(original)
    same(back, expected_after_trip(original))


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in example_names_221("location_")
        if "energymix" in n or "hours" in n or "regularhours" in n
    ]
    or ["<none>"],
)
def test_spec_221_fragments_inside_a_location(name: str) -> None:
    """Energy-mix and opening-hours examples, placed in a Location."""
    if name == "<none>":
        pytest.skip("OCPI 2.2.1 examples not found (set ROAMKIT_SPEC_DIR)")
    data = example_221(name)
    field = "energy_mix" if "energymix" in name else "opening_times"
    data = data.get(field, data)  # some files wrap the member, some do not
    original = updated(rich_location(), **{field: data})
    _, back = _trip(original)
    same(back, expected_after_trip(original))


# --- 2.1.1 → canonical → 2.1.1 --------------------------------------------------------


def rich_v211() -> w.Location:
    return w.Location.model_validate(
        {
            "id": "LOC-211",
            "type": "PARKING_GARAGE",
            "name": "Garage",
            "address": "Street 1",
            "city": "Gent",
            "postal_code": "9000",
            "country": "BEL",
            "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
            "related_locations": [{"latitude": "51.000000", "longitude": "3.000000"}],
            "evses": [
                {
                    "uid": "E1",
                    "evse_id": "BE-BEC-E1",
                    "status": "BLOCKED",
                    "status_schedule": [],
                    "capabilities": ["CHARGING_PROFILE_CAPABLE", "UNLOCK_CAPABLE"],
                    "connectors": [
                        {
                            "id": "1",
                            "standard": "IEC_60309_2_three_32",
                            "format": "CABLE",
                            "power_type": "AC_1_PHASE",
                            "voltage": 230,
                            "amperage": 16,
                            "tariff_id": "T9",
                            "terms_and_conditions": "https://example.com/t",
                            "last_updated": "2015-06-29T20:39:09Z",
                        }
                    ],
                    "floor_level": "2",
                    "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
                    "physical_reference": "A",
                    "directions": [{"language": "en", "text": "Up"}],
                    "parking_restrictions": ["CUSTOMERS"],
                    "images": [
                        {
                            "url": "https://example.com/i.gif",
                            "thumbnail": "https://example.com/t.gif",
                            "category": "ENTRANCE",
                            "type": "gif",
                            "width": 10,
                            "height": 20,
                        }
                    ],
                    "last_updated": "2015-06-29T20:39:09Z",
                }
            ],
            "operator": {"name": "Op"},
            "facilities": ["AIRPORT", "CARPOOL_PARKING"],
            "time_zone": "Europe/Brussels",
            "opening_times": {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 7, "period_begin": "10:00", "period_end": "24:00"}],
                "exceptional_openings": [
                    {"period_begin": "2015-06-29T20:39:09Z", "period_end": "2015-06-29T22:39:09Z"}
                ],
            },
            "charging_when_closed": True,
            "energy_mix": {
                "is_green_energy": True,
                "environ_impact": [{"source": "NUCLEAR_WASTE", "amount": 0.0006}],
            },
            "last_updated": "2015-06-29T20:39:09Z",
        }
    )


def _trip_211(original: w.Location) -> tuple[c.Location, w.Location]:
    canonical = wire_valid(conv.to_canonical(original, CTX))
    return canonical, wire_valid(conv.from_canonical(canonical, CTX))


def test_v211_location_round_trip_is_exact() -> None:
    original = rich_v211()
    canonical, back = _trip_211(original)
    same(back, original)
    assert (canonical.country_code, canonical.party_id, canonical.publish) == ("BE", "BEC", True)
    assert canonical.parking_type == c.ParkingType.PARKING_GARAGE
    assert canonical.evses and canonical.evses[0].connectors[0].tariff_ids == ["T9"]
    assert canonical.evses[0].connectors[0].max_voltage == 230


def test_v211_defaults_for_missing_values() -> None:
    original = updated(
        rich_v211(), **{"time_zone": None, "postal_code": "", "type": w.LocationType.UNKNOWN}
    )
    canonical, back = _trip_211(original)
    same(back, original)
    assert canonical.time_zone == NA  # documented placeholder, not an invented zone
    assert canonical.postal_code is None and canonical.parking_type is None


def test_v211_other_type_comes_back_unknown() -> None:
    """The documented inexact trip: OTHER has no 2.2.1 ParkingType."""
    original = updated(rich_v211(), **{"type": w.LocationType.OTHER})
    _, back = _trip_211(original)
    assert back.type == w.LocationType.UNKNOWN
    same(back, updated(original, **{"type": w.LocationType.UNKNOWN}))


def test_v211_hours_without_flag_gains_false() -> None:
    """The other documented inexact trip: 2.2.1 requires ``twentyfourseven``."""
    hours = w.Hours(
        regular_hours=[w.RegularHours(weekday=1, period_begin="08:00", period_end="18:00")]
    )
    original = updated(rich_v211(), **{"opening_times": hours})
    canonical, back = _trip_211(original)
    assert canonical.opening_times and canonical.opening_times.twentyfourseven is False
    assert back.opening_times == updated(hours, **{"twentyfourseven": False})


def test_v211_long_ids_are_refused() -> None:
    original = updated(rich_v211(), **{"id": "X" * 39})
    with pytest.raises(ValueError, match="36"):
        conv.to_canonical(original, CTX)


@needs_211
def test_spec_211_location_example() -> None:
    original = w.Location.model_validate(example_211("mod_locations.md", "Example"))
    canonical, back = _trip_211(original)
    same(back, original)
    assert canonical.time_zone == NA  # the example has no time_zone


@needs_211
@pytest.mark.parametrize(
    ("heading", "field", "model"),
    [
        ("Simple:", "energy_mix", w.EnergyMix),
        ("Tariff name based:", "energy_mix", w.EnergyMix),
        ("Complete:", "energy_mix", w.EnergyMix),
        ("4.19.1 Example", "opening_times", w.Hours),
    ],
)
def test_spec_211_energy_mix_and_hours_examples(heading: str, field: str, model: Any) -> None:
    """§4.5 and §4.19.1 show fragments; placed in a Location they round-trip exactly."""
    value = model.model_validate(example_211("mod_locations.md", heading))
    original = updated(rich_v211(), **{field: value})
    canonical, back = _trip_211(original)
    same(back, original)
    if heading == "Complete:":
        assert canonical.energy_mix and canonical.energy_mix.environ_impact
        assert [i.category for i in canonical.energy_mix.environ_impact] == [
            c.EnvironmentalImpactCategory.NUCLEAR_WASTE,
            c.EnvironmentalImpactCategory.CARBON_DIOXIDE,
        ]


@needs_211
def test_spec_211_add_evse_example() -> None:
    data = example_211("mod_locations.md", "Example: add an EVSE")
    # E-211-4: `floor`, numeric physical_reference, missing fields; repaired as in
    # test_models_v211.
    data["floor_level"] = str(data.pop("floor"))
    data["physical_reference"] = str(data["physical_reference"])
    data["last_updated"] = "2015-06-29T20:39:09Z"
    for conn in data["connectors"]:
        conn.update(power_type="AC_3_PHASE", voltage=220, amperage=16,
                    last_updated="2015-06-29T20:39:09Z")  # fmt: skip
    original = w.EVSE.model_validate(data)
    canonical = wire_valid(conv.evse_to_canonical(original, CTX))
    back = conv.evse_from_canonical(canonical, CTX)
    assert back is not None
    same(wire_valid(back), original)


# --- PATCH bodies ---------------------------------------------------------------------


@needs_211
@pytest.mark.parametrize(
    ("heading", "to_c", "from_c", "model"),
    [
        ("Example: a simple status update", conv.evse_patch_to_canonical,
         conv.evse_patch_from_canonical, w.EvsePatch),
        ("Example: delete an EVSE", conv.evse_patch_to_canonical,
         conv.evse_patch_from_canonical, w.EvsePatch),
        ("Example: change the location name", conv.location_patch_to_canonical,
         conv.location_patch_from_canonical, w.LocationPatch),
        ("Example: set tariff update", conv.connector_patch_to_canonical,
         conv.connector_patch_from_canonical, w.ConnectorPatch),
    ],
)  # fmt: skip
def test_spec_211_patch_examples(heading: str, to_c: Any, from_c: Any, model: Any) -> None:
    raw = example_211("mod_locations.md", heading)
    for source in (raw, model.model_validate(raw)):  # a dict as received, or the model
        canonical = wire_valid(to_c(source, CTX))
        back = wire_valid(from_c(canonical, CTX))
        assert back.model_dump(exclude_unset=True) == model.model_validate(raw).model_dump(
            exclude_unset=True
        )
    if heading == "Example: set tariff update":
        assert canonical.model_dump(exclude_unset=True) == {"tariff_ids": ["15"]}


def test_location_patch_mappings() -> None:
    patch = conv.location_patch_to_canonical({"type": "OTHER", "postal_code": ""}, CTX)
    assert patch.model_dump(exclude_unset=True) == {"parking_type": None, "postal_code": None}
    assert conv.location_patch_from_canonical(patch, CTX).model_dump(exclude_unset=True) == {
        "type": w.LocationType.UNKNOWN,
        "postal_code": "",
    }
    canonical = c.LocationPatch(
        publish=False, state="X", parking_type=c.ParkingType.ON_DRIVEWAY, last_updated=T0
    )
    v211 = wire_valid(conv.location_patch_from_canonical(canonical, CTX))
    assert v211.model_dump(exclude_unset=True) == {"type": w.LocationType.OTHER, "last_updated": T0}
    only_publish = conv.location_patch_from_canonical(c.LocationPatch(publish=True), CTX)
    assert only_publish.model_dump(exclude_unset=True) == {}


def test_connector_and_evse_patch_losses() -> None:
    patch = c.ConnectorPatch(
        standard=c.ConnectorType.CHAOJI, max_voltage=400, max_electric_power=50000,
        tariff_ids=["A", "B"], power_type=c.PowerType.AC_2_PHASE,
    )  # fmt: skip
    v211 = wire_valid(conv.connector_patch_from_canonical(patch, CTX))
    assert v211.model_dump(exclude_unset=True) == {
        "voltage": 400,
        "tariff_id": "A",
        "power_type": w.PowerType.AC_1_PHASE,
    }
    evse_patch = c.EvsePatch.model_validate(
        {
            "connectors": [_connector("1", standard="PANTOGRAPH_TOP_DOWN")],
            "capabilities": ["PED_TERMINAL"],
        }
    )
    v211_evse = wire_valid(conv.evse_patch_from_canonical(evse_patch, CTX))
    assert v211_evse.model_dump(exclude_unset=True) == {"capabilities": []}
    cleared = conv.connector_patch_to_canonical({"tariff_id": None}, CTX)
    assert cleared.model_dump(exclude_unset=True) == {"tariff_ids": None}


def test_connector_and_evse_converters() -> None:
    conn = c.Connector.model_validate(_connector("9", standard="DOMESTIC_O"))
    assert conv.connector_from_canonical(conn, CTX) is None
    ok = c.Connector.model_validate(_connector("9"))
    v211 = conv.connector_from_canonical(ok, CTX)
    assert v211 is not None
    same(wire_valid(conv.connector_to_canonical(wire_valid(v211), CTX)), ok)
    evse = c.EVSE(uid="E", status=c.Status.AVAILABLE, connectors=[conn], last_updated=T0)
    assert conv.evse_from_canonical(evse, CTX) is None


def test_only_relevant() -> None:
    location = rich_location()
    reduced = conv.only_relevant(location, "EVSE-1", "2")
    assert [e.uid for e in reduced.evses or []] == ["EVSE-1"]
    assert [k.id for k in (reduced.evses or [])[0].connectors] == ["2"]
    assert conv.only_relevant(location, NA, NA).evses is None
