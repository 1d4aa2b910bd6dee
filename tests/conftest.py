"""Shared fixtures: real nodes on loopback (see ``support.py``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import Node, run_node


@pytest.fixture
def start_node(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """``start_node(name, **settings)`` starts a node that stops after the test."""
    with ExitStack() as stack:

        def start(name: str, **overrides: Any) -> Node:
            return stack.enter_context(run_node(tmp_path, name, **overrides))

        yield start
