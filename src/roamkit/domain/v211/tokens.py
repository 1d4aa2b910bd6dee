"""Tokens: 2.1.1 (``mod_tokens.md``) ⇄ canonical (2.2.1 ``mod_tokens.asciidoc``).

2.1.1 → canonical: ``country_code``/``party_id`` come from ``ctx`` (the eMSP
that owns the token); ``auth_id`` becomes ``contract_id``; ``group_id``,
``default_profile_type`` and ``energy_contract`` stay unset. The ``Allowed``
enum has the same five values in both versions. ``LocationReferences``
(``§4.2``) loses ``connector_ids``, which 2.2.1 removed: the one inexact
2.1.1 round trip in this module.

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``country_code``, ``party_id``: dropped (URL/credentials carry them).
- TokenType ``AD_HOC_USER``, ``APP_USER``: sent as ``OTHER`` (the closest).
- ``group_id``, ``default_profile_type``, ``energy_contract``: dropped.
- AuthorizationInfo ``token`` and ``authorization_reference``: dropped. The
  2.1.1 answer has no token (the URL names it) and no reference, so a session
  the CPO starts cannot be matched to the authorization by reference.
  ``authorization_info_to_canonical`` therefore needs the Token from the caller
  (required in 2.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211._common import Data, drop, dump, rename, value
from roamkit.models.v211 import tokens as w

_V211_TYPES = {m.value for m in w.TokenType}
_ONLY_221 = ("country_code", "party_id", "group_id", "default_profile_type", "energy_contract")


def token_type_from_canonical(token_type: c.TokenType | str) -> w.TokenType:
    """2.2.1 TokenType → 2.1.1 (``mod_tokens.md §4.3``): the app/ad-hoc types become OTHER."""
    plain = value(token_type)
    return w.TokenType(plain) if plain in _V211_TYPES else w.TokenType.OTHER


def _token_to_c(data: Data) -> Data:
    out = dict(data)
    rename(out, "auth_id", "contract_id")
    return out


def _token_from_c(data: Data) -> Data:
    out = dict(data)
    drop(out, *_ONLY_221)
    rename(out, "contract_id", "auth_id")
    if out.get("type") is not None:
        out["type"] = token_type_from_canonical(out["type"])
    return out


def to_canonical(token: w.Token, ctx: ConversionContext) -> c.Token:
    """2.1.1 ``mod_tokens.md §3.2`` Token → canonical Token owned by ``ctx``."""
    out = _token_to_c(dump(token))
    out.update(country_code=ctx.country_code, party_id=ctx.party_id)
    return c.Token.model_validate(out)


def from_canonical(token: c.Token, ctx: ConversionContext | None = None) -> w.Token:
    """Canonical Token → 2.1.1 Token (losses in the module docstring)."""
    return w.Token.model_validate(_token_from_c(dump(token)))


def patch_to_canonical(
    patch: w.TokenPatch | Mapping[str, Any], ctx: ConversionContext
) -> c.TokenPatch:
    """A 2.1.1 Token PATCH body → canonical TokenPatch (only the sent fields)."""
    return c.TokenPatch.model_validate(_token_to_c(dump(patch, partial=True)))


def patch_from_canonical(
    patch: c.TokenPatch | Mapping[str, Any], ctx: ConversionContext | None = None
) -> w.TokenPatch:
    """Canonical TokenPatch → 2.1.1 Token PATCH body."""
    return w.TokenPatch.model_validate(_token_from_c(dump(patch, partial=True)))


def location_references_to_canonical(
    refs: w.LocationReferences, ctx: ConversionContext | None = None
) -> c.LocationReferences:
    """2.1.1 ``§4.2`` LocationReferences → canonical; ``connector_ids`` are dropped."""
    out = dump(refs)
    drop(out, "connector_ids")
    return c.LocationReferences.model_validate(out)


def location_references_from_canonical(
    refs: c.LocationReferences, ctx: ConversionContext | None = None
) -> w.LocationReferences:
    return w.LocationReferences.model_validate(dump(refs))


def authorization_info_to_canonical(
    info: w.AuthorizationInfo, ctx: ConversionContext, *, token: c.Token
) -> c.AuthorizationInfo:
    """2.1.1 ``§3.1`` AuthorizationInfo → canonical, with the Token that was authorized."""
    out = dump(info)
    if out.get("location") is not None:
        drop(out["location"], "connector_ids")
    out["token"] = token
    return c.AuthorizationInfo.model_validate(out)


def authorization_info_from_canonical(
    info: c.AuthorizationInfo, ctx: ConversionContext | None = None
) -> w.AuthorizationInfo:
    """Canonical AuthorizationInfo → 2.1.1; ``token``/``authorization_reference`` dropped."""
    out = dump(info)
    drop(out, "token", "authorization_reference")
    return w.AuthorizationInfo.model_validate(out)
