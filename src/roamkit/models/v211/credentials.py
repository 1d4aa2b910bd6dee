"""OCPI 2.1.1 Credentials (``credentials.md``)."""

from __future__ import annotations

from roamkit.models.base import URL, OcpiModel, string
from roamkit.models.v211.common import BusinessDetails


class Credentials(OcpiModel):
    """``credentials.md §2.1 Credentials object``."""

    token: string(64)
    url: URL
    business_details: BusinessDetails
    party_id: string(3)
    country_code: string(2)
