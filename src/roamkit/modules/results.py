"""What a write did, so routes answer 201/200 without guessing (DESIGN.md §4,
ShellRecharge's explicit Created/Updated)."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """Stale: older than what we hold, so nothing was overwritten (CHECKLIST 221-W-*)."""

    @property
    def http_status(self) -> int:
        return 201 if self is Outcome.CREATED else 200

    @property
    def message(self) -> str | None:
        if self is Outcome.UNCHANGED:
            return "Ignored: older than the stored object (last_updated)"
        return None
