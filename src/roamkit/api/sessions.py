"""Management API for sessions and CDRs.

CPO side, where the charger side (an OCPP backend) reports: ``POST /api/sessions``
(started), ``POST /api/sessions/{id}/meter`` (a reading), ``POST
/api/sessions/{id}/stop`` (ended; ``"invalid": true`` when it ended badly). Each
answers the OCPI Session as it now stands; the stop also answers the CDR.

Both sides: ``GET /api/sessions``, ``GET /api/sessions/{id}``, ``GET /api/cdrs``,
``GET /api/cdrs/{id}`` (own ones, and those partners sent: ``?received=true``); CPO side
``POST /api/cdrs/{id}/credit`` (a Credit CDR); eMSP side ``GET /api/cdrs/disputes``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from roamkit.api.auth import require_admin
from roamkit.modules.cdrs import own as own_cdrs
from roamkit.modules.cdrs import service as cdrs
from roamkit.modules.deps import DatabaseDep, SettingsDep
from roamkit.modules.sessions import charging
from roamkit.modules.sessions import service as sessions
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object, json_body
from roamkit.store import objects
from roamkit.store.tables import CdrDispute, ChargingSession, StoredObject

router = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])

LIST_LIMIT = 1000


async def _body(request: Request, model: type[BaseModel]) -> Any:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidParameters("body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, model.__name__) from None


def _shown(row: StoredObject) -> dict[str, Any]:
    out = {k: v for k, v in row.data.items() if not k.startswith("_")}
    if row.owner_id != objects.OWN:
        out["received_from"] = row.owner_id
    return out


@router.post("/sessions")
async def start_session(request: Request, db: DatabaseDep, settings: SettingsDep) -> OcpiResponse:
    req = await _body(request, charging.StartSession)
    try:
        async with db.session() as session:
            obj = await charging.start(session, settings, req)
    except IntegrityError:  # the same start twice at once (PostgreSQL: both saw no row)
        raise InvalidParameters(f"Session {req.id!r} already exists") from None
    return ocpi_response(obj.wire(), http_status=201)


@router.post("/sessions/{session_id}/meter")
async def meter_update(
    session_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    req = await _body(request, charging.MeterUpdate)
    async with db.session() as session:
        obj = await charging.meter(session, settings, session_id, req)
    return ocpi_response(obj.wire())


@router.post("/sessions/{session_id}/stop")
async def stop_session(
    session_id: str, request: Request, db: DatabaseDep, settings: SettingsDep
) -> OcpiResponse:
    req = await _body(request, charging.StopSession)
    async with db.session() as session:
        obj, cdr = await charging.stop(session, settings, session_id, req)
    return ocpi_response({"session": obj.wire(), "cdr": cdr.wire() if cdr else None})


async def _list(db: Any, module: str, received: bool, limit: int) -> list[dict[str, Any]]:
    t = StoredObject
    stmt = select(t).where(t.module == module)
    stmt = (
        stmt.where(t.owner_id != objects.OWN) if received else stmt.where(t.owner_id == objects.OWN)
    )
    async with db.sessions() as session:
        rows = await session.scalars(stmt.order_by(t.id.desc()).limit(min(limit, LIST_LIMIT)))
        return [_shown(r) for r in rows]


async def _one(db: Any, module: str, object_id: str) -> dict[str, Any]:
    t = StoredObject
    async with db.sessions() as session:
        rows = list(
            await session.scalars(
                select(t).where(t.module == module, t.object_id == object_id).order_by(t.owner_id)
            )
        )
        if not rows:
            raise NotFound(f"Unknown {module[:-1]} {object_id!r}")
        out = _shown(rows[0])
        if module == sessions.MODULE and rows[0].owner_id == objects.OWN:
            rec = await session.get(ChargingSession, object_id)
            if rec is not None:
                out["charger"] = {
                    "samples": len(rec.state["samples"]),
                    "pushed_at": rec.pushed_at.isoformat() if rec.pushed_at else None,
                    "push_due_at": rec.push_due_at.isoformat() if rec.push_due_at else None,
                    "reason": rec.state.get("reason"),
                    "preferences": rec.state.get("preferences"),
                }
        return out


@router.get("/sessions")
async def list_sessions(db: DatabaseDep, received: bool = False, limit: int = 100) -> OcpiResponse:
    return ocpi_response(await _list(db, sessions.MODULE, received, limit))


@router.get("/sessions/{session_id}")
async def get_session(session_id: str, db: DatabaseDep) -> OcpiResponse:
    return ocpi_response(await _one(db, sessions.MODULE, session_id))


@router.get("/cdrs")
async def list_cdrs(db: DatabaseDep, received: bool = False, limit: int = 100) -> OcpiResponse:
    return ocpi_response(await _list(db, cdrs.MODULE, received, limit))


@router.get("/cdrs/disputes")
async def list_disputes(db: DatabaseDep, limit: int = 100) -> OcpiResponse:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(CdrDispute).order_by(CdrDispute.id.desc()).limit(min(limit, LIST_LIMIT))
        )
        return ocpi_response([dispute_json(d) for d in rows])


def dispute_json(d: CdrDispute) -> dict[str, Any]:
    return {
        "id": d.id,
        "cdr_id": d.cdr_id,
        "country_code": d.country_code,
        "party_id": d.party_id,
        "partner_id": d.partner_id,
        "kind": d.kind,
        "claimed_total": d.claimed_total,
        "expected_total": d.expected_total,
        "difference": d.difference,
        "detail": d.detail,
        "created_at": d.created_at.isoformat().replace("+00:00", "Z"),
    }


@router.post("/cdrs/{cdr_id}/credit")
async def credit_cdr(cdr_id: str, db: DatabaseDep, settings: SettingsDep) -> OcpiResponse:
    async with db.session() as session:
        credited = await own_cdrs.credit(session, settings, cdr_id)
    return ocpi_response(credited.wire(), http_status=201)


@router.get("/cdrs/{cdr_id}")
async def get_cdr(cdr_id: str, db: DatabaseDep) -> OcpiResponse:
    return ocpi_response(await _one(db, cdrs.MODULE, cdr_id))
