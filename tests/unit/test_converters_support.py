"""Shared helpers for the converter tests (``test_converters_*.py``); no tests here.

Spec folder: ``$ROAMKIT_SPEC_DIR`` or ``<repo>/../shared/ocpi-spec``. 2.2.1
examples are the files in ``2.2.1/examples``; 2.1.1 examples are the JSON
blocks of the 2.1.1 chapters, found by chapter and the heading above them.
Known defects of those examples (CHECKLIST E-211-4/E-221-7) are repaired
where a test uses them, each repair commented.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from roamkit.domain import ConversionContext
from roamkit.domain import canonical as c


def _spec_dir() -> Path:
    override = os.environ.get("ROAMKIT_SPEC_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "ocpi-spec"


SPEC_DIR = _spec_dir()
EXAMPLES_221 = SPEC_DIR / "2.2.1" / "examples"
SPEC_211 = SPEC_DIR / "2.1.1"

needs_221 = pytest.mark.skipif(
    not EXAMPLES_221.is_dir(),
    reason=f"OCPI 2.2.1 examples not found at {EXAMPLES_221} (set ROAMKIT_SPEC_DIR)",
)
needs_211 = pytest.mark.skipif(
    not SPEC_211.is_dir(),
    reason=f"OCPI 2.1.1 spec chapters not found at {SPEC_211} (set ROAMKIT_SPEC_DIR)",
)

# The CPO on the other side of a 2.1.1 connection, and us (the eMSP).
CTX = ConversionContext(
    country_code="BE",
    party_id="BEC",
    role=c.Role.CPO,
    own_country_code="NL",
    own_party_id="TNM",
)
# The eMSP on the other side (for tokens and commands it sends us).
CTX_EMSP = ConversionContext(
    country_code="NL",
    party_id="TNM",
    role=c.Role.EMSP,
    own_country_code="BE",
    own_party_id="BEC",
)

M = TypeVar("M", bound=BaseModel)


def example_221(name: str) -> Any:
    return json.loads((EXAMPLES_221 / name).read_text(encoding="utf-8"))


def example_names_221(prefix: str) -> list[str]:
    if not EXAMPLES_221.is_dir():
        return []
    return sorted(p.name for p in EXAMPLES_221.glob(f"{prefix}*.json"))


_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def example_211(chapter: str, heading: str, nth: int = 0) -> Any:
    """The ``nth`` ```json block under a ``heading`` in a 2.1.1 chapter, parsed.

    A leading ``PUT/PATCH To URL:`` line is skipped; trailing commas (E-211-4,
    the CDR example) are removed; a member fragment gives its value.
    """
    current = ""
    lines = (SPEC_211 / chapter).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if match := _HEADING.match(line):
            current = match.group(1)
        elif line.strip().startswith("```json") and current == heading:
            if nth:
                nth -= 1
                continue
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            body = [raw for raw in lines[index + 1 : end] if " To URL:" not in raw]
            text = _TRAILING_COMMA.sub(r"\1", "\n".join(body)).strip()
            if text.startswith('"'):  # a member (`"energy_mix": {...}`), not an object
                (value,) = json.loads("{" + text + "}").values()
                return value
            return json.loads(text)
    raise LookupError(f"{chapter}: no json block under {heading!r}")


def wire_valid(model: M) -> M:
    """``model.wire()`` re-validates into the same model, unchanged."""
    wire = json.loads(json.dumps(model.wire()))  # type: ignore[attr-defined]
    again = type(model).model_validate(wire)
    assert again == model
    assert again.wire() == wire  # type: ignore[attr-defined]
    return again


def updated(model: M, **fields: Any) -> M:
    """A copy of ``model`` with ``fields`` changed, validated (unlike ``model_copy``)."""
    return type(model).model_validate({**model.model_dump(), **fields})


def same(a: BaseModel, b: BaseModel) -> None:
    """Equal models, compared on the wire form for a readable diff."""
    assert a.wire() == b.wire()  # type: ignore[attr-defined]
    assert a == b
