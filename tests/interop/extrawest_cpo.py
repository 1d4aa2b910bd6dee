"""Run the independent ``extrawest-ocpi`` library (import name ``py_ocpi``) as a foreign CPO.

This file is a standalone script for the *extrawest* virtual environment (pydantic v1). It is
never imported by roamkit's test-suite; ``tests/interop/extrawest.py`` starts it as a
subprocess.

    .venv-extrawest/bin/python tests/interop/extrawest_cpo.py \
        --port 0 --token-a SECRET --locations 5 --version 2.2.1

``--locations-file FILE`` serves a given JSON list of 2.2.1 Location objects instead of the
generated ones (the benchmarks load roamkit's own locations this way).

It serves ``versions``, ``credentials``, ``locations`` and ``tariffs`` for the requested OCPI
version(s) on 127.0.0.1 with in-memory storage, and prints exactly one line

    READY http://127.0.0.1:PORT/ocpi/versions

to stdout once the socket accepts connections. Everything else (library and uvicorn logs)
goes to stderr. ``--port 0`` binds a free port in this process (no race with other tests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"
UTC = timezone.utc  # noqa: UP017 - this script also runs on Python 3.10
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
SUPPORTED_VERSIONS = ("2.2.1", "2.1.1")
TARIFF_AC = "EXW-TARIFF-AC"
TARIFF_DC = "EXW-TARIFF-DC"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--token-a", required=True, help="the registration token (TOKEN_A)")
    parser.add_argument("--locations", type=int, default=0, help="seed N locations")
    parser.add_argument(
        "--locations-file",
        default=None,
        help="serve the 2.2.1 locations in this JSON file (a list of Location objects) "
        "instead of generated ones; needs --version 2.2.1 (2.1.1 then serves none)",
    )
    parser.add_argument(
        "--version",
        default="2.2.1",
        help="OCPI version(s) to serve: 2.2.1, 2.1.1 or a comma-separated list",
    )
    parser.add_argument("--country-code", default="NL")
    parser.add_argument("--party-id", default="EXW")
    parser.add_argument(
        "--fix-links",
        action="store_true",
        help="rewrite the library's broken pagination Link header into a usable one",
    )
    parser.add_argument("--debug", action="store_true", help="library debug logging (stderr)")
    args = parser.parse_args(argv)
    versions = [v.strip() for v in args.version.split(",") if v.strip()]
    for v in versions:
        if v not in SUPPORTED_VERSIONS:
            parser.error(f"unsupported --version {v!r}; choose from {SUPPORTED_VERSIONS}")
    if not versions:
        parser.error("--version must name at least one version")
    args.versions = versions
    if args.locations < 0:
        parser.error("--locations must be >= 0")
    if args.locations_file is not None:
        if args.locations:
            parser.error("--locations and --locations-file exclude each other")
        if "2.2.1" not in versions:
            parser.error("--locations-file holds 2.2.1 locations: --version must include 2.2.1")
    return args


def load_locations_file(path: str) -> list[dict[str, Any]]:
    """The 2.2.1 Location objects in ``path`` (a JSON list), served as they are."""
    import json

    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SystemExit(f"{path}: expected a JSON list of Location objects")
    return data


def bind_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


# --------------------------------------------------------------------------- seed data


def _ts(minutes: int) -> str:
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def location_id(index: int) -> str:
    """Deterministic, mixed/upper-case id: the library lower-cases CiStrings on output."""
    return f"EXW-LOC-{index:04d}"


def seed_location_221(index: int, country_code: str, party_id: str) -> dict[str, Any]:
    loc_id = location_id(index)
    updated = _ts(index)
    evses = []
    for e in (1, 2):
        dc = e == 2
        connectors = [
            {
                "id": str(c),
                "standard": ("IEC_62196_T2_COMBO" if c == 1 else "CHADEMO")
                if dc
                else ("IEC_62196_T2" if c == 1 else "DOMESTIC_F"),
                "format": "CABLE" if dc else "SOCKET",
                "power_type": "DC" if dc else ("AC_3_PHASE" if c == 1 else "AC_1_PHASE"),
                "max_voltage": (920 if c == 1 else 500) if dc else (400 if c == 1 else 230),
                "max_amperage": (200 if c == 1 else 125) if dc else (32 if c == 1 else 16),
                "max_electric_power": (150000 if c == 1 else 50000)
                if dc
                else (22000 if c == 1 else 3680),
                "tariff_ids": [TARIFF_DC if dc else TARIFF_AC],
                "last_updated": updated,
            }
            for c in (1, 2)
        ]
        evses.append(
            {
                "uid": f"{loc_id}-E{e}",
                "evse_id": f"{country_code}*{party_id}*E{index:04d}*{e}",
                "status": "AVAILABLE" if (index + e) % 3 else "CHARGING",
                "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                "connectors": connectors,
                "physical_reference": f"P{e}",
                "last_updated": updated,
            }
        )
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": loc_id,
        "publish": True,
        "name": f"Extrawest Station {index}",
        "address": f"Teststraat {index}",
        "city": "Amsterdam",
        "postal_code": "1011AB",
        "country": "NLD",
        "coordinates": {
            "latitude": f"{52.3 + index * 0.001:.6f}",
            "longitude": f"{4.9 + index * 0.001:.6f}",
        },
        "parking_type": "PARKING_LOT",
        "evses": evses,
        "operator": {"name": "Extrawest Interop CPO"},
        "facilities": ["CAFE"],
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "charging_when_closed": True,
        "last_updated": updated,
    }


def seed_location_211(index: int, country_code: str, party_id: str) -> dict[str, Any]:
    src = seed_location_221(index, country_code, party_id)
    evses = []
    for evse in src["evses"]:
        connectors = [
            {
                "id": c["id"],
                "standard": c["standard"],
                "format": c["format"],
                "power_type": c["power_type"],
                "voltage": c["max_voltage"],
                "amperage": c["max_amperage"],
                "tariff_id": c["tariff_ids"][0],
                "last_updated": c["last_updated"],
            }
            for c in evse["connectors"]
        ]
        evses.append({**evse, "connectors": connectors})
    return {
        "id": src["id"],
        "type": "PARKING_LOT",
        "name": src["name"],
        "address": src["address"],
        "city": src["city"],
        "postal_code": src["postal_code"],
        "country": src["country"],
        "coordinates": src["coordinates"],
        "evses": evses,
        "operator": src["operator"],
        "facilities": src["facilities"],
        "time_zone": src["time_zone"],
        "opening_times": src["opening_times"],
        "charging_when_closed": True,
        "last_updated": src["last_updated"],
    }


def seed_tariffs(version: str, country_code: str, party_id: str) -> list[dict[str, Any]]:
    tariffs: list[dict[str, Any]] = []
    for i, (tid, energy_price) in enumerate(((TARIFF_AC, 0.35), (TARIFF_DC, 0.59))):
        components = [{"type": "ENERGY", "price": energy_price, "step_size": 1}]
        tariff: dict[str, Any] = {
            "id": tid,
            "currency": "EUR",
            "tariff_alt_text": [{"language": "en", "text": f"{energy_price} EUR/kWh"}],
            "elements": [{"price_components": components}],
            "last_updated": _ts(i),
        }
        if version == "2.2.1":
            components[0]["vat"] = 21.0
            tariff.update(country_code=country_code, party_id=party_id, type="REGULAR")
        tariffs.append(tariff)
    return tariffs


# --------------------------------------------------------------------------- the node


def build_app(args: argparse.Namespace, versions_url: str) -> Any:
    """Build the py_ocpi FastAPI app. Imports py_ocpi, so settings env must be set first."""
    from py_ocpi import get_application
    from py_ocpi.core.authentication.authenticator import Authenticator
    from py_ocpi.core.crud import Crud
    from py_ocpi.core.enums import Action, ModuleID, RoleEnum
    from py_ocpi.modules.versions.enums import VersionNumber

    country_code: str = args.country_code
    party_id: str = args.party_id
    token_a: str = args.token_a

    locations: dict[str, list[dict[str, Any]]] = {
        "2.2.1": [
            seed_location_221(i, country_code, party_id) for i in range(1, args.locations + 1)
        ],
        "2.1.1": [
            seed_location_211(i, country_code, party_id) for i in range(1, args.locations + 1)
        ],
    }
    if args.locations_file is not None:
        locations = {"2.2.1": load_locations_file(args.locations_file), "2.1.1": []}
    tariffs = {v: seed_tariffs(v, country_code, party_id) for v in SUPPORTED_VERSIONS}
    # token C we issued -> what the client told us (its token B, versions url, roles, endpoints)
    registrations: dict[str, dict[str, Any]] = {}

    def version_key(kwargs: dict[str, Any]) -> str:
        version = kwargs.get("version") or VersionNumber.v_2_2_1
        return str(getattr(version, "value", version))

    def own_credentials(token_c: str, version: str) -> dict[str, Any]:
        business = {"name": "Extrawest Interop CPO"}
        if version == "2.1.1":
            return {
                "token": token_c,
                "url": versions_url,
                "business_details": business,
                "party_id": party_id,
                "country_code": country_code,
            }
        return {
            "token": token_c,
            "url": versions_url,
            "roles": [
                {
                    "role": "CPO",
                    "business_details": business,
                    "party_id": party_id,
                    "country_code": country_code,
                }
            ],
        }

    def register(data: dict[str, Any], version: str) -> dict[str, Any]:
        token_c = secrets.token_hex(16)
        registrations[token_c] = {
            "client_credentials": data.get("credentials"),
            "client_endpoints": data.get("endpoints"),
            "version": version,
        }
        print(f"registered client, issued token C {token_c}", file=sys.stderr, flush=True)
        return own_credentials(token_c, version)

    def page(
        items: list[dict[str, Any]], filters: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int, bool]:
        date_from: datetime | None = filters.get("date_from")
        date_to: datetime | None = filters.get("date_to")

        def keep(item: dict[str, Any]) -> bool:
            updated = datetime.fromisoformat(item["last_updated"].replace("Z", "+00:00"))
            if date_from is not None and updated < _aware(date_from):
                return False
            return not (date_to is not None and updated >= _aware(date_to))

        # Without date filters nothing is parsed (keeps large lists cheap to page).
        no_filter = date_from is None and date_to is None
        selected = items if no_filter else [i for i in items if keep(i)]
        offset = max(int(filters.get("offset") or 0), 0)
        limit = max(int(filters.get("limit") or 50), 1)
        total = len(selected)
        return selected[offset : offset + limit], total, offset + limit >= total

    class InMemoryCrud(Crud):
        @classmethod
        async def get(cls, module: ModuleID, role: RoleEnum, id: Any, *a: Any, **kw: Any) -> Any:
            version = version_key(kw)
            if module == ModuleID.credentials_and_registration:
                return own_credentials(str(id), version) if id in registrations else None
            if module == ModuleID.locations:
                wanted = str(id).lower()  # path ids arrive lower-cased (CiString)
                for loc in locations[version]:
                    if loc["id"].lower() == wanted:
                        return loc
                return None
            if module == ModuleID.tariffs:
                for tariff in tariffs[version]:
                    if tariff["id"].lower() == str(id).lower():
                        return tariff
                return None
            return None

        @classmethod
        async def list(
            cls, module: ModuleID, role: RoleEnum, filters: dict, *a: Any, **kw: Any
        ) -> tuple[list, int, bool]:
            version = version_key(kw)
            if module == ModuleID.locations:
                return page(locations[version], filters)
            if module == ModuleID.tariffs:
                return page(tariffs[version], filters)
            return [], 0, True

        @classmethod
        async def create(
            cls, module: ModuleID, role: RoleEnum, data: dict, *a: Any, **kw: Any
        ) -> Any:
            if module == ModuleID.credentials_and_registration:
                return register(data, version_key(kw))
            raise NotImplementedError(f"create {module}")

        @classmethod
        async def update(
            cls, module: ModuleID, role: RoleEnum, data: dict, id: Any, *a: Any, **kw: Any
        ) -> Any:
            if module == ModuleID.credentials_and_registration:
                # PUT credentials: the old token C is replaced by a new one.
                registrations.pop(str(kw.get("auth_token")), None)
                return register(data, version_key(kw))
            raise NotImplementedError(f"update {module}")

        @classmethod
        async def delete(
            cls, module: ModuleID, role: RoleEnum, id: Any, *a: Any, **kw: Any
        ) -> None:
            if module == ModuleID.credentials_and_registration:
                registrations.pop(str(id), None)
                return
            raise NotImplementedError(f"delete {module}")

        @classmethod
        async def do(
            cls,
            module: ModuleID,
            role: RoleEnum | None,
            action: Action,
            *a: Any,
            data: dict | None = None,
            **kw: Any,
        ) -> Any:
            return None

    class InMemoryAuthenticator(Authenticator):
        # get_application() installs the *class* as a FastAPI dependency, so FastAPI
        # instantiates it per request: all state lives in the closure above.
        @classmethod
        async def get_valid_token_a(cls) -> list[str]:
            return [token_a]

        @classmethod
        async def get_valid_token_c(cls) -> list[str]:
            return list(registrations)

    return get_application(
        version_numbers=[VersionNumber(v) for v in args.versions],
        roles=[RoleEnum.cpo],
        crud=InMemoryCrud,
        modules=[
            ModuleID.credentials_and_registration,
            ModuleID.locations,
            ModuleID.tariffs,
        ],
        authenticator=InMemoryAuthenticator,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- Link fix-up


def _fixed_link(link: str, base_url: str) -> str:
    """Turn py_ocpi's ``<https://host/ocpi/cpo/VersionNumber.v_2_2_1/ModuleID.locations/?
    date_from=None&...>; rel="next"`` into ``<http://host/ocpi/cpo/2.2.1/locations/?...>``."""
    from urllib.parse import parse_qsl, urlsplit

    if not link.startswith("<") or ">" not in link:
        return link
    url, rest = link[1:].split(">", 1)
    parts = urlsplit(url)
    segments = []
    for seg in parts.path.split("/"):
        if seg.startswith("VersionNumber.v_"):
            seg = seg.removeprefix("VersionNumber.v_").replace("_", ".")
        elif seg.startswith("ModuleID."):
            from py_ocpi.core.enums import ModuleID

            seg = ModuleID[seg.removeprefix("ModuleID.")].value
        segments.append(seg)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if v != "None"])
    return f"<{base_url}{'/'.join(segments)}?{query}>{rest}"


