"""CDRs module: the CPO's Sender interface and the eMSP's Receiver interface, for both
versions, registered in the module registry."""

from __future__ import annotations

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.cdrs import receiver, sender
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register

for _version in SUPPORTED_VERSIONS:
    register(ModuleSpec("cdrs", _version, SENDER, frozenset({"CPO"}), "cpo/cdrs", sender.router))
    register(
        ModuleSpec("cdrs", _version, RECEIVER, frozenset({"EMSP"}), "emsp/cdrs", receiver.router)
    )
