"""Tokens: the rules of the module, independent of version and transport
(2.2.1 mod_tokens.asciidoc, 2.1.1 mod_tokens.md).

Storage. A token is one row of the generic ``objects`` table, module ``tokens``,
keyed by (owner, country_code, party_id, object_id) where ``object_id`` is
``"{TYPE}:{UID}"`` with the uid upper-cased: ``uid`` and ``type`` together identify a
token (2.2.1 #mod_tokens_token_object, 2.1.1 §3.2 "uid and type should be unique"),
and 2.2.1 makes ``uid`` a CiString. The document is the canonical (2.2.1) Token.

Our own tokens (the eMSP's, owner 0) may carry authorization rules that never go on
the wire, under the document key ``_roamkit`` (``Rules``): which locations and EVSEs
the token may use, an expiry, a no-credit flag, and whether it is blocked or revoked.
Wire bytes are written without them.

- Tokens are never deleted; they are invalidated with ``valid=false``
  (2.1.1 §1.1, 2.2.1 #mod_tokens_push_model; CHECKLIST 211-K-1, 221-K-1).
- A write older than what is stored changes nothing (out-of-order delivery).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import tokens as conv211
from roamkit.modules.results import Outcome
from roamkit.modules.wirejson import v211_bytes
from roamkit.protocol.errors import NotEnoughInformation, NotFound, invalid_object
from roamkit.protocol.status import StatusCode, for_version
from roamkit.store import objects, pointread
from roamkit.store.db import Database
from roamkit.store.objects import ObjectKey
from roamkit.store.tables import StoredObject

MODULE = "tokens"
RULES = "_roamkit"
"""Document key of our own tokens' authorization rules (never sent on the wire)."""

TYPES = tuple(t.value for t in c.TokenType)


class UnknownToken(NotFound):
    """2.2.1 #mod_tokens_post_method: HTTP 404 and OCPI 2004 for a token the eMSP
    does not know. 2.1.1 has no 2004: HTTP 404 with 2000 (CHECKLIST A-211-4)."""

    def __init__(self, message: str, version: str | None = None) -> None:
        super().__init__(message, status_code=for_version(StatusCode.UNKNOWN_TOKEN, version))


def object_id(uid: str, token_type: str | c.TokenType) -> str:
    t = token_type.value if isinstance(token_type, c.TokenType) else str(token_type).upper()
    return f"{t}:{uid.upper()}"


def key(owner_id: int, country_code: str, party_id: str, uid: str, token_type: str) -> ObjectKey:
    return ObjectKey(
        MODULE, owner_id, country_code.upper(), party_id.upper(), object_id(uid, token_type)
    )


def types_for(version: str, token_type: str | None) -> tuple[str, ...]:
    """Which stored types a request's ``type`` may mean.

    Absent ``type`` means RFID (2.2.1 #mod_tokens_cpo_get_request_parameters,
    2.1.1 §2.2.2). 2.1.1 has only OTHER and RFID, and we show APP_USER and
    AD_HOC_USER tokens to 2.1.1 partners as OTHER (domain.v211.tokens), so an
    OTHER from a 2.1.1 partner may be any of the three.
    """
    t = (token_type or "RFID").upper()
    if version == "2.1.1" and t == "OTHER":
        return ("OTHER", "APP_USER", "AD_HOC_USER")
    return (t,)


# --------------------------------------------------------------------------- rules


class LocationRule(BaseModel):
    """One location the token may be used at; ``evse_uids`` None = every EVSE there."""

    location_id: str
    evse_uids: list[str] | None = None


class Rules(BaseModel):
    """eMSP-internal authorization rules of one of our tokens (not OCPI objects)."""

    allowed_locations: list[LocationRule] | None = None
    """None: anywhere. Otherwise only these locations (and EVSEs)."""
    expires_at: datetime | None = None
    no_credit: bool = False
    state: str = "active"
    """``active``, ``blocked`` (may be unblocked) or ``revoked`` (for good)."""

    def dump(self) -> dict[str, Any] | None:
        out = self.model_dump(mode="json", exclude_defaults=True)
        return out or None


