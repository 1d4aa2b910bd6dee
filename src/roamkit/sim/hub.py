"""A minimal OCPI 2.2.1 hub: a third node that CPOs and eMSPs connect to instead of to
each other, for integration tests and for trying hub setups without a real hub.

It is a **simulator**: every connection, token, ClientInfo and pending ``response_url``
lives in memory and is gone when the process stops; tokens are kept in clear.

What it does (OCPI 2.2.1 only):

- versions and version details; ``credentials`` (registration, token rotation and
  unregistration *by the party*: credentials.asciidoc), reporting itself with the
  single role ``HUB`` (credentials.asciidoc#credentials_credentials_object, CHECKLIST
  221-R-8);
- Hub Client Info (mod_hub_client_info.asciidoc): ClientInfo PUT to every connected
  party's Receiver endpoint when a party registers, changes status or unregisters
  (SUSPENDED); the paginated Sender list;
- message routing (transport_and_format.asciidoc#transport_and_format_message_routing):
  addressed requests relayed byte for byte (221-R-6), Broadcast Push (221-R-3), the 4xxx
  hub errors (status_codes.asciidoc#status_codes_4xxx_hub_errors), and the
  ``response_url`` of Commands and Charging Profiles pointed at the hub (see
  ``hub_routing``).

Not implemented: Open Routing Requests (no ``OCPI-to-*`` headers: answered 2001), GET All
via the hub (answered 2001), the still-alive check (mod_hub_client_info.asciidoc, "Still
alive check"), OCPI 2.1.1, the hub registering *with* a party (only parties register
with the hub), persistence.

``Hub`` is the state and the Python API (``invite``, ``set_status``); ``create_hub_app``
(``hub_app``) serves it; ``hub_credentials`` registers parties, ``hub_routing`` and
``hub_forward`` route.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from roamkit import __version__
from roamkit.models.v221.hubclientinfo import ConnectionStatus
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.protocol.errors import Unauthorized
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.protocol.tokens import new_token, token_candidates

log = logging.getLogger("roamkit.hub")

VERSION = "2.2.1"
SENDER, RECEIVER = "SENDER", "RECEIVER"
FUNCTIONAL_MODULES = (
    "locations",
    "sessions",
    "cdrs",
    "tariffs",
    "tokens",
    "commands",
    "chargingprofiles",
)
"""The modules the hub routes (221-R-1); configuration modules are the hub's own."""

Party = tuple[str, str]
"""(country_code, party_id), upper case."""


@dataclass
class HubConfig:
    """The hub's identity and its patience. Mutable: a test may shorten a timeout."""

    base_url: str
    country_code: str = "NL"
    party_id: str = "HUB"
    business_name: str = "roamkit hub simulator"
    admin_token: str | None = None
    """Enables ``POST /admin/invite`` (``Authorization: Bearer <admin_token>``)."""
    forward_timeout: float = 10.0
    """Seconds a party gets to answer a forwarded request; then OCPI 4002."""
    call_timeout: float = 10.0
    """Seconds for the hub's own calls (discovery during registration, ClientInfo PUT)."""
    client_info_attempts: int = 4
    client_info_backoff: float = 0.25
    """First pause between two ClientInfo PUT attempts; doubled after each."""

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()

    @property
    def party(self) -> Party:
        return (self.country_code, self.party_id)

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def version_url(self) -> str:
        return f"{self.base_url}/ocpi/{VERSION}"


@dataclass(eq=False)
class Connection:
    """One platform connected to the hub (one credentials exchange); it may speak for
    several parties and roles (its CredentialsRoles)."""

    name: str
    token_a: str | None
    token_in: str | None = None
    """CREDENTIALS_TOKEN_C: the party calls the hub with it."""
    token_out: str | None = None
    """CREDENTIALS_TOKEN_B: the token the party issued to the hub; the hub calls with it."""
    versions_url: str | None = None
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    """(module id, SENDER|RECEIVER) -> URL, from the party's version details."""
    roles: list[dict[str, Any]] = field(default_factory=list)
    registered: bool = False
    push_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    """Keeps the ClientInfo PUTs to this connection in order."""

    def endpoint(self, module: str, interface: str) -> str | None:
        return self.endpoints.get((module, interface))

    def parties(self) -> set[Party]:
        return {(r["country_code"], r["party_id"]) for r in self.roles}

    def roles_of(self, party: Party) -> set[str]:
        return {r["role"] for r in self.roles if (r["country_code"], r["party_id"]) == party}


