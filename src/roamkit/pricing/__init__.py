"""The tariff engine: OCPI tariffs + charging periods → priced periods → CDR totals.

``price_periods`` / ``price_cdr`` price a session (2.1.1 or 2.2.1 rules),
``build_charging_periods`` makes a session's charging periods from meter
samples, split wherever the tariff changes what applies. Everything is
``Decimal``; datetimes in and out are UTC; restrictions are read on the
Location's wall clock. The rules and our choices where the spec is open or
contradicts itself are in the docstrings of ``engine`` (tariff per period,
FLAT, reservations, VAT, min/max price), ``tariff`` (element lookup),
``restrictions`` (restriction semantics), ``stepsize`` (step_size per version),
``money`` (rounding) and ``periods`` (building periods).
"""

from roamkit.pricing.engine import price_cdr, price_periods
from roamkit.pricing.errors import PricingError, TariffError
from roamkit.pricing.money import MONEY_PLACES, Money, round_money
from roamkit.pricing.periods import MeterSample, build_charging_periods
from roamkit.pricing.result import PriceCapping, PricedComponent, PricedPeriod, Pricing
from roamkit.pricing.tariff import CompiledTariff, compile_tariff

__all__ = [
    "MONEY_PLACES",
    "CompiledTariff",
    "MeterSample",
    "Money",
    "PriceCapping",
    "PricedComponent",
    "PricedPeriod",
    "Pricing",
    "PricingError",
    "TariffError",
    "build_charging_periods",
    "compile_tariff",
    "price_cdr",
    "price_periods",
    "round_money",
]
