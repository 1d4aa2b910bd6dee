"""Money and the rounding policy.

OCPI sets no rounding rules (2.2.1 ``mod_tariffs.asciidoc#mod_tariffs_tariff_object``,
NOTE on price rounding; CHECKLIST 221-TC-11). roamkit's policy:

- **Inside the engine nothing is rounded.** Costs are exact ``Decimal`` products
  (price x billed volume; time is priced per hour, so a cost may be a long
  fraction such as 7103 s x 2.00 / 3600) at the context precision (28 digits).
  Totals are sums of those exact costs.
- **On the wire, money has 4 decimal places, ROUND_HALF_UP**, each figure
  rounded on its own (a rounded total is not the sum of rounded parts).
  ``Money.to_price()`` and ``Pricing.to_json()`` do this.

Why 4: it keeps every exact figure the spec's examples print (0.029, 2.875,
4.125, 2.736, 13.861, 0.125) and rounds only what is not a finite amount of
money anyway. The examples disagree among themselves (tariff 2 prints 4.997 as
5.00 and tariff 3 prints 5.125 as 5.13, i.e. cents; the step_size NOTE prints
0.03125 as 0.031): rounding to the currency's minor unit is the invoicing
party's business (law, contract, currency), and ``Money.rounded(2)`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from roamkit.domain import canonical as c

MONEY_PLACES = 4
"""Decimal places of money on the wire (see the module docstring)."""

ZERO = Decimal(0)
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 10)}


def round_money(amount: Decimal, places: int = MONEY_PLACES) -> Decimal:
    """``amount`` to ``places`` decimals, ROUND_HALF_UP (-0 becomes 0)."""
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    return rounded if rounded else ZERO.quantize(quantum)


def json_number(value: Decimal) -> int | float:
    """A ``Decimal`` as a JSON number: an int when integral, else a float.

    Only used for figures that were rounded first (≤ 15 significant digits), so
    the float prints back as the same decimal.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount excluding VAT and, when every part of it has a known VAT, including VAT.

    ``incl_vat`` is ``None`` when VAT is unknown for some part: a 2.2.1 price
    component without ``vat`` ("no VAT is applicable", which is not 0 %,
    ``#mod_tariffs_pricecomponent_class``) gives a cost whose amount including
    VAT we cannot state, and so does every sum it is part of. A cost of exactly
    zero is known to be zero including VAT, whatever its VAT.
    """

    excl_vat: Decimal
    incl_vat: Decimal | None

    def __add__(self, other: Money) -> Money:
        if self.incl_vat is None or other.incl_vat is None:
            incl = None
        else:
            incl = self.incl_vat + other.incl_vat
        return Money(self.excl_vat + other.excl_vat, incl)

    def rounded(self, places: int = MONEY_PLACES) -> Money:
        """Both amounts rounded to ``places`` decimals (ROUND_HALF_UP)."""
        incl = None if self.incl_vat is None else round_money(self.incl_vat, places)
        return Money(round_money(self.excl_vat, places), incl)

    def to_price(self, places: int = MONEY_PLACES) -> c.Price:
        """The canonical (2.2.1) ``Price``, rounded for the wire (``incl_vat`` absent when
        unknown)."""
        rounded = self.rounded(places)
        return c.Price(excl_vat=rounded.excl_vat, incl_vat=rounded.incl_vat)

    def to_json(self, version: str = "2.2.1", places: int = MONEY_PLACES) -> dict | int | float:
        """2.2.1: ``{"excl_vat": n, "incl_vat": n}`` (``incl_vat`` left out when unknown);
        2.1.1: the plain number excluding VAT (2.1.1 costs exclude VAT, ``mod_cdrs.md §3.1``)."""
        rounded = self.rounded(places)
        if version == "2.1.1":
            return json_number(rounded.excl_vat)
        out: dict[str, int | float] = {"excl_vat": json_number(rounded.excl_vat)}
        if rounded.incl_vat is not None:
            out["incl_vat"] = json_number(rounded.incl_vat)
        return out


NO_COST = Money(ZERO, ZERO)
"""Zero, known including VAT: the neutral element of ``+``."""
