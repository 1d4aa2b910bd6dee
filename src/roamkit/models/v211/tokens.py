"""OCPI 2.1.1 Tokens module (``mod_tokens.md``)."""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import DateTime, OcpiModel, string
from roamkit.models.v211.common import DisplayText


class Allowed(StrEnum):
    """``mod_tokens.md §4.1 Allowed enum``."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class TokenType(StrEnum):
    """``mod_tokens.md §4.3 TokenType enum``."""

    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    """``mod_tokens.md §4.4 WhitelistType enum``."""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class LocationReferences(OcpiModel):
    """``mod_tokens.md §4.2 LocationReferences class`` (body of POST authorize)."""

    location_id: string(39)
    evse_uids: list[string(39)] | None = None
    connector_ids: list[string(36)] | None = None


class AuthorizationInfo(OcpiModel):
    """``mod_tokens.md §3.1 AuthorizationInfo Object`` (response of POST authorize)."""

    allowed: Allowed
    location: LocationReferences | None = None
    info: DisplayText | None = None


class Token(OcpiModel):
    """``mod_tokens.md §3.2 Token Object``."""

    uid: string(36)
    type: TokenType
    auth_id: string(36)
    visual_number: string(64) | None = None
    issuer: string(64)
    valid: bool
    whitelist: WhitelistType
    language: string(2) | None = None
    last_updated: DateTime


class TokenPatch(OcpiModel):
    """PATCH body for a Token (``mod_tokens.md``, the second §2.1.2); every field optional."""

    uid: string(36) | None = None
    type: TokenType | None = None
    auth_id: string(36) | None = None
    visual_number: string(64) | None = None
    issuer: string(64) | None = None
    valid: bool | None = None
    whitelist: WhitelistType | None = None
    language: string(2) | None = None
    last_updated: DateTime | None = None
