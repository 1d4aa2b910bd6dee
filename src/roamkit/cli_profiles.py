"""``roamkit profile``: smart charging (2.2.1 mod_charging_profiles.asciidoc).

eMSP/SCSP side: ``set``, ``get``, ``clear`` send a request for a CPO partner's session,
``show`` shows what a session has. CPO side: ``active`` reports a changed
ActiveChargingProfile (it goes to every partner that set a profile on the session),
``report`` answers a request the charger side took, with the profile for a GET.

Through the running node's management API (``api.chargingprofiles``): the node makes
the calls, takes the results on its ``response_url`` and keeps the deadlines.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from roamkit.cli_commands import exit_unless_accepted, follow
from roamkit.cli_sessions import ApiUrl, _api, _body, _print

profile_app = typer.Typer(
    help="Smart charging profiles (OCPI 2.2.1): set/get/clear on a CPO's session (eMSP), "
    "report active profiles and results (CPO).",
    no_args_is_help=True,
)

SessionId = Annotated[str, typer.Argument(help="The CPO's session id.")]
Partner = Annotated[str, typer.Option("--partner", help="The CPO partner's name.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait", help="Wait for the result (or rejection, timeout); exit 1 unless ACCEPTED."
    ),
]
Limit = Annotated[
    float | None,
    typer.Option("--limit", help="One period from the start: at most this much (--unit)."),
]
Unit = Annotated[
    str, typer.Option("--unit", help="A: current per phase; W: total power (E-221-8).")
]
File = Annotated[
    Path | None,
    typer.Option("--file", exists=True, dir_okay=False, help="The profile as JSON."),
]


def _profile(limit: float | None, unit: str, file: Path | None, key: str) -> dict[str, Any]:
    """A profile from ``--file`` (the object itself, or wrapped in ``key``) or ``--limit``."""
    if file is not None:
        data = json.loads(file.read_text())
        if not isinstance(data, dict):
            raise typer.BadParameter("the file must hold a JSON object", param_hint="--file")
        return data.get(key, data)  # type: ignore[no-any-return]
    if limit is None:
        raise typer.BadParameter("give --limit or --file", param_hint="--limit")
    if unit.upper() not in ("A", "W"):
        raise typer.BadParameter("A or W", param_hint="--unit")
    return {
        "charging_rate_unit": unit.upper(),
        "charging_profile_period": [{"start_period": 0, "limit": limit}],
    }


def _periods(profile: dict[str, Any] | None) -> str:
    if not profile:
        return ""
    inner = profile.get("charging_profile", profile)
    unit = inner.get("charging_rate_unit", "")
    return ", ".join(
        f"{p['start_period']}s: {p['limit']} {unit}"
        for p in inner.get("charging_profile_period") or []
    )


def _show_record(rec: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print(rec)
        return
    table = Table("id", "type", "session", "partner", "state", "outcome", "deadline", "error")
    table.add_row(
        rec["id"],
        rec["type"],
        rec["session_id"] or "",
        rec["partner"] or "",
        rec["state"],
        rec["outcome"] or "",
        rec["deadline"] or "",
        (rec["error"] or "")[:60],
    )
    console = Console()
    console.print(table)
    profile = (rec.get("result") or {}).get("profile")
    if profile:
        console.print(f"active profile from {profile['start_date_time']}: {_periods(profile)}")


def _send(api_url: str | None, wait: bool, as_json: bool, **fields: Any) -> None:
    rec = _api("POST", "/api/chargingprofiles", api_url, json=_body(**fields))
    if wait:
        rec = follow(rec, api_url)
    _show_record(rec, as_json)
    if wait:
        exit_unless_accepted(rec)


@profile_app.command("set")
def profile_set(
    session_id: SessionId,
    partner: Partner,
    limit: Limit = None,
    unit: Unit = "A",
    file: File = None,
    wait: Wait = False,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """eMSP: set (or replace) the ChargingProfile of a session: a maximum, not a target."""
    profile = _profile(limit, unit, file, "charging_profile")
    _send(
        api_url,
        wait,
        as_json,
        partner=partner,
        session_id=session_id,
        action="set",
        charging_profile=profile,
    )


@profile_app.command("get")
def profile_get(
    session_id: SessionId,
    partner: Partner,
    duration: Annotated[
        int, typer.Option("--duration", min=1, help="Seconds of profile wanted.")
    ] = 900,
    wait: Wait = False,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """eMSP: ask for the ActiveChargingProfile the EVSE calculated (in the result)."""
    _send(
        api_url,
        wait,
        as_json,
        partner=partner,
        session_id=session_id,
        action="get",
        duration=duration,
    )


@profile_app.command("clear")
def profile_clear(
    session_id: SessionId,
    partner: Partner,
    wait: Wait = False,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """eMSP: remove the profile we set on a session."""
    _send(api_url, wait, as_json, partner=partner, session_id=session_id, action="clear")


@profile_app.command("show")
def profile_show(
    session_id: SessionId,
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner.")] = None,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """A session's requests, the profile set and the last ActiveChargingProfile."""
    data = _api(
        "GET", f"/api/chargingprofiles/{session_id}", api_url, params=_body(partner=partner)
    )
    if as_json:
        _print(data)
        return
    console = Console()
    active = data["active"]
    if active:
        console.print(f"active profile from {active['start_date_time']}: {_periods(active)}")
    else:
        console.print("no active profile known")
    profiles = Table("dir", "partner", "profile set", "active", "updated")
    for p in data["profiles"]:
        profiles.add_row(
            p["direction"],
            p["partner"] or "",
            _periods(p["profile"]) or "-",
            _periods(p["active"]) or "-",
            p["updated_at"],
        )
    console.print(profiles)
    requests = Table("id", "dir", "partner", "type", "state", "outcome", "created")
    for r in data["requests"]:
        requests.add_row(
            r["id"],
            r["direction"],
            r["partner"] or "",
            r["type"],
            r["state"],
            r["outcome"] or "",
            r["created_at"],
        )
    console.print(requests)


