"""The pull's fast check (``roamkit.models.fastcheck``, msgspec Structs derived from the
pydantic models) may only ever be stricter than the model: an object it passes is stored
without the model looking at it. Every object here, valid or broken on purpose, must get
the same or a stricter verdict, and a passed object must yield the id, party,
``last_updated`` and publish state the model gives."""

from __future__ import annotations

import copy
import random
from datetime import UTC
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from roamkit.domain import canonical as c
from roamkit.models.base import utc_seconds
from roamkit.models.fastcheck import FastCheck
from roamkit.models.v221 import locations as m221
from roamkit.models.v221 import tariffs as t221
from roamkit.modules.locations import service as locations
from roamkit.sim.seed import generate_locations, generate_tariffs
from roamkit.sync.pull import MODULES

_BROKEN_VALUES: list[Any] = [
    None,
    "",
    "x" * 300,
    -1,
    1.5,
    "2025-13-01T00:00:00Z",
    "2025-01-02T3:04:05Z",  # unpadded: only our lenient parser takes it
    "2025-01-02T03:04:05+02:00",
    "2025-01-02",
    "2025-01-01t00:00:00z",
    "2025-01-01 00:00:00Z",
    "2025-01-01T00:00:00.9999996Z",  # msgspec rounds, pydantic truncates
    "2025-01-01T00:00:00.123456789Z",
    "2025-01-01T00:00:00+0100",
    "2025-01-01T00:00Z",
    "0001-01-01T00:00:00+01:00",  # valid RFC 3339, not representable in UTC
    "9999-12-31T23:59:59-01:00",
    "2024-02-30T00:00:00Z",
    "1.5",
    "NaN",
    [],
    {},
    True,
    "NOT_AN_ENUM_VALUE",
    12345678901234567890,
]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside a JSON document."""
    out: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        items: Any = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return out
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


def _mutations(doc: dict[str, Any], rng: random.Random, count: int) -> list[Any]:
    """Copies of ``doc`` with one value replaced or one key removed."""
    paths = _paths(doc)
    out = []
    for _ in range(count):
        path = rng.choice(paths)
        copy_ = copy.deepcopy(doc)
        parent = copy_
        for k in path[:-1]:
            parent = parent[k]
        if rng.random() < 0.25 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(_BROKEN_VALUES)
        out.append(copy_)
    return out


def _model_accepts(model: type[BaseModel], raw: Any) -> BaseModel | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


@pytest.mark.parametrize(
    ("model", "docs"),
    [
        (
            m221.Location,
            lambda: [
                x.model_dump(mode="json", exclude_none=True)
                for x in generate_locations(40, seed=11)
            ],
        ),
        (
            t221.Tariff,
            lambda: [
                x.model_dump(mode="json", exclude_none=True) for x in generate_tariffs(40, seed=11)
            ],
        ),
    ],
)
def test_never_more_lenient_than_the_model(model: type[BaseModel], docs: Any) -> None:
    check = FastCheck.for_model(model)
    assert check is not None
    rng = random.Random(5)
    candidates: list[Any] = []
    for doc in docs():
        candidates.append(doc)
        candidates.extend(_mutations(doc, rng, 30))
    candidates += [None, 1, "x", [], {"id": "only"}]
    passed = 0
    for raw in candidates:
        doc = check.check(orjson.dumps(raw))
        if doc is None:
            continue
        passed += 1
        obj = _model_accepts(model, raw)
        assert obj is not None, f"fast check passed what the model refuses: {raw!r}"
        assert (doc.country_code, doc.party_id, doc.id) == (
            obj.country_code,  # type: ignore[attr-defined]
            obj.party_id,  # type: ignore[attr-defined]
            obj.id,  # type: ignore[attr-defined]
        )
        assert utc_seconds(doc.last_updated) == obj.last_updated  # type: ignore[attr-defined]
    assert passed > len(docs()), "the valid objects and the harmless mutations pass"


def test_publish_state_from_the_checked_document_is_the_models() -> None:
    adapter = MODULES["locations"]
    assert adapter.check is not None
    locs = list(generate_locations(60, seed=9))
    locs[0] = locs[0].model_copy(update={"publish": False})
    for evse in locs[1].evses or []:
        evse.status = c.Status.REMOVED
    for loc in locs:
        doc = adapter.check.check(orjson.dumps(loc.model_dump(mode="json", exclude_none=True)))
        assert doc is not None
        assert adapter.published_doc(doc) == locations.is_public(loc)
    assert not locations.is_public(locs[0])
    assert not locations.is_public(locs[1])


def test_a_model_with_its_own_python_validators_has_no_fast_check() -> None:
    from roamkit.models.v211 import locations as m211

    assert FastCheck.for_model(m211.Location) is None


_DATETIMES = [v for v in _BROKEN_VALUES if isinstance(v, str)] + [
    "2025-06-01T12:00:00Z",
    "2025-06-01T12:00:00.5Z",
    "2025-03-30T02:30:00+02:00",
    "2025-06-01T12:00:00-00:00",
    # the canonical shape's fast path (fromisoformat) must agree with the model
    "2025-06-01T24:00:00Z",
    "2025-06-01T23:59:60Z",
    "2025-02-29T12:00:00Z",
    "2024-02-29T12:00:00Z",
    "2025-13-01T12:00:00Z",
    "2025-06-01T12:00:0\u0663Z",
    "2025-W22-7T12:00:00Z",
    "2025-06-01t12:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
]


@pytest.mark.parametrize("value", _DATETIMES)
def test_every_datetime_shape_gets_the_models_verdict_and_instant(value: str) -> None:
    check = FastCheck.for_model(m221.Location)
    assert check is not None
    base = generate_locations(1, seed=4)[0].model_dump(mode="json", exclude_none=True)
    top = {**base, "last_updated": value}
    nested = copy.deepcopy(base)
    nested["evses"][0]["connectors"][0]["last_updated"] = value
    for doc in (top, nested):
        passed = check.check(orjson.dumps(doc))
        if passed is None:
            continue
        model = _model_accepts(m221.Location, doc)
        assert model is not None, f"fast check passed {value!r} that the model refuses"
        assert utc_seconds(passed.last_updated) == model.last_updated  # type: ignore[attr-defined]
        assert passed.last_updated.tzinfo is UTC  # compares fast (the pull compares many)
