"""Locations on the wire, per version and level (location, EVSE, connector)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import locations as conv211
from roamkit.models.v211 import locations as w211
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object

_PUT_221: dict[str, type[BaseModel]] = {
    "location": c.Location,
    "evse": c.EVSE,
    "connector": c.Connector,
}
_PATCH_221: dict[str, type[BaseModel]] = {
    "location": c.LocationPatch,
    "evse": c.EvsePatch,
    "connector": c.ConnectorPatch,
}
_PUT_211: dict[str, tuple[type[BaseModel], Any]] = {
    "location": (w211.Location, conv211.to_canonical),
    "evse": (w211.EVSE, conv211.evse_to_canonical),
    "connector": (w211.Connector, conv211.connector_to_canonical),
}
_PATCH_211: dict[str, tuple[type[BaseModel], Any]] = {
    "location": (w211.LocationPatch, conv211.location_patch_to_canonical),
    "evse": (w211.EvsePatch, conv211.evse_patch_to_canonical),
    "connector": (w211.ConnectorPatch, conv211.connector_patch_to_canonical),
}


def level(evse_uid: str | None, connector_id: str | None) -> str:
    if connector_id is not None:
        return "connector"
    return "evse" if evse_uid is not None else "location"


def parse_put(version: str, lvl: str, body: Any, ctx: ConversionContext) -> Any:
    """A PUT body → canonical Location, EVSE or Connector."""
    try:
        if version == "2.1.1":
            model, convert = _PUT_211[lvl]
            return convert(model.model_validate(body), ctx)
        return _PUT_221[lvl].model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, lvl) from None


def parse_patch(version: str, lvl: str, body: Any, ctx: ConversionContext) -> dict[str, Any]:
    """A PATCH body → the canonical fields it sets (JSON-ready dict)."""
    if not isinstance(body, dict):
        raise InvalidParameters("PATCH body must be a JSON object")
    try:
        if version == "2.1.1":
            model, convert = _PATCH_211[lvl]
            patch = convert(model.model_validate(body), ctx)
        else:
            patch = _PATCH_221[lvl].model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, f"{lvl} patch") from None
    return patch.model_dump(mode="json", exclude_unset=True)


def to_wire(version: str, obj: Any, ctx: ConversionContext) -> dict[str, Any]:
    """A canonical Location, EVSE or Connector in ``version``."""
    if version != "2.1.1":
        return obj.model_dump(mode="json", exclude_none=True)
    if isinstance(obj, c.Location):
        out: BaseModel | None = conv211.from_canonical(obj, ctx)
    elif isinstance(obj, c.EVSE):
        out = conv211.evse_from_canonical(obj, ctx)
    else:
        out = conv211.connector_from_canonical(obj, ctx)
    if out is None:
        raise NotFound("This object cannot be expressed in OCPI 2.1.1")
    return out.model_dump(mode="json", exclude_none=True)
