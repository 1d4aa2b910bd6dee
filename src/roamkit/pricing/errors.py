"""Errors of the tariff engine: the input cannot be priced at all.

Everything the engine can price despite a defect (an unknown ``tariff_id``, a
period that should have been split, a currency mismatch) is priced and the
defect reported in ``Pricing.warnings`` instead.
"""

from __future__ import annotations


class PricingError(ValueError):
    """The periods, times or options cannot be priced (out-of-order periods,
    an unknown time zone, an unknown version)."""


class TariffError(PricingError):
    """A tariff cannot be read: a restriction that is not ``hh:mm`` / ``YYYY-MM-DD``.

    ``path`` names the field (``elements[2].restrictions.start_time``).
    """

    def __init__(self, tariff_id: str, path: str, problem: str) -> None:
        self.tariff_id = tariff_id
        self.path = path
        super().__init__(f"tariff {tariff_id!r}: {path}: {problem}")
