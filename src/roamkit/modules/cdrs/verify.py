"""Checking a received CDR (eMSP side): is the token ours, the location known, and
does our own pricing of its charging periods, with the tariffs *we* hold, give the
total the CPO claims? What fails is recorded as a dispute with the engine's
explanation (``roamkit cdr disputes``); the CDR itself is always kept.

Which tariff: the version we received that the CDR names (same id and
``last_updated`` as the tariff the CDR embeds), so a tariff replaced during the
session is priced as it was (2.2.1 mod_tariffs.asciidoc: the tariff valid at the
start keeps applying); without an embedded copy, the version valid at the session's
start. A CDR that embeds a tariff version we never received is priced with the
embedded copy, and that is a dispute of its own (``unknown_tariff``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit import pricing
from roamkit.config import Settings
from roamkit.domain import canonical as c
from roamkit.domain.context import NA
from roamkit.modules.locations import service as locations
from roamkit.modules.received import own_token_by_auth_id
from roamkit.modules.tariffs import service as tariffs
from roamkit.modules.tokens import service as tokens
from roamkit.store import objects
from roamkit.store.tables import CdrDispute, Partner, TariffVersion

log = logging.getLogger("roamkit.cdrs")


async def verify(
    session: AsyncSession,
    settings: Settings,
    partner: Partner,
    cdr: c.CDR,
    embedded_location: c.Location | None = None,
) -> list[CdrDispute]:
    found: list[CdrDispute] = []

    def dispute(kind: str, reason: str, **values: Any) -> None:
        found.append(
            CdrDispute(
                partner_id=partner.id,
                country_code=cdr.country_code.upper(),
                party_id=cdr.party_id.upper(),
                cdr_id=cdr.id,
                kind=kind,
                claimed_total=values.get("claimed"),
                expected_total=values.get("expected"),
                difference=values.get("difference"),
                detail={"reason": reason, **values.get("detail", {})},
            )
        )

    if not await _token_known(session, cdr.cdr_token):
        t = cdr.cdr_token
        dispute(
            "unknown_token",
            f"token {t.uid} ({t.type.value}, contract {t.contract_id}) is not one of ours",
        )
    time_zone = await _time_zone(session, partner.id, cdr, embedded_location)
    if time_zone is None:
        dispute(
            "unknown_location",
            f"location {cdr.cdr_location.id} of {cdr.country_code}*{cdr.party_id} is unknown "
            "to us; priced in UTC",
        )
        time_zone = "UTC"
    held, missing = await _tariffs(session, partner.id, cdr)
    for tariff_id in missing:
        dispute(
            "unknown_tariff",
            f"tariff {tariff_id} as the CDR embeds it was never published to us; "
            "priced with the CDR's own copy",
        )
    version = partner.version or "2.2.1"
    try:
        priced = pricing.price_cdr(cdr, held, time_zone=time_zone, version=version)
    except Exception as exc:  # the engine refusing a partner's CDR must not lose it
        log.warning("CDR %s could not be priced: %s", cdr.id, exc)
        dispute("unpriceable", f"our pricing failed: {exc}")
    else:
        _compare(settings.cdr_dispute_tolerance, cdr, priced, dispute)
    for d in found:
        session.add(d)
    return found


async def verify_pulled(
    session: AsyncSession, settings: Settings, partner: Partner, documents: list[Any]
) -> None:
    """``verify`` for the CDRs a pull stored (their canonical JSON documents)."""
    for doc in documents:
        await verify(session, settings, partner, c.CDR.model_validate_json(bytes(doc)))


def _compare(tolerance: Decimal, cdr: c.CDR, priced: pricing.Pricing, dispute: Any) -> None:
    """A Credit CDR carries the original's costs negated (2.2.1 #mod_cdrs_credit_cdrs):
    it is compared with our pricing negated."""
    sign = -1 if cdr.credit else 1
    claimed = cdr.total_cost.excl_vat
    expected = sign * priced.total_cost.excl_vat
    difference = claimed - expected
    mismatch = abs(difference) > tolerance
    if (
        not mismatch
        and cdr.total_cost.incl_vat is not None
        and priced.total_cost.incl_vat is not None
    ):
        difference = cdr.total_cost.incl_vat - sign * priced.total_cost.incl_vat
        mismatch = abs(difference) > tolerance
    if mismatch:
        dispute(
            "price_mismatch",
            f"the CDR says {claimed} {cdr.currency} excl. VAT, our pricing gives {expected} "
            f"(tolerance {tolerance})",
            claimed=str(claimed),
            expected=str(expected),
            difference=str(difference),
            detail={"pricing": priced.to_json("2.2.1")},
        )


async def _token_known(session: AsyncSession, token: c.CdrToken) -> bool:
    if token.uid != NA:
        types = (token.type.value,)
        if await tokens.find_own(session, token.uid, types) is not None:
            return True
    return await own_token_by_auth_id(session, token.contract_id) is not None


async def _time_zone(
    session: AsyncSession, owner_id: int, cdr: c.CDR, embedded: c.Location | None
) -> str | None:
    """The location's zone, for the tariff restrictions (CdrLocation has none)."""
    row = await objects.get(
        session,
        locations.key(owner_id, cdr.country_code, cdr.party_id, cdr.cdr_location.id),
    )
    if row is not None:
        tz = row.data.get("time_zone")
        if tz and tz != NA:
            return str(tz)
    if embedded is not None and embedded.time_zone not in (None, NA):
        return embedded.time_zone
    return None


async def _tariffs(
    session: AsyncSession, owner_id: int, cdr: c.CDR
) -> tuple[list[c.Tariff], list[str]]:
    """(the tariffs to price with, ids of embedded versions we never received)."""
    embedded = {t.id: t for t in cdr.tariffs or []}
    wanted = list(dict.fromkeys([p.tariff_id for p in cdr.charging_periods if p.tariff_id]))
    wanted += [i for i in embedded if i not in wanted]
    held: list[c.Tariff] = []
    missing: list[str] = []
    for tariff_id in wanted:
        copy = embedded.get(tariff_id)
        mine = await _version(
            session,
            owner_id,
            cdr,
            tariff_id,
            copy.last_updated if copy is not None else None,
            cdr.start_date_time,
        )
        if mine is not None:
            held.append(mine)
        elif copy is not None:
            missing.append(tariff_id)
            held.append(copy)
    return held, missing


async def _version(
    session: AsyncSession,
    owner_id: int,
    cdr: c.CDR,
    tariff_id: str,
    exact: datetime | None,
    at: datetime,
) -> c.Tariff | None:
    t = TariffVersion
    stmt = select(t.data).where(
        t.owner_id == owner_id,
        t.country_code == cdr.country_code.upper(),
        t.party_id == cdr.party_id.upper(),
        t.tariff_id == tariff_id,
    )
    if exact is not None:
        data = (await session.execute(stmt.where(t.last_updated == exact))).scalar()
    else:
        data = (
            await session.execute(
                stmt.where(t.last_updated <= at).order_by(t.last_updated.desc()).limit(1)
            )
        ).scalar()
    if data is None:  # versions from before the history, or stored by a bulk pull
        row = await objects.get(
            session, tariffs.key(owner_id, cdr.country_code, cdr.party_id, tariff_id)
        )
        if row is not None and (exact is None or row.last_updated == exact):
            data = row.data
    if data is None:
        return None
    return c.Tariff.model_validate(data)
