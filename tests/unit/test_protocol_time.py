"""OCPI DateTime parsing and formatting (CHECKLIST 1.6, 2.7, A-211-8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from roamkit.protocol.timeutil import format_datetime, parse_datetime, utcnow

STRICT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123Z", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2015-06-29T20:39:09+00:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09+02:00", datetime(2015, 6, 29, 18, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09-05:30", datetime(2015, 6, 30, 2, 9, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("  2015-06-29T20:39:09Z\n", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
    ],
)
def test_parse_accepts_spec_shapes_and_offsets(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    assert parsed.utcoffset() == timedelta(0)


def test_parse_offset_is_converted_not_relabelled() -> None:
    parsed = parse_datetime("2015-06-29T00:30:00+02:00")
    assert parsed == datetime(2015, 6, 28, 22, 30, tzinfo=UTC)


def test_parse_naive_datetime_object_is_utc() -> None:
    parsed = parse_datetime(datetime(2020, 1, 2, 3, 4, 5))
    assert parsed == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_parse_aware_datetime_object_is_converted_to_utc() -> None:
    cest = timezone(timedelta(hours=2))
    parsed = parse_datetime(datetime(2020, 1, 2, 3, 4, 5, tzinfo=cest))
    assert parsed == datetime(2020, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "2015-13-01T00:00:00Z",
        "2015-06-31T00:00:00Z",
        "2015-06-29T25:00:00Z",
        "2015-06-29T20:39:09ZZ",
        "29/06/2015 20:39:09",
        "Z",
    ],
)
def test_parse_rejects_garbage_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_parse_accepts_unpadded_cdr_placeholder_e_221_16() -> None:
    assert parse_datetime("1970-1-1T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC), "2015-06-29T20:39:09Z"),
        (datetime(2015, 6, 29, 20, 39, 9), "2015-06-29T20:39:09Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 999999, tzinfo=UTC), "2015-06-29T20:39:09Z"),
        (
            datetime(2015, 6, 29, 22, 39, 9, 500000, tzinfo=timezone(timedelta(hours=2))),
            "2015-06-29T20:39:09Z",
        ),
        (
            datetime(2015, 6, 29, 23, 0, 0, tzinfo=timezone(timedelta(hours=-3))),
            "2015-06-30T02:00:00Z",
        ),
        (datetime(2015, 1, 2, 3, 4, 5, tzinfo=UTC), "2015-01-02T03:04:05Z"),
    ],
)
def test_format_is_strict_utc_without_fraction(value: datetime, expected: str) -> None:
    text = format_datetime(value)
    assert text == expected
    assert STRICT.match(text)


def test_format_pads_year_to_four_digits() -> None:
    # .NET peers send DateTime.MinValue as 0001-01-01T00:00:00; re-emitting it
    # must still be a valid OCPI DateTime.
    assert format_datetime(parse_datetime("0001-01-01T00:00:00")) == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "text",
    [
        "2015-06-29T20:39:09Z",
        "2015-06-29T20:39:09",
        "2016-12-29T17:45:09.2Z",
        "2018-01-01T01:08:01.123Z",
        "2015-06-29T22:39:09+02:00",
    ],
)
def test_parse_then_format_round_trip(text: str) -> None:
    out = format_datetime(parse_datetime(text))
    assert STRICT.match(out)
    assert parse_datetime(out) == parse_datetime(text).replace(microsecond=0)


def test_utcnow_is_aware_utc_and_formats_strictly() -> None:
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert STRICT.match(format_datetime(now))
