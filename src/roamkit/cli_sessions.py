"""``roamkit session`` (charger events at our own charge points, CPO side) and
``roamkit cdr`` (CDRs, and the disputes our re-pricing found, eMSP side).

Through the running node's management API, like ``token``: the node owns the push
of every change to the eMSP.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

session_app = typer.Typer(
    help="Sessions: report charger events (start, meter, stop) and look at sessions.",
    no_args_is_help=True,
)
cdr_app = typer.Typer(help="CDRs: list, show, and the disputes found by re-pricing.")

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="ROAMKIT_API_URL",
        help="Management API of the running node (default: http://127.0.0.1:PORT).",
    ),
]
At = Annotated[
    str | None, typer.Option("--at", help="When it happened (ISO 8601, UTC); default: now.")
]
Received = Annotated[bool, typer.Option("--received", help="Those partners sent us, not our own.")]


def _api(method: str, path: str, api_url: str | None, **kwargs: Any) -> Any:
    from roamkit.cli import _api as call

    return call(method, path, api_url, **kwargs)


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@session_app.command("start")
def session_start(
    location: Annotated[str, typer.Option("--location", help="Location id.")],
    evse: Annotated[str, typer.Option("--evse", help="EVSE uid.")],
    connector: Annotated[str, typer.Option("--connector", help="Connector id.")],
    token_uid: Annotated[
        str | None,
        typer.Argument(help="uid of the token that started it (not with --command)."),
    ] = None,
    command: Annotated[
        str | None,
        typer.Option(
            "--command", help="The START_SESSION command it answers (token and eMSP from it)."
        ),
    ] = None,
    reservation: Annotated[
        str | None,
        typer.Option(
            "--reservation",
            help="Our reservation it uses (its Session becomes ACTIVE; token and eMSP from it).",
        ),
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--id", help="Session id (default: made up).")
    ] = None,
    token_type: Annotated[
        str | None, typer.Option("--type", help="Token type (default: any, RFID first).")
    ] = None,
    meter_start: Annotated[
        str, typer.Option("--meter-start", help="Meter reading at the start, kWh.")
    ] = "0",
    auth_method: Annotated[
        str, typer.Option("--auth-method", help="WHITELIST, AUTH_REQUEST or COMMAND.")
    ] = "WHITELIST",
    authorization_reference: Annotated[
        str | None, typer.Option("--authorization-reference")
    ] = None,
    at: At = None,
    api_url: ApiUrl = None,
) -> None:
    """CPO: a session started at one of our connectors; pushed to the token's eMSP (PUT).
    Prints the OCPI Session."""
    body = _body(
        id=session_id,
        token_uid=token_uid,
        token_type=token_type.upper() if token_type else None,
        location_id=location,
        evse_uid=evse,
        connector_id=connector,
        meter_start=meter_start,
        auth_method=auth_method.upper(),
        authorization_reference=authorization_reference,
        command_id=command,
        reservation_id=reservation,
        start=at,
    )
    _print(_api("POST", "/api/sessions", api_url, json=body))


@session_app.command("meter")
def session_meter(
    session_id: str,
    meter: Annotated[str, typer.Argument(help="Meter reading, kWh (absolute).")],
    charging: Annotated[
        bool | None,
        typer.Option(
            "--charging/--parking",
            help="State from now on (default: charging if energy flowed, else as before).",
        ),
    ] = None,
    current: Annotated[str | None, typer.Option(help="A, summed over phases.")] = None,
    power: Annotated[str | None, typer.Option(help="kW.")] = None,
    at: At = None,
    api_url: ApiUrl = None,
) -> None:
    """CPO: a meter reading; the session is re-priced and pushed (PATCH, throttled)."""
    body = _body(at=at, meter=meter, charging=charging, current=current, power=power)
    _print(_api("POST", f"/api/sessions/{session_id}/meter", api_url, json=body))


@session_app.command("stop")
def session_stop(
    session_id: str,
    meter: Annotated[str | None, typer.Option(help="Final meter reading, kWh.")] = None,
    invalid: Annotated[
        bool, typer.Option("--invalid", help="It ended badly: INVALID, never billed, no CDR.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the session).")] = None,
    at: At = None,
    api_url: ApiUrl = None,
) -> None:
    """CPO: the session ended; its CDR is built and POSTed to the eMSP.
    Prints {"session": ..., "cdr": ...}."""
    body = _body(at=at, meter=meter, invalid=invalid or None, reason=reason)
    _print(_api("POST", f"/api/sessions/{session_id}/stop", api_url, json=body))


@session_app.command("show")
def session_show(session_id: str, api_url: ApiUrl = None) -> None:
    """One session (ours, or one a CPO sent us) as JSON."""
    _print(_api("GET", f"/api/sessions/{session_id}", api_url))


@session_app.command("list")
def session_list(
    received: Received = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    api_url: ApiUrl = None,
) -> None:
    """Sessions as JSON, newest first."""
    _print(_api("GET", "/api/sessions", api_url, params={"received": received, "limit": limit}))


@cdr_app.command("list")
def cdr_list(
    received: Received = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    api_url: ApiUrl = None,
) -> None:
    """CDRs as JSON, newest first."""
    _print(_api("GET", "/api/cdrs", api_url, params={"received": received, "limit": limit}))


@cdr_app.command("show")
def cdr_show(cdr_id: str, api_url: ApiUrl = None) -> None:
    """One CDR as JSON."""
    _print(_api("GET", f"/api/cdrs/{cdr_id}", api_url))


@cdr_app.command("credit")
def cdr_credit(cdr_id: str, api_url: ApiUrl = None) -> None:
    """CPO: cancel one of our CDRs with a Credit CDR (id + "-C", costs negated), POSTed
    to the eMSP (2.2.1 only). Prints the Credit CDR."""
    _print(_api("POST", f"/api/cdrs/{cdr_id}/credit", api_url))


@cdr_app.command("disputes")
def cdr_disputes(
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON, with the engine's explanation.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    api_url: ApiUrl = None,
) -> None:
    """eMSP: received CDRs our own pricing does not confirm, or that name a token,
    location or tariff we do not know."""
    rows = _api("GET", "/api/cdrs/disputes", api_url, params={"limit": limit})
    if as_json:
        _print(rows)
        return
    table = Table("CDR", "party", "kind", "claimed", "ours", "difference", "reason")
    for d in rows:
        table.add_row(
            d["cdr_id"],
            f"{d['country_code']}*{d['party_id']}",
            d["kind"],
            d["claimed_total"] or "",
            d["expected_total"] or "",
            d["difference"] or "",
            d["detail"].get("reason", ""),
        )
    Console().print(table)
