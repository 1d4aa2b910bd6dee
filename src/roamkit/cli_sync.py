"""``roamkit sync``: pull a partner's locations or tariffs, list what was quarantined.

Works on the local database directly (like ``partner list``): the pull is a client
of the partner, nobody calls this node back, so the node need not run. A running
node can be told to sync through ``POST /api/sync/{partner}/{module}`` instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from roamkit.config import Settings

sync_app = typer.Typer(
    help="Pull partners' data (locations, tariffs, sessions, CDRs); inspect quarantined objects.",
    no_args_is_help=True,
)

T = TypeVar("T")


class PullModule(StrEnum):
    locations = "locations"
    tariffs = "tariffs"
    sessions = "sessions"
    cdrs = "cdrs"


def _settings(err: Console) -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError: show it plainly
        err.print(f"[red]invalid configuration:[/red] {exc}")
        raise typer.Exit(2) from exc


async def _with_db(settings: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    from roamkit.store.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
        return await fn(db)
    finally:
        await db.dispose()


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


class _Bar:
    """A rich progress bar on stderr; its total follows the partner's X-Total-Count."""

    def __init__(self, console: Console, label: str) -> None:
        self.label = label
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def update(self, phase: str, done: int, total: int | None) -> None:
        task = self.tasks.get(phase)
        if task is None:
            task = self.progress.add_task(f"{self.label} ({phase})", total=total)
            self.tasks[phase] = task
        self.progress.update(task, completed=done, total=total if total is not None else done)


@sync_app.command("pull")
def pull(
    partner: Annotated[str, typer.Argument(help="Partner name (see `roamkit partner list`).")],
    module: Annotated[PullModule, typer.Argument(help="What to pull.")],
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Fetch everything, not only what changed since the last sync; "
            "then remove stored locations/tariffs the partner no longer serves "
            "(sessions and CDRs are never removed).",
        ),
    ] = False,
    page_size: Annotated[
        int | None,
        typer.Option(
            "--page-size",
            min=1,
            help="limit to ask for per page (default: the partner's own page size; it may cap it).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object.")
    ] = False,
) -> None:
    """Pull a partner's locations, tariffs, sessions or CDRs (incremental by date_from
    unless --full). New CDRs are re-priced as pushed ones are (see `cdr disputes`)."""
    import httpx

    from roamkit import __version__
    from roamkit.gctools import freeze_startup_heap
    from roamkit.partners.client import PartnerClient
    from roamkit.sync.pull import PullError, PullFailed
    from roamkit.sync.pull import pull as run_pull

    err = Console(stderr=True)
    settings = _settings(err)
    bar = _Bar(err, f"{partner} {module.value}")

    async def run(db: Any) -> dict[str, Any]:
        freeze_startup_heap()
        headers = {"User-Agent": f"roamkit/{__version__}"}
        async with httpx.AsyncClient(timeout=settings.http_timeout, headers=headers) as http:
            client = PartnerClient(http, settings.allow_insecure_urls)
            with bar.progress:
                summary = await run_pull(
                    db,
                    client,
                    partner,
                    module.value,
                    full=full,
                    page_size=page_size,
                    progress=bar.update,
                    settings=settings,
                )
        return summary.as_json()

    try:
        result = asyncio.run(_with_db(settings, run))
    except PullFailed as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        if as_json:
            _echo_json(exc.summary.as_json())
        raise typer.Exit(1) from exc
    except PullError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        _echo_json(result)
        return
    _print_summary(Console(), result)


def _print_summary(console: Console, s: dict[str, Any]) -> None:
    kind = "full" if s["full"] else f"incremental since {s['date_from']}"
    console.print(
        f"{s['partner']} {s['module']} ({kind}): received {s['received']}, "
        f"stored {s['stored']}, unchanged {s['unchanged']}, quarantined {s['quarantined']}, "
        f"removed {s['removed']} in {s['pages']} pages, {s['duration_s']:.1f}s",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if s["link_fallback"]:
        console.print(
            f"[yellow]offset paging instead of Link:[/yellow] {escape(s['link_fallback'])}",
            soft_wrap=True,
        )
    if s["quarantined"]:
        console.print(f"see `roamkit sync quarantine --partner {escape(s['partner'])}`")


@sync_app.command("quarantine")
def quarantine_list(
    partner: Annotated[str | None, typer.Option(help="Only this partner's objects.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List objects partners sent that could not be accepted, newest first, with the reason."""
    from roamkit.partners import repository as repo
    from roamkit.sync import quarantine

    err = Console(stderr=True)
    settings = _settings(err)

    async def run(db: Any) -> list[dict[str, Any]] | None:
        async with db.session() as session:
            partner_id = None
            if partner is not None:
                found = await repo.get_by_name(session, partner)
                if found is None:
                    return None
                partner_id = found.id
            rows = await quarantine.entries(session, partner_id)
            return [quarantine.entry_json(row, name) for row, name in rows]

    entries = asyncio.run(_with_db(settings, run))
    if entries is None:
        err.print(f"[red]No partner named {escape(repr(partner))}[/red]")
        raise typer.Exit(1)
    if as_json:
        _echo_json(entries)
        return
    table = Table("id", "partner", "module", "when", "reason", "object")
    for e in entries:
        payload = e["payload"]
        ident = payload.get("id", "") if isinstance(payload, dict) else ""
        cells = (str(e["id"]), e["partner"] or "", e["module"], e["created_at"], e["reason"])
        table.add_row(*(Text(c) for c in (*cells, str(ident))))
    Console().print(table)
