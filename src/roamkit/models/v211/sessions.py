"""OCPI 2.1.1 Sessions module (``mod_sessions.md``)."""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import DateTime, Number, OcpiModel, string
from roamkit.models.v211.cdrs import AuthMethod, ChargingPeriod
from roamkit.models.v211.locations import Location


class SessionStatus(StrEnum):
    """``mod_sessions.md §4.1 SessionStatus enum``; ``PENDING`` is the initial state."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"


class Session(OcpiModel):
    """``mod_sessions.md §3.1 Session Object``.

    2.1.1 embeds the full ``location`` (with only the relevant EVSE and
    Connector) and names the start ``start_datetime``. An absent ``total_cost``
    does not mean free of charge.
    """

    id: string(36)
    start_datetime: DateTime
    end_datetime: DateTime | None = None
    kwh: Number
    auth_id: string(36)
    auth_method: AuthMethod
    location: Location
    meter_id: string(255) | None = None
    currency: string(3)
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Number | None = None
    status: SessionStatus
    last_updated: DateTime


class SessionPatch(OcpiModel):
    """PATCH body for a Session (``mod_sessions.md §2.2.3``); every field optional."""

    id: string(36) | None = None
    start_datetime: DateTime | None = None
    end_datetime: DateTime | None = None
    kwh: Number | None = None
    auth_id: string(36) | None = None
    auth_method: AuthMethod | None = None
    location: Location | None = None
    meter_id: string(255) | None = None
    currency: string(3) | None = None
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Number | None = None
    status: SessionStatus | None = None
    last_updated: DateTime | None = None
