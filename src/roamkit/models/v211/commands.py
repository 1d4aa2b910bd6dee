"""OCPI 2.1.1 Commands module (``mod_commands.md``).

Request bodies of ``POST {commands}/{command}`` and the ``CommandResponse``
used both for the CPO's immediate answer and for the async result sent to
``response_url`` (2.1.1-d2 made both a CommandResponse object).
"""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import URL, DateTime, OcpiModel, string
from roamkit.models.v211.tokens import Token


class CommandResponseType(StrEnum):
    """``mod_commands.md §4.1 CommandResponseType enum``."""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandType(StrEnum):
    """``mod_commands.md §4.2 CommandType enum`` (the ``{command}`` URL segment)."""

    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponse(OcpiModel):
    """``mod_commands.md §3.1 CommandResponse Object``."""

    result: CommandResponseType


class ReserveNow(OcpiModel):
    """``mod_commands.md §3.2 ReserveNow Object``."""

    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: int
    location_id: string(39)
    evse_uid: string(39) | None = None


class StartSession(OcpiModel):
    """``mod_commands.md §3.3 StartSession Object``."""

    response_url: URL
    token: Token
    location_id: string(39)
    evse_uid: string(39) | None = None


class StopSession(OcpiModel):
    """``mod_commands.md §3.4 StopSession Object``."""

    response_url: URL
    session_id: string(36)


class UnlockConnector(OcpiModel):
    """``mod_commands.md §3.5 UnlockConnector Object``."""

    response_url: URL
    location_id: string(39)
    evse_uid: string(39)
    connector_id: string(36)
