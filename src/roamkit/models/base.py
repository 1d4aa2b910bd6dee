"""Shared building blocks for the wire models of both OCPI versions.

The spec's primitive types (2.1.1 types.md, 2.2.1 types.asciidoc) map to
annotated types here so every model states its lengths exactly as the spec's
object tables do: ``CiString(3)`` is ``CiString[3]`` ... see ``ci_string``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, StringConstraints

from roamkit.protocol.timeutil import format_datetime, parse_datetime


class OcpiModel(BaseModel):
    """Base of every wire object.

    Unknown fields are ignored (partners add custom fields), enum values are
    kept as strings on output, and ``wire()`` gives the JSON-ready dict with
    ``None`` left out, as the spec's examples do for absent optional fields.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, use_enum_values=False)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _parse_dt(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return parse_datetime(value)
    return value


DateTime = Annotated[
    datetime,
    BeforeValidator(_parse_dt),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]
"""OCPI DateTime: lenient parse to aware UTC, strict ``...Z`` output."""


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
