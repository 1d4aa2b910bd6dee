"""The pull prepares page N while the partner works on page N+1: the next page's
request must be on its way before ``Preparer`` turns to the page it has."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roamkit.partners.client import _on_sent_trace
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
    asyncio.run(_on_sent_trace(lambda: calls.append(1))(event, {}))
    assert bool(calls) is fires
