"""OCPI 2.2.1 Commands module: mod_commands.asciidoc."""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import URL, DateTime, ci_string
from roamkit.models.v221.common import DisplayText, V221Model
from roamkit.models.v221.tokens import Token


class CommandType(StrEnum):
    """mod_commands.asciidoc#mod_commands_commandtype_enum"""

    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponseType(StrEnum):
    """mod_commands.asciidoc#mod_commands_commandresponsetype_enum (the CPO's answer)"""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(StrEnum):
    """mod_commands.asciidoc#mod_commands_commandresulttype_enum (the Charge Point's result)"""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


class CancelReservation(V221Model):
    """mod_commands.asciidoc#mod_commands_cancelreservation_object"""

    response_url: URL
    reservation_id: ci_string(36)


class ReserveNow(V221Model):
    """mod_commands.asciidoc#mod_commands_reservenow_object"""

    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: ci_string(36)
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    authorization_reference: ci_string(36) | None = None


class StartSession(V221Model):
    """mod_commands.asciidoc#mod_commands_startsession_object"""

    response_url: URL
    token: Token
    location_id: ci_string(36)
    evse_uid: ci_string(36) | None = None
    """Required when ``connector_id`` is set."""
    connector_id: ci_string(36) | None = None
    """Required when the EVSE has START_SESSION_CONNECTOR_REQUIRED."""
    authorization_reference: ci_string(36) | None = None


class StopSession(V221Model):
    """mod_commands.asciidoc#mod_commands_stopsession_object"""

    response_url: URL
    session_id: ci_string(36)


class UnlockConnector(V221Model):
    """mod_commands.asciidoc#mod_commands_unlockconnector_object"""

    response_url: URL
    location_id: ci_string(36)
    evse_uid: ci_string(36)
    connector_id: ci_string(36)


class CommandResponse(V221Model):
    """mod_commands.asciidoc#mod_commands_commandresponse_object"""

    result: CommandResponseType
    timeout: int
    """Seconds to wait for the CommandResult."""
    message: list[DisplayText] | None = None


class CommandResult(V221Model):
    """mod_commands.asciidoc#mod_commands_commandresult_object"""

    result: CommandResultType
    message: list[DisplayText] | None = None


COMMAND_BODIES: dict[CommandType, type[V221Model]] = {
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
"""Request body model per ``{command}`` path segment (#mod_commands_cpo_post_request_body)."""
