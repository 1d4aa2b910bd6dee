"""Helpers for the tokens tests: an eMSP node that can be made slow, a CPO node,
both registered, and short-hands for the management API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from support import Node, run_node

from .helpers import b64, token_out
from .ocpi_data import poll, register


@dataclass
class Slowness:
    """Delays the eMSP's real-time authorize answers while ``delay`` > 0: a real
    server that answers, only too late."""

    delay: float = 0.0
    seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, app: FastAPI) -> None:
        slowness = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http" and scope["path"].endswith("/authorize"):
                    with slowness.lock:
                        slowness.seen.append(scope["path"])
                    if slowness.delay > 0:
                        await asyncio.sleep(slowness.delay)
                await self.inner(scope, receive, send)

        app.add_middleware(Middleware)

    def calls(self) -> int:
        with self.lock:
            return len(self.seen)


@dataclass
class Pair:
    emsp: Node
    cpo: Node
    version: str
    cpo_on_emsp: str
    """Token the CPO uses on the eMSP (Base64), for calls to the eMSP's sender."""
    emsp_on_cpo: str
    """Token the eMSP uses on the CPO (Base64), for calls to the CPO's receiver."""
    slowness: Slowness


@contextmanager
def token_pair(
    tmp: Path,
    version: str = "2.2.1",
    *,
    emsp_party: str = "MSP",
    cpo_settings: dict[str, Any] | None = None,
    stack: ExitStack | None = None,
    emsp_hook: Callable[[FastAPI], None] | None = None,
    slowness_hook: bool = True,
) -> Iterator[Pair]:
    """A registered eMSP (EMSP role, only ``version``) and CPO on loopback;
    ``emsp_hook`` adds test middleware to the eMSP (inside the slowness hook);
    ``slowness_hook=False`` leaves the eMSP app as ``create_app`` built it."""
    with ExitStack() as own_stack:
        s = stack or own_stack
        slowness = Slowness()

        def hooks(app: FastAPI) -> None:
            if emsp_hook is not None:
                emsp_hook(app)
            if slowness_hook:
                slowness.hook(app)

        emsp = s.enter_context(
            run_node(
                tmp,
                f"emsp{emsp_party.lower()}",
                app_hook=hooks,
                roles=["EMSP"],
                party_id=emsp_party,
                versions=[version],
            )
        )
        cpo = s.enter_context(
            run_node(
                tmp,
                f"cpo{emsp_party.lower()}",
                roles=["CPO"],
                party_id="CPO",
                **(cpo_settings or {}),
            )
        )
        cpo_on_emsp = register(cpo, emsp, emsp_name="msp")
        emsp_on_cpo = b64(token_out(emsp, "cpo") or "")
        yield Pair(emsp, cpo, version, cpo_on_emsp, emsp_on_cpo, slowness)


def add_token(node: Node, uid: str, **fields: Any) -> dict[str, Any]:
    return node.api_data("POST", "/api/tokens", json={"uid": uid, **fields})


def authorize(node: Node, uid: str, **fields: Any) -> dict[str, Any]:
    return node.api_data("POST", "/api/authorize", json={"uid": uid, **fields})


def cpo_copy(pair: Pair, uid: str, token_type: str = "RFID") -> dict[str, Any] | None:
    """The CPO's stored copy of an eMSP token, read through the CPO's receiver."""
    cc, pid = pair.emsp.settings.country_code, pair.emsp.settings.party_id
    path = pair.cpo.url + f"/ocpi/{pair.version}/cpo/tokens/{cc}/{pid}/{uid}"
    if pair.version != "2.1.1":
        path += f"?type={token_type}"
    resp = pair.cpo.ocpi("GET", path, token=pair.emsp_on_cpo)
    if resp.status_code != 200 or resp.json().get("status_code") != 1000:
        return None
    return resp.json()["data"]


def wait_copy(
    pair: Pair, uid: str, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        copy = cpo_copy(pair, uid)
        return copy if copy is not None and check(copy) else None

    return poll(probe, timeout=timeout, what=f"CPO copy of {uid}")
