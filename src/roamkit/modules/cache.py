"""Small in-process caches for the hot read paths (token lookup, list pages).

An entry is used only while the in-process change counter of its topic is
unchanged (``store.changes``) and for at most ``ttl`` seconds, which bounds how
long a change made by another process (another worker, the CLI) can go
unseen. Bounded in entries and bytes: memory does not grow with the dataset.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from roamkit.store import changes

T = TypeVar("T")


class GenerationCache:
    def __init__(
        self, topic_of: Any, ttl: float, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self.topic_of = topic_of
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, float, Any, int]] = OrderedDict()
        self._bytes = 0
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        gen, expires, value, _ = entry
        if gen != changes.generation(self.topic_of(key)) or expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any, size: int = 0, generation: int | None = None) -> None:
        """Store ``value``; pass the ``generation`` read *before* the value was
        computed, so a write that raced with the read leaves the entry stale."""
        if size > self.max_bytes // 4:
            return
        self._drop(key)
        gen = changes.generation(self.topic_of(key)) if generation is None else generation
        self._entries[key] = (gen, time.monotonic() + self.ttl, value, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    async def get_or_load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], size: Callable[[T], int]
    ) -> T:
        """The cached value, or ``load()``'s; concurrent misses of one key share one
        load (a hub's 32 connections hitting an expired page must not query 32 times)."""
        value = self.get(key)
        if value is not None:
            return value
        pending = self._loading.get(key)
        if pending is None:
            generation = changes.generation(self.topic_of(key))
            pending = asyncio.ensure_future(load())
            self._loading[key] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
            value = await asyncio.shield(pending)
            self.put(key, value, size(value), generation=generation)
            return value
        return await asyncio.shield(pending)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[3]

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
