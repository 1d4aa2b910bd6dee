"""``roamkit hub``: run the hub simulator (``roamkit.sim.hub``), a minimal OCPI 2.2.1
hub for trying hub setups and for tests. Its state lives in memory."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

hub_app = typer.Typer(
    help="A minimal OCPI 2.2.1 hub simulator (state in memory).", no_args_is_help=True
)

console = Console(highlight=False, soft_wrap=True)


@hub_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public URL of the hub (default: http://HOST:PORT)."),
    ] = None,
    country_code: Annotated[str, typer.Option(help="The hub's country code.")] = "NL",
    party_id: Annotated[str, typer.Option(help="The hub's party id.")] = "HUB",
    business_name: Annotated[
        str, typer.Option(help="Business name in the hub's credentials.")
    ] = "roamkit hub simulator",
    invite: Annotated[
        list[str] | None,
        typer.Option(help="Invite a party by name; its TOKEN_A is printed. Repeatable."),
    ] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="ROAMKIT_HUB_ADMIN_TOKEN",
            help="Enables POST /admin/invite {\"name\": …} with 'Authorization: Bearer TOKEN'.",
        ),
    ] = None,
    forward_timeout: Annotated[
        float, typer.Option(help="Seconds a party gets to answer a forwarded request (4002).")
    ] = 10.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the hub; parties register with it using the printed versions URL and TOKEN_A."""
    import uvicorn

    from roamkit.sim.hub import Hub, HubConfig
    from roamkit.sim.hub_app import create_hub_app

    if len(country_code) != 2 or len(party_id) != 3:
        raise typer.BadParameter("country code: 2 characters, party id: 3 characters")
    config = HubConfig(
        base_url=base_url or f"http://{host}:{port}",
        country_code=country_code,
        party_id=party_id,
        business_name=business_name,
        admin_token=admin_token,
        forward_timeout=forward_timeout,
    )
    hub = Hub(config)
    console.print(f"roamkit hub simulator {config.country_code}*{config.party_id} (in memory)")
    console.print(f"versions URL: {config.versions_url}")
    for name in invite or []:
        console.print(f"TOKEN_A {name} {hub.invite(name)}", markup=False)
    uvicorn.run(create_hub_app(hub), host=host, port=port, log_level=log_level)
