"""Canonical object → wire bytes per version, written once when an object changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from roamkit.domain.context import ConversionContext, ConversionError

log = logging.getLogger("roamkit.wire")


def v211_bytes(
    obj: BaseModel,
    convert: Callable[[Any, ConversionContext], BaseModel | None],
    ctx: ConversionContext,
) -> bytes | None:
    """The 2.1.1 form, or None when the object cannot be expressed in 2.1.1
    (it is then not served to 2.1.1 partners; the reason is logged)."""
    try:
        out = convert(obj, ctx)
    except (ConversionError, ValidationError) as exc:
        log.warning("not expressible in 2.1.1: %s", exc)
        return None
    return None if out is None else orjson.dumps(out.model_dump(mode="json", exclude_none=True))


def wire_forms(
    obj: Any, convert_211: Callable[[Any, ConversionContext], BaseModel | None], *, served: bool
) -> tuple[dict[str, Any], bytes | None, bytes | None]:
    """(canonical JSON document, 2.2.1 bytes, 2.1.1 bytes) of an object with a
    ``country_code``/``party_id``. The wire forms are made only for objects we serve
    in lists (``served``: our own); a partner's objects are converted on the rare
    GET instead. The 2.2.1 form is the canonical document itself."""
    data = obj.model_dump(mode="json", exclude_none=True)
    if not served:
        return data, None, None
    ctx = ConversionContext(country_code=obj.country_code, party_id=obj.party_id)
    return data, orjson.dumps(data), v211_bytes(obj, convert_211, ctx)
