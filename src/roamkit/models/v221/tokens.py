"""OCPI 2.2.1 Tokens module: mod_tokens.asciidoc.

``ProfileType`` is defined in mod_sessions.asciidoc but lives here, because
Token uses it and the sessions models import from this file.
"""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import DateTime, ci_string, string
from roamkit.models.v221.common import DisplayText, V221Model


class TokenType(StrEnum):
    """mod_tokens.asciidoc#mod_tokens_tokentype_enum"""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    """mod_tokens.asciidoc#mod_tokens_whitelisttype_enum"""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class AllowedType(StrEnum):
    """mod_tokens.asciidoc#mod_tokens_allowed_enum"""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class ProfileType(StrEnum):
    """mod_sessions.asciidoc#mod_sessions_profile_type_enum"""

    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class EnergyContract(V221Model):
    """mod_tokens.asciidoc#mod_tokens_energy_contract"""

    supplier_name: string(64)
    contract_id: string(64) | None = None


class Token(V221Model):
    """mod_tokens.asciidoc#mod_tokens_token_object"""

    country_code: ci_string(2)
    party_id: ci_string(3)
    uid: ci_string(36)
    type: TokenType
    contract_id: ci_string(36)
    visual_number: string(64) | None = None
    issuer: string(64)
    group_id: ci_string(36) | None = None
    valid: bool
    whitelist: WhitelistType
    language: string(2) | None = None
    """ISO 639-1."""
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class TokenPatch(V221Model):
    """Partial Token for PATCH (mod_tokens.asciidoc#mod_tokens_patch_method).

    Every field is optional here; the receiver enforces that ``last_updated``
    is present.
    """

    country_code: ci_string(2) | None = None
    party_id: ci_string(3) | None = None
    uid: ci_string(36) | None = None
    type: TokenType | None = None
    contract_id: ci_string(36) | None = None
    visual_number: string(64) | None = None
    issuer: string(64) | None = None
    group_id: ci_string(36) | None = None
    valid: bool | None = None
    whitelist: WhitelistType | None = None
    language: string(2) | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime | None = None


class LocationReferences(V221Model):
    """mod_tokens.asciidoc#mod_tokens_locationreferences_class"""

    location_id: ci_string(36)
    evse_uids: list[ci_string(36)] | None = None


class AuthorizationInfo(V221Model):
    """mod_tokens.asciidoc#mod_tokens_authorizationinfo_object"""

    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: ci_string(36) | None = None
    info: DisplayText | None = None
