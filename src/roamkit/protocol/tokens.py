"""Credentials tokens on the wire.

2.2.1 (transport_and_format.asciidoc#transport_and_format_authorization_header)
sends ``Authorization: Token <base64(token)>``; 2.1.1 sends the raw token, and
many 2.2 implementations do too. We accept both on input (CHECKLIST 221-T-3,
A-211-3) and send what the partner's version requires, unless the partner is
configured otherwise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from enum import StrEnum


class TokenEncoding(StrEnum):
    AUTO = "auto"  # by version: base64 for 2.2.x, raw for 2.1.1
    BASE64 = "base64"
    RAW = "raw"


def new_token() -> str:
    """A fresh credentials token: printable non-whitespace ASCII, at most 64 chars."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """We store only hashes of tokens we issue; a database leak does not leak access."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_candidates(authorization: str | None) -> list[str]:
    """The tokens an ``Authorization`` header may carry, Base64-decoded form first.

    Returns an empty list for a missing or malformed header. Both forms are
    offered because a raw token can itself be valid Base64.
    """
    if not authorization:
        return []
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates = []
    decoded = _b64decode(value)
    if decoded and decoded != value:
        candidates.append(decoded)
    candidates.append(value)
    return candidates


def _b64decode(value: str) -> str | None:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        text = raw.decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text or not text.isprintable() or any(c.isspace() for c in text):
        return None
    return text


def encode_token(token: str, version: str | None, encoding: TokenEncoding | str = "auto") -> str:
    """The ``Authorization`` header value for calling a partner on ``version``."""
    encoding = TokenEncoding(encoding)
    if encoding is TokenEncoding.AUTO:
        encoding = TokenEncoding.RAW if version in ("2.0", "2.1", "2.1.1") else TokenEncoding.BASE64
    if encoding is TokenEncoding.BASE64:
        return "Token " + base64.b64encode(token.encode()).decode("ascii")
    return "Token " + token
