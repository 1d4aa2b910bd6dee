"""``roamkit`` command line (typer).

Local commands (init, partner invite/list) work on the database directly, so a
node can be prepared before it runs. Commands that talk to a partner
(register, rotate, remove) go through the running node's management API,
because the partner calls that node back during the handshake.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from roamkit.cli_commands import charger_app, command_app
from roamkit.cli_hub import hub_app
from roamkit.cli_profiles import profile_app
from roamkit.cli_sessions import cdr_app, session_app
from roamkit.cli_sync import sync_app
from roamkit.config import Settings

app = typer.Typer(
    help="roamkit: an OCPI 2.1.1 / 2.2.1 node for CPOs and eMSPs.", no_args_is_help=True
)
partner_app = typer.Typer(help="Manage OCPI partners (connections).", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(sync_app, name="sync")
app.add_typer(session_app, name="session")
app.add_typer(cdr_app, name="cdr")
app.add_typer(command_app, name="command")
app.add_typer(charger_app, name="charger")
app.add_typer(hub_app, name="hub")
app.add_typer(profile_app, name="profile")

console = Console()
err_console = Console(stderr=True)

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="ROAMKIT_API_URL",
        help="Management API of the running node (default: http://127.0.0.1:PORT).",
    ),
]


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError: show it plainly
        err_console.print(f"[red]invalid configuration:[/red] {exc}")
        raise typer.Exit(2) from exc


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


@app.command()
def init() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from roamkit.store.db import run_migrations

    settings = _settings()
    run_migrations(settings.database_url)
    console.print(f"database ready: {settings.database_url}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (ROAMKIT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (ROAMKIT_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes (ROAMKIT_WORKERS); several share the database and the "
            "push outbox. Pays off on PostgreSQL; SQLite writes one process at a time.",
        ),
    ] = None,
) -> None:
    """Run the node: OCPI under /ocpi, the management API under /api."""
    import uvicorn

    from roamkit.app import create_app
    from roamkit.store.db import run_migrations

    settings = _settings()
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level,
        "proxy_headers": True,
    }
    processes = workers or settings.workers
    if processes == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Each process builds its app from the environment (ROAMKIT_*, roamkit.toml), as
    # this one did; the schema is brought up to date once, before they start.
    run_migrations(settings.database_url)
    uvicorn.run("roamkit.app:app_from_env", factory=True, workers=processes, **options)


async def _local(fn: Any) -> Any:
    from roamkit.store.db import Database

    settings = _settings()
    db = Database(settings.database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            return await fn(session, settings)
    finally:
        await db.dispose()


def _api(method: str, path: str, api_url: str | None, **kwargs: Any) -> Any:
    settings = _settings()
    base = (api_url or f"http://127.0.0.1:{settings.port}").rstrip("/")
    headers = {"Authorization": f"Bearer {settings.admin_token or ''}"}
    try:
        resp = httpx.request(method, base + path, headers=headers, timeout=120, **kwargs)
    except httpx.HTTPError as exc:
        err_console.print(f"[red]cannot reach the node at {base}:[/red] {exc}")
        raise typer.Exit(1) from exc
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code >= 300 or not 1000 <= int(body.get("status_code", 0)) < 2000:
        message = body.get("status_message") or resp.text
        err_console.print(f"[red]failed (HTTP {resp.status_code}):[/red] {message}")
        raise typer.Exit(1)
    return body.get("data")


@partner_app.command("invite")
def partner_invite(
    name: Annotated[str | None, typer.Option(help="Name for the partner.")] = None,
) -> None:
    """Issue a single-use TOKEN_A; prints JSON {"name", "token", "versions_url"}."""
    from roamkit.partners import repository as repo

    async def run(session: Any, settings: Settings) -> dict[str, str]:
        try:
            partner, token = await repo.invite(session, name)
        except repo.PartnerExists as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        return {"name": partner.name, "token": token, "versions_url": settings.versions_url}

    _print_json(asyncio.run(_local(run)))


@partner_app.command("register")
def partner_register(
    versions_url: Annotated[str, typer.Argument(help="The partner's versions URL.")],
    token: Annotated[str, typer.Option("--token", help="TOKEN_A the partner gave you.")],
    name: Annotated[str | None, typer.Option(help="Name for the partner.")] = None,
    token_encoding: Annotated[
        str,
        typer.Option(help="How to send tokens to this partner: auto (by version), base64 or raw."),
    ] = "auto",
    api_url: ApiUrl = None,
) -> None:
    """Register with a partner (we are the credentials Sender); prints the partner as JSON."""
    body = {
        "versions_url": versions_url,
        "token": token,
        "name": name,
        "token_encoding": token_encoding,
    }
    _print_json(_api("POST", "/api/partners/register", api_url, json=body))


@partner_app.command("list")
def partner_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List partners and their state."""
    from roamkit.partners import repository as repo

    async def run(session: Any, _: Settings) -> list[dict[str, Any]]:
        return await repo.partners_json(session, await repo.list_partners(session))

    partners = asyncio.run(_local(run))
    if as_json:
        _print_json(partners)
        return
    table = Table("name", "status", "version", "roles", "versions_url", "via")
    for p in partners:
        roles = ", ".join(f"{r['role']} {r['country_code']}*{r['party_id']}" for r in p["roles"])
        table.add_row(
            p["name"],
            p["status"],
            p["version"] or "",
            roles,
            p["versions_url"] or "",
            p["via"] or "",
        )
    console.print(table)


