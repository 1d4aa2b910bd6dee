"""``roamkit tariff price``: recompute a CDR's costs from its charging periods and tariffs.

Works offline, on files (no node, no database). The CDR's own totals are
ignored and recomputed (a warning says when they differ); the output explains,
per charging period and dimension, which tariff element applied and why
(``roamkit.pricing``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionError
from roamkit.domain.v211 import tariffs as tariff_conv
from roamkit.models.v211 import cdrs as w211_cdrs
from roamkit.models.v211 import tariffs as w211_tariffs
from roamkit.pricing import PricingError, price_cdr
from roamkit.pricing.engine import V211_CONTEXT
from roamkit.pricing.localtime import zone

_MAX_ERRORS = 5


class _BadInput(Exception):
    """Input the command cannot use; the message goes to stderr."""


def tariff_price(
    tariff: Annotated[
        str,
        typer.Option(
            "--tariff",
            help="TARIFF.json: one Tariff or a JSON list of them, in the --version wire format.",
        ),
    ],
    cdr: Annotated[
        str,
        typer.Option(
            "--cdr", help="CDR.json: a CDR in the --version wire format (its totals are ignored)."
        ),
    ],
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone",
            help="IANA time zone of the Location (Europe/Amsterdam). Default: the 2.1.1 CDR "
            "location's time_zone, else UTC (with a warning).",
        ),
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="OCPI version of the files: 2.1.1 or 2.2.1.")
    ] = "2.2.1",
) -> None:
    """Price a CDR with tariffs: totals, and per charging period which tariff element applied
    and why. Prints JSON."""
    try:
        output = _price(tariff, cdr, time_zone, version)
    except _BadInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(output, indent=2, ensure_ascii=False))


def _price(tariff_file: str, cdr_file: str, time_zone: str | None, version: str) -> dict[str, Any]:
    if version not in ("2.1.1", "2.2.1"):
        raise _BadInput(f"--version must be 2.1.1 or 2.2.1, not {version!r}")
    tariff_data = _read_json(tariff_file, "--tariff")
    cdr_data = _read_json(cdr_file, "--cdr")
    items = tariff_data if isinstance(tariff_data, list) else [tariff_data]
    if not items:
        raise _BadInput(f"{tariff_file}: no tariff in the list")
    warnings: list[str] = []
    if version == "2.1.1":
        wire_tariffs = [
            _validate(w211_tariffs.Tariff, item, tariff_file, f"2.1.1 Tariff #{i}")
            for i, item in enumerate(items)
        ]
        try:
            tariffs = [tariff_conv.to_canonical(t, V211_CONTEXT) for t in wire_tariffs]
        except (ValidationError, ConversionError) as exc:
            raise _BadInput(f"{tariff_file}: cannot convert the 2.1.1 tariff: {exc}") from None
        the_cdr: Any = _validate(w211_cdrs.CDR, cdr_data, cdr_file, "2.1.1 CDR")
        zone_name = time_zone or the_cdr.location.time_zone
    else:
        tariffs = [
            _validate(c.Tariff, item, tariff_file, f"2.2.1 Tariff #{i}")
            for i, item in enumerate(items)
        ]
        the_cdr = _validate(c.CDR, cdr_data, cdr_file, "2.2.1 CDR")
        zone_name = time_zone
    if not zone_name:
        zone_name = "UTC"
        warnings.append(
            "no time zone (--time-zone, or the 2.1.1 CDR location's time_zone): restrictions "
            "are evaluated in UTC"
        )
    try:
        zone(zone_name)
        pricing = price_cdr(the_cdr, tariffs, time_zone=zone_name, version=version)
    except PricingError as exc:
        raise _BadInput(str(exc)) from None
    pricing.warnings[:0] = warnings
    return pricing.to_json(version)


def _read_json(name: str, option: str) -> Any:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _BadInput(f"{option} {name}: cannot read it ({exc})") from None
    try:
        return json.loads(text, parse_float=Decimal)  # numbers exactly as written
    except json.JSONDecodeError as exc:
        raise _BadInput(
            f"{option} {name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def _validate(model: type[BaseModel], data: Any, name: str, what: str) -> Any:
    if not isinstance(data, dict):
        raise _BadInput(f"{name}: {what} must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(object)'}: {error['msg']}"
            for error in exc.errors()[:_MAX_ERRORS]
        ]
        more = exc.error_count() - len(problems)
        listed = "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
        raise _BadInput(f"{name}: invalid {what}: {listed}") from None
