"""OCPI 2.1.1 Tariffs module (``mod_tariffs.md``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from roamkit.models.base import URL, DateTime, Number, OcpiModel, string
from roamkit.models.v211.common import DateString, DisplayText, EnergyMix, TimeOfDay


class DayOfWeek(StrEnum):
    """``mod_tariffs.md §4.1 DayOfWeek enum``."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class TariffDimensionType(StrEnum):
    """``mod_tariffs.md §4.4 TariffDimensionType enum``.

    step_size multipliers: ENERGY 1 Wh, PARKING_TIME and TIME 1 second, FLAT none.
    """

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class PriceComponent(OcpiModel):
    """``mod_tariffs.md §4.2 PriceComponent class``; ``price`` excludes VAT."""

    type: TariffDimensionType
    price: Number
    step_size: int


class TariffRestrictions(OcpiModel):
    """``mod_tariffs.md §4.5 TariffRestrictions class``; ``end_date`` is exclusive."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: DateString | None = None
    end_date: DateString | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: list[DayOfWeek] | None = None


class TariffElement(OcpiModel):
    """``mod_tariffs.md §4.3 TariffElement class``."""

    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    """``mod_tariffs.md §3.1 Tariff Object``."""

    id: string(36)
    currency: string(3)
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    elements: list[TariffElement] = Field(min_length=1)
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


class TariffPatch(OcpiModel):
    """PATCH body for a Tariff (``mod_tariffs.md §2.2.3``); every field optional."""

    id: string(36) | None = None
    currency: string(3) | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    elements: list[TariffElement] | None = Field(default=None, min_length=1)
    energy_mix: EnergyMix | None = None
    last_updated: DateTime | None = None
