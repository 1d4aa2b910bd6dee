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
from roamkit.pricing.tariff import Component, Element

if TYPE_CHECKING:
    from roamkit.pricing.engine import _Period

TIME_DIMENSIONS = frozenset(("TIME", "PARKING_TIME", "RESERVATION_TIME"))


class Piece:
    """``volume`` (kWh, or a FLAT count) or ``seconds`` (time dimensions) as consumed;
    ``billed``/``billed_seconds`` after step_size."""

    __slots__ = (
        "billed",
        "billed_seconds",
        "category",
        "component",
        "dimension",
        "element",
        "lookup",
        "period",
        "seconds",
        "volume",
    )  # fmt: skip

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
        self.period = period
        self.dimension = dimension
        self.element = element
        self.component = component
        self.lookup = lookup
        self.volume = volume
        self.seconds = seconds
        self.category = category
        self.billed = volume
        self.billed_seconds = seconds

    @property
    def is_time(self) -> bool:
        return self.dimension in TIME_DIMENSIONS

    def cost(self) -> Money:
        """Price x billed volume (time priced per hour), exact; including VAT when the
        component has ``vat`` (or the cost is zero)."""
        component = self.component
        if self.dimension in TIME_DIMENSIONS:
            excl = component.price * self.billed_seconds / 3600
        else:
            excl = component.price * self.billed
        factor = component.vat_factor
        if factor is not None:
            return Money(excl, excl * factor)
        return Money(excl, ZERO if not excl else None)

    def result(self, cost: Money, step_note: str | None) -> PricedComponent:
        period = self.period
        assert period.tariff is not None
        component = self.component
        if self.dimension in TIME_DIMENSIONS:
            volume, billed = hours(self.seconds), hours(self.billed_seconds)
            seconds, billed_seconds = self.seconds, self.billed_seconds
        else:
            volume, billed, seconds, billed_seconds = self.volume, self.billed, None, None
        return PricedComponent(
            dimension=self.dimension,
            type=component.type,
            tariff_id=period.tariff.id,
            element_index=self.element.index,
            price=component.price,
            vat=component.vat,
            step_size=component.step_size,
            volume=volume,
            billed_volume=billed,
            cost=cost,
            category=self.category,
            seconds=seconds,
            billed_seconds=billed_seconds,
            explain=lambda: self.explain(step_note),
        )

    def explain(self, step_note: str | None) -> str:
        """Which element, why the earlier ones with this dimension were skipped, and the
        step_size rounding."""
        period = self.period
        moment = period.moment
        kind = self.component.type
        chosen = self.element
        restrictions = chosen.restrictions
        held = "no restrictions" if restrictions is None else f"{restrictions.describe()}: all hold"
        where = "reservation elements" if period.reservation else "elements"
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
            if period.flat is not None and not period.reservation:
                text += f"; FLAT dimension volume {period.flat} (2.1.1 mod_cdrs.md §4.3)"
            else:
                phase = "reservation" if period.reservation else "session"
                text += f"; a FLAT fee is charged once per {phase}, in its first period with one"
        if step_note:
            text += "; " + step_note
        return text
