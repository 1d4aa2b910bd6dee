"""Tariffs on the wire, per version."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import tariffs as conv211
from roamkit.models.v211 import tariffs as w211
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object


def parse_put(version: str, body: Any, ctx: ConversionContext) -> c.Tariff:
    try:
        if version == "2.1.1":
            return conv211.to_canonical(w211.Tariff.model_validate(body), ctx)
        return c.Tariff.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "tariff") from None


def parse_patch(body: Any, ctx: ConversionContext) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameters("PATCH body must be a JSON object")
    try:
        patch = conv211.patch_to_canonical(w211.TariffPatch.model_validate(body), ctx)
    except ValidationError as exc:
        raise invalid_object(exc, "tariff patch") from None
    return patch.model_dump(mode="json", exclude_unset=True)


def to_wire(version: str, tariff: c.Tariff, ctx: ConversionContext) -> dict[str, Any]:
    if version != "2.1.1":
        return tariff.model_dump(mode="json", exclude_none=True)
    try:
        return conv211.from_canonical(tariff, ctx).model_dump(mode="json", exclude_none=True)
    except ConversionError as exc:
        raise NotFound(f"This tariff cannot be expressed in OCPI 2.1.1: {exc}") from None
