"""Charging profiles without nodes: what the management API accepts, the parameters
the Receiver requires, and which result object each request gets (2.2.1
mod_charging_profiles.asciidoc)."""

from __future__ import annotations

import pytest

from roamkit.domain import canonical as c
from roamkit.modules.chargingprofiles import cpo, emsp, receiver
from roamkit.protocol.errors import InvalidParameters

PROFILE = {
    "charging_rate_unit": "W",
    "charging_profile_period": [{"start_period": 0, "limit": 8.1}],
}
ACTIVE = c.ActiveChargingProfile.model_validate(
    {"start_date_time": "2026-11-20T10:00:00Z", "charging_profile": PROFILE}
)


def test_request_needs_a_profile_to_set() -> None:
    with pytest.raises(InvalidParameters, match="set needs charging_profile"):
        emsp.parse_request({"partner": "cpo", "session_id": "S1", "action": "set"})
    req = emsp.parse_request(
        {"partner": "cpo", "session_id": "S1", "action": "set", "charging_profile": PROFILE}
    )
    assert req.charging_profile is not None


@pytest.mark.parametrize("field", ["limit", "min_charging_rate"])
def test_limits_take_at_most_one_decimal(field: str) -> None:
    """#mod_charging_profiles_charging_profile_period_class: "at most one digit fraction"."""
    profile = dict(PROFILE, min_charging_rate=1)
    if field == "limit":
        profile["charging_profile_period"] = [{"start_period": 0, "limit": 8.15}]
    else:
        profile["min_charging_rate"] = 1.25
    body = {"partner": "cpo", "session_id": "S1", "action": "set", "charging_profile": profile}
    with pytest.raises(InvalidParameters, match="one digit fraction"):
        emsp.parse_request(body)


def test_request_rejects_bad_action_duration_and_long_session_id() -> None:
    for body in (
        {"partner": "cpo", "session_id": "S1", "action": "delete"},
        {"partner": "cpo", "session_id": "S1", "action": "get", "duration": 0},
        {"partner": "cpo", "session_id": "x" * 37, "action": "clear"},
    ):
        with pytest.raises(InvalidParameters):
            emsp.parse_request(body)


def test_receiver_parameters() -> None:
    headers = {"OCPI-from-party-id": "CPO"}
    assert receiver._duration("900", headers) == 900
    for raw in (None, "", "15m", "0", "-5"):
        with pytest.raises(InvalidParameters) as caught:
            receiver._duration(raw, headers)
        assert caught.value.http_status == 400 and caught.value.headers == headers
    assert receiver._response_url("https://msp/r/1", headers) == "https://msp/r/1"
    for raw in (None, "", "ftp://msp/r", "https://msp/" + "x" * 300):
        with pytest.raises(InvalidParameters):
            receiver._response_url(raw, headers)
    with pytest.raises(InvalidParameters):
        receiver._session_id("x" * 37, headers)


def test_result_object_per_request() -> None:
    accepted = c.ChargingProfileResultType.ACCEPTED
    rejected = c.ChargingProfileResultType.REJECTED
    got = cpo._result_object(cpo.GET, accepted, ACTIVE)
    assert isinstance(got, c.ActiveChargingProfileResult) and got.profile == ACTIVE
    # The profile only with ACCEPTED
    # (#mod_charging_profiles_active_charging_profiles_result_object).
    assert cpo._result_object(cpo.GET, rejected, ACTIVE).wire() == {"result": "REJECTED"}
    assert isinstance(cpo._result_object(cpo.SET, accepted, None), c.ChargingProfileResult)
    assert isinstance(cpo._result_object(cpo.CLEAR, rejected, None), c.ClearProfileResult)
