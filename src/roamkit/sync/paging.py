"""Walking a partner's Sender list page by page (the pull's crawl, see ``sync.pull``).

A Link is asked for as soon as the response head that carries it is read, while
the body is still arriving (``Pager.asked``): the partner builds the next page
meanwhile instead of after we have read and parsed this one.

Pages follow the partner's ``Link``; when a Link is missing or unusable (other
scheme/host than the endpoint, unparseable, not advancing, or answered with an
error: extrawest-ocpi publishes ``https`` links with ``date_from=None``) the walk
continues with ``offset`` paging: ``offset = previous offset + objects received``,
``limit = X-Limit`` (or our page size), same date filters. When ``X-Total-Count``
drops, the walk steps back by the drop (CHECKLIST 221-P-3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec

from roamkit.aiotools import drop
from roamkit.partners.client import HeadFn, OcpiReply, PartnerCallError, PartnerClient
from roamkit.protocol.pagination import next_link
from roamkit.protocol.timeutil import format_datetime
from roamkit.store.tables import Partner

MAX_PAGES = 100_000
"""Hard stop for a list that never ends (no X-Total-Count, full pages forever)."""

RETRIES = 2
"""Extra attempts for a page that failed transiently (network, HTTP 5xx or 429)."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    url: str
    params: dict[str, str] | None
    """None: a partner's Link, requested as is."""
    offset: int
    """Where this page is expected to start in the partner's list."""


@dataclass(slots=True)
class Page:
    items: list[Any]
    offset: int
    total: int | None
    limit: int | None
    link: str | None


