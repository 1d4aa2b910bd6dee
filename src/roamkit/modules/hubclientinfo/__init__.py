"""Hub client info (2.2.1 mod_hub_client_info.asciidoc): the parties behind a hub.

The Receiver interface only (every party connected to a hub implements it), for CPO and
eMSP nodes alike; 2.2.1 only (2.1.1 has no hubs). The module's data owner is the hub."""

from __future__ import annotations

from roamkit.modules.hubclientinfo import receiver
from roamkit.modules.registry import ALL_ROLES, RECEIVER, ModuleSpec, register

register(
    ModuleSpec(receiver.MODULE, "2.2.1", RECEIVER, ALL_ROLES, receiver.MODULE, receiver.router)
)
