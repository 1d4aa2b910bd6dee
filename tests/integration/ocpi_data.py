"""Shared data and helpers for the locations/tariffs integration tests:
object bodies in both versions, envelope checks, registration and polling."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from support import Node, run_node

from .helpers import b64, token_out

T = TypeVar("T")

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
V221, V211 = "2.2.1", "2.1.1"


# --- envelopes -----------------------------------------------------------------------


def envelope(resp: httpx.Response, http: int, code: int) -> dict[str, Any]:
    """Assert an OCPI envelope with the given HTTP status and OCPI status code."""
    assert resp.status_code == http, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert body["status_code"] == code, body
    assert TIMESTAMP.match(body["timestamp"]), body
    if code >= 2000:
        assert body.get("status_message"), body
    return body


def ok(resp: httpx.Response, http: int = 200) -> Any:
    return envelope(resp, http, 1000).get("data")


# --- 2.2.1 (canonical) bodies, as the management API and 2.2.1 receivers take them ----


def connector(cid: str = "1", *, standard: str = "IEC_62196_T2", **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "standard": standard,
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        **extra,
    }


def evse(
    uid: str,
    *,
    status: str = "AVAILABLE",
    connectors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"NL*RKT*E{uid.upper().replace('-', '')}"[:48],
        "status": status,
        "connectors": connectors if connectors is not None else [connector("1")],
        **extra,
    }


def location(
    lid: str,
    *,
    evses: list[dict[str, Any]] | None = None,
    publish: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A Location body without country_code/party_id/last_updated (the node fills them)."""
    return {
        "id": lid,
        "publish": publish,
        "name": f"Location {lid}",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.090200", "longitude": "5.110500"},
        "parking_type": "ON_STREET",
        "time_zone": "Europe/Amsterdam",
        "evses": evses if evses is not None else [evse(f"{lid}-e1")],
        **extra,
    }


def tariff(tid: str, *, price: float = 0.25, **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}],
        **extra,
    }


def stamped(
    body: dict[str, Any], when: str, cc: str | None = None, pid: str | None = None
) -> dict[str, Any]:
    """``body`` with ``last_updated`` everywhere (and the party, if given), as a
    partner pushes it to a receiver."""
    out = dict(body, last_updated=when)
    if cc is not None:
        out["country_code"] = cc
    if pid is not None:
        out["party_id"] = pid
    if "evses" in out:
        out["evses"] = [stamped(e, when) for e in out["evses"] or []]
    if "connectors" in out:
        out["connectors"] = [dict(c, last_updated=when) for c in out["connectors"]]
    return out


# --- 2.1.1 bodies --------------------------------------------------------------------


def connector_211(cid: str = "1", *, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "standard": "IEC_62196_T2",
        "format": "CABLE",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 16,
        "last_updated": when,
        **extra,
    }


def evse_211(uid: str, *, when: str, status: str = "AVAILABLE", **extra: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "status": status,
        "connectors": [connector_211("1", when=when)],
        "last_updated": when,
        **extra,
    }


def location_211(lid: str, *, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": lid,
        "type": "ON_STREET",
        "name": f"Location {lid}",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.090200", "longitude": "5.110500"},
        "evses": [evse_211(f"{lid}-e1", when=when)],
        "last_updated": when,
        **extra,
    }


def tariff_211(tid: str, *, when: str, price: float = 0.25, **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}],
        "last_updated": when,
        **extra,
    }


# --- nodes and registration ----------------------------------------------------------


def register(cpo: Node, emsp: Node, *, emsp_name: str, cpo_name: str = "cpo") -> str:
    """The eMSP registers with the CPO (CPO hands out TOKEN_A); returns the token the
    CPO uses to call the eMSP, Base64-encoded (accepted on every version)."""
    invite = cpo.api_data("POST", "/api/partners/invite", json={"name": emsp_name})
    partner = emsp.api_data(
        "POST",
        "/api/partners/register",
        json={"versions_url": invite["versions_url"], "token": invite["token"], "name": cpo_name},
    )
    assert partner["status"] == "registered", partner
    token = token_out(cpo, emsp_name)
    assert token
    return b64(token)


