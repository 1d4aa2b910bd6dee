"""asyncio helpers shared by the pull's crawl and its writes."""

from __future__ import annotations

import asyncio
from typing import Any


def drop(task: asyncio.Future[Any]) -> None:
    """Cancel a task nobody will wait for, and consume its outcome (no "exception
    never retrieved")."""
    task.cancel()
    task.add_done_callback(_consume)


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
