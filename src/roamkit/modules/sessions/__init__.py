"""Sessions module: the CPO's Sender interface and the eMSP's Receiver interface, for
both versions, registered in the module registry. Charger events (the CPO's own
sessions) are in ``charging``."""

from __future__ import annotations

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register
from roamkit.modules.sessions import receiver, sender

for _version in SUPPORTED_VERSIONS:
    register(
        ModuleSpec("sessions", _version, SENDER, frozenset({"CPO"}), "cpo/sessions", sender.router)
    )
    register(
        ModuleSpec(
            "sessions", _version, RECEIVER, frozenset({"EMSP"}), "emsp/sessions", receiver.router
        )
    )
