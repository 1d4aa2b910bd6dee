"""Shared building blocks for the wire models of both OCPI versions.

The spec's primitive types (2.1.1 types.md, 2.2.1 types.asciidoc) map to
annotated types here so every model states its lengths exactly as the spec's
object tables do: ``CiString(3)`` is ``CiString[3]`` ... see ``ci_string``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from roamkit.protocol.timeutil import parse_datetime


class OcpiModel(BaseModel):
    """Base of every wire object.

    Unknown fields are ignored (partners add custom fields), enum values are
    kept as strings on output, and ``wire()`` gives the JSON-ready dict with
    ``None`` left out, as the spec's examples do for absent optional fields.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, use_enum_values=False)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _lenient_dt(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """pydantic's own (fast, Rust) ISO parser first; our lenient one for the rest
    (unpadded dates and other shapes real partners send). One Python call per
    value, normalising too: a location carries 7+ DateTimes and pages carry
    thousands of locations."""
    try:
        value = handler(value)
    except ValidationError:
        if not isinstance(value, str):
            raise
        try:
            value = parse_datetime(value)
        except ValueError:
            raise ValueError(f"not an OCPI DateTime: {value!r}") from None
    return utc_seconds(value)


def utc_seconds(value: datetime) -> datetime:
    """Aware UTC, whole seconds: then pydantic's own serializer writes exactly
    ``YYYY-MM-DDThh:mm:ssZ``, the one shape every partner reads. (pydantic's
    own UTC ``TzInfo(0)`` is kept: it compares and serialises like ``UTC``.)"""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(microsecond=0) if value.microsecond else value


DateTime = Annotated[datetime, WrapValidator(_lenient_dt)]
"""OCPI DateTime: lenient parse to aware UTC (sub-second precision dropped),
strict ``...Z`` output (2.1.1 types.md, 2.2.1 types.asciidoc#types_datetime_type)."""


def _decimal_to_number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Number = Annotated[
    Decimal,
    PlainSerializer(_decimal_to_number, when_used="json"),
]
"""OCPI ``number``: exact ``Decimal`` internally (money!), a JSON number on the wire."""


def ci_string(max_length: int) -> Any:
    """CiString(n): case-insensitive printable ASCII, at most ``n`` characters."""
    return Annotated[str, StringConstraints(max_length=max_length)]


def string(max_length: int) -> Any:
    """string(n): case-sensitive text, at most ``n`` characters."""
    return Annotated[str, StringConstraints(max_length=max_length)]


URL = Annotated[str, StringConstraints(max_length=255)]
