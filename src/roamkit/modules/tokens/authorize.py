"""The CPO's authorization decision for its chargers (management API
``POST /api/authorize``, CLI ``roamkit token authorize``).

The eMSP's whitelist type of the token decides where the answer comes from
(2.2.1 #mod_tokens_whitelisttype_enum, 2.1.1 mod_tokens.md §4.4):

- ``ALWAYS``, ``ALLOWED``: the local copy the eMSP pushed (``valid``), no call.
  (For ``ALLOWED`` the spec lets the CPO choose; the local copy never waits.)
- ``ALLOWED_OFFLINE``: real-time at the eMSP; when it does not answer within
  ``authorize_timeout``, the local copy decides ("the CPO shall allow this
  Token", 2.2.1; we still refuse a copy the eMSP marked ``valid=false``).
  Answers are reused for ``token_cache_seconds``.
- ``NEVER``: real-time at the eMSP for every use ("SHALL always send", so never
  cached); when it does not answer: refused (``NOT_ALLOWED``, source ``fallback``).

``valid=false`` on the local copy does not skip the real-time call for
``ALLOWED_OFFLINE``/``NEVER`` (CHECKLIST 221-K-6): the eMSP may have re-enabled it.

A token we do not know is refused (``source: "unknown"``) unless the caller names
the eMSP party (``country_code``/``party_id``): then that eMSP is asked in real
time, the way 2.2.1 lets a CPO authorize tokens it was never sent
(#mod_tokens_real-time_authorization).

No stale cache: a cached answer remembers the exact stored token it was given
for and is used only while the stored token is byte-identical. Any PUT/PATCH
from the eMSP (a block, a revocation) voids it at once, in every process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.domain.v211.tokens import token_type_from_canonical
from roamkit.modules.cache import GenerationCache
from roamkit.modules.tokens import codec, service
from roamkit.partners.client import PartnerCallError, PartnerClient
from roamkit.partners.repository import REGISTERED, endpoint_url, has_party
from roamkit.partners.routing import routing_headers
from roamkit.store import changes
from roamkit.store.db import Database
from roamkit.store.tables import Partner

log = logging.getLogger("roamkit.authorize")

LOCAL = "local"
REALTIME = "realtime"
FALLBACK = "fallback"
UNKNOWN = "unknown"
CACHE = "cache"

CACHE_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    uid: str
    type: str | None = None
    location_id: str | None = None
    evse_uid: str | None = None
    country_code: str | None = None
    party_id: str | None = None


@dataclass(slots=True)
class RealtimeAnswer:
    allowed: c.AllowedType
    authorization_reference: str | None = None
    location: dict[str, Any] | None = None
    reason: str | None = None


class NoAnswer(Exception):
    """The eMSP did not answer usably (down, slow, 5xx, no envelope)."""


class Authorizer:
    """One per node: holds the cache of real-time answers."""

    def __init__(self, db: Database, client: PartnerClient, settings: Settings) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, bytes, RealtimeAnswer]] = (
            OrderedDict()
        )
        self._partners = GenerationCache(lambda _: changes.PARTNERS, ttl=2.0, max_entries=4)

    # ------------------------------------------------------------------ decision

    async def decide(self, req: AuthorizeRequest) -> dict[str, Any]:
        partners = await self._registered()
        party = (
            (req.country_code.upper(), req.party_id.upper())
            if req.country_code and req.party_id
            else None
        )
        types = (req.type.upper(),) if req.type else service.TYPES
        async with self.db.sessions() as session:
            rows = await service.find_partner_tokens(session, list(partners), req.uid, types, party)
        if not rows:
            return await self._unknown(req, partners, party)
        rows.sort(key=lambda r: types.index(str(r.data.get("type"))))
        row = rows[0]
        token = service.load(row)
        partner = partners[row.owner_id]
        result: dict[str, Any] = {
            "uid": token.uid,
            "type": token.type.value,
            "whitelist": token.whitelist.value,
            "partner": partner.name,
            "token": token.wire(),
            "authorization_reference": None,
        }
        if token.whitelist in (c.WhitelistType.ALWAYS, c.WhitelistType.ALLOWED):
            return {**result, **_local(token), "source": LOCAL}
        cache_key = (row.id, (req.location_id or "").upper(), (req.evse_uid or "").upper())
        use_cache = token.whitelist is c.WhitelistType.ALLOWED_OFFLINE
        if use_cache:
            hit = self._cached(cache_key, row.wire_v221 or b"")
            if hit is not None:
                return {**result, **_answer(hit), "source": CACHE}
        try:
            answer = await self._realtime(partner, token.uid, token.type, token, req)
        except NoAnswer as exc:
            log.warning("real-time authorization of %s at %s: %s", token.uid, partner.name, exc)
            if token.whitelist is c.WhitelistType.ALLOWED_OFFLINE:
                return {**result, **_local(token), "source": FALLBACK, "reason": str(exc)}
            return {
                **result,
                "allowed": c.AllowedType.NOT_ALLOWED.value,
                "source": FALLBACK,
                "reason": f"whitelist NEVER and the eMSP did not answer: {exc}",
            }
        if use_cache and self.settings.token_cache_seconds > 0:
            self._remember(cache_key, row.wire_v221 or b"", answer)
        return {**result, **_answer(answer), "source": REALTIME}

    async def _unknown(
        self,
        req: AuthorizeRequest,
        partners: dict[int, Partner],
        party: tuple[str, str] | None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "uid": req.uid,
            "type": (req.type or "RFID").upper(),
            "whitelist": None,
            "partner": None,
            "token": None,
            "authorization_reference": None,
        }
        owner = next(
            (p for p in partners.values() if party is not None and has_party(p, *party)), None
        )
        if owner is None:
            reason = (
                "no eMSP partner has this token"
                if party is None
                else f"no registered partner speaks for {party[0]}*{party[1]}"
            )
            return {
                **result,
                "allowed": c.AllowedType.NOT_ALLOWED.value,
                "source": UNKNOWN,
                "reason": reason,
            }
        result["partner"] = owner.name
        token_type = c.TokenType((req.type or "RFID").upper())
        try:
            answer = await self._realtime(owner, req.uid, token_type, None, req, party)
        except NoAnswer as exc:
            return {
                **result,
                "allowed": c.AllowedType.NOT_ALLOWED.value,
                "source": FALLBACK,
                "reason": f"unknown token and the eMSP did not answer: {exc}",
            }
        return {**result, **_answer(answer), "source": REALTIME}

    # ------------------------------------------------------------------ real time

    async def _realtime(
        self,
        partner: Partner,
        uid: str,
        token_type: c.TokenType,
        token: c.Token | None,
        req: AuthorizeRequest,
        party: tuple[str, str] | None = None,
    ) -> RealtimeAnswer:
        """POST {tokens}/{uid}/authorize at the eMSP (2.2.1 #mod_tokens_post_method,
        2.1.1 §2.2.2), bounded by ``authorize_timeout``.

        An explicit refusal (HTTP 404 unknown token, any 2xxx) is an answer: not
        allowed (CHECKLIST A-211-4, A-221-9). Anything else is no answer."""
        version = partner.version or "2.2.1"
        base = endpoint_url(partner, service.MODULE, "SENDER")
        if base is None or not partner.token_out:
            raise NoAnswer("the eMSP has no tokens endpoint for real-time authorization")
        url = f"{base.rstrip('/')}/{quote(uid, safe='')}/authorize"
        wire_type = (
            token_type_from_canonical(token_type).value if version == "2.1.1" else token_type.value
        )
        body = None
        if req.location_id:
            refs = c.LocationReferences(
                location_id=req.location_id,
                evse_uids=[req.evse_uid] if req.evse_uid else None,
            )
            body = codec.location_references_to_wire(version, refs)
        headers = routing_headers(self.settings, partner)
        to = party or ((token.country_code, token.party_id) if token else None)
        if headers and to:  # a platform with several eMSP parties: the token's one
            headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
        try:
            reply = await asyncio.wait_for(
                self.client.call(
                    "POST",
                    url,
                    token=partner.token_out,
                    version=partner.version,
                    encoding=partner.token_encoding,
                    json=body,
                    params={"type": wire_type},
                    headers=headers,
                    expect_success=False,
                ),
                self.settings.authorize_timeout,
            )
        except TimeoutError:
            raise NoAnswer(f"no answer within {self.settings.authorize_timeout:g} s") from None
        except PartnerCallError as exc:
            raise NoAnswer(str(exc)) from None
        if 1000 <= reply.status_code < 2000 and isinstance(reply.data, dict):
            try:
                allowed = c.AllowedType(str(reply.data.get("allowed")))
            except ValueError:
                raise NoAnswer(f"unknown allowed value {reply.data.get('allowed')!r}") from None
            location = reply.data.get("location")
            return RealtimeAnswer(
                allowed,
                authorization_reference=reply.data.get("authorization_reference"),
                location=location if isinstance(location, dict) else None,
            )
        if 2000 <= reply.status_code < 3000:
            return RealtimeAnswer(
                c.AllowedType.NOT_ALLOWED,
                reason=f"eMSP answered OCPI {reply.status_code}"
                + (f": {reply.status_message}" if reply.status_message else ""),
            )
        raise NoAnswer(f"eMSP answered OCPI {reply.status_code}")

    # ------------------------------------------------------------------ caches

    def _cached(self, key: tuple[Any, ...], stored: bytes) -> RealtimeAnswer | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        expires, seen, answer = entry
        if expires < time.monotonic() or seen != stored:
            del self._cache[key]  # expired, or the eMSP changed the token since
            return None
        return answer

    def _remember(self, key: tuple[Any, ...], stored: bytes, answer: RealtimeAnswer) -> None:
        self._cache[key] = (time.monotonic() + self.settings.token_cache_seconds, stored, answer)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)

    async def _registered(self) -> dict[int, Partner]:
        """Registered partners by id (who may own tokens here), cached briefly."""

        async def load() -> dict[int, Partner]:
            async with self.db.sessions() as session:
                rows = await session.scalars(select(Partner).where(Partner.status == REGISTERED))
                return {p.id: p for p in rows}

        return await self._partners.get_or_load("partners", load, lambda _: 0)


def _local(token: c.Token) -> dict[str, Any]:
    """The whitelist answer from the eMSP's pushed copy."""
    return {"allowed": (c.AllowedType.ALLOWED if token.valid else c.AllowedType.BLOCKED).value}


def _answer(answer: RealtimeAnswer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "allowed": answer.allowed.value,
        "authorization_reference": answer.authorization_reference,
    }
    if answer.location is not None:
        out["location"] = answer.location
    if answer.reason:
        out["reason"] = answer.reason
    return out
