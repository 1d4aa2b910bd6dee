"""Tokens Receiver interface (the CPO's): GET, PUT, PATCH of an eMSP's token, both
versions (2.2.1 #mod_tokens_receiver_interface, 2.1.1 mod_tokens.md §2.1).

Each eMSP's tokens are stored under its partner id (``owner_id``) and it may only
address its own country_code/party_id (``PartyCaller``): a token of one eMSP can
be neither read nor changed by another, even for the same uid.

2.2.1 URLs carry ``?type=`` (default RFID); 2.1.1 URLs have no type, so GET and
PATCH find the token by uid (RFID first) and PUT takes the type from the body.

Every stored change voids the CPO's cached real-time answers for that token at
once (``authorize`` compares the stored token, not a timer): a token revoked by
the eMSP is never allowed from a stale cache.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from roamkit.domain.context import ConversionContext
from roamkit.modules.deps import DatabaseDep, PartyCaller, SettingsDep
from roamkit.modules.listing import routing_headers
from roamkit.modules.tokens import codec, service
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, json_body
from roamkit.protocol.timeutil import parse_datetime, utcnow

PATH = "/{country_code}/{party_id}/{token_uid}"


def _types(version: str, token_type: str | None) -> tuple[str, ...]:
    if version == "2.1.1":
        return service.TYPES if token_type is None else service.types_for(version, token_type)
    return service.types_for(version, token_type)


def router(version: str) -> APIRouter:
    r = APIRouter()

    @r.get(PATH)
    async def get_token(
        country_code: str,
        party_id: str,
        token_uid: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        type: str | None = None,
    ) -> OcpiResponse:
        async with db.sessions() as session:
            found = await service.find(
                session, caller.partner.id, country_code, party_id, token_uid, _types(version, type)
            )
        if found is None:
            raise service.UnknownToken(f"Unknown token {token_uid!r}", version)
        return ocpi_response(
            codec.to_wire(version, service.load(found[0])),
            headers=routing_headers(request, settings, caller, version),
        )

    @r.put(PATH)
    async def put_token(
        country_code: str,
        party_id: str,
        token_uid: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        type: str | None = None,
    ) -> OcpiResponse:
        cc, pid = country_code.upper(), party_id.upper()
        token = codec.parse_put(
            version, await json_body(request), ConversionContext(country_code=cc, party_id=pid)
        )
        if token.uid.upper() != token_uid.upper():
            raise InvalidParameters(
                f"Token uid in the body ({token.uid!r}) differs from the URL ({token_uid!r})"
            )
        if type is not None and type.upper() != token.type.value:
            raise InvalidParameters(
                f"Token type in the body ({token.type.value}) differs from the URL ({type})"
            )
        if (token.country_code.upper(), token.party_id.upper()) != (cc, pid):
            raise InvalidParameters(
                f"Token belongs to {token.country_code}*{token.party_id}, URL says {cc}*{pid}"
            )
        async with db.session() as session:
            outcome = await service.put_token(session, caller.partner.id, token)
        return ocpi_response(
            status_message=outcome.message,
            http_status=outcome.http_status,
            headers=routing_headers(request, settings, caller, version),
        )

    @r.patch(PATH)
    async def patch_token(
        country_code: str,
        party_id: str,
        token_uid: str,
        request: Request,
        caller: PartyCaller,
        db: DatabaseDep,
        settings: SettingsDep,
        type: str | None = None,
    ) -> OcpiResponse:
        cc, pid = country_code.upper(), party_id.upper()
        fields = codec.parse_patch(
            version, await json_body(request), ConversionContext(country_code=cc, party_id=pid)
        )
        for field, url_value in (("country_code", cc), ("party_id", pid)):
            if field in fields and str(fields[field]).upper() != url_value:
                raise InvalidParameters(
                    f"PATCH may not move the token to another party "
                    f"({field}={fields[field]!r}, URL says {url_value!r})"
                )
        if "uid" in fields and str(fields["uid"]).upper() != token_uid.upper():
            raise InvalidParameters("PATCH may not change the token's uid")
        stamp = fields.pop("last_updated", None)
        if stamp is None and version != "2.1.1":
            # 2.2.1 #mod_tokens_patch_method: last_updated is required in a PATCH.
            raise InvalidParameters("PATCH without last_updated")
        when: datetime = parse_datetime(stamp) if stamp else utcnow()
        async with db.session() as session:
            found = await service.find(
                session,
                caller.partner.id,
                cc,
                pid,
                token_uid,
                _types(version, type),
                for_update=True,
            )
            if found is None:
                raise service.UnknownToken(f"Unknown token {token_uid!r}: PUT it first", version)
            row, k = found
            if "type" in fields and fields["type"] != row.data.get("type"):
                raise InvalidParameters("PATCH may not change the token's type")
            outcome = await service.patch_token(session, row, k, fields, when)
        return ocpi_response(
            status_message=outcome.message,
            headers=routing_headers(request, settings, caller, version),
        )

    return r
