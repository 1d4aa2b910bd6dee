"""Charging profiles (2.2.1 mod_charging_profiles.asciidoc, new in 2.2, so 2.2.1 only):
CPO receiver, eMSP/SCSP sender."""

from __future__ import annotations

from roamkit.modules.chargingprofiles import receiver, sender
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register

register(
    ModuleSpec(
        "chargingprofiles",
        "2.2.1",
        RECEIVER,
        frozenset({"CPO"}),
        "cpo/chargingprofiles",
        receiver.router,
    )
)
register(
    ModuleSpec(
        "chargingprofiles",
        "2.2.1",
        SENDER,
        frozenset({"EMSP"}),
        "emsp/chargingprofiles",
        sender.router,
    )
)
