"""The module registry (DESIGN.md §2, "Modules register themselves").

A module declares, per OCPI version, its id, the 2.2.1 interface role it
implements, the node roles (CPO, EMSP) for which it is mounted, its path and
a router factory. ``mounted`` picks what the node serves; the version details
endpoint lists exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter

from roamkit.config import Settings

SENDER = "SENDER"
RECEIVER = "RECEIVER"
ALL_ROLES = frozenset({"CPO", "EMSP"})
CONFIGURATION_MODULES = frozenset({"credentials", "versions", "hubclientinfo"})


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    module_id: str
    version: str
    interface: str
    node_roles: frozenset[str]
    path: str
    router: Callable[[str], APIRouter]
    """Called with the version; returns the router mounted at ``/ocpi/{version}/{path}``."""
    hot: bool = False
    """Mounted before the others: routes are matched in order, and on a latency-critical
    path (real-time authorization) walking a dozen routers first costs measurably."""

    @property
    def functional(self) -> bool:
        """Not a configuration module (2.2.1 #transport_and_format_message_routing):
        functional modules carry routing headers and make a partner worth registering."""
        return self.module_id not in CONFIGURATION_MODULES

    def url(self, settings: Settings) -> str:
        return f"{settings.base_url}/ocpi/{self.version}/{self.path}"


_REGISTRY: list[ModuleSpec] = []


def register(spec: ModuleSpec) -> ModuleSpec:
    _REGISTRY.append(spec)
    return spec


def mounted(settings: Settings, version: str | None = None) -> list[ModuleSpec]:
    """Modules this node serves: its versions, its roles (in ROLES order)."""
    _load_builtin_modules()
    roles = settings.roles
    specs = [
        s
        for s in _REGISTRY
        if s.version in settings.versions
        and (version is None or s.version == version)
        and s.node_roles & set(roles)
    ]
    # Stable: by role order of ROLES, so a dual-role node lists its primary role first.
    return sorted(specs, key=lambda s: min(roles.index(r) for r in s.node_roles if r in roles))


def details_endpoints(settings: Settings, version: str) -> list[dict[str, str]]:
    """The ``endpoints`` of our version details for ``version``.

    2.1.1 has no interface role and one connection per role
    (CHECKLIST 211-V-5): a dual-role node lists each module id once, for
    its primary role (the first in ROLES).
    """
    endpoints: list[dict[str, str]] = []
    seen: set[str] = set()
    for spec in mounted(settings, version):
        if version == "2.1.1":
            if spec.module_id in seen:
                continue
            seen.add(spec.module_id)
            endpoints.append({"identifier": spec.module_id, "url": spec.url(settings)})
        else:
            key = f"{spec.module_id}/{spec.interface}"
            if key in seen:
                continue
            seen.add(key)
            endpoints.append(
                {"identifier": spec.module_id, "role": spec.interface, "url": spec.url(settings)}
            )
    return endpoints


_loaded = False


def _load_builtin_modules() -> None:
    """Import the built-in module packages; each registers itself on import."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from roamkit.modules import (  # noqa: F401
        cdrs,
        chargingprofiles,
        commands,
        credentials,
        hubclientinfo,
        locations,
        sessions,
        tariffs,
        tokens,
    )