def _int_header(reply: OcpiReply, name: str) -> int | None:
    try:
        value = int(reply.headers.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _as_list(data: list[msgspec.Raw] | msgspec.Raw | None) -> list[bytes]:
    """The objects of a list page's ``data`` each as its own JSON text (the client
    splits a list; anything else comes as its JSON text): tolerate null (empty) and
    a lone object."""
    if data is None:
        return []
    if isinstance(data, list):
        return [bytes(item) for item in data]
    text = bytes(data).lstrip()
    if text.startswith(b"{"):
        return [text]
    if text == b"null":
        return []
    kind = type(msgspec.json.decode(text)).__name__
    raise PartnerCallError(f"list page 'data' is a {kind}, not a list")


def _transient(exc: PartnerCallError) -> bool:
    return exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429


class Pager:
    """Walks one list: follows Links while they are usable, else offset paging."""

    def __init__(
        self,
        client: PartnerClient,
        partner: Partner,
        endpoint: str,
        date_from: datetime | None,
        page_size: int | None,
        use_links: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """``headers``: sent with every page, the routing headers (``partners.routing``)."""
        self.client = client
        self.headers = headers
        self.partner = partner
        self.endpoint = endpoint
        self.date_from = date_from
        self.limit = page_size
        self.use_links = use_links
        self.fallback: str | None = None
        self.pages = 0
        """Pages walked (fetched and handed to ``next``)."""
        self._ahead: tuple[PageRequest, asyncio.Future[Page]] | None = None
        """The Link of the last response head, already asked for."""
        self._last_total: int | None = None
        self._max_total = 0
        ep = urlsplit(endpoint)
        self._origin = (ep.scheme.lower(), ep.netloc.lower())

    def first(self) -> PageRequest:
        return self._by_offset(0)

    def _by_offset(self, offset: int) -> PageRequest:
        params: dict[str, str] = {}
        if self.date_from is not None:
            # Whole seconds, rounded down: partners stamp whole seconds, inclusive bound.
            params["date_from"] = format_datetime(self.date_from)
        if offset:
            params["offset"] = str(offset)
        if self.limit:
            params["limit"] = str(self.limit)
        return PageRequest(self.endpoint, params, offset)

    def _abandon_links(self, reason: str) -> None:
        """Stop trusting this partner's Links for the rest of the sync."""
        self.use_links = False
        self.fallback = self.fallback or reason

    async def _get(
        self, req: PageRequest, attempts: int, on_sent: Callable[[], None] | None
    ) -> OcpiReply:
        on_head = self._read_ahead(req) if self.use_links else None
        for attempt in range(attempts):
            try:
                return await self.client.call(
                    "GET",
                    req.url,
                    token=self.partner.token_out or "",
                    version=self.partner.version,
                    encoding=self.partner.token_encoding,
                    params=req.params,
                    headers=self.headers,
                    raw_data=True,
                    on_sent=on_sent,
                    on_head=on_head,
                )
            except PartnerCallError as exc:
                if attempt + 1 >= attempts or not _transient(exc):
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def fetch(self, req: PageRequest, on_sent: Callable[[], None] | None = None) -> Page:
        """One page; ``on_sent`` is called when its request waits for the network."""
        if req.params is None:  # the partner's Link: one try, then our own offset paging
            try:
                reply = await self._get(req, 1, on_sent)
            except PartnerCallError as exc:
                self._abandon_links(f"Link answered with an error ({exc})")
                return await self.fetch(self._by_offset(req.offset), on_sent)
        else:
            reply = await self._get(req, 1 + RETRIES, on_sent)
        limit = _int_header(reply, "x-limit")
        if limit:
            self.limit = limit
        return Page(
            items=_as_list(reply.data),
            offset=req.offset,
            total=_int_header(reply, "x-total-count"),
            limit=limit,
            link=next_link(reply.headers.get("link")),
        )

    def _read_ahead(self, req: PageRequest) -> HeadFn:
        """On a successful response head with a usable Link, ask for that page at
        once (one page ahead at most; ``next`` still decides, from the whole page,
        whether it is the right one)."""

        def on_head(status: int, headers: list[tuple[bytes, bytes]]) -> None:
            if self._ahead is not None or not 200 <= status < 300 or not self.use_links:
                return
            link = next_link(httpx.Headers(headers).get("link"))
            guess = self._link_request(link, req.offset, None) if link else None
            if isinstance(guess, PageRequest):
                self._ahead = (guess, asyncio.ensure_future(self.fetch(guess)))

        return on_head

    def asked(self, req: PageRequest) -> asyncio.Future[Page] | None:
        """The fetch of ``req`` if it was asked for ahead; a different page asked
        for ahead is dropped (the list moved, or the Link skipped objects)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        guess, fetch = ahead
        if (guess.url, guess.params) != (req.url, req.params):
            drop(fetch)
            return None
        if guess.offset != req.offset:  # a cursor Link: where it starts is known now
            placed = asyncio.ensure_future(_starting_at(fetch, req.offset))
            # dropped before it ran, it would leave the fetch running unread
            placed.add_done_callback(lambda task: drop(fetch) if task.cancelled() else None)
            return placed
        return fetch

    def close(self) -> None:
        """Drop a page asked for ahead that nobody will read."""
        if self._ahead is not None:
            drop(self._ahead[1])
            self._ahead = None

    def next(self, page: Page) -> PageRequest | None:
        """The request for the page after ``page``, or None when the list is done."""
        self.pages += 1
        count = len(page.items)
        if count == 0:
            return None
        self._check_budget(page, count)
        drop = 0
        if page.total is not None:
            if self._last_total is not None and page.total < self._last_total:
                drop = self._last_total - page.total
            self._last_total = page.total
        if drop:
            # Objects before us vanished, so this page may have started past objects we
            # never saw: redo it from offset - drop (221-P-3); copies are folded.
            return self._by_offset(max(page.offset - drop, 0))
        expected = page.offset + count
        if page.link and self.use_links:
            followed = self._follow(page.link, page.offset, expected)
            if followed is not None:
                return followed
        if page.total is not None:
            more = expected < page.total
        else:
            more = page.link is not None or (self.limit is not None and count >= self.limit)
        return self._by_offset(expected) if more else None

    def _check_budget(self, page: Page, count: int) -> None:
        """Stepping back must end: give up on a list that keeps shifting under us."""
        self._max_total = max(self._max_total, page.total or 0)
        budget = MAX_PAGES
        if page.total is not None:
            budget = min(budget, 2 * (self._max_total // count + 1) + 10)
        if self.pages > budget:
            raise PartnerCallError(
                f"gave up after {self.pages} pages: the list keeps shifting "
                f"(X-Total-Count up to {self._max_total})"
            )

    def _follow(self, link: str, offset: int, expected: int) -> PageRequest | None:
        """The Link as a request, or None when it cannot be trusted."""
        followed = self._link_request(link, offset, expected)
        if isinstance(followed, str):
            self._abandon_links(followed)
            return None
        if followed.offset > expected:
            return None  # it would skip objects we have not seen: offset paging this once
        return followed

    def _link_request(self, link: str, offset: int, expected: int | None) -> PageRequest | str:
        """The Link of the page at ``offset`` as a request, or why it is unusable. A
        Link without an offset (a cursor) starts at ``expected``, the end of that
        page: unknown (None) before its body is read, and then ``offset`` stands in."""
        try:
            parts = urlsplit(link)
            query = parse_qs(parts.query)
            link_offset = int(query["offset"][-1]) if "offset" in query else None
        except ValueError:
            return f"unparseable Link {link!r}"
        if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
            return f"Link {link!r} is not on the endpoint's scheme and host"
        if link_offset is not None and link_offset <= offset:
            return f"Link {link!r} does not advance the offset"
        if link_offset is None:
            link_offset = expected if expected is not None else offset
        return PageRequest(link, None, link_offset)


async def _starting_at(fetch: asyncio.Future[Page], offset: int) -> Page:
    page = await fetch
    page.offset = offset
    return page
