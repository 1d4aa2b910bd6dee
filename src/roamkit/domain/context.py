"""The context a 2.1.1 ⇄ canonical conversion needs, and the conversion error.

2.1.1 objects do not say who owns them (no ``country_code``/``party_id``) nor
which role the partner plays; on a 2.1.1 connection that comes from the
partner's credentials (``credentials.md §2.1``). ``ConversionContext`` carries
it, plus the few documented fallbacks used where 2.2.1 requires a value that
2.1.1 cannot supply.
"""

from __future__ import annotations

from dataclasses import dataclass

from roamkit.models.v221 import Role, TokenType

NA = "#NA"
"""2.2.1 ``transport_and_format.asciidoc#transport_and_format_not_available``:
the placeholder for a required string that truly has no value."""


class ConversionError(ValueError):
    """The object cannot be expressed in the target version (see the module's loss table)."""


@dataclass(frozen=True, slots=True)
class ConversionContext:
    """Who is on the other side of a 2.1.1 connection, and the fallbacks we use.

    ``country_code``/``party_id``: the 2.1.1 partner's party (from its
    credentials). They become the owner (``country_code``/``party_id``) of every
    Location, Tariff, Token, Session and CDR it sends us.

    ``role``: the partner's role on this connection (2.1.1 connections carry one
    role). Needed to give 2.1.1 credentials a ``role`` and 2.1.1 endpoints an
    interface ``role``; ``None`` makes those converters raise.

    ``own_country_code``/``own_party_id``: our own party on this connection. A
    2.1.1 Session/CDR names its token only by ``auth_id``; when the caller cannot
    pass the Token itself, the ``cdr_token`` is attributed to us, since on a
    2.1.1 connection the party receiving Sessions/CDRs is the eMSP that issued
    the token. ``None`` (and no Token passed) makes those converters raise.

    ``unknown_token_type``: ``cdr_token.type`` when only ``auth_id`` is known
    (``OTHER``: we do not know it is RFID).

    ``missing_time_zone``: ``Location.time_zone`` (required in 2.2.1, optional
    in 2.1.1) when the 2.1.1 location has none. Defaults to ``#NA``, which
    converts back to an absent ``time_zone``; set it from partner configuration
    only when the partner's locations are known to be in one zone.

    ``command_timeout``: ``CommandResponse.timeout`` (seconds) for a 2.1.1
    command response, which has no timeout (CHECKLIST A-211-7).
    """

    country_code: str
    party_id: str
    role: Role | None = None
    own_country_code: str | None = None
    own_party_id: str | None = None
    unknown_token_type: TokenType = TokenType.OTHER
    missing_time_zone: str = NA
    command_timeout: int = 60
