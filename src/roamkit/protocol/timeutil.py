"""OCPI DateTime handling: lenient on input, strict UTC on output.

2.1.1 types.md §DateTime and 2.2.1 types.asciidoc#types_datetime_type: UTC
always, a missing designator means UTC, 2.2.1 allows fractional seconds. Real
partners also send ``+00:00`` or other offsets; we convert them instead of
refusing the whole object.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_datetime(value: str | datetime) -> datetime:
    """Parse an OCPI DateTime leniently into an aware UTC datetime."""
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format as strict ``YYYY-MM-DDThh:mm:ssZ``: the one shape both versions and
    every partner accept (2.1.1 has no fractional seconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC)
