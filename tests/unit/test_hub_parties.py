"""Parties behind a hub, the pure rules: what a child row is (``partners.hub``), who gets
pushes (``sync.outbox.receives``) and which routing headers go out
(``partners.routing``). 2.2.1 transport_and_format.asciidoc#transport_and_format_message_routing,
mod_hub_client_info.asciidoc (Scenarios)."""

from __future__ import annotations

from typing import Any

import pytest

from roamkit.config import Settings
from roamkit.partners import hub
from roamkit.partners.routing import routing_headers
from roamkit.store.tables import Partner, PartnerEndpoint
from roamkit.sync.outbox import receives

SETTINGS = Settings(country_code="NL", party_id="CPO", roles=["CPO"])
MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens")


def _endpoints() -> list[PartnerEndpoint]:
    return [
        PartnerEndpoint(module=m, role=r, url=f"https://hub.example/{r.lower()}/{m}")
        for m in (*MODULES, "credentials")
        for r in ("SENDER", "RECEIVER")
    ]


def _hub(status: str = "registered", **extra: Any) -> Partner:
    return Partner(
        id=7,
        name="hub",
        status=status,
        version="2.2.1",
        token_out="to-the-hub",
        token_encoding="base64",
        roles=[{"role": "HUB", "country_code": "NL", "party_id": "HUB"}],
        endpoints=_endpoints(),
        **extra,
    )


def _child(role: str, status: str = "CONNECTED", the_hub: Partner | None = None) -> Partner:
    the_hub = the_hub or _hub()
    child = Partner(
        id=8,
        name=hub.child_name(the_hub, "de", "msa"),
        roles=[{"role": role, "country_code": "DE", "party_id": "MSA"}],
        client_info={
            "country_code": "DE",
            "party_id": "MSA",
            "role": role,
            "status": status,
            "last_updated": "2026-01-01T00:00:00Z",
        },
        endpoints=[],
    )
    hub.mirror(the_hub, child)
    return child


def test_a_hub_is_a_direct_connection_with_the_role_hub() -> None:
    assert hub.is_hub(_hub()) and hub.only_hub(_hub())
    both = _hub()
    both.roles = [*both.roles, {"role": "CPO", "country_code": "NL", "party_id": "HUB"}]
    assert hub.is_hub(both) and not hub.only_hub(both)
    assert not hub.is_hub(_child("EMSP"))  # a child mirrors a hub but is none
    direct = Partner(roles=[{"role": "EMSP", "country_code": "NL", "party_id": "MSP"}])
    assert not hub.is_hub(direct)


def test_child_mirrors_the_hub_connection() -> None:
    the_hub = _hub()
    child = _child("EMSP", the_hub=the_hub)
    assert child.name == "hub/DE*MSA" and child.via_id == the_hub.id
    assert (child.token_out, child.token_encoding, child.version) == (
        "to-the-hub",
        "base64",
        "2.2.1",
    )
    assert [(e.module, e.role, e.url) for e in child.endpoints] == [
        (e.module, e.role, e.url) for e in the_hub.endpoints
    ]
    assert child.token_in_hash is None and child.token_a_hash is None  # only the hub's token
    the_hub.token_out = "rotated"
    the_hub.endpoints = the_hub.endpoints[:2]
    hub.mirror(the_hub, child)
    assert child.token_out == "rotated" and len(child.endpoints) == 2


@pytest.mark.parametrize(
    ("hub_status", "client_status", "expected"),
    [
        ("registered", "CONNECTED", "registered"),
        ("registered", "OFFLINE", "offline"),
        ("registered", "PLANNED", "planned"),
        ("registered", "SUSPENDED", "suspended"),
        ("registered", None, "registered"),  # talking to us before its ClientInfo came
        ("unregistered", "CONNECTED", "unregistered"),  # the hub's connection is gone
    ],
)
def test_child_status(hub_status: str, client_status: str | None, expected: str) -> None:
    info = None if client_status is None else {"status": client_status}
    assert hub.status_for(_hub(hub_status), info) == expected


def test_counterpart_role_of_a_party_not_announced_yet() -> None:
    assert hub.counterpart_role(Settings(roles=["CPO"])) == "EMSP"
    assert hub.counterpart_role(Settings(roles=["EMSP"])) == "CPO"
    assert hub.counterpart_role(Settings(roles=["CPO", "EMSP"])) == "OTHER"


def test_ourselves_and_the_hub_are_never_children() -> None:
    assert hub.ignored(SETTINGS, _hub(), "nl", "cpo")
    assert hub.ignored(SETTINGS, _hub(), "NL", "HUB")
    assert hub.ignored(SETTINGS, _hub(), "DE", "MSA") is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("EMSP", {"locations", "tariffs", "sessions", "cdrs"}),
        ("OTHER", {"locations", "tariffs", "sessions", "cdrs"}),
        ("NSP", {"locations", "tariffs"}),
        ("CPO", {"tokens"}),
        ("SCSP", set()),
    ],
)
def test_push_targets_behind_a_hub_by_role(role: str, expected: set[str]) -> None:
    child = _child(role)
    assert {m for m in MODULES if receives(child, m)} == expected


@pytest.mark.parametrize("status", ["OFFLINE", "PLANNED", "SUSPENDED"])
def test_no_pushes_to_a_party_that_is_not_connected(status: str) -> None:
    """221-H-2: send nothing and do not queue."""
    child = _child("EMSP", status)
    assert not any(receives(child, m) for m in MODULES)


def test_the_hub_itself_is_never_a_push_target() -> None:
    assert not any(receives(_hub(), m) for m in MODULES)


def test_routing_headers() -> None:
    child = _child("EMSP")
    assert routing_headers(SETTINGS, child) == {
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPO",
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "MSA",
    }
    direct = Partner(
        version="2.2.1",
        roles=[
            {"role": "EMSP", "country_code": "BE", "party_id": "ONE"},
            {"role": "CPO", "country_code": "BE", "party_id": "TWO"},
        ],
    )
    assert routing_headers(SETTINGS, direct)["OCPI-to-party-id"] == "ONE"  # its first role
    direct.version = "2.1.1"
    assert routing_headers(SETTINGS, direct) == {}
