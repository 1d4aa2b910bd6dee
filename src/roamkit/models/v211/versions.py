"""OCPI 2.1.1 versions and version details (``version_information_endpoint.md``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, RootModel, model_validator

from roamkit.models.base import URL, OcpiModel


class VersionNumber(StrEnum):
    """``version_information_endpoint.md §VersionNumber enum``."""

    V2_0 = "2.0"
    V2_1 = "2.1"  # deprecated by the spec: "do not use, use 2.1.1 instead"
    V2_1_1 = "2.1.1"


class ModuleID(StrEnum):
    """``version_information_endpoint.md §ModuleID enum``.

    Custom modules (e.g. ``nltnm-tokens``) are allowed, so ``Endpoint.identifier``
    is a plain string; compare it with these values.
    """

    CDRS = "cdrs"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


# A versions list also advertises versions this enum does not know (``2.2``,
# ``2.2.1``, and ``1.9`` in transport_and_format.md's own example). Known
# values become ``VersionNumber``; anything else stays a plain string.
_AnyVersion = VersionNumber | str


class Version(OcpiModel):
    """``version_information_endpoint.md §Version class``."""

    version: _AnyVersion = Field(union_mode="left_to_right")
    url: URL


class VersionList(RootModel[list[Version]]):
    """Data of ``GET {versions_url}``: card ``+`` list of ``Version``.

    The Data table names a ``versions`` property, but both examples return a
    bare list (CHECKLIST E-211-1). We emit the bare list and accept either form.
    """

    root: list[Version] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _unwrap_versions_property(cls, value: Any) -> Any:
        if isinstance(value, dict) and "versions" in value:
            return value["versions"]
        return value

    def wire(self) -> list[dict[str, Any]]:
        return self.model_dump(mode="json", exclude_none=True)


class Endpoint(OcpiModel):
    """``version_information_endpoint.md §Endpoint class`` (2.1.1 has no ``role``)."""

    identifier: str
    url: URL


class VersionDetails(OcpiModel):
    """``version_information_endpoint.md §Version details endpoint``, Data."""

    version: _AnyVersion = Field(union_mode="left_to_right")
    endpoints: list[Endpoint] = Field(min_length=1)
