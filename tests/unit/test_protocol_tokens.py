"""Credentials tokens on the wire (CHECKLIST 211-T-2, 221-T-2/3, A-211-3, E-221-1)."""

from __future__ import annotations

import base64

import pytest

from roamkit.protocol.tokens import (
    TokenEncoding,
    encode_token,
    hash_token,
    new_token,
    token_candidates,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


# --- token_candidates --------------------------------------------------------


def test_spec_example_decodes_to_example_token_e_221_1() -> None:
    assert b64("example-token") == "ZXhhbXBsZS10b2tlbg=="
    assert token_candidates("Token ZXhhbXBsZS10b2tlbg==") == [
        "example-token",
        "ZXhhbXBsZS10b2tlbg==",
    ]


def test_newline_suffixed_spec_example_never_authenticates_as_example_token() -> None:
    # The 2.2.1 text's examples encode "example-token\n" (E-221-1): it must not
    # be trimmed silently into "example-token".
    candidates = token_candidates("Token ZXhhbXBsZS10b2tlbgo=")
    assert "example-token" not in candidates
    assert candidates == ["ZXhhbXBsZS10b2tlbgo="]


@pytest.mark.parametrize("token", ["abc-DEF_123", "0c2f8b1e-5a1d-4c3e-9d7a-1b2c3d4e5f60", "x"])
def test_base64_form_decoded_first_then_raw(token: str) -> None:
    encoded = b64(token)
    assert token_candidates(f"Token {encoded}") == [token, encoded]


@pytest.mark.parametrize(
    "token",
    ["example-token", "abc_def", "a.b.c", "tok!en", "0c2f8b1e-5a1d-4c3e-9d7a-1b2c3d4e5f60"],
)
def test_raw_token_that_is_not_base64_is_offered_raw(token: str) -> None:
    assert token_candidates(f"Token {token}") == [token]


def test_raw_token_that_decodes_to_binary_is_offered_raw_only() -> None:
    # "abcd" is valid Base64 but decodes to non-ASCII bytes.
    assert token_candidates("Token abcd") == ["abcd"]


def test_raw_token_that_is_also_printable_base64_offers_both() -> None:
    # A raw token may itself be valid Base64 of something printable: both are
    # offered so the raw form can still match.
    raw = "dG9rZW4x"  # base64("token1")
    assert token_candidates(f"Token {raw}") == ["token1", raw]


def test_unpadded_base64_is_decoded() -> None:
    assert token_candidates("Token ZXhhbXBsZS10b2tlbg")[0] == "example-token"


@pytest.mark.parametrize("scheme", ["Token", "token", "TOKEN", "tOkEn"])
def test_scheme_is_case_insensitive(scheme: str) -> None:
    assert token_candidates(f"{scheme} ZXhhbXBsZS10b2tlbg==")[0] == "example-token"


def test_surrounding_whitespace_is_tolerated() -> None:
    assert token_candidates("  Token   example-token  ") == ["example-token"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "Token",
        "Token ",
        "Token    ",
        "Bearer x",
        "Basic dXNlcjpwYXNz",
        "example-token",
        "Tokenexample-token",
    ],
)
def test_missing_or_malformed_header_gives_nothing(header: str | None) -> None:
    assert token_candidates(header) == []


@pytest.mark.parametrize("text", ["tok en", "tok\ten", "tok\u00e9n", "token\r", "\x00"])
def test_decoded_value_with_whitespace_or_non_ascii_is_not_offered(text: str) -> None:
    encoded = base64.b64encode(text.encode()).decode("ascii")
    candidates = token_candidates(f"Token {encoded}")
    assert text not in candidates
    assert candidates == [encoded]


def test_new_token_round_trips_through_both_encodings() -> None:
    token = new_token()
    for version in ("2.1.1", "2.2.1"):
        header = encode_token(token, version)
        assert token in token_candidates(header)


# --- encode_token -------------------------------------------------------------


def test_encode_221_is_base64() -> None:
    assert encode_token("example-token", "2.2.1") == "Token ZXhhbXBsZS10b2tlbg=="
    assert encode_token("example-token", "2.2") == "Token ZXhhbXBsZS10b2tlbg=="


@pytest.mark.parametrize("version", ["2.1.1", "2.1", "2.0"])
def test_encode_211_is_raw(version: str) -> None:
    assert encode_token("example-token", version) == "Token example-token"


def test_encode_never_adds_newline() -> None:
    assert not encode_token("example-token", "2.2.1").endswith("o=")
    assert "\n" not in encode_token("example-token", "2.2.1")


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", None])
def test_encode_overrides(version: str | None) -> None:
    assert encode_token("example-token", version, "raw") == "Token example-token"
    assert encode_token("example-token", version, TokenEncoding.RAW) == "Token example-token"
    assert encode_token("example-token", version, "base64") == "Token ZXhhbXBsZS10b2tlbg=="
    assert (
        encode_token("example-token", version, TokenEncoding.BASE64) == "Token ZXhhbXBsZS10b2tlbg=="
    )


def test_encode_auto_explicit() -> None:
    assert encode_token("t", "2.1.1", TokenEncoding.AUTO) == "Token t"
    assert encode_token("t", "2.2.1", "auto") == "Token " + b64("t")


def test_encode_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_token("t", "2.2.1", "hex")


def test_encode_utf8_token_is_base64_of_utf8() -> None:
    assert encode_token("tök", "2.2.1") == "Token " + base64.b64encode("tök".encode()).decode()


# --- new_token / hash_token ---------------------------------------------------


def test_new_token_shape() -> None:
    for _ in range(200):
        token = new_token()
        assert 0 < len(token) <= 64
        assert token.isascii()
        assert token.isprintable()
        assert not any(c.isspace() for c in token)


def test_new_token_is_unique() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000


def test_hash_token_is_deterministic_and_not_the_token() -> None:
    token = new_token()
    assert hash_token(token) == hash_token(token)
    assert hash_token(token) != token
    assert token not in hash_token(token)
    assert hash_token(token) != hash_token(token + "x")
    assert len(hash_token(token)) == 64