@contextmanager
def module_nodes(tmp: Path) -> Iterator[Callable[..., Node]]:
    """Like the ``start_node`` fixture, for module-scoped fixtures."""
    with ExitStack() as stack:

        def start(name: str, **overrides: Any) -> Node:
            return stack.enter_context(run_node(tmp, name, **overrides))

        yield start


# --- polling -------------------------------------------------------------------------


def poll(
    probe: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    what: str = "condition",
    interval: float = 0.05,
) -> T:
    """Call ``probe`` until it returns something truthy, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def get_data(node: Node, path: str, token: str) -> Any | None:
    """GET an OCPI object; its data on 200/1000, else None."""
    resp = node.ocpi("GET", path, token=token)
    if resp.status_code != 200:
        return None
    body = resp.json()
    return body["data"] if body.get("status_code") == 1000 else None


def start_of_second(margin: float = 0.15) -> None:
    """Sleep until just after a wall-clock second starts, so that the next few
    calls fall within one second."""
    frac = time.time() % 1
    if frac > margin:
        time.sleep(1 - frac + 0.01)


# --- a receiving eMSP with CPO partners pushing to it --------------------------------


@dataclass
class Pusher:
    """A CPO partner as seen by the eMSP: its party, version and token."""

    emsp: Node
    version: str
    cc: str
    pid: str
    token: str

    def url(
        self, *parts: str, module: str = "locations", cc: str | None = None, pid: str | None = None
    ) -> str:
        segs = [cc or self.cc, pid or self.pid, *parts]
        return f"/ocpi/{self.version}/emsp/{module}/" + "/".join(segs)

    def call(
        self,
        method: str,
        *parts: str,
        body: Any = None,
        module: str = "locations",
        cc: str | None = None,
        pid: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return self.emsp.ocpi(
            method, self.url(*parts, module=module, cc=cc, pid=pid), token=self.token, **kw
        )

    # Bodies in this pusher's version.
    def location(self, lid: str, when: str, **extra: Any) -> dict[str, Any]:
        if self.version == V211:
            return location_211(lid, when=when, **extra)
        return stamped(location(lid, **extra), when, self.cc, self.pid)

    def evse(self, uid: str, when: str, **extra: Any) -> dict[str, Any]:
        if self.version == V211:
            return evse_211(uid, when=when, **extra)
        return stamped(evse(uid, **extra), when)

    def connector(self, cid: str, when: str, **extra: Any) -> dict[str, Any]:
        if self.version == V211:
            return connector_211(cid, when=when, **extra)
        return dict(connector(cid, **extra), last_updated=when)

    def tariff(self, tid: str, when: str, **extra: Any) -> dict[str, Any]:
        if self.version == V211:
            return tariff_211(tid, when=when, **extra)
        return dict(
            tariff(tid, **extra), country_code=self.cc, party_id=self.pid, last_updated=when
        )


@dataclass
class World:
    emsp: Node
    a: Pusher  # NL*CPO on 2.2.1
    b: Pusher  # BE*BBB on 2.2.1, another CPO (= a when built without second_cpo)
    old: Pusher  # FR*OLD on 2.1.1

    def by_version(self, version: str) -> Pusher:
        return self.a if version == V221 else self.old


def receiver_world(start: Callable[..., Node], *, second_cpo: bool = True) -> World:
    """An eMSP (both versions) with CPO partners NL*CPO (2.2.1), FR*OLD (2.1.1) and,
    with ``second_cpo``, BE*BBB (2.2.1); each pusher holds the token its CPO uses on
    the eMSP."""
    emsp = start("emsp", roles=["EMSP"], party_id="MSP", country_code="DE")
    cpos = [("a", V221, "NL", "CPO"), ("old", V211, "FR", "OLD")]
    if second_cpo:
        cpos.append(("b", V221, "BE", "BBB"))
    pushers: dict[str, Pusher] = {}
    for name, version, cc, pid in cpos:
        cpo = start(
            f"cpo{name}",
            roles=["CPO"],
            party_id=pid,
            country_code=cc,
            versions=[V221, V211] if version == V221 else [V211],
        )
        token = register(cpo, emsp, emsp_name="msp", cpo_name=name)
        assert emsp.api_data("GET", f"/api/partners/{name}")["version"] == version
        pushers[name] = Pusher(emsp, version, cc, pid, token)
    return World(emsp, pushers["a"], pushers.get("b") or pushers["a"], pushers["old"])
