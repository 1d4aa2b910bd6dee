"""Tokens on the wire, per version (2.2.1 mod_tokens.asciidoc, 2.1.1 mod_tokens.md),
using the converters of ``domain.v211.tokens``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import tokens as conv211
from roamkit.models.v211 import tokens as w211
from roamkit.protocol.errors import InvalidParameters, invalid_object


def parse_put(version: str, body: Any, ctx: ConversionContext) -> c.Token:
    """A PUT body → canonical Token; a 2.1.1 token takes the party from ``ctx``."""
    try:
        if version == "2.1.1":
            return conv211.to_canonical(w211.Token.model_validate(body), ctx)
        return c.Token.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "token") from None


def parse_patch(version: str, body: Any, ctx: ConversionContext) -> dict[str, Any]:
    """A PATCH body → the canonical fields it sets (JSON-ready)."""
    if not isinstance(body, dict):
        raise InvalidParameters("PATCH body must be a JSON object")
    try:
        if version == "2.1.1":
            patch = conv211.patch_to_canonical(w211.TokenPatch.model_validate(body), ctx)
        else:
            patch = c.TokenPatch.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "token patch") from None
    return patch.model_dump(mode="json", exclude_unset=True)


def to_wire(version: str, token: c.Token) -> dict[str, Any]:
    if version == "2.1.1":
        return conv211.from_canonical(token).model_dump(mode="json", exclude_none=True)
    return token.model_dump(mode="json", exclude_none=True)


def patch_to_wire(version: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Canonical PATCH fields → the partner's version (2.1.1 renames contract_id)."""
    if version != "2.1.1":
        return dict(fields)
    patch = conv211.patch_from_canonical(c.TokenPatch.model_validate(fields))
    return patch.model_dump(mode="json", exclude_unset=True)


def parse_location_references(version: str, body: Any) -> c.LocationReferences | None:
    """The optional LocationReferences body of POST authorize (2.2.1
    #mod_tokens_post_request_body, 2.1.1 §2.2.2); an empty body means none."""
    if body is None or body == {}:
        return None
    try:
        if version == "2.1.1":
            return conv211.location_references_to_canonical(
                w211.LocationReferences.model_validate(body)
            )
        return c.LocationReferences.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "LocationReferences") from None


def location_references_to_wire(version: str, refs: c.LocationReferences) -> dict[str, Any]:
    if version == "2.1.1":
        return conv211.location_references_from_canonical(refs).model_dump(
            mode="json", exclude_none=True
        )
    return refs.model_dump(mode="json", exclude_none=True)
