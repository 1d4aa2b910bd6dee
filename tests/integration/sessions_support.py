"""A CPO and an eMSP on loopback, ready to charge: the eMSP's token is at the CPO,
the CPO's tariff and location are at the eMSP. Charger events go to the CPO's
management API; what arrives is read from the eMSP's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.responses import JSONResponse

from support import Node

from .ocpi_data import connector, evse, location, poll
from .tokens_support import Pair, add_token, token_pair, wait_copy

TARIFF = {
    "id": "T1",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "FLAT", "price": 0.50, "step_size": 1},
                {"type": "ENERGY", "price": 0.30, "step_size": 1},
            ]
        },
    ],
}
PARKING = {"type": "PARKING_TIME", "price": 2.00, "step_size": 60}
CAPABILITIES = [
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "UNLOCK_CAPABLE",
    "RFID_READER",
    "CHARGING_PROFILE_CAPABLE",
]
"""The test EVSE takes every command and charging profiles (2.2.1
#mod_locations_capability_enum)."""


@dataclass
class Charging:
    pair: Pair
    uid: str
    location_id: str = "LOC1"
    evse_uid: str = "LOC1-e1"
    connector_id: str = "1"

    @property
    def cpo(self) -> Node:
        return self.pair.cpo

    @property
    def emsp(self) -> Node:
        return self.pair.emsp

    def start(self, session_id: str, at: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "id": session_id,
            "token_uid": self.uid,
            "location_id": self.location_id,
            "evse_uid": self.evse_uid,
            "connector_id": self.connector_id,
            **({"start": at} if at else {}),
            **extra,
        }
        return self.cpo.api_data("POST", "/api/sessions", json=body)

    def meter(self, session_id: str, meter: float, at: str | None = None, **extra: Any) -> Any:
        body = {"meter": meter, **({"at": at} if at else {}), **extra}
        return self.cpo.api_data("POST", f"/api/sessions/{session_id}/meter", json=body)

    def stop(self, session_id: str, at: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {**({"at": at} if at else {}), **extra}
        return self.cpo.api_data("POST", f"/api/sessions/{session_id}/stop", json=body)

    def emsp_session(self, session_id: str) -> dict[str, Any] | None:
        resp = self.emsp.api("GET", f"/api/sessions/{session_id}")
        return resp.json()["data"] if resp.status_code == 200 else None

    def emsp_cdr(self, cdr_id: str) -> dict[str, Any] | None:
        resp = self.emsp.api("GET", f"/api/cdrs/{cdr_id}")
        return resp.json()["data"] if resp.status_code == 200 else None

    def wait_session(self, session_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            got = self.emsp_session(session_id)
            return got if got and got["status"] == status else None

        return poll(probe, timeout=timeout, what=f"session {session_id} {status} at the eMSP")

    def wait_cdr(self, cdr_id: str, timeout: float = 15) -> dict[str, Any]:
        return poll(lambda: self.emsp_cdr(cdr_id), timeout=timeout, what=f"CDR {cdr_id}")

    def disputes(self) -> list[dict[str, Any]]:
        return self.emsp.api_data("GET", "/api/cdrs/disputes")  # type: ignore[no-any-return]

    def put_tariff(self, tariff: dict[str, Any]) -> None:
        self.cpo.api_data("PUT", f"/api/tariffs/{tariff['id']}", json=tariff)

    def wait_emsp_tariff(self, tariff_id: str, check: Any = None) -> dict[str, Any]:
        cc, pid = self.cpo.settings.country_code, self.cpo.settings.party_id
        path = f"/ocpi/{self.pair.version}/emsp/tariffs/{cc}/{pid}/{tariff_id}"

        def probe() -> dict[str, Any] | None:
            resp = self.emsp.ocpi("GET", path, token=self.pair.cpo_on_emsp)
            if resp.status_code != 200 or resp.json().get("status_code") != 1000:
                return None
            data: dict[str, Any] = resp.json()["data"]
            return data if check is None or check(data) else None

        return poll(probe, what=f"tariff {tariff_id} at the eMSP")


@contextmanager
def charging_pair(
    tmp: Path,
    version: str = "2.2.1",
    *,
    tariff: dict[str, Any] | None = None,
    time_zone: str = "Europe/Amsterdam",
    cpo_settings: dict[str, Any] | None = None,
    emsp_hook: Callable[[FastAPI], None] | None = None,
) -> Iterator[Charging]:
    settings = {"session_push_interval": 0.2, **(cpo_settings or {})}
    with token_pair(
        tmp, version, cpo_settings=settings, slowness_hook=False, emsp_hook=emsp_hook
    ) as pair:
        ch = Charging(pair, uid="RFID0001")
        add_token(pair.emsp, ch.uid, contract_id="NL-MSP-C00000001")
        wait_copy(pair, ch.uid, lambda _: True)
        tariff = tariff or TARIFF
        ch.put_tariff(tariff)
        loc = location(
            ch.location_id,
            time_zone=time_zone,
            evses=[
                evse(
                    ch.evse_uid,
                    connectors=[connector("1", tariff_ids=[tariff["id"]])],
                    capabilities=CAPABILITIES,
                )
            ],
        )
        pair.cpo.api_data("PUT", f"/api/locations/{ch.location_id}", json=loc)
        ch.wait_emsp_tariff(tariff["id"])
        yield ch


@dataclass
class Outage:
    """The eMSP's endpoints under ``paths`` answer 503 while ``down``: a partner that
    is away."""

    down: bool = False
    refused: int = 0
    paths: tuple[str, ...] = ("/emsp/cdrs",)
    let_through: list[str] = field(default_factory=list)
    """Method and path of every request to ``paths`` that went through."""

    def hook(self, app: FastAPI) -> None:
        outage = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                path = scope.get("path", "")
                if outage.down and scope["type"] == "http" and any(p in path for p in outage.paths):
                    outage.refused += 1
                    await JSONResponse({"message": "down for maintenance"}, 503)(
                        scope, receive, send
                    )
                    return
                if scope["type"] == "http" and any(p in path for p in outage.paths):
                    outage.let_through.append(f"{scope['method']} {path}")
                await self.inner(scope, receive, send)

        app.add_middleware(Middleware)


@dataclass
class Recorder:
    """Records the method of every request to the eMSP's sessions endpoint."""

    methods: list[str] = field(default_factory=list)

    def hook(self, app: FastAPI) -> None:
        recorder = self

        class Middleware:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http" and "/emsp/sessions/" in scope["path"]:
                    recorder.methods.append(scope["method"])
                await self.inner(scope, receive, send)

        app.add_middleware(Middleware)
