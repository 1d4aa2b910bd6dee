"""step_size: billing consumed volumes in whole steps, as each version defines it.

The billed amount is ``ceil(consumed / step) x step`` (E-221-2: an exact
multiple is not raised by a step, as the examples show, whatever "greater than"
in ``#mod_tariffs_pricecomponent_class`` says). Steps are in the dimension's
multiplier: 1 Wh for ENERGY, 1 s for time. FLAT has no step. A ``step_size`` of
0 or less bills the exact volume. Negative or zero totals are not rounded.

**2.2.1** (``mod_cdrs.asciidoc#mod_cdrs_step_size``, the "Example Tariff"
step_size examples in ``mod_tariffs.asciidoc``; CHECKLIST 221-TC-7): step_size
is taken into account once per session for ENERGY, and once for TIME and
PARKING_TIME together:

- ENERGY: the session total of priced energy is rounded up with the step_size of
  the component of the last priced ENERGY period (not per element, not per
  tariff); the extra is billed in that last period at its price.
- TIME + PARKING_TIME: only the last time-based dimension is rounded ("the
  charging duration is not rounded up, as it is followed by another time based
  period"): the session total of that dimension, with the step_size of the
  component of its last priced period, the extra billed there. A time stretch
  that no component prices is free and not rounded: the last *paid* one is
  (the "switching to Free-of-Charge Tariff Element" example, with E-221-6's
  corrected figures).
- Reservation time (TIME components of reservation elements) is its own
  group, rounded once at the end of the reservation (examples 15-18).

**2.1.1** (``mod_tariffs.md §4.2``: "Minimum amount to be billed. This unit will
be billed in this step_size blocks") has no session-level rule (CHECKLIST
211-TC-2). We apply it to what each price component bills: the session total
of one component (one element's component of one dimension, in one tariff) is
rounded up to its own step_size, the extra billed in that component's last
period. So, unlike 2.2.1, a 17:00 price change rounds both parts and charging
followed by parking rounds both.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from roamkit.pricing.pieces import Piece

_THOUSAND = Decimal(1000)
_RULE_211 = "2.1.1 mod_tariffs.md §4.2"
_RULE_221 = "2.2.1 mod_cdrs.asciidoc#mod_cdrs_step_size"


def apply_step_sizes(pieces: list[Piece], version: str) -> None:
    """Set ``billed``/``billed_seconds`` of ``pieces`` (in time order), and the ``note`` of
    each piece that got an extra amount."""
    if version == "2.1.1":
        groups: dict[tuple[str, int, str], list[Piece]] = {}
        for piece in pieces:
            if piece.dimension != "FLAT":
                key = (piece.tariff.key, piece.element.index, piece.dimension)
                groups.setdefault(key, []).append(piece)
        for group in groups.values():
            _round(group, "the session total of this price component", _RULE_211)
        return
    energy = [p for p in pieces if p.dimension == "ENERGY"]
    times = [p for p in pieces if p.dimension in ("TIME", "PARKING_TIME")]
    reserved = [p for p in pieces if p.dimension == "RESERVATION_TIME"]
    rule = _RULE_221
    if energy:
        _round(energy, "the session total of ENERGY", rule)
    if times:
        last = times[-1].dimension
        rounded = [p for p in times if p.dimension == last]
        what = f"the session total of {last}"
        if len(rounded) < len(times):
            what += f" (the last time-based dimension; {_other(last)} is not rounded)"
        _round(rounded, what, rule)
    if reserved:
        _round(reserved, "the reservation time", rule)


def _other(dimension: str) -> str:
    return "PARKING_TIME" if dimension == "TIME" else "TIME"


def _round(group: list[Piece], what: str, rule: str) -> None:
    last = group[-1]
    step = last.component.step_size
    if step <= 0:
        return
    if last.is_time:
        total = sum(p.seconds for p in group)
        if total <= 0:
            return
        billed = -(-total // step) * step
        extra = billed - total
        if extra:
            last.billed_seconds += extra
            last.note = (
                f"{what}, {_duration(total)}, is billed as {_duration(billed)} (step_size "
                f"{step} s of this component, {rule}): {_duration(extra)} added here"
            )
        return
    total_kwh = sum((p.volume for p in group), Decimal(0))
    if total_kwh <= 0:
        return
    steps = (total_kwh * _THOUSAND / step).to_integral_value(rounding=ROUND_CEILING)
    billed_kwh = steps * step / _THOUSAND
    extra_kwh = billed_kwh - total_kwh
    if extra_kwh:
        last.billed = last.billed + extra_kwh
        last.note = (
            f"{what}, {_kwh(total_kwh)} kWh, is billed as {_kwh(billed_kwh)} kWh (step_size "
            f"{step} Wh of this component, {rule}): {_kwh(extra_kwh)} kWh added here"
        )


def _kwh(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")
