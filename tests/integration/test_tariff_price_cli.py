"""``roamkit tariff price`` (public contract): JSON files in, the recomputed costs with the
per-period explanation out; bad input gives a message on stderr and exit code 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from roamkit.cli import app
from unit.test_converters_support import example_211, example_221, needs_211, needs_221

runner = CliRunner()

TOP_KEYS = [
    "total_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
    "total_fixed_cost", "total_reservation_cost", "total_energy", "total_time",
    "total_parking_time", "currency", "periods", "warnings",
]  # fmt: skip
PERIOD_KEYS = [
    "index", "start_date_time", "end_date_time", "tariff_id", "phase", "dimensions", "cost",
    "components",
]  # fmt: skip
COMPONENT_KEYS = [
    "dimension", "tariff_id", "element_index", "price_component", "volume", "billed_volume",
    "unit", "cost", "reason",
]  # fmt: skip


def _files(tmp_path: Path, tariff: Any, cdr: Any) -> tuple[str, str]:
    t, c = tmp_path / "tariff.json", tmp_path / "cdr.json"
    t.write_text(tariff if isinstance(tariff, str) else json.dumps(tariff), encoding="utf-8")
    c.write_text(cdr if isinstance(cdr, str) else json.dumps(cdr), encoding="utf-8")
    return str(t), str(c)


def _price(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["tariff", "price", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _fails(*args: str) -> str:
    result = runner.invoke(app, ["tariff", "price", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def _complex_cdr() -> dict[str, Any]:
    """The spec's CDR example, re-dated to Monday 2024-06-03 09:30 Berlin and split into a
    charging period (165 minutes, at most 16 A) and a parking one (42 minutes), priced with
    the complex tariff example (tariff_4_complex)."""
    cdr = example_221("cdr_example.json")
    cdr.update(
        start_date_time="2024-06-03T07:30:00Z",
        end_date_time="2024-06-03T10:57:00Z",
        tariffs=None,
        total_cost={"excl_vat": 9.00, "incl_vat": 10.30},
        total_energy=25,
        total_time=3.45,
    )
    cdr["charging_periods"] = [
        {
            "start_date_time": "2024-06-03T07:30:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": 25},
                {"type": "TIME", "volume": 2.75},
                {"type": "MAX_CURRENT", "volume": 16},
            ],
            "tariff_id": "14",
        },
        {
            "start_date_time": "2024-06-03T10:15:00Z",
            "dimensions": [{"type": "PARKING_TIME", "volume": 0.7}],
            "tariff_id": "14",
        },
    ]
    return cdr


@needs_221
def test_2_2_1_complex_tariff_exact_output(tmp_path: Path) -> None:
    tariff, cdr = _files(tmp_path, example_221("tariff_4_complex.json"), _complex_cdr())
    out = _price("--tariff", tariff, "--cdr", cdr, "--time-zone", "Europe/Berlin")
    assert list(out) == TOP_KEYS
    assert out["total_cost"] == {"excl_vat": 9, "incl_vat": 10.3}
    assert out["total_energy_cost"] == {"excl_vat": 0, "incl_vat": 0}
    assert out["total_time_cost"] == {"excl_vat": 2.75, "incl_vat": 3.3}
    assert out["total_parking_cost"] == {"excl_vat": 3.75, "incl_vat": 4.125}
    assert out["total_fixed_cost"] == {"excl_vat": 2.5, "incl_vat": 2.875}
    assert out["total_reservation_cost"] == {"excl_vat": 0, "incl_vat": 0}
    assert (out["total_energy"], out["total_time"], out["total_parking_time"]) == (25, 3.45, 0.7)
    assert out["currency"] == "EUR"
    assert out["warnings"] == []
    charging, parking = out["periods"]
    assert list(charging) == PERIOD_KEYS
    assert charging["start_date_time"] == "2024-06-03T07:30:00Z"
    assert charging["end_date_time"] == "2024-06-03T10:15:00Z"
    assert charging["dimensions"] == {"ENERGY": 25, "TIME": 2.75, "MAX_CURRENT": 16}
    assert [list(pc) for pc in charging["components"]] == [COMPONENT_KEYS, COMPONENT_KEYS]
    flat, time = charging["components"]
    assert flat["price_component"] == {"type": "FLAT", "price": 2.5, "vat": 15, "step_size": 1}
    assert time["element_index"] == 1 and time["unit"] == "h"
    assert "max_current < 32 A" in time["reason"]
    (park,) = parking["components"]
    assert park["element_index"] == 4
    assert (park["volume"], park["billed_volume"]) == (0.7, 0.75)
    assert park["cost"] == {"excl_vat": 3.75, "incl_vat": 4.125}
    assert "42 min, is billed as 45 min" in park["reason"]


@needs_221
def test_2_2_1_cdr_example_with_a_list_of_tariffs_and_no_time_zone(tmp_path: Path) -> None:
    """Without --time-zone a 2.2.1 CDR has none (CdrLocation has no time_zone): UTC, warned;
    the CDR's total_energy is in no period: warned too."""
    cdr = example_221("cdr_example.json")
    tariff, path = _files(tmp_path, cdr["tariffs"], cdr)
    out = _price("--tariff", tariff, "--cdr", path)
    assert out["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert out["warnings"] == [
        "no time zone (--time-zone, or the 2.1.1 CDR location's time_zone): restrictions are "
        "evaluated in UTC",
        "the CDR says total_energy 15.342; recomputed from its periods: 0",
    ]


