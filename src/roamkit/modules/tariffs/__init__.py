"""Tariffs module: the CPO's Sender interface and the eMSP's Receiver interface,
for both versions, registered in the module registry."""

from __future__ import annotations

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register
from roamkit.modules.tariffs import receiver, sender

for _version in SUPPORTED_VERSIONS:
    register(
        ModuleSpec("tariffs", _version, SENDER, frozenset({"CPO"}), "cpo/tariffs", sender.router)
    )
    register(
        ModuleSpec(
            "tariffs", _version, RECEIVER, frozenset({"EMSP"}), "emsp/tariffs", receiver.router
        )
    )
