"""Commands (2.1.1 mod_commands.md, 2.2.1 mod_commands.asciidoc): CPO receiver, eMSP sender."""

from __future__ import annotations

from roamkit.config import SUPPORTED_VERSIONS
from roamkit.modules.commands import receiver, sender
from roamkit.modules.registry import RECEIVER, SENDER, ModuleSpec, register

for _version in SUPPORTED_VERSIONS:
    register(
        ModuleSpec(
            "commands", _version, RECEIVER, frozenset({"CPO"}), "cpo/commands", receiver.router
        )
    )
    register(
        ModuleSpec(
            "commands", _version, SENDER, frozenset({"EMSP"}), "emsp/commands", sender.router
        )
    )
