"""The push request for one of our tokens to a CPO's Receiver interface
(2.2.1 #mod_tokens_receiver_interface: ``{tokens}/{cc}/{pid}/{uid}?type=``;
2.1.1 mod_tokens.md §2.1: no ``type`` in the URL). New tokens go as PUT, changes
(block, unblock, revoke) as PATCH; a PUT carries the token's state at delivery."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from roamkit.modules.tokens import codec, service
from roamkit.partners.repository import endpoint_url
from roamkit.store import objects
from roamkit.store.objects import OWN
from roamkit.store.tables import OutboxEntry, Partner
from roamkit.sync.push import NothingToSend, PushRequest


async def build(session: AsyncSession, partner: Partner, entry: OutboxEntry) -> PushRequest:
    version = partner.version or "2.2.1"
    base = endpoint_url(partner, service.MODULE, "RECEIVER")
    if base is None:
        raise NothingToSend("partner has no tokens receiver endpoint any more")
    k = objects.ObjectKey(service.MODULE, OWN, entry.country_code, entry.party_id, entry.object_id)
    row = await objects.get(session, k)
    if row is None:
        raise NothingToSend(f"token {entry.object_id} no longer exists")
    token = service.load(row)
    url = f"{base.rstrip('/')}/{entry.country_code}/{entry.party_id}/{quote(token.uid, safe='')}"
    if version != "2.1.1":
        url += f"?type={token.type.value}"
    if entry.method == "PATCH" and entry.body:
        return PushRequest("PATCH", url, codec.patch_to_wire(version, entry.body))
    return PushRequest("PUT", url, codec.to_wire(version, token))
