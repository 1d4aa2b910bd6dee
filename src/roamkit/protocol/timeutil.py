"""OCPI DateTime handling: lenient on input, strict UTC on output.

2.1.1 types.md §DateTime and 2.2.1 types.asciidoc#types_datetime_type: UTC
always, a missing designator means UTC, 2.2.1 allows fractional seconds. Real
partners also send ``+00:00`` or other offsets; we convert them instead of
refusing the whole object.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_UNPADDED_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=T|$)")


def _pad_date(m: re.Match[str]) -> str:
    # 2.2.1 #mod_cdrs_cdr_object prints the placeholder "1970-1-1T00:00:00Z" (E-221-16).
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def parse_datetime(value: str | datetime) -> datetime:
    """Parse an OCPI DateTime leniently into an aware UTC datetime."""
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        text = _UNPADDED_DATE.sub(_pad_date, text)
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
    v = value.astimezone(UTC)
    # Not strftime: glibc's %Y does not pad years before 1000 (.NET's MinValue is year 1).
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def utcnow() -> datetime:
    return datetime.now(UTC)
