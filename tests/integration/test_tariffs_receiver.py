"""The eMSP's Tariffs Receiver interface over real HTTP: PUT/GET/DELETE on both
versions, PATCH on 2.1.1 only (2.2.1 removed it: 405), stale writes, unknown
tariffs, bad bodies (1.12, 2.13, 2.6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .ocpi_data import V211, V221, World, envelope, module_nodes, ok, receiver_world

T0 = "2024-06-01T10:00:00Z"
T1 = "2024-06-01T11:00:00Z"
T2 = "2024-06-01T12:00:00Z"
T3 = "2024-06-01T13:00:00Z"
BOTH = pytest.mark.parametrize("version", [V221, V211])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with module_nodes(tmp_path_factory.mktemp("tariffs")) as start:
        yield receiver_world(start, second_cpo=False)


def _price(t: dict) -> float:
    return t["elements"][0]["price_components"][0]["price"]


@BOTH
def test_put_get_delete(world: World, version: str) -> None:
    p = world.by_version(version)
    tid = f"TAR-{version}"
    envelope(p.call("PUT", tid, module="tariffs", body=p.tariff(tid, T0)), 201, 1000)
    envelope(p.call("PUT", tid, module="tariffs", body=p.tariff(tid, T2, price=0.30)), 200, 1000)
    # An older PUT does not overwrite the newer tariff.
    envelope(p.call("PUT", tid, module="tariffs", body=p.tariff(tid, T1, price=0.10)), 200, 1000)
    got = ok(p.call("GET", tid, module="tariffs"))
    assert got["id"] == tid and _price(got) == 0.30 and got["last_updated"] == T2
    if version == V221:
        assert (got["country_code"], got["party_id"]) == ("NL", "CPO")
    else:
        assert "country_code" not in got and "party_id" not in got
    ok(p.call("DELETE", tid, module="tariffs"))
    envelope(p.call("GET", tid, module="tariffs"), 404, 2000)
    envelope(p.call("DELETE", tid, module="tariffs"), 404, 2000)
    envelope(p.call("DELETE", "NEVER-SEEN", module="tariffs"), 404, 2000)
    # Gone means gone: a new PUT creates it again.
    envelope(p.call("PUT", tid, module="tariffs", body=p.tariff(tid, T3)), 201, 1000)


def test_patch_is_not_a_2_2_1_method(world: World) -> None:
    p = world.a
    envelope(p.call("PUT", "NOPATCH", module="tariffs", body=p.tariff("NOPATCH", T0)), 201, 1000)
    body = envelope(
        p.call("PATCH", "NOPATCH", module="tariffs", body={"currency": "USD", "last_updated": T1}),
        405,
        2000,
    )
    assert body["status_message"]
    assert ok(p.call("GET", "NOPATCH", module="tariffs"))["currency"] == "EUR"
    envelope(p.call("POST", "NOPATCH", module="tariffs", body={}), 405, 2000)


def test_patch_on_2_1_1(world: World) -> None:
    p = world.old
    tid = "PATCH-211"
    envelope(p.call("PUT", tid, module="tariffs", body=p.tariff(tid, T0)), 201, 1000)
    ok(p.call("PATCH", tid, module="tariffs", body={"currency": "USD", "last_updated": T1}))
    got = ok(p.call("GET", tid, module="tariffs"))
    assert got["currency"] == "USD" and _price(got) == 0.25 and got["last_updated"] == T1

    elements = [{"price_components": [{"type": "TIME", "price": 2, "step_size": 300}]}]
    ok(p.call("PATCH", tid, module="tariffs", body={"elements": elements, "last_updated": T2}))
    got = ok(p.call("GET", tid, module="tariffs"))
    assert got["elements"] == elements and got["currency"] == "USD"

    # Older PATCH: ignored. PATCH without last_updated: accepted (211-W-2).
    ok(p.call("PATCH", tid, module="tariffs", body={"currency": "GBP", "last_updated": T1}))
    assert ok(p.call("GET", tid, module="tariffs"))["currency"] == "USD"
    ok(
        p.call(
            "PATCH", tid, module="tariffs", body={"tariff_alt_url": "https://example.com/tariff"}
        )
    )
    got = ok(p.call("GET", tid, module="tariffs"))
    assert got["tariff_alt_url"] == "https://example.com/tariff" and got["last_updated"] > T2

    # Unknown tariff, invalid bodies.
    envelope(
        p.call(
            "PATCH", "NEVER-SEEN", module="tariffs", body={"currency": "USD", "last_updated": T3}
        ),
        404,
        2000,
    )
    envelope(
        p.call("PATCH", tid, module="tariffs", body={"elements": [], "last_updated": T3}), 200, 2001
    )
    envelope(p.call("PATCH", tid, module="tariffs", body=["x"]), 200, 2001)
    envelope(
        p.call(
            "PATCH",
            tid,
            module="tariffs",
            content=b"{",
            headers={"Content-Type": "application/json"},
        ),
        400,
        2001,
    )
    assert ok(p.call("GET", tid, module="tariffs"))["elements"] == elements

    ok(p.call("DELETE", tid, module="tariffs"))
    envelope(p.call("PATCH", tid, module="tariffs", body={"currency": "USD"}), 404, 2000)


@BOTH
def test_2_2_1_only_fields_roundtrip(world: World, version: str) -> None:
    """A 2.2.1 tariff keeps its 2.2.1 fields; a 2.1.1 one gets our party from the URL."""
    p = world.by_version(version)
    tid = f"RICH-{version}"
    body = p.tariff(tid, T0, tariff_alt_text=[{"language": "en", "text": "25 ct/kWh"}])
    if version == V221:
        body.update(type="REGULAR", min_price={"excl_vat": 1.5, "incl_vat": 1.8})
    envelope(p.call("PUT", tid, module="tariffs", body=body), 201, 1000)
    got = ok(p.call("GET", tid, module="tariffs"))
    assert got["tariff_alt_text"] == [{"language": "en", "text": "25 ct/kWh"}]
    if version == V221:
        assert got["type"] == "REGULAR"
        assert got["min_price"] == {"excl_vat": 1.5, "incl_vat": 1.8}
