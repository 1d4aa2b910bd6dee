"""Credentials: 2.1.1 (``credentials.md §2.1``) ⇄ canonical (2.2.1 ``credentials.asciidoc``).

A 2.1.1 Credentials object describes one party in one role without naming the
role; 2.2.1 lists ``roles[]`` (CredentialsRole: role, business_details,
party_id, country_code).

- 2.1.1 → canonical: one CredentialsRole with the object's own
  ``country_code``/``party_id``/``business_details`` and ``role=ctx.role`` (the
  role the partner plays on this connection). ``ctx.role`` unset raises
  ``ConversionError``: we do not guess a role. The token stays raw (2.1.1 and
  2.2.1 both carry the raw token in the body; only the header differs).
- canonical → 2.1.1, what 2.1.1 cannot express: several roles. We send the
  CredentialsRole whose ``role`` is the one asked for (our role on this
  connection), else the first one; the other roles are dropped.
"""

from __future__ import annotations

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.models.v211 import credentials as w


def to_canonical(credentials: w.Credentials, ctx: ConversionContext) -> c.Credentials:
    """2.1.1 Credentials → canonical Credentials with the one role ``ctx.role``."""
    if ctx.role is None:
        raise ConversionError("2.1.1 credentials carry no role: set ConversionContext.role")
    role = c.CredentialsRole(
        role=ctx.role,
        business_details=c.BusinessDetails.model_validate(
            credentials.business_details.model_dump(exclude_none=True)
        ),
        party_id=credentials.party_id,
        country_code=credentials.country_code,
    )
    return c.Credentials(token=credentials.token, url=credentials.url, roles=[role])


def from_canonical(
    credentials: c.Credentials,
    ctx: ConversionContext | None = None,
    *,
    role: c.Role | None = None,
) -> w.Credentials:
    """Canonical Credentials → 2.1.1, presenting the CredentialsRole ``role`` (else the first)."""
    chosen = next((r for r in credentials.roles if r.role == role), credentials.roles[0])
    return w.Credentials.model_validate(
        {
            "token": credentials.token,
            "url": credentials.url,
            "business_details": chosen.business_details.model_dump(exclude_none=True),
            "party_id": chosen.party_id,
            "country_code": chosen.country_code,
        }
    )