def link_fixer(app: ASGIApp, base_url: str) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"link":
                        if not value:
                            continue  # py_ocpi sends an empty Link on the last page
                        value = _fixed_link(value.decode("latin-1"), base_url).encode("latin-1")
                    headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_fixed)

    return wrapped


# --------------------------------------------------------------------------- main


async def serve(app: Any, sock: socket.socket, versions_url: str) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    parent = os.getppid()

    async def watch_parent() -> None:
        # Never outlive the process that started us (e.g. a SIGKILLed pytest).
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
            await asyncio.sleep(0.5)

    task = asyncio.create_task(server.serve(sockets=[sock]))
    watcher = asyncio.create_task(watch_parent())
    try:
        while not server.started:
            if task.done():
                await task  # re-raises a startup error
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)
        print(f"READY {versions_url}", flush=True)
        await task
    finally:
        server.should_exit = True
        watcher.cancel()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sock = bind_socket(args.port)
    port = sock.getsockname()[1]
    base_url = f"http://{HOST}:{port}"
    # py_ocpi reads its settings from the environment (and a ./.env) at import time and
    # bakes them into every URL it publishes, so they must be in place before the import.
    os.environ.update(
        {
            "OCPI_HOST": f"{HOST}:{port}",
            "PROTOCOL": "http",
            "OCPI_PREFIX": "ocpi",
            "COUNTRY_CODE": args.country_code,
            "PARTY_ID": args.party_id,
            "ENVIRONMENT": "development" if args.debug else "production",
            "NO_AUTH": "false",
            "TRAILING_SLASH": "true",
            "CI_STRING_LOWERCASE_PREFERENCE": "true",
        }
    )
    versions_url = f"{base_url}/ocpi/versions"
    app: Any = build_app(args, versions_url)
    if args.fix_links:
        app = link_fixer(app, base_url)
    try:
        asyncio.run(serve(app, sock, versions_url))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
