"""Helpers shared by the 2.1.1 converters.

Converters work on ``model_dump()`` dicts (python mode: ``Decimal``,
``datetime`` and enum members are kept) and validate the result with the
target model, so every output is a valid wire/canonical object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from pydantic import BaseModel

from roamkit.domain.context import NA, ConversionContext, ConversionError
from roamkit.models.v221 import CdrToken, Token

Data = dict[str, Any]

_SIX = Decimal("0.000001")


def dump(obj: BaseModel | Mapping[str, Any], *, partial: bool = False) -> Data:
    """A model as a dict: ``None`` left out, or for a PATCH only the fields that were sent.

    A mapping (a PATCH body as received) is taken as is, so an explicit
    ``null`` stays a "clear this field" instruction.
    """
    if isinstance(obj, BaseModel):
        if partial:
            return obj.model_dump(exclude_unset=True)
        return obj.model_dump(exclude_none=True)
    return dict(obj)


def value(member: Any) -> Any:
    """The plain value of an enum member (or the value itself)."""
    return member.value if isinstance(member, Enum) else member


def keep_known(items: Iterable[Any] | None, allowed: Iterable[str]) -> list[Any] | None:
    """Filter enum values to those the target version knows (``None`` stays ``None``)."""
    if items is None:
        return None
    known = set(allowed)
    return [item for item in items if value(item) in known]


def rename(data: Data, old: str, new: str) -> None:
    """Rename a key in place if present (an explicit ``None`` is kept)."""
    if old in data:
        data[new] = data.pop(old)


def drop(data: Data, *keys: str) -> None:
    for key in keys:
        data.pop(key, None)


def six_decimals(coordinate: Any) -> Any:
    """2.1.1 coordinates have exactly 6 decimals (``mod_locations.md §4.12``); 2.2.1 5 to 7."""
    try:
        number = Decimal(str(coordinate))
    except InvalidOperation:
        return coordinate  # let the model report it
    return str(number.quantize(_SIX))


def geo_from_canonical(geo: Data | None) -> Data | None:
    if geo is None:
        return None
    return {
        **geo,
        "latitude": six_decimals(geo["latitude"]),
        "longitude": six_decimals(geo["longitude"]),
    }


def energy_mix_to_canonical(mix: Data | None) -> Data | None:
    """EnvironmentalImpact ``source`` (2.1.1 §4.8) is ``category`` in 2.2.1."""
    return _environ_rename(mix, "source", "category")


def energy_mix_from_canonical(mix: Data | None) -> Data | None:
    return _environ_rename(mix, "category", "source")


def _environ_rename(mix: Data | None, old: str, new: str) -> Data | None:
    if mix is None or mix.get("environ_impact") is None:
        return mix
    impacts = []
    for impact in mix["environ_impact"]:
        impact = dict(impact)
        rename(impact, old, new)
        impacts.append(impact)
    return {**mix, "environ_impact": impacts}


def cdr_token_for(auth_id: str, ctx: ConversionContext, token: Token | None) -> CdrToken:
    """The 2.2.1 ``cdr_token`` of a 2.1.1 Session/CDR, which only has ``auth_id``.

    With the Token (looked up by the caller by ``auth_id``) every field is
    real. Without it the token is attributed to our own party (we are the
    eMSP on a 2.1.1 connection that receives Sessions/CDRs), ``uid`` is
    ``#NA`` and ``type`` is ``ctx.unknown_token_type``.
    """
    if token is not None:
        return CdrToken(
            country_code=token.country_code,
            party_id=token.party_id,
            uid=token.uid,
            type=token.type,
            contract_id=auth_id,
        )
    if ctx.own_country_code is None or ctx.own_party_id is None:
        raise ConversionError(
            "2.1.1 auth_id without a Token: set own_country_code/own_party_id in the "
            "ConversionContext or pass the Token"
        )
    return CdrToken(
        country_code=ctx.own_country_code,
        party_id=ctx.own_party_id,
        uid=NA,
        type=ctx.unknown_token_type,
        contract_id=auth_id,
    )


def na_to_none(text: str | None) -> str | None:
    return None if text == NA else text


def embedded_ids(location: Data) -> tuple[str, str, str]:
    """(location id, EVSE uid, connector id) of the Location a 2.1.1 Session/CDR embeds.

    The spec embeds "only the relevant EVSE and connector"; we take the first
    of each, and ``#NA`` when there is none (allowed by 2.2.1 for Sessions).
    """
    evses = location.get("evses") or []
    if not evses:
        return location["id"], NA, NA
    connectors = evses[0].get("connectors") or []
    return location["id"], evses[0]["uid"], connectors[0]["id"] if connectors else NA
