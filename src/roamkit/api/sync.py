"""``/api/sync``: tell a running node to pull a partner's module; list the quarantine."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from roamkit.api.auth import require_admin
from roamkit.modules.deps import ClientDep, DatabaseDep, SettingsDep
from roamkit.partners import repository as repo
from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.errors import InvalidParameters, NotFound, OcpiError, PartnerApiError
from roamkit.sync import quarantine
from roamkit.sync.pull import MODULES, PullBusy, PullError, PullFailed, UnknownPartner, pull

router = APIRouter(prefix="/api/sync", dependencies=[Depends(require_admin)])


class SyncFailed(PartnerApiError):
    """The partner failed mid-sync (3001, HTTP 502 like the other partner flows)."""

    http_status = 502


@router.get("/quarantine")
async def list_quarantine(
    db: DatabaseDep, partner: str | None = None, module: str | None = None
) -> OcpiResponse:
    async with db.session() as session:
        partner_id = None
        if partner is not None:
            found = await repo.get_by_name(session, partner)
            if found is None:
                raise NotFound(f"No partner named {partner!r}")
            partner_id = found.id
        rows = await quarantine.entries(session, partner_id, module)
        return ocpi_response([quarantine.entry_json(row, name) for row, name in rows])


@router.post("/{partner:path}/{module}")  # a party behind a hub is "hub/CC*PID"
async def sync_module(
    partner: str,
    module: str,
    db: DatabaseDep,
    client: ClientDep,
    settings: SettingsDep,
    full: bool = False,
    page_size: int | None = Query(None, ge=1),
) -> OcpiResponse:
    """Runs the pull to the end and answers its summary (the same as ``--json``)."""
    if module not in MODULES:
        raise InvalidParameters(f"Cannot pull {module!r}: choose one of {', '.join(MODULES)}")
    try:
        summary = await pull(
            db, client, partner, module, full=full, page_size=page_size, settings=settings
        )
    except UnknownPartner as exc:
        raise NotFound(str(exc)) from exc
    except PullBusy as exc:
        raise OcpiError(str(exc), http_status=409) from exc
    except PullFailed as exc:
        raise SyncFailed(str(exc)) from exc
    except PullError as exc:
        raise InvalidParameters(str(exc)) from exc
    return ocpi_response(summary.as_json())
