"""What roamkit stores next to a Session's or CDR's canonical document: the Location
it was made at (a 2.1.1 Session/CDR embeds it, mod_sessions.md §3.1 / mod_cdrs.md
§3.1, and our own keep a snapshot from the start, CHECKLIST 221-D-2). Kept under one
key the models ignore (``extra="ignore"``), never in wire JSON."""

from __future__ import annotations

from typing import Any

from roamkit.domain import canonical as c

EXTRA = "_roamkit"


def with_location(data: dict[str, Any], location: c.Location | None) -> dict[str, Any]:
    if location is None:
        return data
    return {**data, EXTRA: {"location": location.model_dump(mode="json", exclude_none=True)}}


def embedded_location(data: dict[str, Any]) -> c.Location | None:
    doc = (data.get(EXTRA) or {}).get("location")
    return None if doc is None else c.Location.model_validate(doc)


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """The canonical document without what roamkit keeps next to it."""
    return {k: v for k, v in data.items() if k != EXTRA}