@needs_211
def test_2_1_1_cdr_example(tmp_path: Path) -> None:
    """The 2.1.1 CDR example (its trailing comma removed, E-211-4): plain numbers, no VAT;
    the time zone from the location when it has one."""
    cdr = example_211("mod_cdrs.md", "Example of a CDR")
    cdr["location"]["time_zone"] = "Europe/Brussels"
    cdr["charging_periods"][0]["dimensions"].insert(0, {"type": "FLAT", "volume": 1})
    tariff = copy.deepcopy(cdr["tariffs"][0])
    tariff["elements"][0]["price_components"].append({"type": "FLAT", "price": 0.5, "step_size": 1})
    tariff_file, cdr_file = _files(tmp_path, tariff, cdr)
    out = _price("--tariff", tariff_file, "--cdr", cdr_file, "--version", "2.1.1")
    assert list(out) == TOP_KEYS
    assert out["total_cost"] == 4.5
    assert out["total_time_cost"] == 4
    assert out["total_fixed_cost"] == 0.5
    assert out["total_energy_cost"] == 0 and out["total_reservation_cost"] == 0
    assert out["total_time"] == 1.973056 and out["total_parking_time"] == 0
    (period,) = out["periods"]
    assert period["dimensions"] == {"TIME": 1.973}
    assert period["cost"] == 4.5
    flat, time = period["components"]
    assert flat["price_component"] == {"type": "FLAT", "price": 0.5, "step_size": 1}
    assert "FLAT dimension volume 1" in flat["reason"]
    assert time["billed_volume"] == 2
    assert out["warnings"] == [
        "the session's tariff '11' is not among the tariffs",
        "the CDR says total_cost.excl_vat 4.0; recomputed from its periods: 4.5",
        "the CDR says total_energy 15.342; recomputed from its periods: 0",
    ]


@needs_221
@pytest.mark.parametrize(
    ("tariff", "cdr", "extra", "message"),
    [
        (None, "{}", [], "--tariff"),
        ("{not json", "{}", [], "not valid JSON (Expecting property name"),
        ({"id": "1"}, "{}", [], "invalid 2.2.1 Tariff #0: country_code: Field required"),
        ([], "{}", [], "no tariff in the list"),
        ("TARIFF", "[1]", [], "2.2.1 CDR must be a JSON object"),
        ("TARIFF", {"id": "x"}, [], "invalid 2.2.1 CDR: country_code: Field required"),
        ("TARIFF", "CDR", ["--version", "2.2"], "--version must be 2.1.1 or 2.2.1"),
        ("TARIFF", "CDR", ["--time-zone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        ("BAD_TIME", "CDR", [], "elements[0].restrictions.start_time: '7:00' is not a time"),
        ("TARIFF", "CDR", ["--version", "2.1.1"], "invalid 2.1.1 CDR: stop_date_time: Field"),
        ([{"id": "1"}], "CDR", ["--version", "2.1.1"], "invalid 2.1.1 Tariff #0: currency"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, tariff: Any, cdr: Any, extra: list[str], message: str
) -> None:
    spec_cdr = example_221("cdr_example.json")
    good = spec_cdr["tariffs"][0]
    bad_time = copy.deepcopy(good)
    bad_time["elements"][0]["restrictions"] = {"start_time": "7:00"}
    if tariff == "TARIFF":
        tariff = good
    elif tariff == "BAD_TIME":
        tariff = bad_time
    if cdr == "CDR":
        cdr = spec_cdr
    tariff_file, cdr_file = _files(tmp_path, tariff if tariff is not None else "{}", cdr)
    if tariff is None:
        tariff_file = str(tmp_path / "missing.json")
    stderr = _fails("--tariff", tariff_file, "--cdr", cdr_file, *extra)
    assert stderr.startswith("error: ")
    assert message in stderr
