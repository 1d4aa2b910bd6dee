"""OCPI status codes per version (CHECKLIST 1.3, 2.4, A-211-4)."""

from __future__ import annotations

import pytest

from roamkit.protocol.status import StatusCode, for_version

CODES_211 = {1000, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (2004, 2000),
        (4000, 3000),
        (4001, 3000),
        (4002, 3000),
        (4003, 3000),
    ],
)
def test_codes_new_in_22_are_mapped_for_211(code: int, expected: int) -> None:
    assert for_version(code, "2.1.1") == expected
    assert for_version(StatusCode(code), "2.1.1") == expected


@pytest.mark.parametrize("code", sorted(CODES_211))
def test_211_codes_are_kept_for_211(code: int) -> None:
    assert for_version(code, "2.1.1") == code


@pytest.mark.parametrize("code", [c.value for c in StatusCode])
def test_every_code_sent_to_211_is_a_211_code(code: int) -> None:
    assert for_version(code, "2.1.1") in CODES_211


@pytest.mark.parametrize("version", ["2.2.1", "2.2", None])
@pytest.mark.parametrize("code", [c.value for c in StatusCode])
def test_non_211_versions_keep_every_code(code: int, version: str | None) -> None:
    assert for_version(code, version) == code


@pytest.mark.parametrize("code", [1900, 2900, 3999, 4900, 5000, 0, 1234])
@pytest.mark.parametrize("version", ["2.1.1", "2.2.1"])
def test_unknown_codes_pass_through(code: int, version: str) -> None:
    assert for_version(code, version) == code


def test_result_is_a_plain_int() -> None:
    result = for_version(StatusCode.UNKNOWN_TOKEN, "2.1.1")
    assert type(result) is int


def test_is_success() -> None:
    assert StatusCode.SUCCESS.is_success
    assert not StatusCode.CLIENT_ERROR.is_success
    assert not StatusCode.SERVER_ERROR.is_success
    assert not StatusCode.HUB_ERROR.is_success
