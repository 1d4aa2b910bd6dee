"""OCPI 2.2.1 Tariffs module: mod_tariffs.asciidoc (no PATCH in 2.2.1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from roamkit.models.base import URL, DateTime, Number, ci_string, string
from roamkit.models.v221.common import DisplayText, EnergyMix, Price, V221Model


class DayOfWeek(StrEnum):
    """mod_tariffs.asciidoc#mod_tariffs_dayofweek_enum"""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(StrEnum):
    """mod_tariffs.asciidoc#mod_tariffs_reservation_restriction_type"""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffDimensionType(StrEnum):
    """mod_tariffs.asciidoc#mod_tariffs_tariffdimensiontype_enum"""

    ENERGY = "ENERGY"
    """kWh; step_size multiplier 1 Wh."""
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    """Hours not charging; step_size multiplier 1 s."""
    TIME = "TIME"
    """Hours charging; step_size multiplier 1 s."""


class TariffType(StrEnum):
    """mod_tariffs.asciidoc#mod_tariffs_tariff_type"""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class PriceComponent(V221Model):
    """mod_tariffs.asciidoc#mod_tariffs_pricecomponent_class"""

    type: TariffDimensionType
    price: Number
    """Per unit, excluding VAT."""
    vat: Number | None = None
    """VAT percentage; absent means no VAT applies (not the same as 0)."""
    step_size: int
    """Block size in units of the dimension's step multiplier."""


class TariffRestrictions(V221Model):
    """mod_tariffs.asciidoc#mod_tariffs_tariffrestrictions_class

    Times (``hh:mm``) and dates (``YYYY-MM-DD``) are local to the Location;
    only their lengths are enforced here.
    """

    start_time: string(5) | None = None
    end_time: string(5) | None = None
    start_date: string(10) | None = None
    """Inclusive."""
    end_date: string(10) | None = None
    """Exclusive."""
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: int | None = None
    """Seconds, inclusive."""
    max_duration: int | None = None
    """Seconds, exclusive."""
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None


class TariffElement(V221Model):
    """mod_tariffs.asciidoc#mod_tariffs_tariffelement_class"""

    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Tariff(V221Model):
    """mod_tariffs.asciidoc#mod_tariffs_tariff_object"""

    country_code: ci_string(2)
    party_id: ci_string(3)
    id: ci_string(36)
    currency: string(3)
    """ISO 4217."""
    type: TariffType | None = None
    """Absent means valid for every session."""
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1)
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
