"""Locations: 2.1.1 (``mod_locations.md``) ⇄ canonical (2.2.1 ``mod_locations.asciidoc``).

2.1.1 → canonical (every 2.1.1 value has a home, except where noted):

=============================  ===============================================================
2.1.1                          canonical
=============================  ===============================================================
(none)                         ``country_code``/``party_id`` = ``ctx`` (the partner's party)
(none)                         ``publish=True``: 2.1.1 has no publish concept, everything a
                               2.1.1 CPO sends is public (§3.1).
``type`` LocationType          ``parking_type``; ``OTHER`` and ``UNKNOWN`` → absent, so
                               ``OTHER`` comes back as ``UNKNOWN`` (the one inexact trip)
``time_zone`` absent           ``ctx.missing_time_zone`` (default ``#NA``; back: absent)
``postal_code`` ``""``         absent (2.2.1 makes it optional)
``Hours`` without 24/7 flag    ``twentyfourseven=false`` (required in 2.2.1); back it is sent
                               as ``false`` next to ``regular_hours``, as §4.19.1's example does
Connector ``voltage``/         ``max_voltage``/``max_amperage``
``amperage``
Connector ``tariff_id``        ``tariff_ids=[tariff_id]``
EnvironmentalImpact ``source`` ``category``
ids of 37-39 characters        rejected (2.2.1 ids are CiString(36)): ``ValidationError``
=============================  ===============================================================

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``country_code``, ``party_id``: dropped (the URL and credentials carry them).
- ``publish=false`` / ``publish_allowed_to``: dropped. 2.1.1 has no restricted
  visibility, so the caller must not send unpublished locations to a 2.1.1
  partner at all (``visible_to_v211``); this converter does not filter.
- ``parking_type``: ``ALONG_MOTORWAY``/``ON_DRIVEWAY`` → ``OTHER``; absent → ``UNKNOWN``.
- ``state``: dropped.
- ``address`` longer than 45 (2.2.1 allows 255): truncated to 45 characters.
- ``postal_code`` absent: sent as ``""`` (required in 2.1.1).
- ``time_zone`` ``#NA``: left out (optional in 2.1.1).
- ``facilities`` ``BIKE_SHARING``, ``TRAM_STOP``, ``METRO_STATION``,
  ``PARKING_LOT``: dropped from the list.
- Coordinates with 5 or 7 decimals: rounded/padded to the 6 that 2.1.1 requires.
- ``Hours.twentyfourseven=true`` with ``regular_hours``: ``regular_hours``
  dropped (2.1.1 makes them a choice).
- EVSE ``capabilities`` new in 2.2.1 (``CHARGING_PREFERENCES_CAPABLE``,
  ``CHIP_CARD_SUPPORT``, ``CONTACTLESS_CARD_SUPPORT``, ``DEBIT_CARD_PAYABLE``,
  ``PED_TERMINAL``, ``START_SESSION_CONNECTOR_REQUIRED``,
  ``TOKEN_GROUP_CAPABLE``): dropped from the list.
- Connector ``standard`` new in 2.2.1 (``CHAOJI``, ``DOMESTIC_M/N/O``,
  ``GBT_AC/DC``, ``NEMA_*``, ``PANTOGRAPH_*``): no 2.1.1 plug is the same, so
  the connector is dropped; an EVSE left without connectors is dropped too
  (2.1.1 requires at least one). In a PATCH the ``standard`` key is dropped.
- Connector ``power_type`` ``AC_2_PHASE``/``AC_2_PHASE_SPLIT`` → ``AC_1_PHASE``
  (closest: AC, not three-phase).
- Connector ``max_electric_power``: dropped.
- Connector ``tariff_ids`` with several ids (one per Tariff.type): only the
  first is sent as ``tariff_id``.

PATCH bodies (``mod_locations.md §2.2.3``) convert field by field; only the
fields that were sent are converted, and an explicit ``null`` stays an explicit
``None`` (apply canonical patches with ``model_dump(exclude_unset=True)``). A
2.1.1 ``type: OTHER/UNKNOWN`` becomes an explicit ``parking_type=None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211._common import (
    Data,
    drop,
    dump,
    energy_mix_from_canonical,
    energy_mix_to_canonical,
    geo_from_canonical,
    keep_known,
    na_to_none,
    rename,
    value,
)
from roamkit.models.v211 import locations as w

# --- enum mappings -----------------------------------------------------------

_TYPE_TO_PARKING: dict[str, c.ParkingType | None] = {
    "ON_STREET": c.ParkingType.ON_STREET,
    "PARKING_GARAGE": c.ParkingType.PARKING_GARAGE,
    "UNDERGROUND_GARAGE": c.ParkingType.UNDERGROUND_GARAGE,
    "PARKING_LOT": c.ParkingType.PARKING_LOT,
    "OTHER": None,
    "UNKNOWN": None,
}
_PARKING_TO_TYPE: dict[str, w.LocationType] = {
    "ON_STREET": w.LocationType.ON_STREET,
    "PARKING_GARAGE": w.LocationType.PARKING_GARAGE,
    "UNDERGROUND_GARAGE": w.LocationType.UNDERGROUND_GARAGE,
    "PARKING_LOT": w.LocationType.PARKING_LOT,
    "ALONG_MOTORWAY": w.LocationType.OTHER,
    "ON_DRIVEWAY": w.LocationType.OTHER,
}
_POWER_FROM_CANONICAL: dict[str, w.PowerType] = {
    "AC_1_PHASE": w.PowerType.AC_1_PHASE,
    "AC_2_PHASE": w.PowerType.AC_1_PHASE,
    "AC_2_PHASE_SPLIT": w.PowerType.AC_1_PHASE,
    "AC_3_PHASE": w.PowerType.AC_3_PHASE,
    "DC": w.PowerType.DC,
}
_V211_STANDARDS = {m.value for m in w.ConnectorType}
_V211_CAPABILITIES = [m.value for m in w.Capability]
_V211_FACILITIES = [m.value for m in w.Facility]
_ADDRESS_211 = 45


def parking_type_to_location_type(parking: c.ParkingType | str | None) -> w.LocationType:
    """2.2.1 ParkingType → 2.1.1 LocationType (``mod_locations.md §4.16``)."""
    if parking is None:
        return w.LocationType.UNKNOWN
    return _PARKING_TO_TYPE[value(parking)]


def visible_to_v211(location: c.Location) -> bool:
    """May this Location go to a 2.1.1 partner? Only if published to everyone.

    2.1.1 cannot express ``publish_allowed_to`` (2.2.1
    ``#mod_locations_publish_token_class``), so a restricted Location is not sent.
    """
    return location.publish


# --- Connector ---------------------------------------------------------------


def _connector_to_c(data: Data) -> Data:
    out = dict(data)
    rename(out, "voltage", "max_voltage")
    rename(out, "amperage", "max_amperage")
    if "tariff_id" in out:
        tariff_id = out.pop("tariff_id")
        out["tariff_ids"] = None if tariff_id is None else [tariff_id]
    return out


def connector_fields_from_canonical(data: Data, *, partial: bool = False) -> Data | None:
    """Connector fields (a dict) → 2.1.1; ``None`` when a full connector's standard
    has no 2.1.1 equivalent (with ``partial``, only the ``standard`` key is dropped)."""
    out = dict(data)
    if "standard" in out and value(out["standard"]) not in _V211_STANDARDS:
        if not partial:
            return None
        del out["standard"]
    rename(out, "max_voltage", "voltage")
    rename(out, "max_amperage", "amperage")
    drop(out, "max_electric_power")
    if "power_type" in out and out["power_type"] is not None:
        out["power_type"] = _POWER_FROM_CANONICAL[value(out["power_type"])]
    if "tariff_ids" in out:
        ids = out.pop("tariff_ids")
        out["tariff_id"] = ids[0] if ids else None
    return out


def connector_to_canonical(connector: w.Connector, ctx: ConversionContext) -> c.Connector:
    """2.1.1 ``mod_locations.md §3.3`` Connector → canonical Connector."""
    return c.Connector.model_validate(_connector_to_c(dump(connector)))


def connector_from_canonical(
    connector: c.Connector, ctx: ConversionContext | None = None
) -> w.Connector | None:
    """Canonical Connector → 2.1.1; ``None`` if its ``standard`` has no 2.1.1 value."""
    out = connector_fields_from_canonical(dump(connector))
    return None if out is None else w.Connector.model_validate(out)


def connector_patch_to_canonical(
    patch: w.ConnectorPatch | Mapping[str, Any], ctx: ConversionContext
) -> c.ConnectorPatch:
    return c.ConnectorPatch.model_validate(_connector_to_c(dump(patch, partial=True)))


def connector_patch_from_canonical(
    patch: c.ConnectorPatch | Mapping[str, Any], ctx: ConversionContext | None = None
) -> w.ConnectorPatch:
    out = connector_fields_from_canonical(dump(patch, partial=True), partial=True)
    assert out is not None
    return w.ConnectorPatch.model_validate(out)


# --- EVSE --------------------------------------------------------------------


def _evse_to_c(data: Data) -> Data:
    out = dict(data)
    if out.get("connectors") is not None:
        out["connectors"] = [_connector_to_c(conn) for conn in out["connectors"]]
    return out


def _evse_from_c(data: Data, *, partial: bool = False) -> Data | None:
    """``None`` when a full EVSE has no connector 2.1.1 can express."""
    out = dict(data)
    if out.get("capabilities") is not None:
        out["capabilities"] = keep_known(out["capabilities"], _V211_CAPABILITIES)
    if out.get("coordinates") is not None:
        out["coordinates"] = geo_from_canonical(out["coordinates"])
    if out.get("connectors") is not None:
        connectors = [connector_fields_from_canonical(conn) for conn in out["connectors"]]
        kept = [conn for conn in connectors if conn is not None]
        if kept:
            out["connectors"] = kept
        elif partial:
            del out["connectors"]
        else:
            return None
    return out


def evse_to_canonical(evse: w.EVSE, ctx: ConversionContext) -> c.EVSE:
    """2.1.1 ``mod_locations.md §3.2`` EVSE → canonical EVSE."""
    return c.EVSE.model_validate(_evse_to_c(dump(evse)))


def evse_from_canonical(evse: c.EVSE, ctx: ConversionContext | None = None) -> w.EVSE | None:
    """Canonical EVSE → 2.1.1; ``None`` if none of its connectors exists in 2.1.1."""
    out = _evse_from_c(dump(evse))
    return None if out is None else w.EVSE.model_validate(out)


def evse_patch_to_canonical(
    patch: w.EvsePatch | Mapping[str, Any], ctx: ConversionContext
) -> c.EvsePatch:
    return c.EvsePatch.model_validate(_evse_to_c(dump(patch, partial=True)))


def evse_patch_from_canonical(
    patch: c.EvsePatch | Mapping[str, Any], ctx: ConversionContext | None = None
) -> w.EvsePatch:
    out = _evse_from_c(dump(patch, partial=True), partial=True)
    assert out is not None
    return w.EvsePatch.model_validate(out)


# --- Location ----------------------------------------------------------------


def _hours_to_c(hours: Data | None) -> Data | None:
    if hours is None:
        return None
    out = dict(hours)
    if out.get("twentyfourseven") is None:
        out["twentyfourseven"] = False
    return out


def _hours_from_c(hours: Data | None) -> Data | None:
    if hours is None or not hours.get("twentyfourseven"):
        return hours
    return {**hours, "regular_hours": None}


def _location_to_c(data: Data, ctx: ConversionContext) -> Data:
    out = dict(data)
    if "type" in out:
        out["parking_type"] = _TYPE_TO_PARKING[value(out.pop("type"))]
    if out.get("postal_code") == "":
        out["postal_code"] = None
    if out.get("evses") is not None:
        out["evses"] = [_evse_to_c(evse) for evse in out["evses"]]
    if "opening_times" in out:
        out["opening_times"] = _hours_to_c(out["opening_times"])
    if "energy_mix" in out:
        out["energy_mix"] = energy_mix_to_canonical(out["energy_mix"])
    return out


def location_fields_from_canonical(data: Data, *, partial: bool = False) -> Data:
    """Location fields (a dict) → 2.1.1; with ``partial`` only the given keys are mapped."""
    out = dict(data)
    drop(out, "country_code", "party_id", "publish", "publish_allowed_to", "state")
    if "parking_type" in out or not partial:
        out["type"] = parking_type_to_location_type(out.pop("parking_type", None))
    if out.get("address") is not None:
        out["address"] = out["address"][:_ADDRESS_211]
    if "postal_code" in out or not partial:
        out["postal_code"] = out.get("postal_code") or ""
    if "time_zone" in out:
        out["time_zone"] = na_to_none(out["time_zone"])
    if out.get("coordinates") is not None:
        out["coordinates"] = geo_from_canonical(out["coordinates"])
    if out.get("related_locations") is not None:
        out["related_locations"] = [geo_from_canonical(r) for r in out["related_locations"]]
    if out.get("facilities") is not None:
        out["facilities"] = keep_known(out["facilities"], _V211_FACILITIES)
    if out.get("evses") is not None:
        evses = [_evse_from_c(evse) for evse in out["evses"]]
        out["evses"] = [evse for evse in evses if evse is not None]
    if "opening_times" in out:
        out["opening_times"] = _hours_from_c(out["opening_times"])
    if "energy_mix" in out:
        out["energy_mix"] = energy_mix_from_canonical(out["energy_mix"])
    return out


def to_canonical(location: w.Location, ctx: ConversionContext) -> c.Location:
    """2.1.1 ``mod_locations.md §3.1`` Location → canonical Location owned by ``ctx``."""
    out = _location_to_c(dump(location), ctx)
    out.setdefault("time_zone", ctx.missing_time_zone)
    out.update(country_code=ctx.country_code, party_id=ctx.party_id, publish=True)
    return c.Location.model_validate(out)


def from_canonical(location: c.Location, ctx: ConversionContext | None = None) -> w.Location:
    """Canonical Location → 2.1.1 Location (losses in the module docstring)."""
    return w.Location.model_validate(location_fields_from_canonical(dump(location)))


def location_patch_to_canonical(
    patch: w.LocationPatch | Mapping[str, Any], ctx: ConversionContext
) -> c.LocationPatch:
    """A 2.1.1 Location PATCH body → canonical LocationPatch (only the sent fields)."""
    return c.LocationPatch.model_validate(_location_to_c(dump(patch, partial=True), ctx))


def location_patch_from_canonical(
    patch: c.LocationPatch | Mapping[str, Any], ctx: ConversionContext | None = None
) -> w.LocationPatch:
    """Canonical LocationPatch → 2.1.1; ``publish``/``state``/... are dropped.

    The result may be empty (e.g. a patch that only changed ``publish``); the
    caller then has nothing to send.
    """
    out = location_fields_from_canonical(dump(patch, partial=True), partial=True)
    return w.LocationPatch.model_validate(out)


# --- the Location embedded in a 2.1.1 Session/CDR -----------------------------


def only_relevant(location: c.Location, evse_uid: str, connector_id: str) -> c.Location:
    """The Location with only the given EVSE and Connector, as a 2.1.1 Session/CDR embeds it.

    ``mod_sessions.md §3.1``: "including only the relevant EVSE and connector".
    An unknown EVSE (or ``#NA``) gives a Location without EVSEs.
    """
    for evse in location.evses or []:
        if evse.uid == evse_uid:
            connectors = [conn for conn in evse.connectors if conn.id == connector_id]
            kept = evse.model_copy(update={"connectors": connectors or evse.connectors})
            return location.model_copy(update={"evses": [kept]})
    return location.model_copy(update={"evses": None})
