"""OCPI 2.2.1 Hub Client Info module: mod_hub_client_info.asciidoc."""

from __future__ import annotations

from enum import StrEnum

from roamkit.models.base import DateTime, ci_string
from roamkit.models.v221.common import Role, V221Model


class ConnectionStatus(StrEnum):
    """mod_hub_client_info.asciidoc#mod_hub_client_info_hub_connection_type_enum"""

    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


class ClientInfo(V221Model):
    """mod_hub_client_info.asciidoc#mod_hub_client_info_hub_client_info_object"""

    party_id: ci_string(3)
    country_code: ci_string(2)
    role: Role
    status: ConnectionStatus
    last_updated: DateTime
