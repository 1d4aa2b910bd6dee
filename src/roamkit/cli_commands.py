"""``roamkit command`` (send commands to a CPO partner and follow them, eMSP side) and
``roamkit charger`` (the charger side's hook, CPO side: take the requests partners
sent, report what the Charge Point did).

Through the running node's management API (``api.commands``): the node makes the
calls, takes the results on its ``response_url`` and keeps the deadlines.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from roamkit.cli_sessions import ApiUrl, _api, _body, _print

command_app = typer.Typer(
    help="Commands to CPO partners (eMSP): remote start/stop, reservations, unlock.",
    no_args_is_help=True,
)
charger_app = typer.Typer(
    help="The charger side (CPO): requests partners sent, and their results.",
    no_args_is_help=True,
)

Partner = Annotated[str, typer.Option("--partner", help="The CPO partner's name.")]
Location = Annotated[str, typer.Option("--location", help="Location id.")]
Evse = Annotated[str | None, typer.Option("--evse", help="EVSE uid.")]
Token = Annotated[str, typer.Option("--token", help="uid of one of our own tokens.")]
TokenType = Annotated[
    str | None, typer.Option("--token-type", help="RFID, APP_USER ... (default: any).")
]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="Wait until the command ends (result, rejection or timeout); exit 1 unless ACCEPTED.",
    ),
]
ENDED = ("done", "rejected", "failed", "timed_out")


def follow(rec: dict[str, Any], api_url: str | None) -> dict[str, Any]:
    """The record (a command or a charging profile request) once it has ended."""
    while rec["state"] not in ENDED:
        time.sleep(0.5)
        rec = _api("GET", f"/api/commands/{rec['id']}", api_url)
    return rec


def exit_unless_accepted(rec: dict[str, Any]) -> None:
    """``--wait``: a request that ended any other way fails the command (exit 1)."""
    if rec["outcome"] != "ACCEPTED":
        raise typer.Exit(1)


def _send(api_url: str | None, wait: bool, **fields: Any) -> None:
    rec = _api("POST", "/api/commands", api_url, json=_body(**fields))
    if wait:
        rec = follow(rec, api_url)
    _print(rec)
    if wait:
        exit_unless_accepted(rec)


@command_app.command("start-session")
def start_session(
    partner: Partner,
    location: Location,
    token: Token,
    evse: Evse = None,
    connector: Annotated[
        str | None, typer.Option("--connector", help="Connector id (needs --evse).")
    ] = None,
    token_type: TokenType = None,
    authorization_reference: Annotated[
        str | None, typer.Option("--authorization-reference")
    ] = None,
    wait: Wait = False,
    api_url: ApiUrl = None,
) -> None:
    """START_SESSION: a driver starts charging from the app. Prints the command record."""
    _send(
        api_url,
        wait,
        partner=partner,
        type="START_SESSION",
        location_id=location,
        evse_uid=evse,
        connector_id=connector,
        token_uid=token,
        token_type=token_type,
        authorization_reference=authorization_reference,
    )


@command_app.command("stop-session")
def stop_session(
    session_id: Annotated[str, typer.Argument(help="The CPO's session id.")],
    partner: Partner,
    wait: Wait = False,
    api_url: ApiUrl = None,
) -> None:
    """STOP_SESSION."""
    _send(api_url, wait, partner=partner, type="STOP_SESSION", session_id=session_id)


@command_app.command("reserve")
def reserve(
    partner: Partner,
    location: Location,
    token: Token,
    evse: Evse = None,
    minutes: Annotated[int, typer.Option("--minutes", help="How long it holds.")] = 30,
    expiry: Annotated[
        str | None,
        typer.Option("--expiry", help="Until when (ISO 8601, UTC); overrides --minutes."),
    ] = None,
    reservation_id: Annotated[
        str | None, typer.Option("--reservation-id", help="Default: made up.")
    ] = None,
    token_type: TokenType = None,
    wait: Wait = False,
    api_url: ApiUrl = None,
) -> None:
    """RESERVE_NOW (the same --reservation-id again replaces the reservation)."""
    until = expiry or (datetime.now(UTC) + timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    _send(
        api_url,
        wait,
        partner=partner,
        type="RESERVE_NOW",
        location_id=location,
        evse_uid=evse,
        token_uid=token,
        token_type=token_type,
        expiry_date=until,
        reservation_id=reservation_id,
    )


@command_app.command("cancel-reservation")
def cancel_reservation(
    reservation_id: Annotated[str, typer.Argument(help="The id given with RESERVE_NOW.")],
    partner: Partner,
    wait: Wait = False,
    api_url: ApiUrl = None,
) -> None:
    """CANCEL_RESERVATION (OCPI 2.2.1 partners only)."""
    _send(api_url, wait, partner=partner, type="CANCEL_RESERVATION", reservation_id=reservation_id)


@command_app.command("unlock")
def unlock(
    partner: Partner,
    location: Location,
    evse: Annotated[str, typer.Option("--evse", help="EVSE uid.")],
    connector: Annotated[str, typer.Option("--connector", help="Connector id.")],
    wait: Wait = False,
    api_url: ApiUrl = None,
) -> None:
    """UNLOCK_CONNECTOR (for the help desk, never for drivers)."""
    _send(
        api_url,
        wait,
        partner=partner,
        type="UNLOCK_CONNECTOR",
        location_id=location,
        evse_uid=evse,
        connector_id=connector,
    )


@command_app.command("list")
def command_list(
    direction: Annotated[
        str | None, typer.Option(help="out: we sent them; in: partners sent them.")
    ] = None,
    state: Annotated[str | None, typer.Option(help="accepted, done, timed_out ...")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON records.")] = False,
    api_url: ApiUrl = None,
) -> None:
    """Commands (and charging profile requests), newest first, with their outcome."""
    params = _body(direction=direction, state=state, limit=limit)
    rows = _api("GET", "/api/commands", api_url, params=params)
    if as_json:
        _print(rows)
        return
    table = Table("id", "dir", "partner", "type", "state", "outcome", "created", "error")
    for r in rows:
        table.add_row(
            r["id"],
            r["direction"],
            r["partner"] or "",
            r["type"],
            r["state"],
            r["outcome"] or "",
            r["created_at"],
            (r["error"] or "")[:60],
        )
    Console().print(table)


@command_app.command("show")
def command_show(command_id: str, api_url: ApiUrl = None) -> None:
    """One command record as JSON."""
    _print(_api("GET", f"/api/commands/{command_id}", api_url))


@command_app.command("reservations")
def reservations(
    status: Annotated[str | None, typer.Option(help="requested, active, expired ...")] = None,
    api_url: ApiUrl = None,
) -> None:
    """Reservations (ours at CPO partners, or partners' at our locations) as JSON."""
    _print(_api("GET", "/api/reservations", api_url, params=_body(status=status)))


@charger_app.command("pending")
def charger_pending(
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for one when there is none.")
    ] = 0,
    api_url: ApiUrl = None,
) -> None:
    """Requests waiting for the charger side, as JSON (they stay until reported)."""
    _print(_api("GET", "/api/charger/commands", api_url, params={"wait": wait}))


