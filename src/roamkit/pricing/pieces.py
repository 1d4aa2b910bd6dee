"""A piece of billing: one dimension of one charging period, priced by one price component.

The engine makes the pieces (which element applies), ``stepsize`` bills them
(rounds volumes up), and each piece then knows its cost and how to explain
itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from roamkit.pricing.money import ZERO, Money
from roamkit.pricing.result import PricedComponent, hours
from roamkit.pricing.tariff import CompiledTariff, Component, Element

if TYPE_CHECKING:
    from roamkit.pricing.engine import _Period

TIME_DIMENSIONS = frozenset(("TIME", "PARKING_TIME", "RESERVATION_TIME"))


class Piece:
    """``volume`` (kWh, or a FLAT count) or ``seconds`` (time dimensions) as consumed;
    ``billed``/``billed_seconds`` after step_size; ``excl``/``incl`` once ``settle`` ran;
    ``note``: how step_size changed it, if it did."""

    __slots__ = (
        "billed",
        "billed_seconds",
        "category",
        "component",
        "dimension",
        "element",
        "excl",
        "flat",
        "incl",
        "is_time",
        "lookup",
        "moment",
        "note",
        "reservation",
        "seconds",
        "tariff",
        "volume",
    )

    def __init__(
        self,
        period: _Period,
        dimension: str,
        element: Element,
        component: Component,
        lookup: tuple[Element, ...],
        volume: Decimal,
        seconds: int,
        category: str,
    ) -> None:
        # What the piece needs of its period, copied: a piece does not point back at its
        # period (the period holds its pieces), so pricing leaves no reference cycles and
        # no work for the cyclic garbage collector.
        self.tariff: CompiledTariff = period.tariff  # type: ignore[assignment]
        self.moment = period.moment
        self.reservation = period.reservation
        self.flat = period.flat
        self.dimension = dimension
        self.element = element
        self.component = component
        self.lookup = lookup
        self.volume = volume
        self.seconds = seconds
        self.category = category
        self.billed = volume
        self.billed_seconds = seconds
        self.is_time = dimension in TIME_DIMENSIONS
        self.note: str | None = None

    def settle(self) -> tuple[Decimal, Decimal | None]:
        """(excl. VAT, incl. VAT) = price x billed volume (time priced per hour), exact;
        including VAT when the component has ``vat`` (or the cost is zero). Kept in
        ``excl``/``incl``."""
        component = self.component
        if self.is_time:
            excl = component.price * self.billed_seconds / 3600
        else:
            excl = component.price * self.billed
        factor = component.vat_factor
        if factor is not None:
            incl: Decimal | None = excl * factor
        elif excl:
            incl = None
        else:
            incl = ZERO
        self.excl = excl
        self.incl = incl
        return excl, incl

    def result(self) -> PricedComponent:
        component = self.component
        if self.is_time:
            volume, billed = hours(self.seconds), hours(self.billed_seconds)
            seconds, billed_seconds = self.seconds, self.billed_seconds
        else:
            volume, billed, seconds, billed_seconds = self.volume, self.billed, None, None
        return PricedComponent(
            dimension=self.dimension,
            type=component.type,
            tariff_id=self.tariff.id,
            element_index=self.element.index,
            price=component.price,
            vat=component.vat,
            step_size=component.step_size,
            volume=volume,
            billed_volume=billed,
            cost=Money(self.excl, self.incl),
            category=self.category,
            seconds=seconds,
            billed_seconds=billed_seconds,
            explain=self.explain,
        )

    def explain(self) -> str:
        """Which element, why the earlier ones with this dimension were skipped, and the
        step_size rounding."""
        moment = self.moment
        kind = self.component.type
        chosen = self.element
        restrictions = chosen.restrictions
        held = "no restrictions" if restrictions is None else f"{restrictions.describe()}: all hold"
        where = "reservation elements" if self.reservation else "elements"
        text = (
            f"element {chosen.index} ({held}) is the first of the {where} with a price "
            f"component of type {kind} whose restrictions hold"
        )
        skipped = []
        for element in self.lookup:
            if element is chosen:
                break
            r = element.restrictions
            if r is not None and moment is not None:
                skipped.append(f"element {element.index}: {r.explain(r.fails(moment), moment)}")
        if skipped:
            text += "; skipped " + "; ".join(skipped)
        if self.dimension == "FLAT":
            if self.flat is not None and not self.reservation:
                text += f"; FLAT dimension volume {self.flat} (2.1.1 mod_cdrs.md §4.3)"
            else:
                phase = "reservation" if self.reservation else "session"
                text += f"; a FLAT fee is charged once per {phase}, in its first period with one"
        if self.note:
            text += "; " + self.note
        return text
