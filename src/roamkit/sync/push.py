"""Turning one outbox entry into the HTTP request the partner expects.

The body of a PUT is the object's *current* state, read at delivery time, in
the partner's version; so a later change of the same object supersedes an
earlier one and nothing stale is ever sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import locations as loc211
from roamkit.modules.locations import codec as loc_codec
from roamkit.modules.locations import service as locations
from roamkit.modules.tariffs import codec as tariff_codec
from roamkit.modules.tariffs import service as tariffs
from roamkit.partners.repository import endpoint_url
from roamkit.protocol.errors import OcpiError
from roamkit.store import objects
from roamkit.store.objects import OWN
from roamkit.store.tables import OutboxEntry, Partner


@dataclass(slots=True)
class PushRequest:
    method: str
    url: str
    body: dict[str, Any] | None
    headers: dict[str, str] | None = None
    message: bool = False
    """A message to a URL the partner gave (``_TO_URL``), not an object's state: given
    up when the partner refuses it for good (``sync.worker``)."""


class NothingToSend(Exception):
    """The entry no longer needs a request (object gone, or not expressible)."""


def _url(partner: Partner, entry: OutboxEntry) -> str:
    base = endpoint_url(partner, entry.module, "RECEIVER")
    if base is None:
        raise NothingToSend(f"partner has no {entry.module} receiver endpoint any more")
    parts = [entry.country_code, entry.party_id, entry.object_id]
    parts += [p for p in (entry.evse_uid, entry.connector_id) if p]
    return base.rstrip("/") + "/" + "/".join(parts)


async def build(
    session: AsyncSession, settings: Settings, partner: Partner, entry: OutboxEntry
) -> PushRequest:
    if entry.module in _TO_URL and entry.body and "url" in entry.body:
        return _to_url(entry.method, entry.body)
    if entry.module == "tokens":  # URLs with ?type=, and the eMSP's rules stay home
        from roamkit.modules.tokens.push import build as build_token

        return await build_token(session, partner, entry)
    if entry.module in _OWN_RECORDS:
        return await _build_record(session, partner, entry)
    version = partner.version or "2.2.1"
    url = _url(partner, entry)
    if entry.method == "DELETE":
        return PushRequest("DELETE", url, None)
    ctx = ConversionContext(country_code=entry.country_code, party_id=entry.party_id)
    if entry.method == "PATCH" and version != "2.1.1":
        return PushRequest("PATCH", url, _patch_body(version, entry, ctx))  # the hot path
    k = objects.ObjectKey(entry.module, OWN, entry.country_code, entry.party_id, entry.object_id)
    row = await objects.get(session, k)
    if row is None:
        raise NothingToSend(f"{entry.module} {entry.object_id} no longer exists")
    if version == "2.1.1" and not row.published:
        # 2.1.1 cannot restrict visibility: unpublished locations stay with us.
        raise NothingToSend(f"{entry.object_id} is not public, and 2.1.1 has no publish flag")
    try:
        if entry.module == locations.MODULE:
            target = locations.Target(entry.object_id, entry.evse_uid, entry.connector_id)
            # Also for a PATCH: an object 2.1.1 cannot express is never sent at all.
            body = loc_codec.to_wire(version, locations.select(locations.load(row), target), ctx)
        else:
            body = tariff_codec.to_wire(version, tariffs.load(row), ctx)
    except OcpiError as exc:
        raise NothingToSend(str(exc)) from exc
    if entry.method == "PATCH":
        return PushRequest("PATCH", url, _patch_body(version, entry, ctx))
    return PushRequest("PUT", url, body)


_TO_URL = ("commands", "chargingprofiles")
"""Modules whose pushes go to a URL the partner gave (``response_url``) or we looked up
when the change was made, with the body as it was then: an asynchronous result is a
message, not the current state of an object."""


def _to_url(method: str, body: dict[str, Any]) -> PushRequest:
    correlation = body.get("correlation_id")
    headers = {"X-Correlation-ID": correlation} if correlation else None
    return PushRequest(method, body["url"], body.get("json"), headers, message=True)


def _patch_body(version: str, entry: OutboxEntry, ctx: ConversionContext) -> dict[str, Any]:
    body = dict(entry.body or {})
    if version != "2.1.1":
        return body
    if entry.connector_id:
        patch = loc211.connector_patch_from_canonical(c.ConnectorPatch.model_validate(body), ctx)
    elif entry.evse_uid:
        patch = loc211.evse_patch_from_canonical(c.EvsePatch.model_validate(body), ctx)
    else:
        patch = loc211.location_patch_from_canonical(c.LocationPatch.model_validate(body), ctx)
    out = patch.model_dump(mode="json", exclude_unset=True)
    if not out:
        raise NothingToSend("nothing in this change exists in OCPI 2.1.1")
    return out


_OWN_RECORDS = ("sessions", "cdrs")
_SESSION_PATCH_211 = ("kwh", "total_cost", "status", "end_datetime", "charging_periods")


async def _build_record(session: AsyncSession, partner: Partner, entry: OutboxEntry) -> PushRequest:
    """Sessions (PUT, PATCH) and CDRs (POST) go to one partner, the token's eMSP, with
    the wire form stored when they changed (2.1.1 embeds the Location, which was
    snapshotted at the session's start)."""
    version = partner.version or "2.2.1"
    if entry.method == "POST":  # CDRs: to the endpoint itself (2.2.1 #mod_cdrs_post_method)
        url = endpoint_url(partner, entry.module, "RECEIVER")
        if url is None:
            raise NothingToSend("partner has no cdrs receiver endpoint any more")
    else:
        url = _url(partner, entry)
    if entry.method == "PATCH" and version != "2.1.1":
        return PushRequest("PATCH", url, dict(entry.body or {}))
    k = objects.ObjectKey(entry.module, OWN, entry.country_code, entry.party_id, entry.object_id)
    row = await objects.get(session, k)
    if row is None:
        raise NothingToSend(f"{entry.module} {entry.object_id} no longer exists")
    wire = row.wire_v211 if version == "2.1.1" else row.wire_v221
    if wire is None:
        raise NothingToSend(f"{entry.module} {entry.object_id} cannot be expressed in {version}")
    body = orjson.loads(wire)
    if entry.method == "PATCH":  # 2.1.1: what changes, periods as a whole (no append rule)
        patch = {key: body[key] for key in _SESSION_PATCH_211 if key in body}
        return PushRequest("PATCH", url, {**patch, "last_updated": body["last_updated"]})
    return PushRequest(entry.method, url, body)