@charger_app.command("take")
def charger_take(
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for one when there is none.")
    ] = 0,
    api_url: ApiUrl = None,
) -> None:
    """Take the requests nobody took yet, as JSON: each is handed out once (the loop of a
    backend); ``pending`` still lists them until they are reported."""
    _print(_api("POST", "/api/charger/commands/take", api_url, params={"wait": wait}))


@charger_app.command("report")
def charger_report(
    command_id: str,
    result: Annotated[
        str,
        typer.Argument(
            help="ACCEPTED, REJECTED, FAILED, EVSE_OCCUPIED ...; profiles: REJECTED, UNKNOWN."
        ),
    ],
    message: Annotated[str | None, typer.Option(help="Shown to the eMSP.")] = None,
    api_url: ApiUrl = None,
) -> None:
    """Report what the Charge Point did; the partner gets it on its response_url."""
    body = _body(result=result.upper(), message=message)
    _print(_api("POST", f"/api/charger/commands/{command_id}/result", api_url, json=body))


@charger_app.command("cancel-reservation")
def charger_cancel(
    reservation: Annotated[
        str, typer.Argument(help="Our reservation id (as the charger side has it).")
    ],
    message: Annotated[str | None, typer.Option(help="Why (shown to the eMSP).")] = None,
    api_url: ApiUrl = None,
) -> None:
    """Cancel a reservation from our side (a defect, roadworks): the eMSP is told
    CANCELED_RESERVATION."""
    body = _body(message=message)
    _print(_api("POST", f"/api/charger/reservations/{reservation}/cancel", api_url, json=body))
