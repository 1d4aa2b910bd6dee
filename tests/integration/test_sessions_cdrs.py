"""Sessions and CDRs end to end: charger events at a CPO node become Sessions and a
CDR at an eMSP node, over loopback, in both versions; the eMSP re-prices every CDR."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from support import run_node

from .helpers import b64, token_out
from .ocpi_data import envelope, poll, register
from .sessions_support import PARKING, TARIFF, Outage, Recorder, charging_pair


def _cdr_total(cdr: dict[str, Any]) -> Decimal:
    total = cdr["total_cost"]
    return Decimal(str(total["excl_vat"] if isinstance(total, dict) else total))


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_a_session_reaches_the_emsp_and_its_cdr_is_accepted(tmp_path: Path, version: str) -> None:
    with charging_pair(tmp_path, version) as ch:
        started = ch.start("S1", at="2026-11-20T10:00:00Z", meter_start=1000)
        assert started["status"] == "ACTIVE" and started["kwh"] == 0
        ch.wait_session("S1", "ACTIVE")
        for i in range(1, 11):
            ch.meter("S1", 1000 + 2 * i, at=f"2026-11-20T10:{6 * i - 1:02d}:00Z")
        done = ch.stop("S1", at="2026-11-20T11:00:00Z", meter=1020)
        assert done["session"]["status"] == "COMPLETED"
        cdr = done["cdr"]
        # FLAT 0.50 + 20 kWh x 0.30 = 6.50
        assert cdr["total_cost"] == {"excl_vat": 6.5} and cdr["total_energy"] == 20
        assert cdr["total_time"] == 1
        got = ch.wait_session("S1", "COMPLETED")
        assert Decimal(str(got["kwh"])) == 20
        received = ch.wait_cdr("S1")
        assert _cdr_total(received) == Decimal("6.5")
        assert ch.disputes() == []

        # Pull: the eMSP's GET list at the CPO holds it (date_from required for sessions).
        base = f"{ch.cpo.url}/ocpi/{version}/cpo"
        resp = ch.cpo.ocpi("GET", f"{base}/sessions", token=ch.pair.emsp_on_cpo)
        envelope(resp, 200, 2001)
        resp = ch.cpo.ocpi(
            "GET",
            f"{base}/sessions?date_from=2020-01-01T00:00:00Z",
            token=ch.pair.emsp_on_cpo,
        )
        assert [s["id"] for s in envelope(resp, 200, 1000)["data"]] == ["S1"]
        resp = ch.cpo.ocpi("GET", f"{base}/cdrs", token=ch.pair.emsp_on_cpo)
        listed = envelope(resp, 200, 1000)["data"]
        assert [c["id"] for c in listed] == ["S1"] and resp.headers["X-Total-Count"] == "1"
        if version == "2.1.1":
            assert listed[0]["location"]["id"] == "LOC1" and "auth_id" in listed[0]


def test_meter_updates_are_throttled_into_patches_and_the_session_stays_whole(
    tmp_path: Path,
) -> None:
    with charging_pair(tmp_path, cpo_settings={"session_push_interval": 60}) as ch:
        ch.start("S2", at="2026-11-20T10:00:00Z")
        ch.wait_session("S2", "ACTIVE")
        for i in range(1, 6):
            ch.meter("S2", i, at=f"2026-11-20T10:{10 * i:02d}:00Z")
        # Held back by the throttle (60 s): the eMSP still has the start.
        assert ch.emsp_session("S2")["kwh"] == 0
        ch.stop("S2", at="2026-11-20T11:00:00Z")
        got = ch.wait_session("S2", "COMPLETED")
        cpo = ch.cpo.api_data("GET", "/api/sessions/S2")
        assert got["kwh"] == cpo["kwh"] == 5
        assert got["charging_periods"] == cpo["charging_periods"]
        assert got["total_cost"] == cpo["total_cost"]


def test_parking_after_charging_is_priced_as_parking(tmp_path: Path) -> None:
    tariff = {
        **TARIFF,
        "elements": [{"price_components": [*TARIFF["elements"][0]["price_components"], PARKING]}],
    }
    with charging_pair(tmp_path, tariff=tariff) as ch:
        ch.start("S3", at="2026-11-20T10:00:00Z")
        ch.meter("S3", 10, at="2026-11-20T11:00:00Z", charging=False)  # full: parked from now
        done = ch.stop("S3", at="2026-11-20T11:30:00Z")
        cdr = done["cdr"]
        assert cdr["total_parking_time"] == 0.5 and cdr["total_time"] == 1.5
        # 0.50 + 10 x 0.30 + 0.5 h x 2.00
        assert cdr["total_parking_cost"]["excl_vat"] == 1
        assert cdr["total_cost"]["excl_vat"] == 4.5
        ch.wait_cdr("S3")
        assert ch.disputes() == []


def test_an_invalid_session_is_never_billed(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S4", at="2026-11-20T10:00:00Z")
        ch.meter("S4", 3, at="2026-11-20T10:10:00Z")
        done = ch.stop("S4", at="2026-11-20T10:11:00Z", invalid=True, reason="ground fault")
        assert done["session"]["status"] == "INVALID" and done["cdr"] is None
        ch.wait_session("S4", "INVALID")
        assert ch.cpo.api_data("GET", "/api/cdrs") == []
        resp = ch.cpo.api("GET", "/api/cdrs/S4")
        assert resp.status_code == 404


def test_bad_charger_events_are_refused_with_an_envelope(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        resp = ch.cpo.api(
            "POST",
            "/api/sessions",
            json={
                "id": "X",
                "token_uid": "NOPE",
                "location_id": "LOC1",
                "evse_uid": "LOC1-e1",
                "connector_id": "1",
            },
        )
        assert resp.status_code == 404 and "Unknown token" in resp.json()["status_message"]
        resp = ch.cpo.api(
            "POST",
            "/api/sessions",
            json={
                "id": "X",
                "token_uid": ch.uid,
                "location_id": "LOC9",
                "evse_uid": "E",
                "connector_id": "1",
            },
        )
        assert resp.status_code == 404 and resp.json()["status_code"] == 2003
        ch.start("S5", at="2026-11-20T10:00:00Z", meter_start=50)
        resp = ch.cpo.api("POST", "/api/sessions/S5/meter", json={"meter": 40})
        envelope(resp, 200, 2001)  # the meter went backwards
        resp = ch.cpo.api("POST", "/api/sessions/S5/meter", json={"meter": "lots"})
        envelope(resp, 200, 2001)
        resp = ch.cpo.api("POST", "/api/sessions/NOPE/stop", json={})
        assert resp.status_code == 404
        resp = ch.cpo.api(
            "POST",
            "/api/sessions",
            json={
                "id": "S5",
                "token_uid": ch.uid,
                "location_id": "LOC1",
                "evse_uid": "LOC1-e1",
                "connector_id": "1",
            },
        )
        envelope(resp, 200, 2001)  # exists already


def test_a_tariff_changed_during_the_session_keeps_applying_as_it_was(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S6", at="2026-11-20T10:00:00Z")
        ch.meter("S6", 5, at="2026-11-20T10:30:00Z")
        dearer = {
            **TARIFF,
            "elements": [{"price_components": [{"type": "ENERGY", "price": 0.90, "step_size": 1}]}],
        }
        ch.put_tariff(dearer)
        ch.wait_emsp_tariff("T1", lambda t: t["elements"][0]["price_components"][0]["price"] == 0.9)
        done = ch.stop("S6", at="2026-11-20T11:00:00Z", meter=10)
        assert done["cdr"]["total_cost"]["excl_vat"] == 3.5  # 0.50 + 10 x 0.30: the old one
        ch.wait_cdr("S6")
        # The eMSP holds the newer version too, and still agrees: it priced with the old.
        assert ch.disputes() == []


def test_tariff_change_policy_current_prices_each_part_with_its_tariff(tmp_path: Path) -> None:
    with charging_pair(tmp_path, cpo_settings={"tariff_change_policy": "current"}) as ch:
        ch.start("S7", at="2026-11-20T10:00:00Z")
        ch.meter("S7", 5, at="2026-11-20T10:30:00Z")
        t2 = {
            "id": "T2",
            "currency": "EUR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": 0.40, "step_size": 1}]}],
        }
        ch.put_tariff(t2)
        ch.wait_emsp_tariff("T2")
        loc = ch.cpo.api_data("GET", "/api/locations/LOC1")
        loc["evses"][0]["connectors"][0]["tariff_ids"] = ["T2"]
        ch.cpo.api_data("PUT", "/api/locations/LOC1", json=loc)
        ch.meter("S7", 6, at="2026-11-20T10:31:00Z")
        done = ch.stop("S7", at="2026-11-20T11:00:00Z", meter=10)
        cdr = done["cdr"]
        assert {t["id"] for t in cdr["tariffs"]} == {"T1", "T2"}
        assert {p.get("tariff_id") for p in cdr["charging_periods"]} == {"T1", "T2"}
        ch.wait_cdr("S7")
        assert ch.disputes() == []


def test_the_same_cdr_posted_twice_is_stored_once_and_a_changed_one_is_refused(
    tmp_path: Path,
) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S8", at="2026-11-20T10:00:00Z")
        cdr = ch.stop("S8", at="2026-11-20T10:30:00Z", meter=4)["cdr"]
        ch.wait_cdr("S8")
        url = f"{ch.emsp.url}/ocpi/2.2.1/emsp/cdrs"
        resp = ch.emsp.ocpi("POST", url, token=ch.pair.cpo_on_emsp, json=cdr)
        envelope(resp, 200, 1000)
        assert resp.headers["Location"].endswith("/emsp/cdrs/NL/CPO/S8")
        assert len(ch.emsp.api_data("GET", "/api/cdrs", params={"received": True})) == 1
        changed = {**cdr, "total_cost": {"excl_vat": 99}}
        resp = ch.emsp.ocpi("POST", url, token=ch.pair.cpo_on_emsp, json=changed)
        envelope(resp, 409, 2001)
        got = ch.emsp.ocpi(
            "GET", resp.headers.get("Location") or f"{url}/NL/CPO/S8", token=ch.pair.cpo_on_emsp
        )
        assert envelope(got, 200, 1000)["data"]["total_cost"] == cdr["total_cost"]
        assert ch.disputes() == []


def test_a_cdr_for_an_unknown_token_location_or_price_is_kept_and_disputed(
    tmp_path: Path,
) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S9", at="2026-11-20T10:00:00Z")
        cdr = ch.stop("S9", at="2026-11-20T10:30:00Z", meter=4)["cdr"]
        ch.wait_cdr("S9")
        url = f"{ch.emsp.url}/ocpi/2.2.1/emsp/cdrs"
        stranger = {
            **cdr,
            "id": "S9-X",
            "cdr_token": {**cdr["cdr_token"], "uid": "UNKNOWN1", "contract_id": "NL-MSP-X"},
            "cdr_location": {**cdr["cdr_location"], "id": "LOC-NOWHERE"},
            "total_cost": {"excl_vat": 2.5},
        }
        resp = ch.emsp.ocpi("POST", url, token=ch.pair.cpo_on_emsp, json=stranger)
        assert envelope(resp, 201, 1000)
        kinds = {d["kind"]: d for d in ch.disputes() if d["cdr_id"] == "S9-X"}
        assert set(kinds) == {"unknown_token", "unknown_location", "price_mismatch"}
        mismatch = kinds["price_mismatch"]
        assert (mismatch["claimed_total"], mismatch["expected_total"]) == ("2.5", "1.7")
        assert mismatch["detail"]["pricing"]["periods"]  # the engine explains itself
        assert ch.emsp_cdr("S9-X") is not None


def test_emsp_session_put_and_patch_are_idempotent(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S10", at="2026-11-20T10:00:00Z")
        ch.meter("S10", 2, at="2026-11-20T10:10:00Z")
        ch.meter("S10", 4, at="2026-11-20T10:20:00Z")
        ch.wait_session("S10", "ACTIVE")
        session = poll(
            lambda: (s := ch.emsp_session("S10")) and s["kwh"] == 4 and s,
            what="both readings at the eMSP",
        )
        url = f"{ch.emsp.url}/ocpi/2.2.1/emsp/sessions/NL/CPO/S10"
        patch = {
            "kwh": 6,
            "charging_periods": [
                {
                    "start_date_time": "2026-11-20T10:20:00Z",
                    "dimensions": [{"type": "ENERGY", "volume": 2}],
                }
            ],
            "last_updated": "2030-01-01T00:00:00Z",
        }
        for _ in range(2):
            resp = ch.emsp.ocpi("PATCH", url, token=ch.pair.cpo_on_emsp, json=patch)
            envelope(resp, 200, 1000)
        after = ch.emsp_session("S10")
        assert len(after["charging_periods"]) == len(session["charging_periods"]) + 1
        resp = ch.emsp.ocpi("PATCH", url, token=ch.pair.cpo_on_emsp, json={"kwh": 7})
        envelope(resp, 200, 2001)  # 2.2.1: last_updated is required
        resp = ch.emsp.ocpi(
            "PATCH", url.replace("S10", "S-NONE"), token=ch.pair.cpo_on_emsp, json=patch
        )
        assert resp.status_code == 404


def test_a_cdr_for_an_emsp_that_is_down_arrives_when_it_is_back(tmp_path: Path) -> None:
    outage = Outage(down=True)
    with charging_pair(tmp_path, emsp_hook=outage.hook) as ch:
        ch.start("S11", at="2026-11-20T10:00:00Z")
        ch.stop("S11", at="2026-11-20T10:30:00Z", meter=4)
        poll(lambda: outage.refused >= 1, what="the CDR POST refused")
        assert ch.emsp_cdr("S11") is None
        outage.down = False
        cdr = ch.wait_cdr("S11", timeout=20)  # the outbox retries (1 s, 2 s, ... backoff)
        assert cdr["total_cost"] == {"excl_vat": 1.7}
        assert ch.disputes() == []


def test_a_throttled_update_goes_out_without_a_further_event(tmp_path: Path) -> None:
    with charging_pair(tmp_path, cpo_settings={"session_push_interval": 1.5}) as ch:
        ch.start("S12", at="2026-11-20T10:00:00Z")
        ch.wait_session("S12", "ACTIVE")
        ch.meter("S12", 1, at="2026-11-20T10:10:00Z")  # inside the interval: held back
        ch.meter("S12", 3, at="2026-11-20T10:20:00Z")
        held = ch.emsp_session("S12")
        assert held is not None and held["kwh"] in (0, 1)
        # The ticker sends the held state once the interval has passed.
        got = poll(lambda: (s := ch.emsp_session("S12")) and s["kwh"] == 3 and s, timeout=10)
        assert (
            got["charging_periods"]
            == ch.cpo.api_data("GET", "/api/sessions/S12")["charging_periods"]
        )


NIGHT_TARIFF = {
    "id": "TN",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.20, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.30, "step_size": 1}]},
    ],
}


def test_a_session_across_midnight_and_the_dst_change(tmp_path: Path) -> None:
    """Europe/Amsterdam, night of 24/25 October 2026: midnight (22:00Z, still CEST), then
    the clocks go back at 03:00 CEST (01:00Z). The night price ends at 06:00 CET =
    05:00Z, not 04:00Z as it would without the change. 2 kWh an hour from 21:30Z to
    06:00Z: 15 kWh at night (0.20) and 2 kWh by day (0.30) = 3.60."""
    with charging_pair(tmp_path, tariff=NIGHT_TARIFF) as ch:
        ch.start("S13", at="2026-10-24T21:30:00Z")
        for hour in range(1, 9):  # 22:30Z ... 05:30Z
            at = f"2026-10-{24 + (21 + hour) // 24}T{(21 + hour) % 24:02d}:30:00Z"
            ch.meter("S13", 2 * hour, at=at)
        cdr = ch.stop("S13", at="2026-10-25T06:00:00Z", meter=17)["cdr"]
        assert cdr["total_energy"] == 17 and cdr["total_time"] == 8.5
        assert cdr["total_cost"]["excl_vat"] == 3.6
        starts = [p["start_date_time"] for p in cdr["charging_periods"]]
        assert "2026-10-25T05:00:00Z" in starts  # split where the night price ends
        assert "2026-10-25T04:00:00Z" not in starts  # 06:00 CEST: no boundary any more
        ch.wait_cdr("S13")
        assert ch.disputes() == []


def test_readings_go_out_as_patches_that_append_periods(tmp_path: Path) -> None:
    recorder = Recorder()
    settings = {"session_push_interval": 0.01}
    with charging_pair(tmp_path, cpo_settings=settings, emsp_hook=recorder.hook) as ch:
        ch.start("S14", at="2026-11-20T10:00:00Z")
        ch.wait_session("S14", "ACTIVE")
        for i in range(1, 6):
            ch.meter("S14", i, at=f"2026-11-20T10:{10 * i:02d}:00Z")
            poll(lambda i=i: (s := ch.emsp_session("S14")) and s["kwh"] == i, what=f"kWh {i}")
        ch.stop("S14", at="2026-11-20T11:00:00Z", meter=6)
        got = ch.wait_session("S14", "COMPLETED")
        assert recorder.methods[0] == "PUT" and set(recorder.methods[1:]) == {"PATCH"}
        assert len(recorder.methods) == 7  # start, five readings, stop
        cpo = ch.cpo.api_data("GET", "/api/sessions/S14")
        assert got["charging_periods"] == cpo["charging_periods"]
        assert len(got["charging_periods"]) == 6


def test_each_emsp_pulls_only_its_own_sessions_and_cdrs_page_by_page(tmp_path: Path) -> None:
    with (
        charging_pair(tmp_path) as ch,
        run_node(
            tmp_path, "other-emsp", roles=["EMSP"], party_id="OTH", versions=["2.2.1"]
        ) as other,
    ):
        register(ch.cpo, other, emsp_name="other")
        other_on_cpo = b64(token_out(other, "cpo") or "")
        for n in range(3):
            ch.start(f"P{n}", at=f"2026-11-20T1{n}:00:00Z")
            ch.stop(f"P{n}", at=f"2026-11-20T1{n}:30:00Z", meter=n + 1)
        base = f"{ch.cpo.url}/ocpi/2.2.1/cpo"
        resp = ch.cpo.ocpi("GET", f"{base}/cdrs?limit=2", token=ch.pair.emsp_on_cpo)
        first = envelope(resp, 200, 1000)["data"]
        assert [c["id"] for c in first] == ["P0", "P1"]
        assert resp.headers["X-Total-Count"] == "3" and resp.headers["X-Limit"] == "2"
        link = resp.headers["Link"]
        assert 'rel="next"' in link and "offset=2" in link
        nxt = link.split(";")[0].strip("<> ")
        resp = ch.cpo.ocpi("GET", nxt, token=ch.pair.emsp_on_cpo)
        assert [c["id"] for c in envelope(resp, 200, 1000)["data"]] == ["P2"]
        assert "Link" not in resp.headers
        since = "date_from=2020-01-01T00:00:00Z"
        for module in ("sessions", "cdrs"):
            resp = ch.cpo.ocpi("GET", f"{base}/{module}?{since}", token=other_on_cpo)
            assert envelope(resp, 200, 1000)["data"] == []
            assert resp.headers["X-Total-Count"] == "0"
        # and nothing was pushed to the other eMSP
        assert other.api_data("GET", "/api/sessions", params={"received": True}) == []
        assert other.api_data("GET", "/api/cdrs", params={"received": True}) == []


def test_a_credit_cdr_cancels_a_cdr_and_the_emsp_agrees(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S15", at="2026-11-20T10:00:00Z")
        ch.stop("S15", at="2026-11-20T10:30:00Z", meter=4)
        ch.wait_cdr("S15")
        credit = ch.cpo.api_data("POST", "/api/cdrs/S15/credit")
        assert credit["id"] == "S15-C" and credit["credit"] is True
        assert credit["credit_reference_id"] == "S15"
        assert credit["total_cost"] == {"excl_vat": -1.7} and credit["total_energy"] == 4
        received = ch.wait_cdr("S15-C")
        assert received["credit"] is True and received["total_cost"] == {"excl_vat": -1.7}
        assert ch.disputes() == []  # compared with our own pricing, negated
        again = ch.cpo.api("POST", "/api/cdrs/S15/credit")
        envelope(again, 200, 2001)
        envelope(ch.cpo.api("POST", "/api/cdrs/S15-C/credit"), 200, 2001)
        assert ch.cpo.api("POST", "/api/cdrs/NOPE/credit").status_code == 404


def test_charging_preferences_need_a_capable_evse_and_the_sessions_emsp(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S16", at="2026-11-20T10:00:00Z")
        url = f"{ch.cpo.url}/ocpi/2.2.1/cpo/sessions/S16/charging_preferences"
        prefs = {"profile_type": "FAST", "departure_time": "2026-11-20T12:00:00Z"}
        resp = ch.cpo.ocpi("PUT", url, token=ch.pair.emsp_on_cpo, json=prefs)
        envelope(resp, 404, 2001)  # CHECKLIST 221-S-7: the EVSE is not capable
        loc = ch.cpo.api_data("GET", "/api/locations/LOC1")
        loc["evses"][0]["capabilities"] = ["CHARGING_PREFERENCES_CAPABLE"]
        ch.cpo.api_data("PUT", "/api/locations/LOC1", json=loc)
        resp = ch.cpo.ocpi("PUT", url, token=ch.pair.emsp_on_cpo, json=prefs)
        assert envelope(resp, 200, 1000)["data"] == "ACCEPTED"
        shown = ch.cpo.api_data("GET", "/api/sessions/S16")
        assert shown["charger"]["preferences"]["profile_type"] == "FAST"
        resp = ch.cpo.ocpi("PUT", url, token=ch.pair.emsp_on_cpo, json={"profile_type": "X"})
        envelope(resp, 200, 2001)
        resp = ch.cpo.ocpi("PUT", url.replace("S16", "NOPE"), token=ch.pair.emsp_on_cpo, json=prefs)
        envelope(resp, 404, 2000)
        ch.stop("S16", at="2026-11-20T10:30:00Z")
        resp = ch.cpo.ocpi("PUT", url, token=ch.pair.emsp_on_cpo, json=prefs)
        assert envelope(resp, 200, 1000)["data"] == "NOT_POSSIBLE"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_bad_input_on_the_session_and_cdr_endpoints_gets_an_envelope(
    tmp_path: Path, version: str
) -> None:
    with charging_pair(tmp_path, version) as ch:
        emsp, token = ch.emsp, ch.pair.cpo_on_emsp
        sessions = f"{emsp.url}/ocpi/{version}/emsp/sessions"
        cdrs = f"{emsp.url}/ocpi/{version}/emsp/cdrs"
        for method, url in (("PUT", f"{sessions}/NL/CPO/X1"), ("POST", cdrs)):
            resp = emsp.ocpi(method, url, token=token, content=b"{not json")
            envelope(resp, 400, 2001)
            resp = emsp.ocpi(method, url, token=token, json=[1, 2])
            assert resp.json()["status_code"] == 2001
            resp = emsp.ocpi(method, url, token=token, json={"id": "X1"})
            body = envelope(resp, resp.status_code, 2001)
            assert body["status_message"]  # says what is missing
            resp = emsp.ocpi(method, url, token="bm90LWEtdG9rZW4=", json={})
            envelope(resp, 401, 2000 if version == "2.2.1" else resp.json()["status_code"])
        # a party that is not the caller's
        resp = emsp.ocpi("PUT", f"{sessions}/DE/XYZ/X1", token=token, json={"id": "X1"})
        assert resp.status_code in (403, 404) and resp.json()["status_code"] >= 2000
        resp = emsp.ocpi("GET", f"{sessions}/NL/CPO/NOPE", token=token)
        envelope(resp, 404, 2000)
        resp = emsp.ocpi("GET", f"{cdrs}/NL/CPO/NOPE", token=token)
        envelope(resp, 404, 2000)
        cpo = f"{ch.cpo.url}/ocpi/{version}/cpo"
        resp = ch.cpo.ocpi("GET", f"{cpo}/sessions?date_from=yesterday", token=ch.pair.emsp_on_cpo)
        assert resp.json()["status_code"] == 2001
        resp = ch.cpo.ocpi("GET", f"{cpo}/cdrs?limit=-1", token=ch.pair.emsp_on_cpo)
        assert resp.json()["status_code"] == 2001
        if version == "2.2.1":  # a CDR of a party the caller does not speak for
            ch.start("S17", at="2026-11-20T10:00:00Z")
            cdr = ch.stop("S17", at="2026-11-20T10:30:00Z", meter=1)["cdr"]
            ch.wait_cdr("S17")
            other = {**cdr, "id": "S17-O", "country_code": "DE", "party_id": "XYZ"}
            resp = emsp.ocpi("POST", cdrs, token=token, json=other)
            assert resp.status_code == 404 and resp.json()["status_code"] == 2000  # as 2.2.1 says
            assert ch.emsp_cdr("S17-O") is None
        assert ch.disputes() == []


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_an_emsp_that_missed_the_pushes_pulls_sessions_and_cdrs(
    tmp_path: Path, version: str
) -> None:
    outage = Outage(down=True, paths=("/emsp/cdrs", "/emsp/sessions"))
    with charging_pair(tmp_path, version, emsp_hook=outage.hook) as ch:
        for n in range(3):
            ch.start(f"Q{n}", at=f"2026-11-20T1{n}:00:00Z")
            ch.meter(f"Q{n}", n + 1, at=f"2026-11-20T1{n}:20:00Z")
            ch.stop(f"Q{n}", at=f"2026-11-20T1{n}:30:00Z", meter=n + 2)
        poll(lambda: outage.refused >= 3, what="pushes refused")
        pulled = {}
        for module in ("sessions", "cdrs"):
            pulled[module] = ch.emsp.api_data("POST", f"/api/sync/cpo/{module}")
            assert pulled[module]["stored"] == 3, pulled[module]
        cdr = ch.emsp_cdr("Q2")
        assert cdr is not None and _cdr_total(cdr) == Decimal("1.7")  # 0.50 + 4 x 0.30
        assert ch.emsp_session("Q1")["status"] == "COMPLETED"
        assert ch.disputes() == []  # pulled CDRs are re-priced too
        again = ch.emsp.api_data("POST", "/api/sync/cpo/cdrs", params={"full": True})
        assert again["stored"] == 0 and again["removed"] == 0  # never forgets a CDR
        outage.down = False  # the retried pushes arrive: nothing changes, nothing doubles
        poll(
            lambda: sum(r.startswith("POST") for r in outage.let_through) >= 3,
            timeout=30,
            what="the three CDR POSTs retried",
        )
        received = ch.emsp.api_data("GET", "/api/cdrs", params={"received": True})
        assert sorted(c["id"] for c in received) == ["Q0", "Q1", "Q2"]
        assert ch.disputes() == []


def test_policy_current_keeps_a_tariff_changed_in_place(tmp_path: Path) -> None:
    """Two versions of one tariff id cannot both be in a CDR (periods name tariffs by
    id): under ``current`` an in-place change keeps the version in use, and the eMSP,
    which holds both versions, agrees."""
    with charging_pair(tmp_path, cpo_settings={"tariff_change_policy": "current"}) as ch:
        ch.start("S18", at="2026-11-20T10:00:00Z")
        ch.meter("S18", 5, at="2026-11-20T10:30:00Z")
        dearer = {**TARIFF, "elements": [{"price_components": [
            {"type": "ENERGY", "price": 0.90, "step_size": 1}]}]}  # fmt: skip
        ch.put_tariff(dearer)
        ch.wait_emsp_tariff("T1", lambda t: t["elements"][0]["price_components"][0]["price"] == 0.9)
        ch.meter("S18", 6, at="2026-11-20T10:40:00Z")
        cdr = ch.stop("S18", at="2026-11-20T11:00:00Z", meter=10)["cdr"]
        assert [t["id"] for t in cdr["tariffs"]] == ["T1"]
        assert cdr["total_cost"]["excl_vat"] == 3.5  # 0.50 + 10 x 0.30
        ch.wait_cdr("S18")
        assert ch.disputes() == []


def test_the_same_start_sent_at_once_makes_one_session(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        body = {
            "id": "S19",
            "token_uid": ch.uid,
            "location_id": "LOC1",
            "evse_uid": "LOC1-e1",
            "connector_id": "1",
            "start": "2026-11-20T10:00:00Z",
        }
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(lambda _: ch.cpo.api("POST", "/api/sessions", json=body), range(6))
            )
        codes = sorted((r.status_code, r.json()["status_code"]) for r in answers)
        assert codes == [(200, 2001)] * 5 + [(201, 1000)]
        assert [s["id"] for s in ch.cpo.api_data("GET", "/api/sessions")] == ["S19"]


def test_the_same_cdr_posted_at_once_is_stored_once_and_never_a_500(tmp_path: Path) -> None:
    with charging_pair(tmp_path) as ch:
        ch.start("S20", at="2026-11-20T10:00:00Z")
        cdr = ch.stop("S20", at="2026-11-20T10:30:00Z", meter=2)["cdr"]
        ch.wait_cdr("S20")
        url = f"{ch.emsp.url}/ocpi/2.2.1/emsp/cdrs"
        fresh = {**cdr, "id": "S20-B"}
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(
                    lambda _: ch.emsp.ocpi("POST", url, token=ch.pair.cpo_on_emsp, json=fresh),
                    range(6),
                )
            )
        codes = {(r.status_code, r.json()["status_code"]) for r in answers}
        assert (201, 1000) in codes
        assert codes <= {(201, 1000), (200, 1000), (409, 3000)}, codes
        received = ch.emsp.api_data("GET", "/api/cdrs", params={"received": True})
        assert sorted(c["id"] for c in received) == ["S20", "S20-B"]
        assert ch.disputes() == []
