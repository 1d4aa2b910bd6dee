"""A list page's ``data`` as the pull reads it: the client splits a list into each
object's JSON text in the same pass as the envelope, and tolerates what partners send
instead of a list (CHECKLIST 211-T-9, A-221-5)."""

from __future__ import annotations

import orjson
import pytest

from roamkit.partners.client import PartnerCallError, _envelope
from roamkit.sync.paging import _as_list


def _objects(body: dict[str, object]) -> list[bytes]:
    envelope = _envelope(orjson.dumps(body), raw_data=True)
    assert envelope is not None
    status, _, data = envelope
    assert status == 1000
    return _as_list(data)


def test_a_list_is_split_into_each_objects_exact_text() -> None:
    page = b'{"status_code":1000,"data":[{"id":"A","n":1.50},  {"id":"B\\u00e9"},[],null]}'
    status, _, data = _envelope(page, raw_data=True)  # type: ignore[misc]
    assert status == 1000
    assert _as_list(data) == [b'{"id":"A","n":1.50}', b'{"id":"B\\u00e9"}', b"[]", b"null"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status_code": 1000, "data": None}, []),
        ({"status_code": 1000}, []),
        ({"status_code": 1000, "data": []}, []),
        ({"status_code": 1000, "data": {"id": "A"}}, [b'{"id":"A"}']),
    ],
)
def test_null_absent_empty_and_a_lone_object(
    body: dict[str, object], expected: list[bytes]
) -> None:
    assert _objects(body) == expected


def test_data_that_is_no_list_nor_object_is_a_partner_error() -> None:
    with pytest.raises(PartnerCallError, match="is a int, not a list"):
        _objects({"status_code": 1000, "data": 5})


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"data": []}', b'{"status_code": 1000,']
)
def test_no_envelope(body: bytes) -> None:
    assert _envelope(body, raw_data=True) is None
