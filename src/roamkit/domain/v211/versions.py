"""Versions: 2.1.1 (``version_information_endpoint.md``) ⇄ canonical (2.2.1).

``Version`` is the same in both. A 2.1.1 ``Endpoint`` has no ``role``: a 2.1.1
party implements the CPO or the eMSP interface of each module. 2.2.1 names the
interface (SENDER/RECEIVER), which follows from the module and the party's
role (``interface_role``): a CPO is SENDER of locations, sessions, cdrs and
tariffs and RECEIVER of tokens and commands; an eMSP the reverse. The
credentials endpoint is SENDER (2.2.1: the role is meaningless there).

- 2.1.1 → canonical: each endpoint gets ``interface_role(identifier,
  ctx.role)``; ``ctx.role`` unset raises ``ConversionError``. A custom module
  has no known interface role and is dropped (documented loss).
- canonical → 2.1.1, what 2.1.1 cannot express: ``role`` (dropped); modules new
  in 2.2.1 (``chargingprofiles``, ``hubclientinfo``) are dropped; a module
  listed twice (SENDER and RECEIVER, a platform with several roles) keeps the
  endpoint of the interface ``role`` asks for (the party role we present on
  this connection), else the first.
"""

from __future__ import annotations

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.models.v211 import versions as w

_S, _R = c.InterfaceRole.SENDER, c.InterfaceRole.RECEIVER
_CPO_SIDE: dict[str, c.InterfaceRole] = {
    "credentials": _S,
    "locations": _S,
    "sessions": _S,
    "cdrs": _S,
    "tariffs": _S,
    "tokens": _R,
    "commands": _R,
}
_EMSP_SIDE: dict[str, c.InterfaceRole] = {
    module: (_S if module == "credentials" else (_R if role is _S else _S))
    for module, role in _CPO_SIDE.items()
}
_ONLY_221 = {"chargingprofiles", "hubclientinfo"}


def interface_role(identifier: str, party_role: c.Role) -> c.InterfaceRole | None:
    """The 2.2.1 interface a 2.1.1 CPO/eMSP implements for a module; ``None`` if unknown."""
    if party_role == c.Role.CPO:
        return _CPO_SIDE.get(identifier)
    if party_role == c.Role.EMSP:
        return _EMSP_SIDE.get(identifier)
    raise ConversionError(f"2.1.1 knows only the CPO and eMSP roles, not {party_role}")


def version_to_canonical(version: w.Version, ctx: ConversionContext | None = None) -> c.Version:
    return c.Version(version=str(version.version), url=version.url)


def version_from_canonical(version: c.Version, ctx: ConversionContext | None = None) -> w.Version:
    return w.Version.model_validate({"version": version.version, "url": version.url})


def to_canonical(details: w.VersionDetails, ctx: ConversionContext) -> c.VersionDetails:
    """2.1.1 version details → canonical, roles from ``ctx.role`` (the partner's)."""
    if ctx.role is None:
        raise ConversionError("2.1.1 endpoints carry no role: set ConversionContext.role")
    endpoints = []
    for endpoint in details.endpoints:
        role = interface_role(endpoint.identifier, ctx.role)
        if role is not None:
            endpoints.append(
                c.Endpoint(identifier=endpoint.identifier, role=role, url=endpoint.url)
            )
    return c.VersionDetails(version=str(details.version), endpoints=endpoints)


def from_canonical(
    details: c.VersionDetails,
    ctx: ConversionContext | None = None,
    *,
    role: c.Role | None = None,
) -> w.VersionDetails:
    """Canonical version details → 2.1.1, presenting the interfaces of party ``role``."""
    chosen: dict[str, c.Endpoint] = {}
    for endpoint in details.endpoints:
        if endpoint.identifier in _ONLY_221:
            continue
        wanted = interface_role(endpoint.identifier, role) if role is not None else None
        if endpoint.identifier not in chosen or endpoint.role == wanted:
            chosen[endpoint.identifier] = endpoint
    return w.VersionDetails.model_validate(
        {
            "version": details.version.value,
            "endpoints": [{"identifier": e.identifier, "url": e.url} for e in chosen.values()],
        }
    )
