"""OCPI 2.2.1 Versions module: version_information_endpoint.asciidoc."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from roamkit.models.base import URL
from roamkit.models.v221.common import V221Model


class VersionNumber(StrEnum):
    """version_information_endpoint.asciidoc#version_information_endpoint_versionnumber_enum"""

    V2_0 = "2.0"
    V2_1 = "2.1"
    """Deprecated, use 2.1.1."""
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    """Deprecated, use 2.2.1."""
    V2_2_1 = "2.2.1"


class ModuleID(StrEnum):
    """version_information_endpoint.asciidoc#version_information_endpoint_moduleid_enum

    For our own use; ``Endpoint.identifier`` is a plain string because custom
    module ids are allowed (``#version_information_endpoint_custom_modules``).
    """

    CDRS = "cdrs"
    CHARGINGPROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUBCLIENTINFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class InterfaceRole(StrEnum):
    """version_information_endpoint.asciidoc#version_information_endpoint_interface_role_enum"""

    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Version(V221Model):
    """version_information_endpoint.asciidoc#version_information_endpoint_version_class

    ``version`` is a plain string: a peer may list versions newer than this
    enum (e.g. 3.0), and one unknown entry must not spoil the whole list.
    Compare with ``VersionNumber`` values.
    """

    version: str
    url: URL


class Endpoint(V221Model):
    """version_information_endpoint.asciidoc#version_information_endpoint_endpoint_class"""

    identifier: str
    """A ``ModuleID`` value, or a custom module id."""
    role: InterfaceRole
    """Meaningless for ``credentials``: send SENDER, ignore the peer's value."""
    url: URL


class VersionDetails(V221Model):
    """version_information_endpoint.asciidoc#version_information_get_details_endpoint_data"""

    version: VersionNumber
    endpoints: list[Endpoint] = Field(min_length=1)
