"""The OCPI routing headers of requests we send (2.2.1
transport_and_format.asciidoc#transport_and_format_message_routing, CHECKLIST 221-R-1/R-2).

One place decides them, so every functional call (pushes, pulls, real-time
authorization, commands, charging profiles) addresses a party the same way: from our
node's party, to the partner's party. A party behind a hub is its own Partner row
(``partners.hub``), so "to" is that party and the hub forwards to it. Configuration
modules (credentials, versions, hubclientinfo) never carry these headers: their callers
do not ask for them.
"""

from __future__ import annotations

from roamkit.config import Settings
from roamkit.store.tables import Partner


def routing_headers(settings: Settings, partner: Partner) -> dict[str, str]:
    """``OCPI-from-*`` = our node, ``OCPI-to-*`` = the partner's party: a party behind a
    hub, its own; a direct connection, its first credentials role. Empty for 2.1.1
    partners (2.1.1 has no routing headers)."""
    if partner.version == "2.1.1":
        return {}
    role = (partner.roles or [{}])[0]
    return {
        "OCPI-from-country-code": settings.country_code,
        "OCPI-from-party-id": settings.party_id,
        "OCPI-to-country-code": str(role.get("country_code", "")),
        "OCPI-to-party-id": str(role.get("party_id", "")),
    }
