"""CDRs: 2.1.1 (``mod_cdrs.md``) ⇄ canonical (2.2.1 ``mod_cdrs.asciidoc``).

Also home of the ChargingPeriod and AuthMethod mappings that Sessions share.

2.1.1 → canonical:

==============================  ==============================================================
2.1.1                           canonical
==============================  ==============================================================
(none)                          ``country_code``/``party_id`` = ``ctx`` (the CPO)
``stop_date_time``              ``end_date_time``
``auth_id``                     ``cdr_token.contract_id``; the rest of ``cdr_token`` from the
                                Token the caller passes, else our own party (``ctx.own_*``),
                                ``uid=#NA``, ``type=ctx.unknown_token_type``
``location`` (whole Location)   ``cdr_location`` from the Location and its first EVSE and
                                connector; ``evse_id`` absent → ``#NA``; ``postal_code`` ``""``
                                → absent. A location without EVSE/connector raises
                                ``ConversionError`` (CdrLocation requires the connector).
``total_cost`` number           ``total_cost.excl_vat`` (2.1.1 costs exclude VAT), no
                                ``incl_vat``
CdrDimension ``FLAT``           dropped (2.2.1 removed it; the fee is in the totals). A period
                                left without dimensions is dropped: the one inexact trip.
``tariffs``                     converted by ``tariffs.to_canonical`` (owner ``ctx``)
==============================  ==============================================================

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``country_code``, ``party_id``, ``session_id``, ``authorization_reference``,
  ``signed_data``, ``invoice_reference_id``, ``home_charging_compensation``:
  dropped.
- ``total_fixed_cost``, ``total_energy_cost``, ``total_time_cost``,
  ``total_parking_cost``, ``total_reservation_cost``: dropped (2.1.1 has only
  the total); ``total_cost.incl_vat``: dropped, ``excl_vat`` is sent.
- ``credit``/``credit_reference_id``: 2.1.1 cannot correct a CDR. A Credit CDR
  raises ``ConversionError`` (sent as a plain CDR it would bill twice).
- ``id`` longer than 36 (room for credit suffixes): rejected by the 2.1.1 model.
- ``cdr_token``: only ``contract_id`` survives, as ``auth_id``.
- ``auth_method`` ``COMMAND`` → ``AUTH_REQUEST`` (a remote start was
  authorized by the eMSP, the closest 2.1.1 meaning).
- ``cdr_location`` → ``location``: 2.1.1 embeds a whole Location. With the
  canonical ``location`` passed by the caller, the embedded one is that
  Location reduced to the CDR's EVSE and connector, overwritten with the CDR's
  snapshot (name, address, city, postal code, country, coordinates, evse_id,
  connector standard/format/power type). Without it, the fields a CdrLocation
  lacks are filled with documented "unknown" values: ``type=UNKNOWN``, EVSE
  ``status=UNKNOWN``, connector ``voltage=0``/``amperage=0``, and
  ``last_updated`` = the CDR's ``last_updated``. ``state`` is dropped, the
  address truncated to 45, coordinates set to 6 decimals, a missing postal
  code sent as ``""``; a connector standard unknown to 2.1.1 leaves the
  location without EVSEs.
- ChargingPeriod ``tariff_id``: dropped. Dimensions 2.1.1 lacks
  (``RESERVATION_TIME``, ``MAX_POWER``, ``MIN_POWER``, and the Session-only
  ``CURRENT``, ``ENERGY_EXPORT``, ``ENERGY_IMPORT``, ``POWER``,
  ``STATE_OF_CHARGE``): dropped; a period left empty is dropped, and a CDR
  left without periods raises ``ConversionError``.
- ``tariffs``: converted by ``tariffs.from_canonical`` (its losses apply).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from roamkit.domain import canonical as c
from roamkit.domain.context import NA, ConversionContext, ConversionError
from roamkit.domain.v211 import tariffs
from roamkit.domain.v211._common import (
    Data,
    cdr_token_for,
    drop,
    dump,
    embedded_ids,
    na_to_none,
    rename,
    value,
)
from roamkit.domain.v211.locations import (
    connector_fields_from_canonical,
    location_fields_from_canonical,
    only_relevant,
)
from roamkit.domain.v211.locations import (
    from_canonical as location_from_canonical,
)
from roamkit.models.v211 import cdrs as w
from roamkit.models.v211.locations import LocationType, Status

_V211_DIMENSIONS = {m.value for m in w.CdrDimensionType}
_V221_DIMENSIONS = {m.value for m in c.CdrDimensionType}
_ONLY_221 = (
    "country_code", "party_id", "session_id", "authorization_reference", "signed_data",
    "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
    "total_reservation_cost", "invoice_reference_id", "credit", "credit_reference_id",
    "home_charging_compensation",
)  # fmt: skip


# --- shared with Sessions ------------------------------------------------------


def auth_method_from_canonical(method: c.AuthMethod | str) -> w.AuthMethod:
    """2.2.1 AuthMethod → 2.1.1 (``mod_cdrs.md §4.1``): ``COMMAND`` → ``AUTH_REQUEST``."""
    plain = value(method)
    return w.AuthMethod.AUTH_REQUEST if plain == "COMMAND" else w.AuthMethod(plain)


def _periods(periods: list[Data] | None, known: set[str], *, keep_tariff: bool) -> Any:
    if periods is None:
        return None
    out = []
    for period in periods:
        dims = [d for d in period["dimensions"] if value(d["type"]) in known]
        if dims:
            fixed = {**period, "dimensions": dims}
            if not keep_tariff:
                drop(fixed, "tariff_id")
            out.append(fixed)
    return out


def periods_to_canonical(periods: list[Data] | None) -> list[Data] | None:
    """2.1.1 ChargingPeriods (``§4.4``) → canonical: ``FLAT`` dimensions dropped."""
    return _periods(periods, _V221_DIMENSIONS, keep_tariff=True)


def periods_from_canonical(periods: list[Data] | None) -> list[Data] | None:
    """Canonical ChargingPeriods → 2.1.1: ``tariff_id`` and 2.2.1-only dimensions dropped."""
    return _periods(periods, _V211_DIMENSIONS, keep_tariff=False)


def price_to_canonical(amount: Any) -> Data | None:
    """A 2.1.1 cost (a number, excluding VAT) → a 2.2.1 Price."""
    return None if amount is None else {"excl_vat": amount}


def price_from_canonical(price: Data | None) -> Any:
    return None if price is None else price["excl_vat"]


# --- CdrLocation ⇄ embedded Location ---------------------------------------------


def _cdr_location_to_c(location: Data) -> Data:
    location_id, evse_uid, connector_id = embedded_ids(location)
    if connector_id == NA:
        raise ConversionError(f"2.1.1 CDR location {location_id!r} has no EVSE/connector")
    evse = location["evses"][0]
    connector = evse["connectors"][0]
    return {
        "id": location_id,
        "name": location.get("name"),
        "address": location["address"],
        "city": location["city"],
        "postal_code": location["postal_code"] or None,
        "country": location["country"],
        "coordinates": location["coordinates"],
        "evse_uid": evse_uid,
        "evse_id": evse.get("evse_id") or NA,
        "connector_id": connector_id,
        "connector_standard": connector["standard"],
        "connector_format": connector["format"],
        "connector_power_type": connector["power_type"],
    }


def _find(items: list[Data] | None, key: str, wanted: str) -> Data | None:
    return next((item for item in items or [] if item[key] == wanted), None)


def _cdr_location_from_c(
    snap: c.CdrLocation, last_updated: datetime, location: c.Location | None
) -> Data:
    if location is not None:
        if location.id != snap.id:
            raise ConversionError(f"location {location.id!r} is not the CDR's {snap.id!r}")
        reduced = only_relevant(location, snap.evse_uid, snap.connector_id)
        base = location_from_canonical(reduced).model_dump(exclude_none=True)
    else:
        base = {"type": LocationType.UNKNOWN, "last_updated": last_updated}
    snapshot = snap.model_dump(exclude_none=True)
    fields = ("id", "name", "address", "city", "postal_code", "country", "coordinates")
    base.update(location_fields_from_canonical({k: snapshot.get(k) for k in fields}, partial=True))
    if snap.evse_uid == NA:
        base.pop("evses", None)
        return base
    evse = _find(base.get("evses"), "uid", snap.evse_uid) or {
        "uid": snap.evse_uid, "status": Status.UNKNOWN, "last_updated": last_updated,
    }  # fmt: skip
    connector = _find(evse.get("connectors"), "id", snap.connector_id) or {
        "id": snap.connector_id, "voltage": 0, "amperage": 0, "last_updated": last_updated,
    }  # fmt: skip
    update = connector_fields_from_canonical(
        {"standard": snap.connector_standard, "format": snap.connector_format,
         "power_type": snap.connector_power_type},
    )  # fmt: skip
    if update is None:  # a standard 2.1.1 does not know
        base.pop("evses", None)
        return base
    evse_id = na_to_none(snap.evse_id)
    evse = {**evse, "evse_id": evse_id, "connectors": [{**connector, **update}]}
    if evse_id is None:
        del evse["evse_id"]
    base["evses"] = [evse]
    return base


# --- CDR ------------------------------------------------------------------------


def to_canonical(cdr: w.CDR, ctx: ConversionContext, *, token: c.Token | None = None) -> c.CDR:
    """2.1.1 ``mod_cdrs.md §3.1`` CDR → canonical CDR owned by ``ctx``.

    ``token``: the Token whose ``auth_id`` the CDR names, if the caller has it.
    """
    out = dump(cdr)
    rename(out, "stop_date_time", "end_date_time")
    out["cdr_token"] = cdr_token_for(out.pop("auth_id"), ctx, token)
    out["cdr_location"] = _cdr_location_to_c(out.pop("location"))
    out["total_cost"] = price_to_canonical(out["total_cost"])
    out["charging_periods"] = periods_to_canonical(out["charging_periods"])
    if cdr.tariffs is not None:
        out["tariffs"] = [tariffs.to_canonical(t, ctx) for t in cdr.tariffs]
    out.update(country_code=ctx.country_code, party_id=ctx.party_id)
    return c.CDR.model_validate(out)


def from_canonical(
    cdr: c.CDR, ctx: ConversionContext | None = None, *, location: c.Location | None = None
) -> w.CDR:
    """Canonical CDR → 2.1.1 CDR (losses in the module docstring).

    ``location``: the canonical Location of ``cdr_location.id``, if available,
    to fill the embedded Location's fields that a CdrLocation lacks.
    """
    if cdr.credit:
        raise ConversionError(f"CDR {cdr.id!r} is a Credit CDR; 2.1.1 cannot express it")
    out = dump(cdr)
    drop(out, *_ONLY_221)
    rename(out, "end_date_time", "stop_date_time")
    out["auth_id"] = out.pop("cdr_token")["contract_id"]
    out["auth_method"] = auth_method_from_canonical(out["auth_method"])
    out["location"] = _cdr_location_from_c(cdr.cdr_location, cdr.last_updated, location)
    del out["cdr_location"]
    out["total_cost"] = price_from_canonical(out["total_cost"])
    out["charging_periods"] = periods_from_canonical(out["charging_periods"])
    if not out["charging_periods"]:
        raise ConversionError(f"CDR {cdr.id!r} has no charging period 2.1.1 can express")
    if cdr.tariffs is not None:
        out["tariffs"] = [tariffs.from_canonical(t, ctx) for t in cdr.tariffs]
    return w.CDR.model_validate(out)
