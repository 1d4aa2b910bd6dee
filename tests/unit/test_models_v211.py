"""OCPI 2.1.1 wire models against the JSON examples embedded in the spec chapters.

Every fenced code block of the 2.1.1 chapters is extracted and either parsed
with the model named in ``EXAMPLES`` (by chapter and the heading above it) or
listed in ``NOT_OBJECTS``. A block that is neither fails the test, so a new or
moved example cannot be skipped silently. Known errors in the examples
(CHECKLIST Part 4.1, E-211-4) are repaired explicitly in ``FIXUPS`` and
``INVALID_JSON``, and the test checks that the unrepaired example really is
broken, so the list stays honest.

The spec folder is ``<repo>/../shared/ocpi-spec`` or ``$ROAMKIT_SPEC_DIR``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from roamkit.models.base import DateTime
from roamkit.models.v211 import (
    cdrs,
    commands,
    common,
    credentials,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)
from roamkit.models.v211.cdrs import CDR, CdrDimension, ChargingPeriod
from roamkit.models.v211.commands import (
    CommandResponse,
    CommandResponseType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from roamkit.models.v211.common import DisplayText, EnergyMix, GeoLocation, Image
from roamkit.models.v211.credentials import Credentials
from roamkit.models.v211.locations import (
    EVSE,
    Capability,
    Connector,
    ConnectorPatch,
    ConnectorType,
    EvsePatch,
    Hours,
    Location,
    LocationPatch,
    RegularHours,
    Status,
)
from roamkit.models.v211.sessions import Session, SessionPatch
from roamkit.models.v211.tariffs import Tariff, TariffPatch, TariffRestrictions
from roamkit.models.v211.tokens import AuthorizationInfo, LocationReferences, Token, TokenPatch
from roamkit.models.v211.versions import (
    Endpoint,
    ModuleID,
    Version,
    VersionDetails,
    VersionList,
    VersionNumber,
)


def _spec_dir() -> Path:
    override = os.environ.get("ROAMKIT_SPEC_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "ocpi-spec"


SPEC_211 = _spec_dir() / "2.1.1"
SKIP_REASON = f"OCPI 2.1.1 spec texts not found at {SPEC_211} (set ROAMKIT_SPEC_DIR)"
CHAPTERS = (
    "credentials.md",
    "version_information_endpoint.md",
    "transport_and_format.md",
    "mod_cdrs.md",
    "mod_commands.md",
    "mod_locations.md",
    "mod_sessions.md",
    "mod_tariffs.md",
    "mod_tokens.md",
)

# --- block extraction --------------------------------------------------------


@dataclass(frozen=True)
class Block:
    file: str
    line: int  # 1-based line of the opening fence
    lang: str  # "json" or "" (the chapters also fence headers and URLs)
    title: str  # nearest level-1 heading
    heading: str  # nearest heading of any level
    text: str

    @property
    def ident(self) -> str:
        return f"{self.file}:{self.line} {self.heading}"


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def extract_blocks(path: Path) -> list[Block]:
    """All fenced blocks of a chapter: ```json or bare ``` (with trailing blanks)."""
    blocks: list[Block] = []
    title = heading = ""
    start: int | None = None
    lang = ""
    body: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = line.strip()
        if start is None:
            match = _HEADING.match(line)
            if match:
                heading = match.group(2)
                if len(match.group(1)) == 1:
                    title = heading
            elif fence.startswith("```"):
                start, lang, body = number, fence[3:].strip(), []
        elif fence == "```":
            blocks.append(Block(path.name, start, lang, title, heading, "\n".join(body)))
            start = None
        else:
            body.append(line)
    assert start is None, f"{path.name}:{start}: unterminated code block"
    return blocks


def all_blocks() -> list[Block]:
    if not SPEC_211.is_dir():
        return []
    return [block for name in CHAPTERS for block in extract_blocks(SPEC_211 / name)]


# --- how each block is read ----------------------------------------------------

NO_DATA = "envelope without data"
"""Marker: an error response envelope, which has no ``data`` to parse."""

Target = type[BaseModel] | str

# (chapter, heading) -> model. Where a heading repeats in a chapter the key is
# "<level-1 title> > <heading>". Envelopes are unwrapped to ``data``, lists are
# parsed element by element (except VersionList, which is the list).
EXAMPLES: dict[tuple[str, str], Target] = {
    ("credentials.md", "Example"): Credentials,
    ("version_information_endpoint.md", "Version information endpoint > Example"): VersionList,
    ("version_information_endpoint.md", "Version details endpoint > Example"): VersionDetails,
    # lists version "1.9", not a VersionNumber: Version.version keeps unknown ones as str
    (
        "transport_and_format.md",
        "Example: Version information response (list of objects)",
    ): VersionList,
    ("transport_and_format.md", "Example: Version details response (one object)"): VersionDetails,
    (
        "transport_and_format.md",
        "Example: Tokens GET Response with one Token object. (CPO end-point) (one object)",
    ): Token,
    (
        "transport_and_format.md",
        "Example: Tokens GET Response with list of Token objects. (eMSP end-point) "
        "(list of objects)",
    ): Token,
    ("transport_and_format.md", "Example: Response with an error (contains no data field)"): (
        NO_DATA
    ),
    ("mod_cdrs.md", "Example of a CDR"): CDR,
    # Locations eMSP PUT/PATCH: the URL depth must agree (Location/EVSE/Connector).
    ("mod_locations.md", "Example: a simple status update"): EvsePatch,
    ("mod_locations.md", "Example: change the location name"): LocationPatch,
    ("mod_locations.md", "Example: set tariff update"): ConnectorPatch,
    ("mod_locations.md", "Example: add an EVSE"): EVSE,
    ("mod_locations.md", "Example: delete an EVSE"): EvsePatch,
    ("mod_locations.md", "Example"): Location,
    # §4.5 and §4.19.1 show fragments (`"energy_mix": {...}`), not whole objects.
    ("mod_locations.md", "Simple:"): EnergyMix,
    ("mod_locations.md", "Tariff name based:"): EnergyMix,
    ("mod_locations.md", "Complete:"): EnergyMix,
    ("mod_locations.md", "4.19.1 Example"): Hours,
    ("mod_sessions.md", "Example: update the total cost"): SessionPatch,
    ("mod_sessions.md", "Simple Session example of a just starting session"): Session,
    ("mod_sessions.md", "Simple Session example of a short finished session"): Session,
    ("mod_tariffs.md", "Example: New Tariff 2 euro per hour"): Tariff,
    ("mod_tariffs.md", "Example: Change Tariff to 2,50"): TariffPatch,
    ("mod_tariffs.md", "Simple Tariff example 2 euro per hour"): Tariff,
    ("mod_tariffs.md", "Simple Tariff example with alternative multi language text"): Tariff,
    ("mod_tariffs.md", "Simple Tariff example with alternative URL"): Tariff,
    ("mod_tariffs.md", "Complex Tariff example"): Tariff,
    ("mod_tariffs.md", "Free of Charge Tariff example"): Tariff,
    ("mod_tokens.md", "Example: put a new Token"): Token,
    ("mod_tokens.md", "Example: invalidate a Token"): TokenPatch,
    ("mod_tokens.md", "Example"): Token,
}

# Allow-list of fenced blocks that are not JSON objects: (chapter, start of text).
NOT_OBJECTS: dict[tuple[str, str], str] = {
    # transport_and_format.md §Request format: the Authorization header.
    ("transport_and_format.md", "Authorization: Token "): "HTTP request header",
    # §Pagination Examples: Link response headers ...
    ("transport_and_format.md", "Link: <https://"): "HTTP pagination header",
    # ... and request URLs (also §Client owned object push).
    ("transport_and_format.md", "https://www.server.com/"): "request URL",
}

# Examples whose "PUT To URL:" / "PATCH To URL:" label disagrees with the section.
LABEL_QUIRKS = {
    # E-211-4: the tariff PATCH example (§2.2.3) is labelled "PUT To URL".
    ("mod_tariffs.md", "Example: Change Tariff to 2,50"),
}

# Examples that are not valid JSON; we drop trailing commas before `}`/`]`.
INVALID_JSON = {
    ("mod_cdrs.md", "Example of a CDR"),  # E-211-4: trailing comma after price_components
}


def _fix_add_evse(obj: dict[str, Any]) -> dict[str, Any]:
    obj = dict(obj)
    obj["floor_level"] = str(obj.pop("floor"))
    obj["physical_reference"] = str(obj["physical_reference"])
    obj["last_updated"] = "2015-06-29T20:39:09Z"
    obj["connectors"] = [
        {**c, "power_type": "AC_3_PHASE", "voltage": 220, "amperage": 16,
         "last_updated": "2015-06-29T20:39:09Z"}
        for c in obj["connectors"]
    ]  # fmt: skip
    return obj


def _fix_add_last_updated(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "last_updated": "2015-06-29T20:39:09Z"}


# Examples that are valid JSON but not schema-valid (E-211-4). The raw example
# must fail validation; the repaired one must parse.
FIXUPS: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    ("mod_locations.md", "Example: add an EVSE"): (
        "`floor` for `floor_level`, numeric `physical_reference`, no `last_updated`, "
        "connectors lack power_type/voltage/amperage/last_updated",
        _fix_add_evse,
    ),
    ("mod_tariffs.md", "Example: New Tariff 2 euro per hour"): (
        "PUT body without the required `last_updated`",
        _fix_add_last_updated,
    ),
}


def _key(block: Block) -> tuple[str, str]:
    long = (block.file, f"{block.title} > {block.heading}")
    return long if long in EXAMPLES else (block.file, block.heading)


def _not_object_reason(block: Block) -> str | None:
    for (file, prefix), reason in NOT_OBJECTS.items():
        if block.file == file and block.text.strip().startswith(prefix):
            return reason
    return None


_URL_LABEL = re.compile(r"^\s*(PUT|PATCH) To URL:\s*(\S+)\s*$")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def load_block(block: Block) -> tuple[tuple[str, str] | None, Any, bool]:
    """Return ((method, url) of a "PUT To URL:" label or None, JSON value, commas repaired?)."""
    lines = block.text.splitlines()
    label = None
    if lines and (match := _URL_LABEL.match(lines[0])):
        label = (match.group(1), match.group(2))
        lines = lines[1:]
    text = "\n".join(lines).strip()
    fragment = text.startswith('"')  # `"energy_mix": {...}`: a member, not an object
    if fragment:
        text = "{" + text + "}"
    repaired = False
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = json.loads(_TRAILING_COMMA.sub(r"\1", text))
        repaired = True
    if fragment:
        assert isinstance(value, dict) and len(value) == 1, block.ident
        (value,) = value.values()
    return label, value, repaired


_DT = TypeAdapter(DateTime)


def _payloads(value: Any, target: Target, block: Block) -> list[Any]:
    """Unwrap the response envelope and split lists into objects."""
    if isinstance(value, dict) and {"status_code", "timestamp"} <= value.keys():
        assert isinstance(value["status_code"], int), block.ident
        _DT.validate_python(value["timestamp"])
        if target == NO_DATA:
            assert "data" not in value, block.ident
            return []
        value = value["data"]
    assert target != NO_DATA, f"{block.ident}: expected an envelope without data"
    if isinstance(value, list) and target is not VersionList:
        assert value, f"{block.ident}: empty example list"
        return value
    return [value]


def _roundtrip(model: BaseModel) -> None:
    wire = model.wire()  # type: ignore[attr-defined]
    again = type(model).model_validate(json.loads(json.dumps(wire)))
    assert again == model
    assert again.wire() == wire  # type: ignore[attr-defined]


BLOCKS = all_blocks()
PARAMS = [pytest.param(b, id=b.ident) for b in BLOCKS] or [
    pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON))
]


@pytest.mark.parametrize("block", PARAMS)
def test_spec_example(block: Block) -> None:
    reason = _not_object_reason(block)
    key = _key(block)
    if reason is not None:
        assert block.lang == "", f"{block.ident}: a ```json block cannot be allow-listed"
        assert key not in EXAMPLES
        return
    assert key in EXAMPLES, (
        f"{block.ident}: example is neither mapped in EXAMPLES nor allow-listed in NOT_OBJECTS"
    )
    target = EXAMPLES[key]
    label, value, repaired = load_block(block)
    assert repaired == (key in INVALID_JSON), f"{block.ident}: INVALID_JSON out of date"
    if label is not None:
        method, url = label
        assert isinstance(target, type)
        is_patch = target.__name__.endswith("Patch")
        mislabelled = (method == "PATCH") != is_patch
        assert mislabelled == (key in LABEL_QUIRKS), f"{block.ident}: {method} to {target}"
        if block.file == "mod_locations.md":  # {cc}/{party}/{location}[/{evse}[/{connector}]]
            depth = len(url.split("/locations/", 1)[1].strip("/").split("/"))
            expected = {3: "Location", 4: "Evse", 5: "Connector"}[depth]
            assert target.__name__.upper().startswith(expected.upper()), block.ident
    payloads = _payloads(value, target, block)
    assert isinstance(target, type) or not payloads
    for payload in payloads:
        assert isinstance(target, type)
        if key in FIXUPS:
            why, fix = FIXUPS[key]
            try:
                target.model_validate(payload)
            except ValidationError:
                pass  # still broken as the spec prints it
            else:
                pytest.fail(f"{block.ident}: stale FIXUPS entry, the example parses now ({why})")
            payload = fix(payload)
        model = target.model_validate(payload)
        _roundtrip(model)


@pytest.mark.skipif(not BLOCKS, reason=SKIP_REASON)
def test_every_mapping_is_used() -> None:
    keys = {_key(b) for b in BLOCKS if _not_object_reason(b) is None}
    assert set(EXAMPLES) - keys == set(), "stale EXAMPLES entries"
    assert INVALID_JSON | LABEL_QUIRKS | set(FIXUPS) <= keys
    used_prefixes = {(f, p) for (f, p) in NOT_OBJECTS for b in BLOCKS
                     if b.file == f and b.text.strip().startswith(p)}  # fmt: skip
    assert used_prefixes == set(NOT_OBJECTS), "stale NOT_OBJECTS entries"
    fences = sum(
        (SPEC_211 / name).read_text(encoding="utf-8").count("```json") for name in CHAPTERS
    )
    assert sum(b.lang == "json" for b in BLOCKS) == fences == 32


# --- object and enum tables of the spec against the models ------------------

MODULES = (common, versions, credentials, locations, tariffs, tokens, sessions, cdrs, commands)
CLASSES: dict[str, type] = {
    name: obj
    for module in MODULES
    for name, obj in vars(module).items()
    if isinstance(obj, type) and obj.__module__ == module.__name__
}
_TABLE_HEADING = re.compile(
    r"^#+\s+(?:[\d.]+\s+)?_?([A-Za-z]+)_?\s+(\*class\*|\*enum\*|Object|object)\s*$"
)

_SEPARATOR = re.compile(r"\|[\s:|-]+")


def spec_tables() -> dict[tuple[str, str], list[list[str]]]:
    """(name, "class"|"enum") -> body rows of the first table under that heading."""
    tables: dict[tuple[str, str], list[list[str]]] = {}
    for path in sorted(SPEC_211.glob("*.md")):
        current: tuple[str, str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                match = _TABLE_HEADING.match(line)
                current = None
                if match:
                    kind = "enum" if match.group(2) == "*enum*" else "class"
                    current = (match.group(1), kind)
                    tables[current] = []
            elif current and line.startswith("|") and not _SEPARATOR.fullmatch(line.strip()):
                tables[current].append([c.strip() for c in line.strip().strip("|").split("|")])
    return {key: rows[1:] for key, rows in tables.items()}  # drop each header row


@pytest.mark.skipif(not BLOCKS, reason=SKIP_REASON)
def test_object_tables_match_models() -> None:
    """Field names, cardinality and (n) lengths of every 2.1.1 object table."""
    checked = 0
    for (name, kind), rows in spec_tables().items():
        if kind != "class":
            continue
        model = CLASSES[name]
        assert issubclass(model, BaseModel)
        fields = {}
        for cells in rows:
            if len(cells) >= 3 and re.fullmatch(r"(> *)?[a-z_]+", cells[0]):
                fields[cells[0].lstrip("> ")] = (cells[1], cells[2], cells[0].startswith(">"))
        assert set(fields) == set(model.model_fields), name
        for field, (typ, card, in_choice) in fields.items():
            info = model.model_fields[field]
            if not in_choice:  # Hours: "Choice: one of two" is checked by a validator
                assert info.is_required() == (card in "1+"), f"{name}.{field} card {card}"
            described = repr(info.annotation) + repr(info.metadata)
            if size := re.search(r"string\]\([^)]*\)\((\d+)\)$", typ):
                assert f"max_length={size.group(1)}" in described, f"{name}.{field} {typ}"
            elif size := re.fullmatch(r"int\((\d)\)", typ):
                limit = 7 if field == "weekday" else 10 ** int(size.group(1)) - 1
                assert f"le={limit}" in described, f"{name}.{field} {typ}"
        checked += 1
    assert checked == 34  # every Object/*class* table of the 2.1.1 chapters


@pytest.mark.skipif(not BLOCKS, reason=SKIP_REASON)
def test_enum_tables_match_models() -> None:
    checked = 0
    seen = set()
    for (name, kind), rows in spec_tables().items():
        if kind != "enum":
            continue
        seen.add(name)
        column = 1 if name == "ModuleID" else 0  # | [CDRs](...) | cdrs | remark |
        values = {cells[column] for cells in rows if len(cells) > column and cells[column]}
        assert values == {member.value for member in CLASSES[name]}, name
        checked += 1
    assert checked == 23  # every *enum* table of the 2.1.1 chapters
    assert seen == {n for n, c in CLASSES.items() if issubclass(c, StrEnum)}


@pytest.mark.skipif(not BLOCKS, reason=SKIP_REASON)
def test_types_displaytext_example() -> None:
    """types.md §1.3 shows DisplayText as an indented (not fenced) block."""
    text = (SPEC_211 / "types.md").read_text(encoding="utf-8")
    section = text.split("DisplayText *class*", 1)[1].split("## 1.4", 1)[0]
    obj = json.loads(section[section.index("{") : section.rindex("}") + 1])
    model = DisplayText.model_validate(obj)
    assert model.text == "Standard Tariff"
    _roundtrip(model)


# --- behaviour of the models -------------------------------------------------

CONNECTOR = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "voltage": 220,
    "amperage": 16,
    "last_updated": "2015-06-29T20:39:09Z",
}
EVSE_OBJ = {
    "uid": "3256",
    "status": "AVAILABLE",
    "connectors": [CONNECTOR],
    "last_updated": "2015-06-29T20:39:09Z",
}
LOCATION = {
    "id": "LOC1",
    "type": "ON_STREET",
    "address": "F.Rooseveltlaan 3A",
    "city": "Gent",
    "postal_code": "9000",
    "country": "BEL",
    "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
    "evses": [EVSE_OBJ],
    "last_updated": "2015-06-29T20:39:09Z",
}
TOKEN = {
    "uid": "012345678",
    "type": "RFID",
    "auth_id": "DE8ACC12E46L89",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2015-06-29T22:39:09Z",
}


def test_too_long_strings_are_rejected() -> None:
    with pytest.raises(ValidationError, match="at most 36"):
        Token.model_validate({**TOKEN, "uid": "x" * 37})
    with pytest.raises(ValidationError):
        Location.model_validate({**LOCATION, "country": "BELG"})
    with pytest.raises(ValidationError):
        Credentials.model_validate(
            {"token": "t" * 65, "url": "https://x/", "business_details": {"name": "X"},
             "party_id": "EXA", "country_code": "NL"}
        )  # fmt: skip
    assert Token.model_validate({**TOKEN, "uid": "x" * 36}).uid == "x" * 36


def test_unknown_enum_values_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Connector.model_validate({**CONNECTOR, "standard": "IEC_62196_T4"})
    with pytest.raises(ValidationError):
        EVSE.model_validate({**EVSE_OBJ, "status": "OFFLINE"})
    with pytest.raises(ValidationError):  # enum values are case-sensitive
        Connector.model_validate({**CONNECTOR, "standard": "IEC_60309_2_SINGLE_16"})
    assert (
        Connector.model_validate({**CONNECTOR, "standard": "IEC_60309_2_single_16"}).standard
        is ConnectorType.IEC_60309_2_single_16
    )
    with pytest.raises(ValidationError):  # not a 2.1.1 CommandResponseType (E-211-3)
        CommandResponse.model_validate({"result": "UNKNOWN_LOCATION"})


def test_empty_plus_lists_are_rejected() -> None:
    with pytest.raises(ValidationError):
        EVSE.model_validate({**EVSE_OBJ, "connectors": []})
    with pytest.raises(ValidationError):
        Tariff.model_validate(
            {"id": "1", "currency": "EUR", "elements": [], "last_updated": "2015-06-29T20:39:09Z"}
        )
    with pytest.raises(ValidationError):
        VersionDetails.model_validate({"version": "2.1.1", "endpoints": []})
    with pytest.raises(ValidationError):
        ChargingPeriod.model_validate({"start_date_time": "2015-06-29T20:39:09Z", "dimensions": []})
    with pytest.raises(ValidationError):
        VersionList.model_validate([])
    with pytest.raises(ValidationError):
        EvsePatch.model_validate({"connectors": []})


def test_missing_required_fields_are_rejected() -> None:
    without_coordinates = {k: v for k, v in LOCATION.items() if k != "coordinates"}
    with pytest.raises(ValidationError, match="coordinates"):
        Location.model_validate(without_coordinates)
    with pytest.raises(ValidationError, match="last_updated"):
        Token.model_validate({k: v for k, v in TOKEN.items() if k != "last_updated"})
    with pytest.raises(ValidationError, match="token"):
        StartSession.model_validate({"response_url": "https://x/", "location_id": "LOC1"})
    with pytest.raises(ValidationError, match="connector_id"):
        UnlockConnector.model_validate(
            {"response_url": "https://x/", "location_id": "LOC1", "evse_uid": "1"}
        )


def test_patch_models_accept_partial_bodies_without_last_updated() -> None:
    assert LocationPatch.model_validate({}).wire() == {}
    assert EvsePatch.model_validate({"status": "REMOVED"}).status is Status.REMOVED
    assert ConnectorPatch.model_validate({"tariff_id": "15"}).wire() == {"tariff_id": "15"}
    assert TokenPatch.model_validate({"valid": False}).wire() == {"valid": False}
    assert SessionPatch.model_validate({"total_cost": 0.60}).total_cost == Decimal("0.6")
    assert TariffPatch.model_validate({}).wire() == {}
    with pytest.raises(ValidationError):  # a field that is present is still checked
        EvsePatch.model_validate({"status": "GONE"})


def test_versions_list_accepts_both_forms_and_unknown_versions() -> None:
    bare = [{"version": "2.1.1", "url": "https://x/2.1.1/"}, {"version": "2.2.1", "url": "u"}]
    wrapped = {"versions": bare}  # the Data table's form (E-211-1)
    a, b = VersionList.model_validate(bare), VersionList.model_validate(wrapped)
    assert a == b
    assert a.root[0].version is VersionNumber.V2_1_1
    assert a.root[1].version == "2.2.1"
    assert a.wire() == bare
    assert Version.model_validate({"version": "2.0", "url": "u"}).version is VersionNumber.V2_0


def test_custom_module_ids_parse() -> None:
    details = VersionDetails.model_validate(
        {
            "version": "2.1.1",
            "endpoints": [
                {"identifier": "credentials", "url": "https://x/credentials/"},
                {"identifier": "nltnm-tokens", "url": "https://x/nltnm-tokens/"},
            ],
        }
    )
    assert details.endpoints[0].identifier == ModuleID.CREDENTIALS
    assert details.endpoints[1] == Endpoint(
        identifier="nltnm-tokens", url="https://x/nltnm-tokens/"
    )


def test_numbers_are_decimal_and_serialize_as_json_numbers() -> None:
    dim = CdrDimension.model_validate({"type": "ENERGY", "volume": 15.342})
    assert dim.volume == Decimal("15.342")
    assert dim.wire() == {"type": "ENERGY", "volume": 15.342}
    # the CDR example sends a price as a string ("2.00"); it still becomes a number
    restriction = TariffRestrictions.model_validate({"min_power": "32.00"})
    assert restriction.min_power == Decimal("32.00")
    assert restriction.wire() == {"min_power": 32}


def test_datetime_is_lenient_in_and_strict_out() -> None:
    token = Token.model_validate({**TOKEN, "last_updated": "2015-06-29T22:39:09"})
    assert token.last_updated == datetime(2015, 6, 29, 22, 39, 9, tzinfo=UTC)
    assert token.wire()["last_updated"] == "2015-06-29T22:39:09Z"


def test_time_of_day_and_coordinates_patterns() -> None:
    assert (
        RegularHours.model_validate(
            {"weekday": 7, "period_begin": "00:00", "period_end": "24:00"}
        ).period_end
        == "24:00"
    )
    for bad in ("25:00", "24:01", "8:00", "08:60"):
        with pytest.raises(ValidationError):
            RegularHours.model_validate({"weekday": 1, "period_begin": bad, "period_end": "23:59"})
    with pytest.raises(ValidationError):
        RegularHours.model_validate({"weekday": 8, "period_begin": "08:00", "period_end": "20:00"})
    with pytest.raises(ValidationError):
        GeoLocation.model_validate({"latitude": "51.0476", "longitude": "3.729944"})
    with pytest.raises(ValidationError):
        Image.model_validate({"url": "u", "category": "OTHER", "type": "png", "width": 100000})


def test_hours_choice() -> None:
    assert Hours.model_validate({"twentyfourseven": True}).twentyfourseven is True
    with pytest.raises(ValidationError):
        Hours.model_validate({"exceptional_closings": []})
    with pytest.raises(ValidationError):
        Hours.model_validate(
            {"twentyfourseven": True,
             "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}]}
        )  # fmt: skip


def test_extra_fields_are_ignored_and_enums_typed() -> None:
    evse = EVSE.model_validate(
        {**EVSE_OBJ, "capabilities": ["RESERVABLE", "RFID_READER"], "x_vendor": 1}
    )
    assert evse.capabilities == [Capability.RESERVABLE, Capability.RFID_READER]
    assert "x_vendor" not in evse.wire()


def test_commands_and_authorization_objects() -> None:
    reserve = ReserveNow.model_validate(
        {"response_url": "https://emsp/cmd/1", "token": TOKEN,
         "expiry_date": "2015-06-29T23:39:09Z", "reservation_id": 7, "location_id": "LOC1"}
    )  # fmt: skip
    _roundtrip(reserve)
    _roundtrip(StopSession(response_url="https://emsp/cmd/2", session_id="101"))
    assert CommandResponse(result=CommandResponseType.ACCEPTED).wire() == {"result": "ACCEPTED"}
    info = AuthorizationInfo.model_validate(
        {"allowed": "ALLOWED", "location": {"location_id": "LOC1", "evse_uids": ["3256"]},
         "info": {"language": "en", "text": "Welcome"}}
    )  # fmt: skip
    assert info.location == LocationReferences(location_id="LOC1", evse_uids=["3256"])
    _roundtrip(info)
