"""OCPI 2.2.1 CDRs module: mod_cdrs.asciidoc.

CdrToken, ChargingPeriod, CdrDimension, CdrDimensionType and AuthMethod are
also used by the Session object; ``sessions`` imports them from here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from roamkit.models.base import DateTime, Number, ci_string, string
from roamkit.models.v221.common import GeoLocation, Price, V221Model
from roamkit.models.v221.locations import ConnectorFormat, ConnectorType, PowerType
from roamkit.models.v221.tariffs import Tariff
from roamkit.models.v221.tokens import TokenType


class AuthMethod(StrEnum):
    """mod_cdrs.asciidoc#mod_cdrs_authmethod_enum"""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class CdrDimensionType(StrEnum):
    """mod_cdrs.asciidoc#mod_cdrs_cdrdimensiontype_enum

    ``CURRENT``, ``ENERGY_EXPORT``, ``ENERGY_IMPORT``, ``POWER`` and
    ``STATE_OF_CHARGE`` are for Sessions only, never in CDRs.
    """

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class CdrDimension(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_cdrdimension_class"""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_chargingperiod_class"""

    start_date_time: DateTime
    """The period ends where the next one starts (or at the session end)."""
    dimensions: list[CdrDimension] = Field(min_length=1)
    tariff_id: ci_string(36) | None = None
    """Absent means no tariff applies in this period."""


class CdrToken(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_cdr_token_object"""

    country_code: ci_string(2)
    """The owning eMSP."""
    party_id: ci_string(3)
    uid: ci_string(36)
    type: TokenType
    contract_id: ci_string(36)


class CdrLocation(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_cdr_location_class

    ``#NA`` is allowed for the EVSE/connector ids of a reservation-only CDR.
    """

    id: ci_string(36)
    name: string(255) | None = None
    address: string(255)
    """string(45) in d2; accepted up to 255 like Location (CHECKLIST E-221-4)."""
    city: string(45)
    postal_code: string(10) | None = None
    state: string(45) | None = None
    """string(20) in d2; accepted up to 45 like Location (CHECKLIST E-221-4)."""
    country: string(3)
    """ISO 3166-1 alpha-3."""
    coordinates: GeoLocation
    evse_uid: ci_string(36)
    evse_id: ci_string(48)
    connector_id: ci_string(36)
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_signed_value_class"""

    nature: ci_string(32)
    """``Start``, ``End``, ``Intermediate`` (more may follow)."""
    plain_data: string(5000)
    """string(512) in d2; 5000 per the errata branch (CHECKLIST E-221-5)."""
    signed_data: string(5000)
    """Base64."""


class SignedData(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_signed_data_class"""

    encoding_method: ci_string(36)
    encoding_method_version: int | None = None
    public_key: string(512) | None = None
    signed_values: list[SignedValue] = Field(min_length=1)
    url: string(512) | None = None


class CDR(V221Model):
    """mod_cdrs.asciidoc#mod_cdrs_cdr_object"""

    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(39)
    """36 plus room for a credit-CDR suffix."""
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: ci_string(36) | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: ci_string(36) | None = None
    cdr_location: CdrLocation
    meter_id: string(255) | None = None
    currency: string(3)
    """ISO 4217."""
    tariffs: list[Tariff] | None = None
    charging_periods: list[ChargingPeriod] = Field(min_length=1)
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    """kWh."""
    total_energy_cost: Price | None = None
    total_time: Number
    """Hours."""
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    """Hours."""
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: string(255) | None = None
    invoice_reference_id: ci_string(39) | None = None
    credit: bool | None = None
    credit_reference_id: ci_string(39) | None = None
    """Required when ``credit`` is true (not enforced here)."""
    home_charging_compensation: bool | None = None
    last_updated: DateTime
