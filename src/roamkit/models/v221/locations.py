"""OCPI 2.2.1 Locations module: mod_locations.asciidoc.

Shared classes of that chapter (BusinessDetails, Image, GeoLocation,
EnergyMix) live in ``common``. ``*Patch`` models are the partial objects a
PATCH carries (``#mod_locations_patch_method``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from roamkit.models.base import URL, DateTime, ci_string, string
from roamkit.models.v221.common import (
    BusinessDetails,
    DisplayText,
    EnergyMix,
    GeoLocation,
    Image,
    V221Model,
)
from roamkit.models.v221.tokens import TokenType


class Capability(StrEnum):
    """mod_locations.asciidoc#mod_locations_capability_enum"""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    """mod_locations.asciidoc#mod_locations_connectorformat_enum"""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(StrEnum):
    """mod_locations.asciidoc#mod_locations_connectortype_enum"""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
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
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
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
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class Facility(StrEnum):
    """mod_locations.asciidoc#mod_locations_facility_enum"""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class ParkingRestriction(StrEnum):
    """mod_locations.asciidoc#mod_locations_parkingrestriction_enum"""

    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class ParkingType(StrEnum):
    """mod_locations.asciidoc#mod_locations_parkingtype_enum"""

    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class PowerType(StrEnum):
    """mod_locations.asciidoc#mod_locations_powertype_enum"""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(StrEnum):
    """mod_locations.asciidoc#mod_locations_status_enum (EVSE status)"""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class AdditionalGeoLocation(V221Model):
    """mod_locations.asciidoc#mod_locations_additionalgeolocation_class"""

    latitude: string(10)
    longitude: string(11)
    name: DisplayText | None = None


class ExceptionalPeriod(V221Model):
    """mod_locations.asciidoc#mod_locations_exceptionalperiod_class"""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(V221Model):
    """mod_locations.asciidoc#mod_locations_regularhours_class

    Times are local ``hh:mm``; only the length is enforced here.
    """

    weekday: int = Field(ge=1, le=7)
    """1 = Monday ... 7 = Sunday."""
    period_begin: string(5)
    period_end: string(5)


class Hours(V221Model):
    """mod_locations.asciidoc#mod_locations_hours_class"""

    twentyfourseven: bool
    regular_hours: list[RegularHours] | None = None
    """Only when ``twentyfourseven`` is false."""
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None


class PublishTokenType(V221Model):
    """mod_locations.asciidoc#mod_locations_publish_token_class"""

    uid: ci_string(36) | None = None
    type: TokenType | None = None
    visual_number: string(64) | None = None
    issuer: string(64) | None = None
    group_id: ci_string(36) | None = None


class StatusSchedule(V221Model):
    """mod_locations.asciidoc#mod_locations_statusschedule_class"""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(V221Model):
    """mod_locations.asciidoc#mod_locations_connector_object"""

    id: ci_string(36)
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int
    """V (line to neutral for AC_3_PHASE)."""
    max_amperage: int
    """A."""
    max_electric_power: int | None = None
    """W."""
    tariff_ids: list[ci_string(36)] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(V221Model):
    """mod_locations.asciidoc#mod_locations_evse_object"""

    uid: ci_string(36)
    evse_id: ci_string(48) | None = None
    """eMI3 EVSE ID."""
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


class Location(V221Model):
    """mod_locations.asciidoc#mod_locations_location_object"""

    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    publish: bool
    publish_allowed_to: list[PublishTokenType] | None = None
    """Only when ``publish`` is false."""
    name: string(255) | None = None
    address: string(255)
    """string(45) in d2; 255 per the errata branch (CHECKLIST E-221-4)."""
    city: string(45)
    postal_code: string(10) | None = None
    state: string(45) | None = None
    """string(20) in d2; 45 per the errata branch (CHECKLIST E-221-4)."""
    country: string(3)
    """ISO 3166-1 alpha-3."""
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: string(255)
    """IANA tz name, e.g. Europe/Oslo."""
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    """Absent means true."""
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


class ConnectorPatch(V221Model):
    """Partial Connector for PATCH (mod_locations.asciidoc#mod_locations_patch_method)."""

    id: ci_string(36) | None = None
    standard: ConnectorType | None = None
    format: ConnectorFormat | None = None
    power_type: PowerType | None = None
    max_voltage: int | None = None
    max_amperage: int | None = None
    max_electric_power: int | None = None
    tariff_ids: list[ci_string(36)] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime | None = None


class EvsePatch(V221Model):
    """Partial EVSE for PATCH (mod_locations.asciidoc#mod_locations_patch_method)."""

    uid: ci_string(36) | None = None
    evse_id: ci_string(48) | None = None
    status: Status | None = None
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)] | None = None
    floor_level: string(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: string(16) | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime | None = None


class LocationPatch(V221Model):
    """Partial Location for PATCH (mod_locations.asciidoc#mod_locations_patch_method)."""

    country_code: ci_string(2) | None = None
    party_id: ci_string(3) | None = None
    id: ci_string(36) | None = None
    publish: bool | None = None
    publish_allowed_to: list[PublishTokenType] | None = None
    name: string(255) | None = None
    address: string(255) | None = None
    city: string(45) | None = None
    postal_code: string(10) | None = None
    state: string(45) | None = None
    country: string(3) | None = None
    coordinates: GeoLocation | None = None
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
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
