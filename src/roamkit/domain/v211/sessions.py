"""Sessions: 2.1.1 (``mod_sessions.md``) ⇄ canonical (2.2.1 ``mod_sessions.asciidoc``).

2.1.1 → canonical:

===========================  ==================================================================
2.1.1                        canonical
===========================  ==================================================================
(none)                       ``country_code``/``party_id`` = ``ctx`` (the CPO)
``start_datetime``,          ``start_date_time``, ``end_date_time``
``end_datetime``
``auth_id``                  ``cdr_token.contract_id``; the rest of ``cdr_token`` from the
                             Token the caller passes, else our own party (``ctx.own_*``),
                             ``uid=#NA``, ``type=ctx.unknown_token_type``
``location`` (whole)         ``location_id``, ``evse_uid``, ``connector_id`` of the embedded
                             Location and its first EVSE/connector (``#NA`` if it has none).
                             The Location itself is the Locations module's business: convert
                             it with ``locations.to_canonical`` if it must be stored.
``total_cost`` number        ``total_cost.excl_vat`` (2.1.1 costs exclude VAT)
CdrDimension ``FLAT``        dropped (see ``cdrs``)
===========================  ==================================================================

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``country_code``, ``party_id``, ``authorization_reference``: dropped.
- ``cdr_token``: only ``contract_id`` survives, as ``auth_id``.
- ``location_id``/``evse_uid``/``connector_id`` → ``location``: 2.1.1 embeds the
  whole Location, so ``from_canonical`` needs the canonical Location from the
  caller; it is reduced to the session's EVSE and connector and converted with
  ``locations.from_canonical`` (its losses apply).
- ``auth_method`` ``COMMAND`` → ``AUTH_REQUEST``.
- ``status`` ``RESERVATION`` → ``PENDING`` (2.1.1's "not yet started" state).
- ``total_cost.incl_vat``: dropped.
- ChargingPeriod ``tariff_id`` and 2.2.1-only dimensions: dropped (see ``cdrs``).

PATCH: 2.2.1 appends PATCHed ``charging_periods`` to the stored ones; 2.1.1
does not say. The converter only maps fields; the receiver decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211._common import (
    Data,
    cdr_token_for,
    drop,
    dump,
    embedded_ids,
    rename,
    value,
)
from roamkit.domain.v211.cdrs import (
    auth_method_from_canonical,
    periods_from_canonical,
    periods_to_canonical,
    price_from_canonical,
    price_to_canonical,
)
from roamkit.domain.v211.locations import from_canonical as location_from_canonical
from roamkit.domain.v211.locations import only_relevant
from roamkit.models.v211 import sessions as w

_LOCATION_KEYS = ("location_id", "evse_uid", "connector_id")


def status_from_canonical(status: c.SessionStatus | str) -> w.SessionStatus:
    """2.2.1 SessionStatus → 2.1.1 (``mod_sessions.md §4.1``): ``RESERVATION`` → ``PENDING``."""
    plain = value(status)
    return w.SessionStatus.PENDING if plain == "RESERVATION" else w.SessionStatus(plain)


def _session_to_c(data: Data, ctx: ConversionContext, token: c.Token | None) -> Data:
    out = dict(data)
    rename(out, "start_datetime", "start_date_time")
    rename(out, "end_datetime", "end_date_time")
    if "auth_id" in out:
        out["cdr_token"] = cdr_token_for(out.pop("auth_id"), ctx, token)
    if out.get("location") is not None:
        out.update(zip(_LOCATION_KEYS, embedded_ids(out.pop("location")), strict=True))
    if "total_cost" in out:
        out["total_cost"] = price_to_canonical(out["total_cost"])
    if "charging_periods" in out:
        out["charging_periods"] = periods_to_canonical(out["charging_periods"])
    return out


def _session_from_c(data: Data, location: c.Location | None) -> Data:
    out = dict(data)
    drop(out, "country_code", "party_id", "authorization_reference")
    rename(out, "start_date_time", "start_datetime")
    rename(out, "end_date_time", "end_datetime")
    if out.get("cdr_token") is not None:
        out["auth_id"] = out.pop("cdr_token")["contract_id"]
    if any(key in out for key in _LOCATION_KEYS):
        ids = [out.pop(key, None) for key in _LOCATION_KEYS]
        if location is None:
            raise ConversionError("a 2.1.1 Session embeds its Location: pass `location`")
        if ids[0] is not None and ids[0] != location.id:
            raise ConversionError(f"location {location.id!r} is not the session's {ids[0]!r}")
        if ids[1] is not None:
            location = only_relevant(location, ids[1], ids[2] or "")
        out["location"] = location_from_canonical(location)
    if out.get("auth_method") is not None:
        out["auth_method"] = auth_method_from_canonical(out["auth_method"])
    if out.get("status") is not None:
        out["status"] = status_from_canonical(out["status"])
    if "total_cost" in out:
        out["total_cost"] = price_from_canonical(out["total_cost"])
    if "charging_periods" in out:
        out["charging_periods"] = periods_from_canonical(out["charging_periods"])
    return out


def to_canonical(
    session: w.Session, ctx: ConversionContext, *, token: c.Token | None = None
) -> c.Session:
    """2.1.1 ``mod_sessions.md §3.1`` Session → canonical Session owned by ``ctx``.

    ``token``: the Token whose ``auth_id`` the session names, if the caller has it.
    """
    out = _session_to_c(dump(session), ctx, token)
    out.update(country_code=ctx.country_code, party_id=ctx.party_id)
    return c.Session.model_validate(out)


def from_canonical(
    session: c.Session, ctx: ConversionContext | None = None, *, location: c.Location
) -> w.Session:
    """Canonical Session → 2.1.1 Session embedding ``location`` (the session's Location)."""
    return w.Session.model_validate(_session_from_c(dump(session), location))


def patch_to_canonical(
    patch: w.SessionPatch | Mapping[str, Any],
    ctx: ConversionContext,
    *,
    token: c.Token | None = None,
) -> c.SessionPatch:
    """A 2.1.1 Session PATCH body → canonical SessionPatch (only the sent fields)."""
    return c.SessionPatch.model_validate(_session_to_c(dump(patch, partial=True), ctx, token))


def patch_from_canonical(
    patch: c.SessionPatch | Mapping[str, Any],
    ctx: ConversionContext | None = None,
    *,
    location: c.Location | None = None,
) -> w.SessionPatch:
    """Canonical SessionPatch → 2.1.1; ``location`` is needed if the patch moves the session."""
    return w.SessionPatch.model_validate(_session_from_c(dump(patch, partial=True), location))