def rules_of(data: dict[str, Any]) -> Rules:
    raw = data.get(RULES)
    return Rules.model_validate(raw) if raw else Rules()


def load(row: StoredObject) -> c.Token:
    return c.Token.model_validate(row.data)  # the rules key is ignored (extra="ignore")


@dataclass(slots=True)
class Decision:
    """The eMSP's answer to a real-time authorization (AuthorizationInfo without token)."""

    allowed: c.AllowedType
    location: c.LocationReferences | None = None
    authorization_reference: str | None = None
    info: dict[str, str] | None = field(default=None)


def decide(data: dict[str, Any], refs: c.LocationReferences | None, now: datetime) -> Decision:
    """Real-time authorization of one of our tokens (2.2.1 #mod_tokens_post_method,
    2.1.1 §2.2.2).

    Order: blocked/invalid, expired, no credit, then the location rules. With
    location rules but no LocationReferences we cannot decide: OCPI 2002 (SHALL,
    CHECKLIST 221-K-4). With LocationReferences, only the EVSEs the token may use
    are returned (221-K-5). Opening hours and EVSE status are never reasons to
    refuse (221-K-2). Every ALLOWED answer gets a fresh ``authorization_reference``
    (2.2.1 #mod_tokens_authorizationinfo_object), which the CPO carries into the
    Session and CDR.
    """
    rules = rules_of(data)
    if not data.get("valid", False) or rules.state != "active":
        return Decision(c.AllowedType.BLOCKED)
    if rules.expires_at is not None and rules.expires_at <= now:
        return Decision(c.AllowedType.EXPIRED)
    if rules.no_credit:
        return Decision(c.AllowedType.NO_CREDIT)
    location = refs
    if rules.allowed_locations is not None:
        if refs is None:
            raise NotEnoughInformation(
                "This token may only be used at some locations: send LocationReferences"
            )
        rule = next(
            (
                r
                for r in rules.allowed_locations
                if r.location_id.upper() == refs.location_id.upper()
            ),
            None,
        )
        if rule is None:
            return Decision(c.AllowedType.NOT_ALLOWED)
        if rule.evse_uids is not None:
            allowed = {e.upper() for e in rule.evse_uids}
            if refs.evse_uids:
                evses = [e for e in refs.evse_uids if e.upper() in allowed]
                if not evses:
                    return Decision(c.AllowedType.NOT_ALLOWED)
            else:
                evses = list(rule.evse_uids)
            location = c.LocationReferences(location_id=refs.location_id, evse_uids=evses)
    return Decision(
        c.AllowedType.ALLOWED, location=location, authorization_reference=secrets.token_hex(16)
    )


# --------------------------------------------------------------------------- writes


async def store(
    session: AsyncSession,
    k: ObjectKey,
    token: c.Token,
    row: StoredObject | None,
    rules: Rules | None = None,
) -> Outcome:
    """Write the token with its wire bytes; our own keep their rules in the document."""
    data = token.model_dump(mode="json", exclude_none=True)
    wire_v221 = orjson.dumps(data)
    wire_v211 = None
    if k.owner_id == objects.OWN:  # served in lists: 2.1.1 bytes written once here
        wire_v211 = v211_bytes(token, conv211.from_canonical, _ctx(token))
        dumped = rules.dump() if rules is not None else None
        if dumped:
            data = {**data, RULES: dumped}
    _, created = await objects.save(
        session,
        k,
        data=data,
        last_updated=token.last_updated,
        published=True,
        wire_v221=wire_v221,
        wire_v211=wire_v211,
        row=row,
    )
    return Outcome.CREATED if created else Outcome.UPDATED


def _ctx(token: c.Token) -> ConversionContext:
    return ConversionContext(country_code=token.country_code, party_id=token.party_id)


