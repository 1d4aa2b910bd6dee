"""roamkit pulls locations and tariffs from an independent OCPI CPO (extrawest-ocpi),
as the library really behaves: lower-cased CiStrings, an unusable ``https`` Link with
``date_from=None`` and enum names, an empty Link on the last page, trailing-slash
URLs (tests/interop/README.md)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from roamkit.store.db import Database
from roamkit.store.tables import StoredObject

from .extrawest import ensure_extrawest_venv, run_extrawest_cpo, unavailable_reason

pytestmark = pytest.mark.interop

SEEDED = 7


@pytest.fixture(scope="module", autouse=True)
def _venv() -> None:
    if ensure_extrawest_venv() is None:
        pytest.skip(unavailable_reason())


def _stored(node, module: str) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        db = Database(node.settings.database_url)
        try:
            async with db.session() as session:
                rows = await session.execute(
                    select(
                        StoredObject.country_code, StoredObject.party_id, StoredObject.object_id
                    ).where(StoredObject.module == module, StoredObject.owner_id != 0)
                )
                return sorted((r[0], r[1], r[2]) for r in rows)
        finally:
            await db.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_pull_from_extrawest_cpo(start_node, version: str) -> None:
    emsp = start_node("emsp", roles=["EMSP"], party_id="MSP", country_code="DE")
    with run_extrawest_cpo("extrawest-token-a", locations=SEEDED, version=version) as cpo:
        partner = emsp.api_data(
            "POST",
            "/api/partners/register",
            json={"versions_url": cpo.versions_url, "token": cpo.token_a, "name": "exw"},
        )
        assert partner["version"] == version

        summary = emsp.api_data("POST", "/api/sync/exw/locations", params={"page_size": 3})
        assert summary["complete"] is True, (summary, cpo.logs()[-2000:])
        assert summary["received"] == summary["stored"] == SEEDED, summary
        assert summary["quarantined"] == 0
        if version == "2.2.1":  # its Link is https + date_from=None: offset paging instead
            assert summary["link_fallback"], summary

        tariffs = emsp.api_data("POST", "/api/sync/exw/tariffs")
        assert tariffs["stored"] == 2 and tariffs["quarantined"] == 0, tariffs

        again = emsp.api_data("POST", "/api/sync/exw/locations", params={"full": "true"})
        assert again["received"] == again["unchanged"] == SEEDED and again["removed"] == 0

    # Parties upper-cased; 2.2.1 ids come lower-cased from the library (CiString), 2.1.1
    # keeps their case.
    ids = [f"EXW-LOC-{i:04d}" for i in range(1, SEEDED + 1)]
    if version == "2.2.1":
        ids = [i.lower() for i in ids]
    assert _stored(emsp, "locations") == [("NL", "EXW", i) for i in ids]
    assert {k[:2] for k in _stored(emsp, "tariffs")} == {("NL", "EXW")}
