"""The eMSP's authorization rules (modules.tokens.service.decide) and token keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roamkit.domain import canonical as c
from roamkit.modules.tokens import service
from roamkit.protocol.errors import NotEnoughInformation

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def doc(valid: bool = True, **rules: object) -> dict[str, object]:
    data: dict[str, object] = {"uid": "A", "type": "RFID", "valid": valid}
    if rules:
        data[service.RULES] = service.Rules.model_validate(rules).dump()
    return data


def refs(location_id: str, *evses: str) -> c.LocationReferences:
    return c.LocationReferences(location_id=location_id, evse_uids=list(evses) or None)


def test_order_of_refusals() -> None:
    assert service.decide(doc(valid=False), None, NOW).allowed is c.AllowedType.BLOCKED
    assert service.decide(doc(state="revoked"), None, NOW).allowed is c.AllowedType.BLOCKED
    expired = doc(expires_at="2025-12-31T23:59:59Z", no_credit=True)
    assert service.decide(expired, None, NOW).allowed is c.AllowedType.EXPIRED
    assert service.decide(doc(no_credit=True), None, NOW).allowed is c.AllowedType.NO_CREDIT
    later = doc(expires_at="2026-01-02T00:00:00Z")
    assert service.decide(later, None, NOW).allowed is c.AllowedType.ALLOWED


def test_locations_and_evses() -> None:
    ruled = doc(
        allowed_locations=[{"location_id": "L1", "evse_uids": ["E1", "E2"]}, {"location_id": "L2"}]
    )
    with pytest.raises(NotEnoughInformation):
        service.decide(ruled, None, NOW)
    assert service.decide(ruled, refs("L3"), NOW).allowed is c.AllowedType.NOT_ALLOWED
    some = service.decide(ruled, refs("l1", "e2", "E9"), NOW)
    assert some.allowed is c.AllowedType.ALLOWED and some.location == refs("l1", "e2")
    assert service.decide(ruled, refs("L1", "E9"), NOW).allowed is c.AllowedType.NOT_ALLOWED
    every = service.decide(ruled, refs("L1"), NOW)
    assert every.location == refs("L1", "E1", "E2")
    assert service.decide(ruled, refs("L2", "X"), NOW).location == refs("L2", "X")


def test_references_are_fresh_and_fit_cistring36() -> None:
    a = service.decide(doc(), None, NOW).authorization_reference
    b = service.decide(doc(), None, NOW).authorization_reference
    assert a and b and a != b and len(a) <= 36
    assert service.decide(doc(valid=False), None, NOW).authorization_reference is None


def test_keys_and_types() -> None:
    assert service.object_id("abc", c.TokenType.APP_USER) == "APP_USER:ABC"
    assert service.types_for("2.2.1", None) == ("RFID",)
    assert service.types_for("2.1.1", "other") == ("OTHER", "APP_USER", "AD_HOC_USER")
    assert service.types_for("2.2.1", "OTHER") == ("OTHER",)
