"""Classes shared by several OCPI 2.1.1 modules.

``DisplayText`` is defined in ``types.md §1.3``; the others are defined in
``mod_locations.md §4`` and reused by Credentials, Tariffs, Sessions and CDRs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from roamkit.models.base import URL, Number, OcpiModel, string

Latitude = Annotated[str, StringConstraints(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{6}$")]
"""``mod_locations.md §4.12``: string(10), regex ``-?[0-9]{1,2}\\.[0-9]{6}`` (WGS 84)."""

Longitude = Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{6}$")]
"""``mod_locations.md §4.12``: string(11), regex ``-?[0-9]{1,3}\\.[0-9]{6}`` (WGS 84)."""

TimeOfDay = Annotated[
    str, StringConstraints(max_length=5, pattern=r"^(([0-1][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
]
"""``HH:MM`` (``mod_locations.md §4.19``, ``mod_tariffs.md §4.5``).

The printed regex ``[0-2][0-9]:[0-5][0-9]`` admits 24:00-29:59 (CHECKLIST
E-211-2). We accept 00:00-23:59 plus ``24:00`` (end of day, which the printed
regex allows and partners do send) and refuse the rest.
"""

DateString = Annotated[
    str, StringConstraints(max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
]
"""``YYYY-MM-DD`` as string(10) (``mod_tariffs.md §4.5`` start_date/end_date)."""

Int5 = Annotated[int, Field(ge=0, le=99999)]
"""int(5): at most five digits (``mod_locations.md §4.14`` Image width/height)."""


class DisplayText(OcpiModel):
    """``types.md §1.3 DisplayText class``."""

    language: string(2)
    text: string(512)


class ImageCategory(StrEnum):
    """``mod_locations.md §4.15 ImageCategory enum``."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(OcpiModel):
    """``mod_locations.md §4.14 Image class``."""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: string(4)
    width: Int5 | None = None
    height: Int5 | None = None


class BusinessDetails(OcpiModel):
    """``mod_locations.md §4.1 BusinessDetails class`` (the second §4.1)."""

    name: string(100)
    website: URL | None = None
    logo: Image | None = None


class GeoLocation(OcpiModel):
    """``mod_locations.md §4.12 GeoLocation class``."""

    latitude: Latitude
    longitude: Longitude


class EnergySourceCategory(StrEnum):
    """``mod_locations.md §4.7 EnergySourceCategory enum``."""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    """``mod_locations.md §4.9 EnvironmentalImpactCategory enum``."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class EnergySource(OcpiModel):
    """``mod_locations.md §4.6 EnergySource class``; ``percentage`` is 0-100."""

    source: EnergySourceCategory
    percentage: Number


class EnvironmentalImpact(OcpiModel):
    """``mod_locations.md §4.8 EnvironmentalImpact class``.

    2.1.1 names the category field ``source`` (2.2 renamed it ``category``).
    """

    source: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    """``mod_locations.md §4.5 EnergyMix class`` (used by Location and Tariff)."""

    is_green_energy: bool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: string(64) | None = None
    energy_product_name: string(64) | None = None
