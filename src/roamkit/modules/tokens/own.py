"""Changes to our own tokens (the eMSP's, from the management API and the CLI):
store, then queue the push to every CPO partner, in one transaction.

A new or replaced token goes out as PUT; block, unblock and revoke as PATCH of
``valid`` (2.1.1 mod_tokens.md §1.1, 2.2.1 #mod_tokens_push_model: a token is
invalidated with ``valid=false``, never deleted). Blocked may be undone, revoked
may not; both answer BLOCKED to a real-time authorization.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.modules.results import Outcome
from roamkit.modules.tokens import service
from roamkit.protocol.errors import InvalidParameters
from roamkit.protocol.timeutil import format_datetime, utcnow
from roamkit.store.objects import OWN
from roamkit.store.tables import Partner
from roamkit.sync import outbox


def stamp(data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Fill what our own systems need not send: our party, ``last_updated`` (now),
    ``issuer`` (our business name), ``contract_id`` (the uid), ``valid`` (true),
    ``type`` (RFID) and ``whitelist`` (ALLOWED)."""
    out = dict(data)
    out.setdefault("country_code", settings.country_code)
    out.setdefault("party_id", settings.party_id)
    out.setdefault("last_updated", utcnow().replace(microsecond=0).isoformat())
    out.setdefault("issuer", settings.business_name[:64])
    if out.get("uid"):
        out.setdefault("contract_id", str(out["uid"])[:36])
    out.setdefault("valid", True)
    out.setdefault("type", "RFID")
    out.setdefault("whitelist", "ALLOWED")
    return out


async def put_token(
    session: AsyncSession,
    token: c.Token,
    rules: service.Rules | None = None,
    partners: list[Partner] | None = None,
) -> Outcome:
    """Create or replace one of our tokens; pushed as PUT.

    ``rules`` None keeps the stored rules. ``valid`` sets the state: true is
    active (a PUT may unblock), false blocked; a revoked token stays revoked."""
    k = service.key(OWN, token.country_code, token.party_id, token.uid, token.type)
    row = await service.objects.get(session, k, for_update=True)
    stored = service.rules_of(row.data) if row is not None else service.Rules()
    if stored.state == "revoked" and token.valid:
        raise InvalidParameters(f"Token {token.uid!r} is revoked and cannot become valid again")
    rules = (rules or stored).model_copy()
    if stored.state == "revoked":
        rules.state = "revoked"
    else:
        rules.state = "active" if token.valid else "blocked"
    outcome = await service.put_token(session, OWN, token, rules)
    if outcome is not Outcome.UNCHANGED:
        await outbox.enqueue(
            session,
            service.MODULE,
            "PUT",
            token.country_code,
            token.party_id,
            k.object_id,
            partners=partners,
        )
    return outcome


async def set_state(
    session: AsyncSession, uid: str, token_type: str | None, state: str
) -> dict[str, Any]:
    """Block, unblock or revoke one of our tokens; pushed as a PATCH of ``valid``.

    Returns the token document (with its rules) as stored."""
    found = await service.find_own(session, uid, service.types_for("2.2.1", token_type))
    if found is None:
        raise service.UnknownToken(f"Unknown token {uid!r}")
    doc = found[0]
    k = service.key(OWN, doc["country_code"], doc["party_id"], doc["uid"], doc["type"])
    row = await service.objects.get(session, k, for_update=True)
    if row is None:  # gone between the two reads
        raise service.UnknownToken(f"Unknown token {uid!r}")
    rules = service.rules_of(row.data)
    if rules.state == "revoked" and state != "revoked":
        raise InvalidParameters(f"Token {uid!r} is revoked for good")
    rules.state = state
    valid = state == "active"
    now = utcnow().replace(microsecond=0)
    if now < row.last_updated:  # never go back in time: a stale change would be ignored
        now = row.last_updated
    await service.patch_token(session, row, k, {"valid": valid}, now, rules)
    await outbox.enqueue(
        session,
        service.MODULE,
        "PATCH",
        k.country_code,
        k.party_id,
        k.object_id,
        body={"valid": valid, "last_updated": format_datetime(now)},
    )
    return dict(row.data)
