"""Node settings: environment variables ``ROAMKIT_*`` and, optionally, ``roamkit.toml``.

Environment wins over the file, so containers can override a checked-in file.
The file is looked up in the working directory, or wherever ``ROAMKIT_CONFIG``
points.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SUPPORTED_VERSIONS = ("2.2.1", "2.1.1")
PARTY_ROLES = ("CPO", "EMSP")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROAMKIT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./roamkit.db"
    base_url: str = "http://127.0.0.1:8000"
    country_code: str = Field("NL", min_length=2, max_length=2)
    party_id: str = Field("RKT", min_length=3, max_length=3)
    roles: Annotated[list[str], NoDecode] = ["CPO"]
    business_name: str = "roamkit"
    business_website: str | None = None
    versions: Annotated[list[str], NoDecode] = list(SUPPORTED_VERSIONS)
    admin_token: str | None = None
    allow_insecure_urls: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1)
    """Server processes for ``roamkit serve``. More than one pays off on PostgreSQL; on
    SQLite the processes take turns to write."""
    http_timeout: float = 15.0
    token_cache_seconds: float = Field(30.0, ge=0)
    """CPO side: how long a real-time authorization answer of the eMSP is reused for
    an ``ALLOWED_OFFLINE`` token (0: never). Any change of the token pushed by the
    eMSP voids it at once (modules.tokens.authorize)."""
    authorize_timeout: float = Field(3.0, gt=0)
    """CPO side: seconds to wait for the eMSP's real-time authorization before the
    whitelist type's fallback applies."""
    session_push_interval: float = Field(60.0, gt=0, le=300)
    """CPO side: seconds between two pushes of a running session's meter updates to the
    eMSP (the updates in between are folded into the next PATCH). At most 300: a
    running session is pushed at least every 5 minutes even without meter updates."""
    tariff_change_policy: Literal["start", "current"] = "start"
    """CPO side: a connector's tariff replaced during a session. ``start``: the tariff
    valid at the start keeps applying to the whole session (the common practice 2.2.1
    mod_tariffs.asciidoc describes); ``current``: when the connector is given another
    tariff id, the periods after the change use it (a tariff changed in place keeps
    applying as it was: a CDR names tariffs by id)."""
    cdr_dispute_tolerance: Decimal = Field(Decimal("0.01"), ge=0)
    """eMSP side: a received CDR whose ``total_cost`` differs from our own pricing by
    more than this (in the CDR's currency) is recorded as a dispute."""
    command_timeout: int = Field(60, ge=1, le=3600)
    """CPO side: seconds the charger side gets to report a command's or a charging profile
    request's result (the ``timeout`` of the answer, 2.2.1 #mod_commands_commandresponse_object);
    then the result TIMEOUT is posted. eMSP side, 2.1.1 partners (whose answer has no
    ``timeout``, CHECKLIST A-211-7): how long we wait for the result."""
    command_result_grace: float = Field(30.0, ge=0)
    """eMSP side: seconds we wait beyond the partner's ``timeout`` before we mark a
    command timed out ourselves (the CPO's own TIMEOUT result needs time to arrive)."""
    log_level: str = "info"

    @field_validator("roles", "versions", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("roles")
    @classmethod
    def _check_roles(cls, value: list[str]) -> list[str]:
        roles = [r.upper() for r in value]
        unknown = set(roles) - set(PARTY_ROLES)
        if unknown or not roles:
            raise ValueError(f"ROLES must be a non-empty subset of {PARTY_ROLES}, got {value}")
        return list(dict.fromkeys(roles))

    @field_validator("versions")
    @classmethod
    def _check_versions(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(SUPPORTED_VERSIONS)
        if unknown or not value:
            raise ValueError(f"VERSIONS must be a non-empty subset of {SUPPORTED_VERSIONS}")
        return sorted(dict.fromkeys(value), key=version_key, reverse=True)

    @field_validator("country_code", "party_id")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @cached_property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("ROAMKIT_CONFIG", "roamkit.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for OCPI version numbers ("2.2.1" > "2.2" > "2.1.1")."""
    return tuple(int(p) for p in version.split(".") if p.isdigit())
