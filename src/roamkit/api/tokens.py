"""Management API for tokens.

eMSP side, our own tokens (pushed to every CPO partner through the outbox):
``POST /api/tokens`` (create or replace), ``PUT /api/tokens/{uid}``,
``GET /api/tokens/{uid}``, ``POST /api/tokens/{uid}/block|unblock|revoke``
(``?type=`` when not RFID). Bodies are 2.2.1 Token-shaped plus our rules
(``allowed_locations``, ``expires_at``, ``no_credit``), which never leave the node.

CPO side: ``POST /api/authorize`` is the decision a charger backend asks for
(see ``modules.tokens.authorize``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError

from roamkit.api.auth import require_admin
from roamkit.domain import canonical as c
from roamkit.modules.deps import DatabaseDep, SettingsDep
from roamkit.modules.tokens import own, service
from roamkit.modules.tokens.authorize import Authorizer, AuthorizeRequest
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, invalid_object, json_body

router = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])

RULE_FIELDS = ("allowed_locations", "expires_at", "no_credit")


class AuthorizeBody(BaseModel):
    uid: str
    type: str | None = None
    location_id: str | None = None
    evse_uid: str | None = None
    country_code: str | None = None
    """With ``party_id``: the eMSP to ask about a token we do not know."""
    party_id: str | None = None


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    """Our token as the API shows it: the Token plus its rules and state."""
    out = {k: v for k, v in data.items() if k != service.RULES}
    rules = service.rules_of(data)
    out["rules"] = rules.model_dump(mode="json", exclude={"state"}, exclude_none=True)
    out["state"] = rules.state
    return out


async def _upsert(body: Any, settings: Any, db: Any, uid: str | None) -> OcpiResponse:
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a Token object")
    if uid is not None:
        body = {**body, "uid": body.get("uid", uid)}
        if str(body["uid"]).upper() != uid.upper():
            raise InvalidParameters(f"uid in the body ({body['uid']!r}) differs from the URL")
    rules_in = {k: body.pop(k) for k in RULE_FIELDS if k in body}
    body.pop("rules", None)
    body.pop("state", None)
    try:
        token = c.Token.model_validate(own.stamp(body, settings))
        rules = service.Rules.model_validate(rules_in) if rules_in else None
    except ValidationError as exc:
        raise invalid_object(exc, "token") from None
    async with db.session() as session:
        outcome = await own.put_token(session, token, rules)
        found = await service.find_own(session, token.uid, (token.type.value,))
    return ocpi_response(
        _shown(found[0]) if found else token.wire(), http_status=outcome.http_status
    )


@router.post("/tokens")
async def create_token(request: Request, db: DatabaseDep, settings: SettingsDep) -> OcpiResponse:
    return await _upsert(await json_body(request), settings, db, None)


@router.put("/tokens/{uid}")
async def put_token(
    uid: str, request: Request, db: DatabaseDep, settings: SettingsDep, type: str | None = None
) -> OcpiResponse:
    body = await json_body(request)
    if isinstance(body, dict) and type is not None:
        body.setdefault("type", type.upper())
    return await _upsert(body, settings, db, uid)


@router.get("/tokens/{uid}")
async def get_token(uid: str, db: DatabaseDep, type: str | None = None) -> OcpiResponse:
    async with db.sessions() as session:
        found = await service.find_own(session, uid, service.types_for("2.2.1", type))
    if found is None:
        raise service.UnknownToken(f"Unknown token {uid!r}")
    return ocpi_response(_shown(found[0]))


async def _set_state(db: Any, uid: str, type: str | None, state: str) -> OcpiResponse:
    async with db.session() as session:
        data = await own.set_state(session, uid, type, state)
    return ocpi_response(_shown(data))


@router.post("/tokens/{uid}/block")
async def block_token(uid: str, db: DatabaseDep, type: str | None = None) -> OcpiResponse:
    return await _set_state(db, uid, type, "blocked")


@router.post("/tokens/{uid}/unblock")
async def unblock_token(uid: str, db: DatabaseDep, type: str | None = None) -> OcpiResponse:
    return await _set_state(db, uid, type, "active")


@router.post("/tokens/{uid}/revoke")
async def revoke_token(uid: str, db: DatabaseDep, type: str | None = None) -> OcpiResponse:
    return await _set_state(db, uid, type, "revoked")


@router.post("/authorize")
async def authorize(body: AuthorizeBody, request: Request) -> OcpiResponse:
    authorizer: Authorizer = request.app.state.authorizer
    if body.type is not None and body.type.upper() not in service.TYPES:
        raise InvalidParameters(f"type must be one of {', '.join(service.TYPES)}")
    result = await authorizer.decide(
        AuthorizeRequest(
            uid=body.uid,
            type=body.type,
            location_id=body.location_id,
            evse_uid=body.evse_uid,
            country_code=body.country_code,
            party_id=body.party_id,
        )
    )
    return ocpi_response(result)
