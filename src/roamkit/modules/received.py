"""Reading a Session or CDR a CPO sends us (eMSP side), in either version.

A 2.1.1 Session or CDR names its token only by ``auth_id`` and embeds its whole
Location (mod_sessions.md §3.1, mod_cdrs.md §3.1): the token is looked up among our
own by contract id (``own_token_by_auth_id``) and the Location is kept with the object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import locations as loc211
from roamkit.modules.tokens import service as tokens
from roamkit.protocol.errors import InvalidParameters, invalid_object
from roamkit.store import objects
from roamkit.store.tables import StoredObject

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Kind(Generic[T]):
    """What a Session or a CDR is on the wire: its canonical model, its 2.1.1 model and
    converter, and its name in error messages."""

    canonical: type[T]
    wire_211: type[BaseModel]
    convert_211: Callable[..., T]
    what: str


async def own_token_by_auth_id(session: AsyncSession, auth_id: str) -> c.Token | None:
    """Our own token whose 2.1.1 ``auth_id`` (canonical ``contract_id``) this is.
    Not indexed: 2.1.1 sessions and CDRs are rare next to the rest of the traffic."""
    rows = await session.scalars(
        select(StoredObject).where(
            StoredObject.module == tokens.MODULE,
            StoredObject.owner_id == objects.OWN,
            StoredObject.data["contract_id"].as_string() == auth_id,
        )
    )
    row = rows.first()
    return None if row is None else tokens.load(row)


async def read(
    version: str,
    body: Any,
    ctx: ConversionContext,
    session: AsyncSession,
    kind: Kind[T],
) -> tuple[T, c.Location | None]:
    """(the canonical object, the Location a 2.1.1 object embeds). Bad input is a 2001
    with the reasons, never an exception the partner sees as a 500."""
    try:
        if version != "2.1.1":
            return kind.canonical.model_validate(body), None
        wire: Any = kind.wire_211.model_validate(body)
        token = await own_token_by_auth_id(session, wire.auth_id)
        location = loc211.to_canonical(wire.location, ctx)
        return kind.convert_211(wire, ctx, token=token), location
    except ValidationError as exc:
        raise invalid_object(exc, kind.what) from None
    except ConversionError as exc:
        raise InvalidParameters(f"{kind.what} cannot be read: {exc}") from None


def read_listed(
    version: str,
    body: Any,
    ctx: ConversionContext,
    kind: Kind[T],
) -> T:
    """A Session or CDR from a CPO's GET list (pull): the same reading without the
    token lookup (a 2.1.1 token is then ours by contract id, uid ``#NA``, which is how
    ``cdrs.verify`` looks it up anyway). Errors propagate: the pull quarantines the
    object with the reason."""
    if version != "2.1.1":
        return kind.canonical.model_validate(body)
    return kind.convert_211(kind.wire_211.model_validate(body), ctx, token=None)
