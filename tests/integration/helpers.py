"""Reading a node's stored state from tests (its database, not its API)."""

from __future__ import annotations

import asyncio
import base64

from roamkit.partners import repository as repo
from roamkit.store.db import Database
from support import Node


def token_out(node: Node, partner: str) -> str | None:
    """The token ``node`` uses to call ``partner`` (what the partner issued)."""

    async def read() -> str | None:
        db = Database(node.settings.database_url)
        try:
            async with db.session() as session:
                row = await repo.get_by_name(session, partner)
                return row.token_out if row else None
        finally:
            await db.dispose()

    return asyncio.run(read())


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()
