"""CDRs: rules independent of version and transport (2.2.1 mod_cdrs.asciidoc,
2.1.1 mod_cdrs.md). A CDR is immutable once received (#mod_cdrs_cdr_object,
CHECKLIST 211-D-1 / 221-D-1): the same CDR posted again changes nothing and is
answered like the first time; a different CDR under the same id is refused
(corrections are Credit CDRs with a new id)."""

from __future__ import annotations

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import cdrs as conv211
from roamkit.modules.embedded import plain, with_location
from roamkit.modules.results import Outcome
from roamkit.modules.wirejson import v211_bytes
from roamkit.protocol.errors import OcpiError
from roamkit.protocol.status import StatusCode
from roamkit.store import objects
from roamkit.store.objects import ObjectKey
from roamkit.store.tables import StoredObject

MODULE = "cdrs"


class CdrConflict(OcpiError):
    """Another CDR under an id we already hold."""

    http_status = 409
    status_code = StatusCode.INVALID_PARAMETERS


def key(owner_id: int, country_code: str, party_id: str, cdr_id: str) -> ObjectKey:
    return ObjectKey(MODULE, owner_id, country_code.upper(), party_id.upper(), cdr_id)


def load(row: StoredObject) -> c.CDR:
    return c.CDR.model_validate(row.data)


async def insert(
    session: AsyncSession,
    k: ObjectKey,
    cdr: c.CDR,
    *,
    location: c.Location | None = None,
    audience_id: int | None = None,
) -> Outcome:
    """Store a new CDR; our own also get their wire bytes per version (2.1.1 embeds
    the Location). ``UNCHANGED`` for the same CDR again; ``CdrConflict`` for another."""
    data = cdr.model_dump(mode="json", exclude_none=True)
    row = await objects.get(session, k, for_update=True)
    if row is not None:
        if plain(row.data) == data:
            return Outcome.UNCHANGED
        raise CdrConflict(
            f"CDR {cdr.id!r} was received before with other content; CDRs cannot be "
            "changed (send a Credit CDR and a new CDR, 2.2.1 #mod_cdrs_credit_cdrs)",
        )
    wire_v221 = wire_v211 = None
    if k.owner_id == objects.OWN:
        wire_v221 = orjson.dumps(data)
        ctx = ConversionContext(country_code=cdr.country_code, party_id=cdr.party_id)
        wire_v211 = v211_bytes(
            cdr, lambda x, _ctx: conv211.from_canonical(x, location=location), ctx
        )
    await objects.save(
        session,
        k,
        data=with_location(data, location),
        last_updated=cdr.last_updated,
        published=True,
        wire_v221=wire_v221,
        wire_v211=wire_v211,
        audience_id=audience_id,
    )
    return Outcome.CREATED


async def put_pulled(session: AsyncSession, owner_id: int, cdr: c.CDR) -> Outcome:
    """A CDR from the CPO's GET list (``sync.pull``): stored if new; one we hold stays
    as it was received, whatever the list now says (immutable)."""
    k = key(owner_id, cdr.country_code, cdr.party_id, cdr.id)
    try:
        return await insert(session, k, cdr)
    except CdrConflict:
        return Outcome.UNCHANGED
