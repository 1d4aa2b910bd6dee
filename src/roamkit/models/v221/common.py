"""OCPI 2.2.1 types shared by several modules.

From ``types.asciidoc`` (DisplayText, Price, Role) and the classes that
``mod_locations.asciidoc`` defines but other modules reuse (BusinessDetails,
Image, GeoLocation, EnergyMix and their enums).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field

from roamkit.models.base import URL, Number, OcpiModel, ci_string, string


class V221Model(OcpiModel):
    """Base of the 2.2.1 wire models.

    On top of ``OcpiModel``: a JSON number sent for a string field is taken as
    its text (peers send ``"physical_reference": 3`` or ``"id": 1``; the spec's
    own ``location_put_example_add_evse.json`` does). Output is always a string.
    """

    model_config = ConfigDict(coerce_numbers_to_str=True)


class Role(StrEnum):
    """types.asciidoc#types_role_enum"""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class DisplayText(V221Model):
    """types.asciidoc#types_displaytext_class"""

    language: string(2)
    """ISO 639-1 language code."""
    text: string(512)
    """Plain text, no markup."""


class Price(V221Model):
    """types.asciidoc#types_price_class"""

    excl_vat: Number
    incl_vat: Number | None = None


class GeoLocation(V221Model):
    """mod_locations.asciidoc#mod_locations_geolocation_class

    Lengths are enforced; the spec's regex (5-7 decimals) is not, to stay
    lenient with peers that send fewer decimals.
    """

    latitude: string(10)
    longitude: string(11)


class ImageCategory(StrEnum):
    """mod_locations.asciidoc#mod_locations_imagecategory_enum"""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(V221Model):
    """mod_locations.asciidoc#mod_locations_image_class"""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: ci_string(4)
    """Image type such as gif, jpeg, png, svg."""
    width: int | None = Field(default=None, ge=0, le=99999)
    """int(5)"""
    height: int | None = Field(default=None, ge=0, le=99999)
    """int(5)"""


class BusinessDetails(V221Model):
    """mod_locations.asciidoc#mod_locations_businessdetails_class"""

    name: string(100)
    website: URL | None = None
    logo: Image | None = None


class EnergySourceCategory(StrEnum):
    """mod_locations.asciidoc#mod_locations_energysourcecategory_enum"""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    """mod_locations.asciidoc#mod_locations_environmentalimpactcategory_enum"""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class EnergySource(V221Model):
    """mod_locations.asciidoc#mod_locations_energysource_class"""

    source: EnergySourceCategory
    percentage: Number
    """0-100."""


class EnvironmentalImpact(V221Model):
    """mod_locations.asciidoc#mod_locations_environmentalimpact_class"""

    category: EnvironmentalImpactCategory
    amount: Number
    """g/kWh."""


class EnergyMix(V221Model):
    """mod_locations.asciidoc#mod_locations_energymix_class"""

    is_green_energy: bool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: string(64) | None = None
    energy_product_name: string(64) | None = None
