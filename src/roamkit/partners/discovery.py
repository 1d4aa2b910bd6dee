"""Reading a partner's versions and version details (the first half of every
credentials flow), and checking that its endpoints fit our roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from roamkit.config import Settings, version_key
from roamkit.models.v211.versions import VersionDetails as VersionDetails211
from roamkit.models.v221.versions import VersionDetails as VersionDetails221
from roamkit.modules.registry import RECEIVER, SENDER, mounted
from roamkit.partners.client import OcpiReply, PartnerCallError, PartnerClient
from roamkit.protocol.tokens import TokenEncoding


@dataclass(slots=True)
class Discovery:
    version: str
    endpoints: list[dict[str, Any]]
    encoding: str
    """``auto``, or the encoding the partner needed when it is not the version's default."""


class DiscoveryError(Exception):
    """Why a partner cannot be used; ``status_code`` is the OCPI code to report (3001-3003)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def _default_encoding(version: str | None) -> TokenEncoding:
    return TokenEncoding.RAW if version == "2.1.1" else TokenEncoding.BASE64


async def _get(
    client: PartnerClient, url: str, token: str, encoding: str, version: str | None
) -> tuple[OcpiReply, TokenEncoding]:
    """GET with the configured token encoding; with ``auto``, fall back to the other
    form on 401 (CHECKLIST 221-T-3: real partners disagree on Base64)."""
    if encoding != TokenEncoding.AUTO:
        return await client.call(
            "GET", url, token=token, version=version, encoding=encoding
        ), TokenEncoding(encoding)
    first = _default_encoding(version)
    try:
        return await client.call("GET", url, token=token, version=version, encoding=first), first
    except PartnerCallError as exc:
        if exc.http_status != 401:
            raise
    other = TokenEncoding.RAW if first is TokenEncoding.BASE64 else TokenEncoding.BASE64
    return await client.call("GET", url, token=token, version=version, encoding=other), other


def _versions_list(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        data = data["versions"]  # the 2.1.1 table's shape (CHECKLIST E-211-1)
    if not isinstance(data, list):
        raise PartnerCallError("versions endpoint did not return a list")
    return [v for v in data if isinstance(v, dict) and "version" in v and "url" in v]


async def discover(
    client: PartnerClient,
    settings: Settings,
    versions_url: str,
    token: str,
    *,
    encoding: str = TokenEncoding.AUTO,
    version: str | None = None,
) -> Discovery:
    """Fetch versions and details. ``version`` given: that one must be offered
    (3002 otherwise); else the highest version both sides support."""
    try:
        reply, used = await _get(client, versions_url, token, encoding, None)
        offered = {str(v["version"]): str(v["url"]) for v in _versions_list(reply.data)}
        if version is None:
            common = [v for v in offered if v in settings.versions]
            if not common:
                raise DiscoveryError(
                    f"no common OCPI version: partner offers {sorted(offered)}, "
                    f"we support {settings.versions}",
                    3002,
                )
            version = max(common, key=version_key)
        elif version not in offered:
            raise DiscoveryError(
                f"partner does not offer version {version} (offers {sorted(offered)})", 3002
            )
        # The version's default again: some partners want Base64 on /versions but the
        # raw token on their 2.1.1 details (tests/interop/README.md).
        reply, used = await _get(client, offered[version], token, encoding, version)
    except PartnerCallError as exc:
        raise DiscoveryError(f"cannot use the partner's API: {exc}", 3001) from exc
    model = VersionDetails211 if version == "2.1.1" else VersionDetails221
    try:
        details = model.model_validate(reply.data)
    except ValidationError as exc:
        raise DiscoveryError(f"partner's version details are invalid: {exc}", 3001) from exc
    endpoints = [e.wire() for e in details.endpoints]
    if encoding == TokenEncoding.AUTO and used != _default_encoding(version):
        encoding = used.value
    return Discovery(version=version, endpoints=endpoints, encoding=str(encoding))


def check_endpoints(settings: Settings, version: str, endpoints: list[dict[str, Any]]) -> None:
    """Raise 3003 when the partner lacks credentials, or shares no module with us
    (2.1.1 credentials.md §3.6, 2.2.1 #credentials_required_endpoints_not_available)."""
    ids = {e["identifier"] for e in endpoints}
    if "credentials" not in ids:
        raise DiscoveryError("partner's version details list no credentials endpoint", 3003)
    ours = [s for s in mounted(settings, version) if s.functional]
    if not ours:
        return
    theirs = {(e["identifier"], e.get("role")) for e in endpoints}
    for spec in ours:
        if version == "2.1.1":
            if spec.module_id in ids:
                return
        else:
            counterpart = RECEIVER if spec.interface == SENDER else SENDER
            if (spec.module_id, counterpart) in theirs:
                return
    raise DiscoveryError(
        "no matching endpoints: partner offers "
        f"{sorted(ids)}, we serve {sorted({s.module_id for s in ours})}",
        3003,
    )
