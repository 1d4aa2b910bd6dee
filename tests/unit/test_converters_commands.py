"""Commands converters (``roamkit.domain.v211.commands``): round trips and documented losses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from roamkit.domain import ConversionError
from roamkit.domain import canonical as c
from roamkit.domain.v211 import commands as conv
from roamkit.models.v211 import commands as w

from .test_converters_support import CTX, CTX_EMSP, same, updated, wire_valid
from .test_converters_tokens import expected_after_trip as token_after_trip
from .test_converters_tokens import rich_token

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://emsp.example.com/ocpi/2.1.1/commands/START_SESSION/42"


def v211_token() -> dict[str, Any]:
    return {
        "uid": "012345678",
        "type": "RFID",
        "auth_id": "DE8ACC12E46L89",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2015-06-29T22:39:09Z",
    }


V211_BODIES = [
    w.ReserveNow.model_validate(
        {
            "response_url": URL,
            "token": v211_token(),
            "expiry_date": T0,
            "reservation_id": 1234,
            "location_id": "LOC1",
            "evse_uid": "3256",
        }
    ),
    w.StartSession.model_validate(
        {"response_url": URL, "token": v211_token(), "location_id": "LOC1", "evse_uid": "3256"}
    ),
    w.StartSession.model_validate({"response_url": URL, "token": v211_token(), "location_id": "L"}),
    w.StopSession(response_url=URL, session_id="S-1"),
    w.UnlockConnector(response_url=URL, location_id="LOC1", evse_uid="3256", connector_id="1"),
]


@pytest.mark.parametrize("body", V211_BODIES, ids=lambda b: type(b).__name__)
def test_v211_command_bodies_round_trip_exactly(body: Any) -> None:
    canonical = wire_valid(conv.to_canonical(body, CTX_EMSP))
    if isinstance(body, w.ReserveNow):
        assert canonical.reservation_id == "1234"
    if hasattr(canonical, "token"):  # owned by the eMSP sending the command
        assert (canonical.token.country_code, canonical.token.party_id) == ("NL", "TNM")
    same(wire_valid(conv.from_canonical(canonical, CTX_EMSP)), body)


CANONICAL_BODIES = [
    c.ReserveNow(
        response_url=URL,
        token=rich_token(),
        expiry_date=T0,
        reservation_id="987",
        location_id="LOC1",
        evse_uid="E1",
        authorization_reference="REF",
    ),
    c.StartSession(
        response_url=URL,
        token=rich_token(),
        location_id="LOC1",
        evse_uid="E1",
        connector_id="2",
        authorization_reference="REF",
    ),
    c.StopSession(response_url=URL, session_id="S-1"),
    c.UnlockConnector(response_url=URL, location_id="LOC1", evse_uid="E1", connector_id="1"),
]


@pytest.mark.parametrize("body", CANONICAL_BODIES, ids=lambda b: type(b).__name__)
def test_canonical_command_bodies_losses(body: Any) -> None:
    v211 = wire_valid(conv.from_canonical(body, CTX_EMSP))
    back = wire_valid(conv.to_canonical(v211, CTX_EMSP))
    changes: dict[str, Any] = {}
    if "authorization_reference" in type(body).model_fields:
        changes["authorization_reference"] = None
    if isinstance(body, c.StartSession):
        changes["connector_id"] = None  # 2.1.1 starts on an EVSE
    if hasattr(body, "token"):
        changes["token"] = token_after_trip(body.token).model_dump()
    same(back, updated(body, **changes))


def test_cancel_reservation_and_odd_reservation_ids_refused() -> None:
    with pytest.raises(ConversionError):
        conv.from_canonical(c.CancelReservation(response_url=URL, reservation_id="1"), CTX)
    with pytest.raises(ConversionError):
        conv.command_type_from_canonical(c.CommandType.CANCEL_RESERVATION)
    for reservation_id in ("R-1", "007", "1" * 19):
        body = updated(CANONICAL_BODIES[0], reservation_id=reservation_id)
        with pytest.raises(ConversionError, match="reservation_id"):
            conv.from_canonical(body, CTX)


@pytest.mark.parametrize("command", list(w.CommandType))
def test_command_types(command: w.CommandType) -> None:
    canonical = conv.command_type_to_canonical(command)
    assert conv.command_type_from_canonical(canonical) == command


@pytest.mark.parametrize("result", list(w.CommandResponseType))
def test_v211_synchronous_response(result: w.CommandResponseType) -> None:
    original = w.CommandResponse(result=result)
    canonical = wire_valid(conv.response_to_canonical(original, CTX))
    assert canonical.timeout == CTX.command_timeout  # documented default
    back = wire_valid(conv.response_from_canonical(canonical, CTX))
    if result == w.CommandResponseType.TIMEOUT:  # documented: not a 2.2.1 response value
        assert canonical.result == c.CommandResponseType.REJECTED
        assert back.result == w.CommandResponseType.REJECTED
    else:
        same(back, original)


@pytest.mark.parametrize("result", list(w.CommandResponseType))
def test_v211_asynchronous_result(result: w.CommandResponseType) -> None:
    original = w.CommandResponse(result=result)
    canonical = wire_valid(conv.result_to_canonical(original, CTX))
    back = wire_valid(conv.result_from_canonical(canonical, CTX))
    if result == w.CommandResponseType.UNKNOWN_SESSION:  # documented: not a 2.2.1 result
        assert canonical.result == c.CommandResultType.REJECTED
        assert back.result == w.CommandResponseType.REJECTED
    else:
        same(back, original)


@pytest.mark.parametrize("result", list(c.CommandResultType))
def test_canonical_results(result: c.CommandResultType) -> None:
    original = c.CommandResult(result=result, message=[c.DisplayText(language="en", text="x")])
    v211 = wire_valid(conv.result_from_canonical(original, CTX))
    kept = {"ACCEPTED", "REJECTED", "NOT_SUPPORTED", "TIMEOUT"}
    assert v211.result == (result.value if result.value in kept else "REJECTED")
    back = conv.result_to_canonical(v211, CTX)
    assert back.message is None  # dropped


@pytest.mark.parametrize("result", list(c.CommandResponseType))
def test_canonical_responses(result: c.CommandResponseType) -> None:
    original = c.CommandResponse(result=result, timeout=30)
    v211 = wire_valid(conv.response_from_canonical(original, CTX))
    back = wire_valid(conv.response_to_canonical(v211, CTX))
    same(back, updated(original, timeout=CTX.command_timeout))