@partner_app.command("rotate")
def partner_rotate(name: str, api_url: ApiUrl = None) -> None:
    """Renew both tokens of a connection (credentials PUT); prints the partner as JSON."""
    _print_json(_api("POST", f"/api/partners/{name}/rotate", api_url))


@partner_app.command("sync-parties")
def partner_sync_parties(
    name: Annotated[str, typer.Argument(help="The hub connection's name.")],
    page_size: Annotated[
        int | None, typer.Option(min=1, help="Objects per page asked of the hub.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    api_url: ApiUrl = None,
) -> None:
    """Re-read a hub's ClientInfo list: the parties behind it, for a node that missed the
    hub's updates (2.2.1 mod_hub_client_info_hub_get)."""
    params = {"page_size": page_size} if page_size else None
    counts = _api("POST", f"/api/partners/{name}/client-info", api_url, params=params)
    if as_json:
        _print_json(counts)
        return
    console.print(
        f"{name}: {counts['parties']} parties listed by the hub: {counts['created']} new, "
        f"{counts['changed']} changed, {counts['unchanged']} unchanged, "
        f"{counts['ignored']} ignored (us or the hub), {counts['skipped']} skipped (invalid)",
        highlight=False,
    )


@partner_app.command("remove")
def partner_remove(
    name: str,
    force: Annotated[
        bool, typer.Option(help="Forget the partner even if it cannot be told (DELETE fails).")
    ] = False,
    api_url: ApiUrl = None,
) -> None:
    """Unregister (credentials DELETE at the partner) and revoke its token here."""
    _print_json(_api("DELETE", f"/api/partners/{name}", api_url, params={"force": force}))


location_app = typer.Typer(help="Our own locations.", no_args_is_help=True)
app.add_typer(location_app, name="location")


@location_app.command("status")
def location_status(
    location_id: str,
    evse_uid: str,
    status: Annotated[str, typer.Argument(help="AVAILABLE, CHARGING, OUTOFORDER, REMOVED ...")],
    api_url: ApiUrl = None,
) -> None:
    """Change an EVSE's status; pushed to partners at once (PATCH)."""
    _print_json(
        _api(
            "POST",
            f"/api/locations/{location_id}/evses/{evse_uid}/status",
            api_url,
            json={"status": status.upper()},
        )
    )


def _read_json(path: str) -> dict[str, Any]:
    """A JSON object from a file, or from standard input for ``-``."""
    import sys
    from pathlib import Path

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        err_console.print(f"[red]cannot read JSON from {path}:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not isinstance(data, dict):
        err_console.print(f"[red]{path} does not hold a JSON object[/red]")
        raise typer.Exit(2)
    return data


JsonFile = Annotated[str, typer.Argument(help="JSON file (2.2.1 shape), or - for stdin.")]


@location_app.command("put")
def location_put(file: JsonFile, api_url: ApiUrl = None) -> None:
    """Create or replace one of our locations (with its EVSEs and connectors); pushed
    to partners. country_code, party_id and last_updated default to ours and now."""
    data = _read_json(file)
    if not data.get("id"):
        err_console.print("[red]the location needs an id[/red]")
        raise typer.Exit(2)
    _print_json(_api("PUT", f"/api/locations/{data['id']}", api_url, json=data))


tariff_app = typer.Typer(help="Our own tariffs.", no_args_is_help=True)
from roamkit.cli_tariff import tariff_price  # noqa: E402 - registered where tariff_app is made

tariff_app.command("price")(tariff_price)
app.add_typer(tariff_app, name="tariff")


@tariff_app.command("put")
def tariff_put(file: JsonFile, api_url: ApiUrl = None) -> None:
    """Create or replace one of our tariffs; pushed to partners."""
    data = _read_json(file)
    if not data.get("id"):
        err_console.print("[red]the tariff needs an id[/red]")
        raise typer.Exit(2)
    _print_json(_api("PUT", f"/api/tariffs/{data['id']}", api_url, json=data))


@tariff_app.command("delete")
def tariff_delete(tariff_id: str, api_url: ApiUrl = None) -> None:
    """Delete one of our tariffs; partners are told (DELETE)."""
    _print_json(_api("DELETE", f"/api/tariffs/{tariff_id}", api_url))


token_app = typer.Typer(
    help="Tokens: our own (eMSP: add, block, unblock, revoke, show) and the CPO's "
    "authorization decision (authorize).",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")

TokenType = Annotated[
    str | None, typer.Option("--type", help="RFID (default), APP_USER, AD_HOC_USER, OTHER.")
]


def _location_rule(text: str) -> dict[str, Any]:
    """``LOC`` or ``LOC:EVSE1,EVSE2`` → an allowed_locations entry."""
    location_id, _, evses = text.partition(":")
    rule: dict[str, Any] = {"location_id": location_id}
    if evses:
        rule["evse_uids"] = [e for e in evses.split(",") if e]
    return rule


@token_app.command("add")
def token_add(
    uid: str,
    token_type: TokenType = None,
    contract_id: Annotated[
        str | None, typer.Option(help="Contract id (eMA ID); default: the uid.")
    ] = None,
    whitelist: Annotated[
        str, typer.Option(help="ALWAYS, ALLOWED, ALLOWED_OFFLINE or NEVER.")
    ] = "ALLOWED",
    issuer: Annotated[str | None, typer.Option(help="Default: our business name.")] = None,
    visual_number: Annotated[str | None, typer.Option()] = None,
    group_id: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1.")] = None,
    location: Annotated[
        list[str] | None,
        typer.Option(
            "--location",
            help="Only at this location (LOC, or LOC:EVSE1,EVSE2); repeat for more. "
            "Default: anywhere.",
        ),
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="Expiry (ISO 8601 UTC); then EXPIRED is answered.")
    ] = None,
    api_url: ApiUrl = None,
) -> None:
    """Create (or replace) one of our tokens; pushed to every CPO partner (PUT).
    Prints the token with its rules as JSON."""
    body: dict[str, Any] = {"uid": uid, "whitelist": whitelist.upper()}
    for field, value in (
        ("type", token_type.upper() if token_type else None),
        ("contract_id", contract_id),
        ("issuer", issuer),
        ("visual_number", visual_number),
        ("group_id", group_id),
        ("language", language),
        ("expires_at", expires),
    ):
        if value is not None:
            body[field] = value
    if location:
        body["allowed_locations"] = [_location_rule(loc) for loc in location]
    _print_json(_api("POST", "/api/tokens", api_url, json=body))


def _token_state(uid: str, token_type: str | None, action: str, api_url: str | None) -> None:
    params = {"type": token_type.upper()} if token_type else None
    _print_json(_api("POST", f"/api/tokens/{uid}/{action}", api_url, params=params))


@token_app.command("block")
def token_block(uid: str, token_type: TokenType = None, api_url: ApiUrl = None) -> None:
    """Block one of our tokens (valid=false, pushed as PATCH); unblock undoes it."""
    _token_state(uid, token_type, "block", api_url)


@token_app.command("unblock")
def token_unblock(uid: str, token_type: TokenType = None, api_url: ApiUrl = None) -> None:
    """Make a blocked token valid again (pushed as PATCH)."""
    _token_state(uid, token_type, "unblock", api_url)


@token_app.command("revoke")
def token_revoke(uid: str, token_type: TokenType = None, api_url: ApiUrl = None) -> None:
    """Revoke one of our tokens for good (valid=false, pushed as PATCH)."""
    _token_state(uid, token_type, "revoke", api_url)


@token_app.command("show")
def token_show(uid: str, token_type: TokenType = None, api_url: ApiUrl = None) -> None:
    """Show one of our tokens with its rules and state."""
    params = {"type": token_type.upper()} if token_type else None
    _print_json(_api("GET", f"/api/tokens/{uid}", api_url, params=params))


@token_app.command("authorize")
def token_authorize(
    uid: str,
    location: Annotated[str | None, typer.Option("--location", help="Location id.")] = None,
    evse: Annotated[str | None, typer.Option("--evse", help="EVSE uid.")] = None,
    token_type: TokenType = None,
    party: Annotated[
        str | None,
        typer.Option(help="CC*PID of the eMSP to ask about a token this node does not know."),
    ] = None,
    api_url: ApiUrl = None,
) -> None:
    """CPO: may this token charge here? Applies the token's whitelist type (local copy,
    real-time at the eMSP, fallback). Prints the decision as JSON."""
    body: dict[str, Any] = {"uid": uid}
    if token_type:
        body["type"] = token_type.upper()
    if location:
        body["location_id"] = location
    if evse:
        body["evse_uid"] = evse
    if party:
        cc, sep, pid = party.replace("-", "*").partition("*")
        if not sep or len(cc) != 2 or len(pid) != 3:
            err_console.print("[red]--party must look like NL*ABC[/red]")
            raise typer.Exit(2)
        body["country_code"], body["party_id"] = cc.upper(), pid.upper()
    _print_json(_api("POST", "/api/authorize", api_url, json=body))


@app.command("seed")
def seed_command(
    locations: Annotated[int, typer.Option(help="How many locations.")] = 100,
    tariffs: Annotated[int, typer.Option(help="How many tariffs.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 0,
    evses: Annotated[int | None, typer.Option(help="EVSEs per location (default: 1-4).")] = None,
    connectors: Annotated[
        int | None, typer.Option(help="Connectors per EVSE (default: varies).")
    ] = None,
) -> None:
    """Fill this node with realistic, deterministic demo locations and tariffs."""
    from rich.progress import Progress

    from roamkit.sim.seeding import seed as run_seed
    from roamkit.store.db import Database

    settings = _settings()

    async def run() -> dict[str, int]:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task("seeding locations", total=locations)
                return await run_seed(
                    db,
                    settings,
                    locations=locations,
                    tariffs=tariffs,
                    seed=seed,
                    evses_per_location=evses,
                    connectors_per_evse=connectors,
                    progress=lambda n: bar.update(task, completed=n),
                )
        finally:
            await db.dispose()

    _print_json(asyncio.run(run()))


if __name__ == "__main__":  # pragma: no cover
    app()
