"""Tokens module: the eMSP's Sender interface (GET list, POST authorize) and the
CPO's Receiver interface (GET, PUT, PATCH), for both versions, registered in the
module registry. In Tokens the eMSP owns the data (CHECKLIST Part 0)."""

from __future__ import annotations

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register
from roamkit.modules.tokens import receiver, sender

for _version in SUPPORTED_VERSIONS:
    register(
        ModuleSpec(
            "tokens",
            _version,
            SENDER,
            frozenset({"EMSP"}),
            "emsp/tokens",
            sender.router,
            hot=True,  # POST authorize is on the charger's critical path
        )
    )
    register(
        ModuleSpec("tokens", _version, RECEIVER, frozenset({"CPO"}), "cpo/tokens", receiver.router)
    )