async def put_token(
    session: AsyncSession, owner_id: int, token: c.Token, rules: Rules | None = None
) -> Outcome:
    """PUT (2.2.1 #mod_tokens_put_method, 2.1.1 §2.1.2). For our own tokens the
    stored rules are kept unless new ones are given."""
    k = key(owner_id, token.country_code, token.party_id, token.uid, token.type)
    row = await objects.get(session, k, for_update=True)
    if row is not None and token.last_updated < row.last_updated:
        return Outcome.UNCHANGED
    if rules is None and row is not None and owner_id == objects.OWN:
        rules = rules_of(row.data)
    return await store(session, k, token, row, rules)


async def patch_token(
    session: AsyncSession,
    row: StoredObject,
    k: ObjectKey,
    fields: dict[str, Any],
    last_updated: datetime,
    rules: Rules | None = None,
) -> Outcome:
    """PATCH (2.2.1 #mod_tokens_patch_method, 2.1.1 second §2.1.2): only the sent
    fields change; the identity (uid, type, party) never does."""
    if last_updated < row.last_updated:
        return Outcome.UNCHANGED
    doc = {k_: v for k_, v in row.data.items() if k_ != RULES}
    for identity in ("uid", "type", "country_code", "party_id"):
        fields.pop(identity, None)
    doc.update(fields)
    doc["last_updated"] = last_updated.isoformat()
    try:
        token = c.Token.model_validate(doc)
    except ValidationError as exc:
        raise invalid_object(exc, "resulting token", limit=5) from None
    if rules is None and k.owner_id == objects.OWN:
        rules = rules_of(row.data)
    return await store(session, k, token, row, rules)


# --------------------------------------------------------------------------- reads


async def find(
    session: AsyncSession,
    owner_id: int,
    country_code: str,
    party_id: str,
    uid: str,
    token_types: tuple[str, ...],
    *,
    for_update: bool = False,
) -> tuple[StoredObject, ObjectKey] | None:
    """The first stored token of ``uid`` among ``token_types``."""
    for t in token_types:
        k = key(owner_id, country_code, party_id, uid, t)
        row = await objects.get(session, k, for_update=for_update)
        if row is not None:
            return row, k
    return None


_OWN_BY_ID = select(StoredObject.data, StoredObject.wire_v221).where(
    StoredObject.module == MODULE,
    StoredObject.owner_id == objects.OWN,
)


async def find_own(
    session: AsyncSession, uid: str, token_types: tuple[str, ...]
) -> tuple[dict[str, Any], bytes] | None:
    """(document, 2.2.1 wire bytes) of our own token: the authorize URL has no party
    (2.2.1 #mod_tokens_post_method). One indexed lookup per candidate type."""
    for t in token_types:
        found = (
            await session.execute(
                _OWN_BY_ID.where(StoredObject.object_id == object_id(uid, t)).limit(1)
            )
        ).first()
        if found is not None:
            return found[0], found[1]
    return None


async def lookup_own(
    db: Database, uid: str, token_types: tuple[str, ...]
) -> tuple[dict[str, Any], bytes] | None:
    """``find_own`` for the authorize hot path: no ORM session (``store.pointread``)."""
    read = pointread.reader(db)
    for t in token_types:
        found = await read.object(MODULE, objects.OWN, object_id(uid, t))
        if found is not None:
            return found[0], found[1] or b"{}"
    return None


async def find_partner_tokens(
    session: AsyncSession,
    owners: list[int],
    uid: str,
    token_types: tuple[str, ...],
    party: tuple[str, str] | None = None,
) -> list[StoredObject]:
    """Tokens with this uid that partners (eMSPs) pushed to us, oldest first.

    ``owner_id IN (...)`` keeps the lookup on the (module, owner_id, object_id) index."""
    if not owners:
        return []
    stmt = select(StoredObject).where(
        StoredObject.module == MODULE,
        StoredObject.owner_id.in_(owners),
        StoredObject.object_id.in_([object_id(uid, t) for t in token_types]),
    )
    if party is not None:
        stmt = stmt.where(
            StoredObject.country_code == party[0].upper(),
            StoredObject.party_id == party[1].upper(),
        )
    return list(await session.scalars(stmt.order_by(StoredObject.id)))
