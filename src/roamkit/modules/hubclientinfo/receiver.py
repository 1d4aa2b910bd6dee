"""Hub client info, Receiver interface (2.2.1
mod_hub_client_info.asciidoc#mod_hub_client_info_client_interface): the hub PUTs the
ClientInfo of each party behind it, and may GET it back.

Only a registered connection whose credentials carry the role HUB may use it (anyone
else: 404, as for objects the caller may not touch). Each ClientInfo becomes, or
updates, that party's own Partner row (``partners.hub``). A configuration module:
no routing headers, in requests or responses (CHECKLIST 221-R-1).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from roamkit.models.v221.hubclientinfo import ClientInfo
from roamkit.modules.deps import Caller, ConnectionCaller, DatabaseDep, SettingsDep
from roamkit.partners import hub
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import (
    Forbidden,
    InvalidParameters,
    NotFound,
    invalid_object,
    json_body,
)
from roamkit.store.tables import Partner

MODULE = "hubclientinfo"
PATH = "/{country_code}/{party_id}"


def _hub_only(caller: Caller) -> None:
    if not hub.is_hub(caller.partner):
        raise Forbidden(
            "Only a hub (credentials role HUB) sends ClientInfo "
            "(mod_hub_client_info.asciidoc, CHECKLIST 221-R-8)"
        )


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get(PATH)
    async def get_client_info(
        country_code: str, party_id: str, caller: ConnectionCaller, db: DatabaseDep
    ) -> OcpiResponse:
        """#mod_hub_client_info_client_get: the ClientInfo as we hold it. None held: HTTP
        404 (status_codes.asciidoc: a GET of a resource that does not exist), OCPI 2000
        (2003 means an unknown Location)."""
        _hub_only(caller)
        async with db.sessions() as session:
            child = await hub.find_child(session, caller.partner, country_code, party_id)
        if child is None or child.client_info is None:
            raise NotFound(
                f"No ClientInfo for {country_code.upper()}*{party_id.upper()} from this hub"
            )
        return ocpi_response(child.client_info)

    @r.put(PATH)
    async def put_client_info(
        country_code: str,
        party_id: str,
        request: Request,
        caller: ConnectionCaller,
        db: DatabaseDep,
        settings: SettingsDep,
    ) -> OcpiResponse:
        """#mod_hub_client_info_client_put: new or changed ClientInfo; 201 when the party
        is new to us. About us, or the hub itself: accepted and ignored."""
        _hub_only(caller)
        raw = await json_body(request)
        try:
            info = ClientInfo.model_validate(raw)
        except ValidationError as exc:
            raise invalid_object(exc, "ClientInfo object") from None
        url = (country_code.upper(), party_id.upper())
        if (info.country_code.upper(), info.party_id.upper()) != url:
            raise InvalidParameters(
                f"ClientInfo is about {info.country_code}*{info.party_id}, "
                f"the URL says {url[0]}*{url[1]}"
            )
        reason = hub.ignored(settings, caller.partner, *url)
        if reason is not None:
            return ocpi_response(status_message=f"Ignored: {reason}")
        async with db.session() as session:
            the_hub = await session.get(Partner, caller.partner.id)
            if the_hub is None or not hub.is_hub(the_hub):
                raise Forbidden("The hub connection is gone")
            _, created, changed = await hub.upsert_client_info(
                session, the_hub, info, raw if isinstance(raw, dict) else None
            )
        message = None if changed else "Not newer than the ClientInfo held: nothing changed"
        return ocpi_response(status_message=message, http_status=201 if created else 200)

    return r
