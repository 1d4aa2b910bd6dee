"""The canonical model: one shape for every object inside roamkit.

The canonical model IS the OCPI 2.2.1 wire model (``roamkit.models.v221``),
re-exported here so the rest of the code imports canonical types from one
place (``from roamkit.domain.canonical import Location``) and never from a
version package. Stored documents, the management API and the business logic
use these types; only the edge (routers, the client) sees ``models.v211``.

One addition: ``TariffPatch``. 2.2.1 removed the Tariff PATCH that 2.1.1 has
(``mod_tariffs.md §2.2.3``), so there is no wire model for a partial Tariff;
``TariffPatch`` is roamkit's internal partial Tariff that a 2.1.1 tariff PATCH
converts to. It is never sent on a 2.2.1 connection.
"""

from __future__ import annotations

from roamkit.models import v221
from roamkit.models.base import URL, DateTime, ci_string, string
from roamkit.models.v221 import *  # noqa: F403 - the canonical names are the 2.2.1 names
from roamkit.models.v221 import (
    DisplayText,
    EnergyMix,
    Price,
    TariffElement,
    TariffType,
    V221Model,
)


class TariffPatch(V221Model):
    """A partial canonical Tariff (all fields optional), for 2.1.1 tariff PATCHes.

    Mirrors ``Tariff`` (``mod_tariffs.asciidoc#mod_tariffs_tariff_object``);
    apply it with ``model_dump(exclude_unset=True)``.
    """

    country_code: ci_string(2) | None = None
    party_id: ci_string(3) | None = None
    id: ci_string(36) | None = None
    currency: string(3) | None = None
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] | None = None
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime | None = None


__all__ = [*v221.__all__, "TariffPatch"]
