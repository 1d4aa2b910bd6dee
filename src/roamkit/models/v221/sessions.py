"""OCPI 2.2.1 Sessions module: mod_sessions.asciidoc.

CdrToken, ChargingPeriod and AuthMethod come from ``cdrs``; ProfileType from
``tokens``. ``SessionPatch`` is the partial object of a PATCH
(``#mod_sessions_patch_method``).
"""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import DateTime, Number, ci_string, string
from roamkit.models.v221.cdrs import AuthMethod, CdrToken, ChargingPeriod
from roamkit.models.v221.common import Price, V221Model
from roamkit.models.v221.tokens import ProfileType


class SessionStatus(StrEnum):
    """mod_sessions.asciidoc#mod_sessions_sessionstatus_enum"""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class ChargingPreferencesResponse(StrEnum):
    """mod_sessions.asciidoc#mod_sessions_charging_preferences_response_enum

    The response ``data`` is this enum value itself.
    """

    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


class ChargingPreferences(V221Model):
    """mod_sessions.asciidoc#mod_sessions_charging_preferences_object"""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    """kWh."""
    discharge_allowed: bool | None = None
    """Absent means false."""


class Session(V221Model):
    """mod_sessions.asciidoc#mod_sessions_session_object"""

    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: ci_string(36) | None = None
    location_id: ci_string(36)
    evse_uid: ci_string(36)
    """``#NA`` allowed for a reservation without an EVSE yet."""
    connector_id: ci_string(36)
    """``#NA`` allowed for a reservation without an EVSE yet."""
    meter_id: string(255) | None = None
    currency: string(3)
    """ISO 4217."""
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    """Absent does not mean free; ``0`` does."""
    status: SessionStatus
    last_updated: DateTime


class SessionPatch(V221Model):
    """Partial Session for PATCH (mod_sessions.asciidoc#mod_sessions_patch_method).

    ``charging_periods`` here are appended to the stored ones.
    """

    country_code: ci_string(2) | None = None
    party_id: ci_string(3) | None = None
    id: ci_string(36) | None = None
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    kwh: Number | None = None
    cdr_token: CdrToken | None = None
    auth_method: AuthMethod | None = None
    authorization_reference: ci_string(36) | None = None
    location_id: ci_string(36) | None = None
    evse_uid: ci_string(36) | None = None
    connector_id: ci_string(36) | None = None
    meter_id: string(255) | None = None
    currency: string(3) | None = None
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: SessionStatus | None = None
    last_updated: DateTime | None = None
