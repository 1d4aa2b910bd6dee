"""``Preparer.prepare`` against what the store already holds (CHECKLIST A-211-2): an
object held at the same or a newer ``last_updated`` is skipped before it is validated,
from its key and date alone; anything else is judged in full, and nothing a partner
sends makes the page fail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from roamkit.protocol.timeutil import format_datetime
from roamkit.sim.seed import generate_locations
from roamkit.store.tables import Partner
from roamkit.sync.prepare import MODULES, Preparer

PARTNER = Partner(
    id=1,
    name="cpo",
    version="2.2.1",
    roles=[{"role": "CPO", "country_code": "NL", "party_id": "RKT"}],
)


def _location(i: int, when: datetime) -> dict[str, Any]:
    doc = generate_locations(i + 1, seed=5)[i].wire()
    return {**doc, "last_updated": format_datetime(when)}


def _prepare(held: dict[tuple[str, str, str], datetime], sent: list[dict[str, Any]]) -> Any:
    preparer = Preparer(None, PARTNER, MODULES["locations"], "", dict(held))  # type: ignore[arg-type]
    return preparer.prepare([orjson.dumps(doc) for doc in sent])


T = datetime(2026, 3, 1, 12, 0, 0).astimezone()


def test_held_objects_are_unchanged_new_and_newer_ones_are_stored() -> None:
    same, older, newer, new = (_location(i, T) for i in range(4))
    held = {("NL", "RKT", d["id"]): T for d in (same, older, newer)}
    older["last_updated"] = format_datetime(T - timedelta(hours=1))
    newer["last_updated"] = format_datetime(T + timedelta(seconds=1))
    out = _prepare(held, [same, older, newer, new])
    assert sorted(p.key[2] for p in out.unchanged) == sorted([same["id"], older["id"]])
    assert [i.key[2] for i in out.updates] == [newer["id"]]
    assert [i.key[2] for i in out.inserts] == [new["id"]]
    assert not out.rejects


def test_an_unchanged_object_is_skipped_before_it_is_validated() -> None:
    doc = _location(0, T)
    doc["evses"] = "not a list"  # would be quarantined if it were judged
    out = _prepare({("NL", "RKT", doc["id"]): T}, [doc])
    assert [p.key for p in out.unchanged] == [("NL", "RKT", doc["id"])]
    assert not out.rejects and not out.inserts and not out.updates


def test_a_date_that_overflows_in_utc_is_quarantined_not_a_crash() -> None:
    doc = _location(0, T)
    doc["last_updated"] = "0001-01-01T00:00:00+01:00"
    held = {("NL", "RKT", doc["id"]): T}
    out = _prepare(held, [doc])
    assert [r.key for r in out.rejects] == [("NL", "RKT", doc["id"])]
    # also when the fast check refuses the object for another reason first
    doc["evses"] = "not a list"
    out = _prepare(held, [doc])
    assert [r.key for r in out.rejects] == [("NL", "RKT", doc["id"])]


def test_a_lower_case_party_is_judged_by_the_model() -> None:
    doc = _location(0, T)
    held = {("NL", "RKT", doc["id"]): T - timedelta(days=1)}
    out = _prepare(held, [{**doc, "country_code": "nl", "party_id": "rkt"}])
    assert [i.key for i in out.updates] == [("NL", "RKT", doc["id"])]


def test_copies_across_the_pages_of_a_first_sync_are_folded() -> None:
    """Nothing held: no key-first look, but a copy on a later page (a partner's list
    that moved under the crawl) is still folded, and a newer copy still wins."""
    a, b = _location(0, T), _location(1, T)
    preparer = Preparer(None, PARTNER, MODULES["locations"], "", {})  # type: ignore[arg-type]
    first = preparer.prepare([orjson.dumps(a), orjson.dumps(b)])
    assert sorted(i.key[2] for i in first.inserts) == sorted([a["id"], b["id"]])
    newer_b = {**b, "last_updated": format_datetime(T + timedelta(seconds=5))}
    second = preparer.prepare([orjson.dumps(a), orjson.dumps(newer_b)])
    assert not second.inserts and not second.unchanged and not second.rejects
    updated = [(i.key[2], i.last_updated) for i in second.updates]
    assert updated == [(b["id"], T + timedelta(seconds=5))]
    assert preparer.duplicates == 1