@profile_app.command("active")
def profile_active(
    session_id: Annotated[str, typer.Argument(help="Our session id.")],
    limit: Limit = None,
    unit: Unit = "A",
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="ActiveChargingProfile JSON."),
    ] = None,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """CPO: the session's ActiveChargingProfile changed (calculated now, unless the file
    says when); PUT to every partner that set a profile on it."""
    if file is not None:
        active = json.loads(file.read_text())
    else:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        active = {"start_date_time": now, "charging_profile": _profile(limit, unit, None, "")}
    path = f"/api/sessions/{session_id}/charging-profile"
    data = _api("PUT", path, api_url, json=active)
    if as_json:
        _print(data)
        return
    sent_to = ", ".join(data["sent_to"]) or "nobody (no partner set a profile on it)"
    Console().print(f"{session_id}: {_periods(data['active'])}; sent to {sent_to}")


@profile_app.command("report")
def profile_report(
    request_id: Annotated[str, typer.Argument(help="The request's id (roamkit charger pending).")],
    result: Annotated[str, typer.Argument(help="ACCEPTED, REJECTED or UNKNOWN.")],
    limit: Limit = None,
    unit: Unit = "A",
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="ActiveChargingProfile JSON."),
    ] = None,
    as_json: Json = False,
    api_url: ApiUrl = None,
) -> None:
    """CPO (charger side): what the Charge Point answered to a SET/GET/CLEAR_PROFILE; an
    ACCEPTED GET_PROFILE needs the profile it calculated (--file or --limit)."""
    profile: dict[str, Any] | None = None
    if file is not None:
        profile = json.loads(file.read_text())
    elif limit is not None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        profile = {"start_date_time": now, "charging_profile": _profile(limit, unit, None, "")}
    body = _body(result=result.upper(), profile=profile)
    rec = _api("POST", f"/api/charger/commands/{request_id}/result", api_url, json=body)
    _show_record(rec, as_json)
