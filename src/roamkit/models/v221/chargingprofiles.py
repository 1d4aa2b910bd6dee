"""OCPI 2.2.1 Charging Profiles module: mod_charging_profiles.asciidoc."""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import URL, DateTime, Number
from roamkit.models.v221.common import V221Model


class ChargingRateUnit(StrEnum):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_chargingrateunit"""

    W = "W"
    """Total power (CHECKLIST E-221-8: no phase count is exchanged)."""
    A = "A"
    """Current per phase."""


class ChargingProfileResponseType(StrEnum):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_responsetype_enum"""

    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TOO_OFTEN = "TOO_OFTEN"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class ChargingProfileResultType(StrEnum):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_resulttype_enum"""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"


class ChargingProfilePeriod(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_charging_profile_period_class"""

    start_period: int
    """Seconds from the profile start."""
    limit: Number
    """In ``charging_rate_unit``; at most one decimal."""


class ChargingProfile(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_charging_profile_class"""

    start_date_time: DateTime | None = None
    """Absent: relative to the start of charging."""
    duration: int | None = None
    """Seconds."""
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: Number | None = None
    charging_profile_period: list[ChargingProfilePeriod] | None = None


class ActiveChargingProfile(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_active_charging_profile_class"""

    start_date_time: DateTime
    """When it was calculated; offsets in the profile count from here."""
    charging_profile: ChargingProfile


class SetChargingProfile(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_set_charging_profile_object"""

    charging_profile: ChargingProfile
    response_url: URL


class ChargingProfileResponse(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_response_object"""

    result: ChargingProfileResponseType
    timeout: int
    """Seconds."""


class ActiveChargingProfileResult(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_active_charging_profiles_result_object"""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None
    """Present when ``result`` is ACCEPTED."""


class ChargingProfileResult(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_charging_profiles_result_object"""

    result: ChargingProfileResultType


class ClearProfileResult(V221Model):
    """mod_charging_profiles.asciidoc#mod_charging_profiles_clear_profiles_result_object"""

    result: ChargingProfileResultType
