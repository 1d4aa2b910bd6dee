"""Pagination of list endpoints, both sides.

Server side (2.2.1 #transport_and_format_pagination, 2.1.1 §Pagination):
``Link: <next>; rel="next"`` only when another page exists, carrying every
original query parameter; ``X-Total-Count``; ``X-Limit`` is the page size
the server applies, capped at ``MAX_PAGE_SIZE``.
Client side: ``next_link`` reads a partner's Link header leniently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from starlette.requests import Request

from roamkit.protocol.errors import OcpiError
from roamkit.protocol.status import StatusCode
from roamkit.protocol.timeutil import parse_datetime

MAX_PAGE_SIZE = 1000
"""Server-side cap on ``limit``; documented in the README. Hubs asking for more get this."""

DEFAULT_PAGE_SIZE = 100
"""Page size when the client sends no ``limit``."""


class BadQuery(OcpiError):
    http_status = 400
    status_code = StatusCode.INVALID_PARAMETERS


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(f"Query parameter {name!r} must be an integer, got {raw!r}") from None
    if value < 0:
        raise BadQuery(f"Query parameter {name!r} must not be negative")
    return value


def _dt_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise BadQuery(f"Query parameter {name!r} is not a DateTime: {raw!r}") from None


def page_request(request: Request, *, date_from_required: bool = False) -> PageRequest:
    """Parse offset/limit/date_from/date_to; ``limit`` is capped, never refused."""
    limit = _int_param(request, "limit", DEFAULT_PAGE_SIZE)
    limit = min(limit, MAX_PAGE_SIZE) if limit else DEFAULT_PAGE_SIZE
    date_from = _dt_param(request, "date_from")
    if date_from_required and date_from is None:
        raise BadQuery("Query parameter 'date_from' is required", http_status=200)
    return PageRequest(
        offset=_int_param(request, "offset", 0),
        limit=limit,
        date_from=date_from,
        date_to=_dt_param(request, "date_to"),
    )


def page_headers(
    request: Request, page: PageRequest, total: int, base_url: str | None = None
) -> dict[str, str]:
    """``X-Total-Count``, ``X-Limit`` and, when more objects follow, ``Link``.

    ``base_url`` replaces scheme and host when the node sits behind a proxy
    (its public ``BASE_URL``); otherwise the request's own URL is used.
    """
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    next_offset = page.offset + page.limit
    if next_offset < total:
        params = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")
        ]
        params += [("offset", str(next_offset)), ("limit", str(page.limit))]
        path = request.url.path
        root_path = request.scope.get("root_path", "")
        if base_url:
            # BASE_URL names the public prefix already; the path carries the mount prefix.
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            url = base_url.rstrip("/") + path
        else:
            url = str(request.url.replace(query=""))
        headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
    return headers


_LINK_RE = re.compile(r"<\s*([^>]*)\s*>\s*((?:;\s*[^;,]*)*)")


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a Link header, or None. Tolerates quoting variants."""
    if not header:
        return None
    for match in _LINK_RE.finditer(header):
        url, params = match.group(1).strip(), match.group(2)
        rels = re.findall(r"rel\s*=\s*\"?([^\";]+)\"?", params, flags=re.I)
        if any("next" in r.lower().split() for r in rels):
            return url or None
    return None
