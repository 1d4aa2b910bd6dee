"""Pure logic of command records: the eMSP's reading of a CPO's answer, a result that
overtakes the answer, the request model's rules (2.2.1 mod_commands.asciidoc)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roamkit.config import Settings
from roamkit.modules.commands import codec, emsp, records
from roamkit.protocol.errors import InvalidParameters, NotFound
from roamkit.store.tables import CommandRecord

SETTINGS = Settings(command_timeout=60, command_result_grace=30)


def _rec(state: str = records.SENT) -> CommandRecord:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    return CommandRecord(
        id="c1", direction="out", partner_id=1, module="commands", kind="START_SESSION",
        state=state, request={}, created_at=now, updated_at=now,
    )  # fmt: skip


def test_accepted_answer_waits_timeout_plus_grace() -> None:
    rec = _rec()
    outcome = emsp._answer("2.2.1", {"result": "ACCEPTED", "timeout": 20}, 1000, None, SETTINGS)
    records.apply_answer(rec, outcome, SETTINGS)
    assert rec.state == records.ACCEPTED and rec.error is None
    assert rec.deadline_at is not None
    assert 49 <= (rec.deadline_at - rec.updated_at).total_seconds() <= 51


def test_211_answer_has_no_timeout_ours_applies() -> None:
    rec = _rec()
    records.apply_answer(
        rec, emsp._answer("2.1.1", {"result": "ACCEPTED"}, 1000, None, SETTINGS), SETTINGS
    )
    assert rec.response == {"result": "ACCEPTED", "timeout": 60}
    assert rec.deadline_at is not None
    assert (rec.deadline_at - rec.updated_at).total_seconds() == pytest.approx(90, abs=1)


def test_unknown_location_2003_is_a_rejection_with_the_reason() -> None:
    rec = _rec()
    data = {"result": "REJECTED", "timeout": 60}
    records.apply_answer(
        rec, emsp._answer("2.2.1", data, 2003, "Unknown location", SETTINGS), SETTINGS
    )
    assert rec.state == records.REJECTED and rec.error == "OCPI 2003: Unknown location"
    assert records.outcome(rec) == "REJECTED"


def test_error_without_a_command_response_still_ends_the_command() -> None:
    rec = _rec()
    records.apply_answer(rec, emsp._answer("2.2.1", None, 2001, "bad", SETTINGS), SETTINGS)
    assert rec.state == records.REJECTED and rec.response == {"result": "REJECTED", "timeout": 0}


def test_success_code_without_a_command_response_is_a_failure() -> None:
    rec = _rec()
    records.apply_answer(rec, emsp._answer("2.2.1", {"x": 1}, 1000, None, SETTINGS), SETTINGS)
    assert rec.state == records.FAILED and "no CommandResponse" in (rec.error or "")


def test_result_that_overtook_the_answer_stays() -> None:
    rec = _rec(records.DONE)
    rec.result = {"result": "ACCEPTED"}
    records.apply_answer(
        rec,
        emsp._answer("2.2.1", {"result": "ACCEPTED", "timeout": 9}, 1000, None, SETTINGS),
        SETTINGS,
    )
    assert rec.state == records.DONE and rec.deadline_at is None
    assert rec.response == {"result": "ACCEPTED", "timeout": 9}


def test_call_failure_is_failed() -> None:
    rec = _rec()
    records.apply_answer(rec, {"error": "connection refused"}, SETTINGS)
    assert rec.state == records.FAILED and rec.error == "connection refused"
    assert records.outcome(rec) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "START_SESSION", "location_id": "L"}, "token_uid"),
        ({"type": "STOP_SESSION"}, "session_id"),
        ({"type": "RESERVE_NOW", "location_id": "L", "token_uid": "T"}, "expiry_date"),
        ({"type": "UNLOCK_CONNECTOR", "location_id": "L", "evse_uid": "E"}, "connector_id"),
        (
            {"type": "START_SESSION", "location_id": "L", "token_uid": "T", "connector_id": "1"},
            "evse_uid",
        ),
        ({"type": "SELF_DESTRUCT"}, "type"),
    ],
)
def test_request_needs_the_fields_of_its_type(body: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameters, match=message):
        emsp.parse_request({"partner": "cpo", **body})


def test_command_path_segment() -> None:
    assert codec.command_type("2.2.1", "start_session").value == "START_SESSION"
    with pytest.raises(NotFound):
        codec.command_type("2.1.1", "CANCEL_RESERVATION")  # not in 2.1.1
    with pytest.raises(NotFound):
        codec.command_type("2.2.1", "REBOOT")


def test_211_reservation_ids_are_integers() -> None:
    assert emsp._reservation_id("2.1.1").isdigit()
    assert len(emsp._reservation_id("2.2.1")) == 16  # CiString(36): any text in 2.2.1


def test_messages_refused_for_good_are_given_up() -> None:
    """A command's result is a message: a partner that refuses it as a client error, a
    URL we may not call, or too many attempts end the retries; a partner that is down
    or busy does not."""
    from roamkit.partners.client import PartnerCallError
    from roamkit.sync.worker import MESSAGE_ATTEMPTS, _refused_for_good

    def err(**kw: object) -> PartnerCallError:
        return PartnerCallError("x", **kw)  # type: ignore[arg-type]

    assert _refused_for_good(err(http_status=404), 0)
    assert _refused_for_good(err(http_status=200, ocpi_status=2001), 0)
    assert _refused_for_good(err(bad_url=True), 0)
    assert _refused_for_good(err(http_status=503), MESSAGE_ATTEMPTS - 1)
    for transient in (err(http_status=503), err(http_status=429), err(), err(ocpi_status=3000)):
        assert not _refused_for_good(transient, 0)
