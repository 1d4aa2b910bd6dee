"""Canonical object → wire bytes per version, written once when an object changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from roamkit.domain.context import ConversionContext, ConversionError

log = logging.getLogger("roamkit.wire")


def dumps(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True))


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
    return None if out is None else dumps(out)
