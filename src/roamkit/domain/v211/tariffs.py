"""Tariffs: 2.1.1 (``mod_tariffs.md``) ⇄ canonical (2.2.1 ``mod_tariffs.asciidoc``).

2.1.1 → canonical is lossless: ``country_code``/``party_id`` come from
``ctx``; ``type``, ``min_price``, ``max_price``, ``start_date_time``,
``end_date_time``, PriceComponent ``vat`` and the restrictions ``min_current``,
``max_current`` and ``reservation`` stay unset (2.1.1 has none of them; an
absent ``type`` means "valid for every session", which is what a 2.1.1 tariff
is). ``currency``, elements, texts and ``energy_mix`` (``source`` → ``category``)
are kept; prices stay ``Decimal``.

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``country_code``, ``party_id``: dropped (URL/credentials carry them).
- ``type`` (AD_HOC_PAYMENT, PROFILE_*): dropped. A 2.1.1 connector has one
  ``tariff_id``, so the caller should only expose the tariff meant for every
  session to 2.1.1 partners.
- ``min_price``, ``max_price``: dropped (2.1.1 has no price caps; the 2.1.1
  partner may compute a different total than the CDR's).
- ``start_date_time``, ``end_date_time``: dropped (2.1.1 has only per-element
  local dates in TariffRestrictions; converting would change the meaning).
- PriceComponent ``vat``: dropped (2.1.1 prices exclude VAT, as in 2.2.1).
- TariffRestrictions ``min_current``/``max_current``: dropped, so the element
  applies more widely in 2.1.1.
- Elements restricted to ``reservation`` (RESERVATION/RESERVATION_EXPIRES):
  the whole element is dropped, since 2.1.1 has no reservation pricing and
  without the restriction it would price ordinary charging. A tariff left
  without elements raises ``ConversionError``.

PATCH: 2.1.1 has a Tariff PATCH (``mod_tariffs.md §2.2.3``); 2.2.1 removed it.
``patch_to_canonical`` gives a canonical ``TariffPatch`` (a roamkit-internal
partial Tariff, see ``domain.canonical``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211._common import (
    Data,
    drop,
    dump,
    energy_mix_from_canonical,
    energy_mix_to_canonical,
)
from roamkit.models.v211 import tariffs as w

_ONLY_221 = ("country_code", "party_id", "type", "min_price", "max_price",
             "start_date_time", "end_date_time")  # fmt: skip


def _tariff_to_c(data: Data) -> Data:
    out = dict(data)
    if "energy_mix" in out:
        out["energy_mix"] = energy_mix_to_canonical(out["energy_mix"])
    return out


def _element_from_c(element: Data) -> Data | None:
    restrictions = element.get("restrictions")
    if restrictions is not None:
        if restrictions.get("reservation") is not None:
            return None
        restrictions = dict(restrictions)
        had_any = any(v is not None for v in restrictions.values())
        drop(restrictions, "min_current", "max_current", "reservation")
        if had_any and all(v is None for v in restrictions.values()):
            restrictions = None
    components = [dict(pc) for pc in element["price_components"]]
    for pc in components:
        drop(pc, "vat")
    return {**element, "price_components": components, "restrictions": restrictions}


def _tariff_from_c(data: Data) -> Data:
    out = dict(data)
    drop(out, *_ONLY_221)
    if out.get("elements") is not None:
        elements = [_element_from_c(e) for e in out["elements"]]
        out["elements"] = [e for e in elements if e is not None]
        if not out["elements"]:
            raise ConversionError(
                f"tariff {out.get('id')!r} has only reservation elements, 2.1.1 cannot price them"
            )
    if "energy_mix" in out:
        out["energy_mix"] = energy_mix_from_canonical(out["energy_mix"])
    return out


def to_canonical(tariff: w.Tariff, ctx: ConversionContext) -> c.Tariff:
    """2.1.1 ``mod_tariffs.md §3.1`` Tariff → canonical Tariff owned by ``ctx``."""
    out = _tariff_to_c(dump(tariff))
    out.update(country_code=ctx.country_code, party_id=ctx.party_id)
    return c.Tariff.model_validate(out)


def from_canonical(tariff: c.Tariff, ctx: ConversionContext | None = None) -> w.Tariff:
    """Canonical Tariff → 2.1.1 Tariff (losses in the module docstring)."""
    return w.Tariff.model_validate(_tariff_from_c(dump(tariff)))


def patch_to_canonical(
    patch: w.TariffPatch | Mapping[str, Any], ctx: ConversionContext
) -> c.TariffPatch:
    """A 2.1.1 Tariff PATCH body → canonical ``TariffPatch`` (only the sent fields)."""
    return c.TariffPatch.model_validate(_tariff_to_c(dump(patch, partial=True)))


def patch_from_canonical(
    patch: c.TariffPatch | Mapping[str, Any], ctx: ConversionContext | None = None
) -> w.TariffPatch:
    """Canonical ``TariffPatch`` → 2.1.1 Tariff PATCH body."""
    return w.TariffPatch.model_validate(_tariff_from_c(dump(patch, partial=True)))
