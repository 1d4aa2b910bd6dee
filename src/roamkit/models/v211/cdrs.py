"""OCPI 2.1.1 CDRs module (``mod_cdrs.md``).

``AuthMethod`` and ``ChargingPeriod`` live here as in the spec; Sessions reuses them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from roamkit.models.base import DateTime, Number, OcpiModel, ci_string, string
from roamkit.models.v211.locations import Location
from roamkit.models.v211.tariffs import Tariff


class AuthMethod(StrEnum):
    """``mod_cdrs.md §4.1 AuthMethod enum``."""

    AUTH_REQUEST = "AUTH_REQUEST"
    WHITELIST = "WHITELIST"


class CdrDimensionType(StrEnum):
    """``mod_cdrs.md §4.3 CdrDimensionType enum``.

    Units: ENERGY kWh, MAX_CURRENT/MIN_CURRENT A, PARKING_TIME/TIME hours, FLAT none.
    """

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class CdrDimension(OcpiModel):
    """``mod_cdrs.md §4.2 CdrDimension class``."""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    """``mod_cdrs.md §4.4 ChargingPeriod class``; a period ends where the next starts."""

    start_date_time: DateTime
    dimensions: list[CdrDimension] = Field(min_length=1)


class CDR(OcpiModel):
    """``mod_cdrs.md §3.1 CDR Object``; costs exclude VAT, times are in hours."""

    id: ci_string(36)
    start_date_time: DateTime
    stop_date_time: DateTime
    auth_id: string(36)
    auth_method: AuthMethod
    location: Location
    meter_id: string(255) | None = None
    currency: string(3)
    tariffs: list[Tariff] | None = None
    charging_periods: list[ChargingPeriod] = Field(min_length=1)
    total_cost: Number
    total_energy: Number
    total_time: Number
    total_parking_time: Number | None = None
    remark: string(255) | None = None
    last_updated: DateTime
