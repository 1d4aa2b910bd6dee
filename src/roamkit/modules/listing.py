"""Serving a sender list: filters, one page of stored wire bytes, pagination headers."""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from starlette.requests import Request

from roamkit.config import Settings
from roamkit.modules.cache import GenerationCache
from roamkit.modules.deps import Caller
from roamkit.modules.registry import mounted
from roamkit.protocol.envelope import OcpiResponse, raw_list_response
from roamkit.protocol.headers import ROUTING_HEADER_NAMES, RoutingHeaders
from roamkit.protocol.pagination import page_headers, page_request
from roamkit.store import objects
from roamkit.store.db import Database


def routing_headers(
    request: Request, settings: Settings, caller: Caller | None, version: str
) -> dict[str, str]:
    """2.2.1 responses of functional modules carry the routing headers, from and to
    swapped (#transport_and_format_message_routing); 2.1.1 has none."""
    return routing_headers_from(request.headers, settings, caller, version)


def routing_headers_from(
    request_headers: Mapping[str, str], settings: Settings, caller: Caller | None, version: str
) -> dict[str, str]:
    """``routing_headers`` from the request's headers (lower-case names), for the
    authorize fast path, which has no Starlette request."""
    if version == "2.1.1":
        return {}
    if any(name in request_headers for name in ROUTING_HEADER_NAMES):
        headers = RoutingHeaders.from_headers(request_headers).reversed_headers()
        if headers:
            return headers
    to_role = (caller.partner.roles or [{}])[0] if caller else {}
    out = {"OCPI-from-country-code": settings.country_code, "OCPI-from-party-id": settings.party_id}
    if to_role.get("country_code"):
        out["OCPI-to-country-code"] = to_role["country_code"]
        out["OCPI-to-party-id"] = to_role["party_id"]
    return out


def error_routing_headers(request: Request) -> dict[str, str]:
    """The routing headers of an error answer (401, 404 for another party's object, 2001
    ...) of a 2.2.1 functional module: every response of one carries them (CHECKLIST
    221-R-1), and before the route ran nobody knows the caller, so they are the request's
    swapped (or from us alone). None on configuration modules and on 2.1.1."""
    settings: Settings = request.app.state.settings
    path = request.url.path
    if not path.startswith("/ocpi/2.2.1/"):
        return {}
    for spec in mounted(settings, "2.2.1"):
        prefix = f"/ocpi/2.2.1/{spec.path}"
        if spec.functional and (path == prefix or path.startswith(prefix + "/")):
            return routing_headers_from(request.headers, settings, None, "2.2.1")
    return {}


async def list_response(
    request: Request,
    db: Database,
    settings: Settings,
    caller: Caller,
    module: str,
    version: str,
    *,
    date_from_required: bool = False,
    per_partner: bool = False,
) -> OcpiResponse:
    """GET list of our own objects of ``module`` in ``version``.

    2.1.1 partners see only what they may show publicly (no ``publish`` flag
    in 2.1.1); 2.2.1 partners get every object with its ``publish`` flag
    (2.2.1 #mod_locations_example_uc3: unpublished locations are still
    exchanged so the eMSP can support its drivers). ``per_partner``: only the
    objects concerning the caller (sessions and CDRs of its tokens, 2.1.1
    mod_cdrs.md §1.2).
    """
    page = page_request(request, date_from_required=date_from_required)
    f = objects.ListFilter(
        module=module,
        owner_id=objects.OWN,
        date_from=page.date_from,
        date_to=page.date_to,
        published_only=version == "2.1.1",
        audience_id=caller.partner.id if per_partner else None,
    )

    async def load_ids() -> array[int]:
        async with db.sessions() as session:
            return await objects.list_ids(session, f, version)

    ids = await _ids.get_or_load((f, version), load_ids, size=lambda v: 8 * len(v))
    window = ids[page.offset : page.offset + page.limit]

    async def load_page() -> list[bytes]:
        async with db.sessions() as session:
            return await objects.wire_by_ids(session, window, version)

    items = await _pages.get_or_load(
        (f, version, page.offset, page.limit), load_page, size=lambda v: sum(len(i) for i in v)
    )
    total = len(ids)
    headers = page_headers(request, page, total, settings.base_url)
    headers.update(routing_headers(request, settings, caller, version))
    return raw_list_response(items, headers)


PAGE_CACHE_SECONDS = 1.0
"""How long a list page is reused. Changes in this process invalidate at once;
changes by other processes show after at most this long."""

PAGE_CACHE_BYTES = 32 * 1024 * 1024
"""Bound of the page cache: a hub paging through 300 pages of 50 locations at once
fits; more only costs memory, which must not grow with the dataset."""

_pages = GenerationCache(
    lambda key: key[0].module, ttl=PAGE_CACHE_SECONDS, max_bytes=PAGE_CACHE_BYTES
)
_ids = GenerationCache(lambda key: key[0].module, ttl=PAGE_CACHE_SECONDS)
