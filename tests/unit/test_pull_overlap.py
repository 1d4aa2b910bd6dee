"""The pull prepares page N while the partner works on page N+1: the next page's
request must be on its way before ``Preparer`` turns to the page it has; with a
usable Link, as soon as the head of the response that carries it is read."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
import pytest

from roamkit.aiotools import drop
from roamkit.partners.client import OcpiReply, _progress_trace
from roamkit.store.tables import Partner
from roamkit.sync.paging import Pager
from roamkit.sync.prepare import _sent


class _SlowPager:
    """A fetch that passes several awaits before it "writes", like httpx does."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def fetch(self, request: Any, on_sent: Any = None) -> str:
        for _ in range(5):
            await asyncio.sleep(0)
        self.events.append("written")
        if on_sent is not None:
            on_sent()
        await asyncio.sleep(0.05)  # the partner builds the page
        self.events.append("answered")
        return "page"


def test_the_next_request_is_written_before_this_page_is_prepared() -> None:
    async def go() -> list[str]:
        pager = _SlowPager()
        ahead = await _sent(pager, None)  # type: ignore[arg-type]
        pager.events.append("prepare")
        assert await ahead == "page"
        return pager.events

    assert asyncio.run(go()) == ["written", "prepare", "answered"]


def test_a_fetch_that_fails_before_writing_does_not_hang() -> None:
    class Broken:
        async def fetch(self, request: Any, on_sent: Any = None) -> str:
            raise RuntimeError("no route")

    async def go() -> None:
        ahead = await _sent(Broken(), None)  # type: ignore[arg-type]
        await ahead

    with pytest.raises(RuntimeError, match="no route"):
        asyncio.run(go())


@pytest.mark.parametrize(
    ("event", "fires"),
    [
        ("http11.send_request_headers.started", False),
        ("http11.send_request_body.complete", False),
        ("http11.receive_response_headers.started", True),
        ("http2.receive_response_headers.started", True),
        ("connection.connect_tcp.started", True),
        ("connection.start_tls.started", True),
        ("http11.receive_response_body.started", False),
    ],
)
def test_on_sent_fires_when_the_request_waits_for_the_network(event: str, fires: bool) -> None:
    calls: list[int] = []
    asyncio.run(_progress_trace(lambda: calls.append(1), None)(event, {}))
    assert bool(calls) is fires


# --- the next page is asked for when the response head arrives --------------------------

ENDPOINT = "http://cpo.test/ocpi/2.2.1/locations"


class _HeadFirstClient:
    """``PartnerClient.call`` stand-in: the head (``on_head``) comes before the body."""

    def __init__(
        self, pages: dict[str, tuple[str | None, int]], total: int, slow: str = ""
    ) -> None:
        self.pages = pages  # request URL -> (Link URL, objects on the page)
        self.total = total
        self.slow = slow  # this page's body takes long
        self.log: list[tuple[str, str]] = []

    async def call(
        self, method: str, url: str, *, params: Any = None, on_head: Any = None, **_: Any
    ) -> OcpiReply:
        key = url + ("?" + urlencode(params) if params else "")
        self.log.append(("asked", key))
        await asyncio.sleep(0)
        link, count = self.pages[key]
        headers = [(b"x-total-count", str(self.total).encode())]
        if link:
            headers.append((b"link", f'<{link}>; rel="next"'.encode()))
        if on_head is not None:
            on_head(200, headers)
        await asyncio.sleep(1 if key == self.slow else 0.01)  # the body arrives
        self.log.append(("read", key))
        items = [msgspec.Raw(b'{"id": "%d"}' % i) for i in range(count)]
        return OcpiReply(items, 1000, None, httpx.Headers(headers))


def _walk(client: _HeadFirstClient) -> tuple[list[int], Pager]:
    async def go() -> tuple[list[int], Pager]:
        partner = Partner(name="cpo", version="2.2.1", token_out="t", token_encoding="auto")
        pager = Pager(client, partner, ENDPOINT, None, None)  # type: ignore[arg-type]
        offsets = []
        page = await pager.fetch(pager.first())
        while True:
            offsets.append(page.offset)
            request = pager.next(page)
            if request is None:
                break
            ahead = pager.asked(request)
            page = await (ahead if ahead is not None else pager.fetch(request))
        pager.close()
        return offsets, pager

    return asyncio.run(go())


def test_the_link_is_asked_for_before_the_body_is_read() -> None:
    client = _HeadFirstClient(
        {
            ENDPOINT: (f"{ENDPOINT}?offset=3&limit=3", 3),
            f"{ENDPOINT}?offset=3&limit=3": (None, 3),
        },
        total=6,
    )
    offsets, pager = _walk(client)
    assert offsets == [0, 3] and pager.pages == 2
    second = f"{ENDPOINT}?offset=3&limit=3"
    assert client.log == [
        ("asked", ENDPOINT),
        ("asked", second),
        ("read", ENDPOINT),
        ("read", second),
    ]


def test_a_cursor_link_starts_where_the_page_before_ended() -> None:
    client = _HeadFirstClient(
        {ENDPOINT: (f"{ENDPOINT}?cursor=abc", 2), f"{ENDPOINT}?cursor=abc": (None, 2)}, total=4
    )
    offsets, _ = _walk(client)
    assert offsets == [0, 2]


def test_a_link_that_skips_objects_is_asked_for_but_not_used() -> None:
    skipping = f"{ENDPOINT}?offset=5&limit=3"  # the page had 3 objects: 3 and 4 unseen
    client = _HeadFirstClient(
        {
            ENDPOINT: (skipping, 3),
            skipping: (None, 0),
            f"{ENDPOINT}?offset=3": (None, 3),
        },
        total=6,
    )
    offsets, pager = _walk(client)
    assert offsets == [0, 3] and pager.pages == 2
    assert ("asked", f"{ENDPOINT}?offset=3") in client.log


def test_a_cursor_page_asked_for_ahead_and_then_dropped_is_cancelled() -> None:
    second = f"{ENDPOINT}?cursor=abc"
    client = _HeadFirstClient({ENDPOINT: (second, 2), second: (None, 2)}, total=4, slow=second)

    async def go() -> bool:
        partner = Partner(name="cpo", version="2.2.1", token_out="t", token_encoding="auto")
        pager = Pager(client, partner, ENDPOINT, None, None)  # type: ignore[arg-type]
        page = await pager.fetch(pager.first())
        request = pager.next(page)
        assert request is not None
        inner = pager._ahead[1]  # type: ignore[index]
        placed = pager.asked(request)
        assert placed is not None and placed is not inner
        drop(placed)  # e.g. the pull was cancelled before it read the page
        await asyncio.sleep(0.05)
        return inner.cancelled()  # before asyncio.run cancels what is left

    assert asyncio.run(go())