@dataclass(eq=False)
class ClientInfo:
    """The hub's record of one role of one party (mod_hub_client_info ClientInfo object)."""

    country_code: str
    party_id: str
    role: str
    status: str
    last_updated: str
    connection: Connection | None

    @property
    def party(self) -> Party:
        return (self.country_code, self.party_id)

    def wire(self) -> dict[str, str]:
        return {
            "party_id": self.party_id,
            "country_code": self.country_code,
            "role": self.role,
            "status": self.status,
            "last_updated": self.last_updated,
        }


@dataclass(frozen=True, slots=True)
class PendingResponse:
    """A ``response_url`` the hub replaced with one of its own (``hub_routing``): where
    the result goes, and who may post it."""

    url: str
    requester: Connection
    requester_party: Party
    responder: Connection
    responder_party: Party
    module: str


@dataclass(frozen=True, slots=True)
class HubEvent:
    """One call the hub made, for tests and the log: ``kind`` is ``forward``,
    ``broadcast``, ``response`` or ``client_info``; ``outcome`` the HTTP status or the
    error's class name."""

    kind: str
    target: str
    method: str
    url: str
    outcome: int | str


class Hub:
    """The hub's state and its Python API. Serve it with ``create_hub_app(hub)``; the
    app's lifespan calls ``start`` and ``aclose``."""

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        self.connections: dict[str, Connection] = {}
        self.client_infos: dict[tuple[str, str, str], ClientInfo] = {}
        """(country_code, party_id, role) -> ClientInfo, in the order first seen."""
        self.pending: dict[str, PendingResponse] = {}
        """Key of ``{base}/ocpi/2.2.1/responses/{key}`` -> where its result goes."""
        self.history: deque[HubEvent] = deque(maxlen=2000)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._http = httpx.AsyncClient(
            timeout=self.config.call_timeout,
            headers={"User-Agent": f"roamkit-hub/{__version__}"},
        )

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the hub is not started (serve it with create_hub_app)")
        return self._http

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; kept referenced and cancelled on ``aclose``."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until the background deliveries (ClientInfo, broadcasts) are done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def record(self, kind: str, target: str, method: str, url: str, outcome: int | str) -> None:
        self.history.append(HubEvent(kind, target, method, url, outcome))

    # -- Python API -----------------------------------------------------------------------

    def invite(self, name: str) -> str:
        """A single-use CREDENTIALS_TOKEN_A for a new connection called ``name``
        (credentials.asciidoc#credentials_registration: handed over out of band)."""
        old = self.connections.get(name)
        if old is not None and (old.registered or old.token_a):
            raise ValueError(f"connection {name!r} exists already")
        token_a = new_token()
        self.connections[name] = Connection(name=name, token_a=token_a)
        return token_a

    async def set_status(self, country_code: str, party_id: str, status: str) -> None:
        """Set the ConnectionStatus of every role of a party and PUT the change to every
        other connection (mod_hub_client_info_push_model); returns once delivered or
        given up."""
        status = ConnectionStatus(status.upper()).value
        party = (country_code.upper(), party_id.upper())
        infos = [i for i in self.client_infos.values() if i.party == party]
        if not infos:
            raise KeyError(f"no party {party[0]}*{party[1]} known to the hub")
        now = format_datetime(utcnow())
        for info in infos:
            info.status, info.last_updated = status, now
        owner = infos[0].connection
        await asyncio.gather(
            *(self.push_client_infos(c, infos) for c in self.registered(exclude=owner))
        )

    def client_info_list(self) -> list[dict[str, str]]:
        return [i.wire() for i in self.client_infos.values()]

    # -- lookups ------------------------------------------------------------------------

    def registered(self, exclude: Connection | None = None) -> list[Connection]:
        return [c for c in list(self.connections.values()) if c.registered and c is not exclude]

    def authenticate(self, authorization: str | None, *, token_a: bool = False) -> Connection:
        """The connection an ``Authorization: Token …`` belongs to (Base64 or raw, 221-T-3);
        TOKEN_A only where ``token_a`` (versions, credentials), else HTTP 401 (221-T-4)."""
        candidates = token_candidates(authorization)
        if not candidates:
            raise Unauthorized("Missing or malformed Authorization header (expected 'Token …')")
        for conn in list(self.connections.values()):
            for cand in candidates:
                if conn.registered and conn.token_in and _same(cand, conn.token_in):
                    return conn
                if conn.token_a and _same(cand, conn.token_a):
                    if not token_a:
                        raise Unauthorized(
                            "CREDENTIALS_TOKEN_A may only be used on versions and credentials"
                        )
                    return conn
        raise Unauthorized("Unknown token")

    def party_infos(self, party: Party) -> list[ClientInfo]:
        return [i for i in self.client_infos.values() if i.party == party]

    def is_hub(self, party: Party) -> bool:
        return party == self.config.party

    # -- credentials (the hub is always the credentials Receiver) --------------------------

    def credentials(self, token: str) -> dict[str, Any]:
        """The hub's Credentials object: the only role is HUB (221-R-8)."""
        return {
            "token": token,
            "url": self.config.versions_url,
            "roles": [
                {
                    "role": "HUB",
                    "country_code": self.config.country_code,
                    "party_id": self.config.party_id,
                    "business_details": {"name": self.config.business_name},
                }
            ],
        }

    # -- Hub Client Info pushes ----------------------------------------------------------

    def announce(self, conn: Connection, infos: list[ClientInfo]) -> None:
        """PUT ``infos`` (the parties of ``conn``) to every other connection, in the
        background: a registration must not wait for the others."""
        if infos:
            for other in self.registered(exclude=conn):
                self.spawn(self.push_client_infos(other, infos))

    async def push_client_infos(
        self, conn: Connection, infos: list[ClientInfo], delay: float = 0.0
    ) -> None:
        """PUT each ClientInfo to ``conn``'s hubclientinfo Receiver endpoint
        (mod_hub_client_info_client_put), after ``delay`` seconds; no routing headers (a
        configuration module, 221-R-1). A connection without that endpoint gets nothing;
        failures are retried a few times and logged, never raised."""
        url = conn.endpoint("hubclientinfo", RECEIVER)
        if url is None:
            return
        if delay:
            await asyncio.sleep(delay)
        async with conn.push_lock:
            for info in infos:
                body = info.wire()  # the state now: a later change is sent as it is then
                await self._put_client_info(
                    conn, f"{url.rstrip('/')}/{info.country_code}/{info.party_id}", body
                )

    async def _put_client_info(self, conn: Connection, url: str, body: dict[str, str]) -> None:
        client = PartnerClient(self.http, allow_insecure=True)
        pause = self.config.client_info_backoff
        attempts = max(1, self.config.client_info_attempts)
        for attempt in range(1, attempts + 1):
            if not conn.registered or conn.token_out is None:
                return
            try:
                reply = await client.call(
                    "PUT", url, token=conn.token_out, version=VERSION, json=body
                )
                self.record("client_info", conn.name, "PUT", url, "ok")
                log.debug("hub: ClientInfo %s -> %s (OCPI %s)", body, url, reply.status_code)
                return
            except PartnerCallError as exc:
                outcome: int | str = exc.http_status or type(exc).__name__
                self.record("client_info", conn.name, "PUT", url, outcome)
                log.warning(
                    "hub: ClientInfo PUT to %s failed (attempt %d of %d): %s",
                    url,
                    attempt,
                    attempts,
                    exc,
                )
            except Exception:  # never let a delivery kill anything
                log.exception("hub: ClientInfo PUT to %s failed", url)
                self.record("client_info", conn.name, "PUT", url, "error")
            if attempt < attempts:
                await asyncio.sleep(pause)
                pause *= 2


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
