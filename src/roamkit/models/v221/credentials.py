"""OCPI 2.2.1 Credentials module: credentials.asciidoc."""

from __future__ import annotations

from pydantic import Field

from roamkit.models.base import URL, ci_string, string
from roamkit.models.v221.common import BusinessDetails, Role, V221Model


class CredentialsRole(V221Model):
    """credentials.asciidoc#credentials_credentials_role_class"""

    role: Role
    business_details: BusinessDetails
    party_id: ci_string(3)
    country_code: ci_string(2)
    """ISO 3166 alpha-2."""


class Credentials(V221Model):
    """credentials.asciidoc#credentials_credentials_object"""

    token: string(64)
    """The raw token (Base64 is applied only in the Authorization header)."""
    url: URL
    """The sender's versions endpoint."""
    roles: list[CredentialsRole] = Field(min_length=1)
