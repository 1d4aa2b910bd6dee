"""OCPI 2.1.1 Locations module (``mod_locations.md``).

Location, EVSE and Connector (§3), their classes and enums (§4), and the PATCH
bodies of the eMSP interface (§2.2.3), in which every field is optional.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from roamkit.models.base import URL, DateTime, OcpiModel, string
from roamkit.models.v211.common import (
    BusinessDetails,
    DisplayText,
    EnergyMix,
    GeoLocation,
    Image,
    Latitude,
    Longitude,
    TimeOfDay,
)

# --- enums (§4) -------------------------------------------------------------


class Capability(StrEnum):
    """``mod_locations.md §4.2 Capability enum`` (the 2.1.1 set)."""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    """``mod_locations.md §4.3 ConnectorFormat enum``."""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(StrEnum):
    """``mod_locations.md §4.4 ConnectorType enum`` (note the lower-case IEC 60309 parts)."""

    CHADEMO = "CHADEMO"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class Facility(StrEnum):
    """``mod_locations.md §4.11 Facility enum``."""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class LocationType(StrEnum):
    """``mod_locations.md §4.16 LocationType enum`` (2.1.1 only; ``UNKNOWN`` is the default)."""

    ON_STREET = "ON_STREET"
    PARKING_GARAGE = "PARKING_GARAGE"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class ParkingRestriction(StrEnum):
    """``mod_locations.md §4.17 ParkingRestriction enum``."""

    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class PowerType(StrEnum):
    """``mod_locations.md §4.18 PowerType enum``."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(StrEnum):
    """``mod_locations.md §4.20 Status enum`` (of an EVSE)."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# --- classes (§4) -----------------------------------------------------------


class AdditionalGeoLocation(OcpiModel):
    """``mod_locations.md §4.1 AdditionalGeoLocation class`` (the first §4.1)."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class ExceptionalPeriod(OcpiModel):
    """``mod_locations.md §4.10 ExceptionalPeriod class``."""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    """``mod_locations.md §4.19 RegularHours class``; weekday 1 (Monday) to 7 (Sunday)."""

    weekday: int = Field(ge=1, le=7)
    period_begin: TimeOfDay
    period_end: TimeOfDay


class Hours(OcpiModel):
    """``mod_locations.md §4.13 Hours class``.

    A choice of ``regular_hours`` or ``twentyfourseven``. The spec's own example
    (§4.19.1) sends both, with ``twentyfourseven: false``, so both may be
    present; we refuse only an object with neither, and one that claims 24/7
    while also listing regular hours.
    """

    regular_hours: list[RegularHours] | None = None
    twentyfourseven: bool | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    @model_validator(mode="after")
    def _check_choice(self) -> Hours:
        if self.regular_hours is None and self.twentyfourseven is None:
            raise ValueError("Hours needs either regular_hours or twentyfourseven")
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("Hours: twentyfourseven=true conflicts with regular_hours")
        return self


class StatusSchedule(OcpiModel):
    """``mod_locations.md §4.21 StatusSchedule class`` (informational only)."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


# --- objects (§3) -----------------------------------------------------------


class Connector(OcpiModel):
    """``mod_locations.md §3.3 Connector Object``."""

    id: string(36)
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    voltage: int
    amperage: int
    tariff_id: string(36) | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """``mod_locations.md §3.2 EVSE Object``."""

    uid: string(39)
    evse_id: string(48) | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: list[Connector] = Field(min_length=1)
    floor_level: string(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: string(16) | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime


class Location(OcpiModel):
    """``mod_locations.md §3.1 Location Object``.

    ``country`` is ISO 3166-1 alpha-3 by the table; only the length (3) is
    enforced, since the spec's own Session and CDR examples send ``"BE"``.
    ``charging_when_closed`` absent means the spec default, true.
    """

    id: string(39)
    type: LocationType
    name: string(255) | None = None
    address: string(45)
    city: string(45)
    postal_code: string(10)
    country: string(3)
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: string(255) | None = None
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


# --- PATCH bodies (§2.2.3) ---------------------------------------------------


class ConnectorPatch(OcpiModel):
    """PATCH body for a Connector (``mod_locations.md §2.2.3``); every field optional."""

    id: string(36) | None = None
    standard: ConnectorType | None = None
    format: ConnectorFormat | None = None
    power_type: PowerType | None = None
    voltage: int | None = None
    amperage: int | None = None
    tariff_id: string(36) | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime | None = None


class EvsePatch(OcpiModel):
    """PATCH body for an EVSE (``mod_locations.md §2.2.3``); every field optional.

    A list that is sent replaces the whole list, so its items are full objects.
    """

    uid: string(39) | None = None
    evse_id: string(48) | None = None
    status: Status | None = None
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: list[Connector] | None = Field(default=None, min_length=1)
    floor_level: string(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: string(16) | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime | None = None


class LocationPatch(OcpiModel):
    """PATCH body for a Location (``mod_locations.md §2.2.3``); every field optional.

    2.1.1 does not require ``last_updated`` in a PATCH (CHECKLIST 211-W-2).
    """

    id: string(39) | None = None
    type: LocationType | None = None
    name: string(255) | None = None
    address: string(45) | None = None
    city: string(45) | None = None
    postal_code: string(10) | None = None
    country: string(3) | None = None
    coordinates: GeoLocation | None = None
    related_locations: list[AdditionalGeoLocation] | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: string(255) | None = None
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime | None = None
