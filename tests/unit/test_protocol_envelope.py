"""The OCPI response envelope (CHECKLIST 211-T-10, 221-T-10, A-221-6)."""

from __future__ import annotations

import re

import orjson

from roamkit.protocol.envelope import envelope, ocpi_response, raw_list_response
from roamkit.protocol.status import StatusCode

STRICT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_data_omitted_when_not_given() -> None:
    body = envelope()
    assert "data" not in body
    assert body["status_code"] == 1000
    assert "status_message" not in body
    assert STRICT.match(body["timestamp"])


def test_explicit_none_gives_data_null() -> None:
    body = envelope(None)
    assert "data" in body
    assert body["data"] is None
    assert orjson.loads(orjson.dumps(body))["data"] is None


def test_data_values_are_kept() -> None:
    assert envelope([])["data"] == []
    assert envelope({"a": 1})["data"] == {"a": 1}
    assert envelope("ACCEPTED")["data"] == "ACCEPTED"


def test_status_message_only_when_given() -> None:
    body = envelope(status_code=StatusCode.INVALID_PARAMETERS, status_message="bad")
    assert body["status_message"] == "bad"
    assert body["status_code"] == 2001
    assert type(body["status_code"]) is int
    assert "data" not in body
    assert "status_message" not in envelope(status_message=None)
    assert "status_message" not in envelope(status_message="")


def test_ocpi_response_serialises_envelope() -> None:
    resp = ocpi_response(
        status_code=2001, status_message="x", http_status=404, headers={"X-A": "b"}
    )
    assert resp.status_code == 404
    assert resp.headers["x-a"] == "b"
    assert resp.media_type == "application/json"
    body = orjson.loads(resp.body)
    assert body["status_code"] == 2001
    assert body["status_message"] == "x"
    assert "data" not in body
    assert STRICT.match(body["timestamp"])


def test_raw_list_response_splices_items() -> None:
    items = [orjson.dumps({"id": "1", "n": [1, 2]}), orjson.dumps({"id": "2", "s": 'é"'})]
    resp = raw_list_response(iter(items), {"X-Total-Count": "2"})
    body = orjson.loads(resp.body)
    assert body["data"] == [{"id": "1", "n": [1, 2]}, {"id": "2", "s": 'é"'}]
    assert body["status_code"] == 1000
    assert STRICT.match(body["timestamp"])
    assert "status_message" not in body
    assert resp.status_code == 200
    assert resp.headers["x-total-count"] == "2"
    assert resp.headers["content-type"].startswith("application/json")


def test_raw_list_response_with_zero_items() -> None:
    resp = raw_list_response([], {})
    body = orjson.loads(resp.body)
    assert body["data"] == []
    assert body["status_code"] == 1000
    assert STRICT.match(body["timestamp"])


def test_raw_list_response_with_one_item() -> None:
    body = orjson.loads(raw_list_response([b'{"id":"x"}'], {}).body)
    assert body["data"] == [{"id": "x"}]
