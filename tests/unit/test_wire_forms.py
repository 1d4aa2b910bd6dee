"""What the pull stores for a partner's object must mean what the services' ``store()``
stores for the same object pushed to us: the pull writes a 2.2.1 object as received
(after it validated) and a 2.1.1 one converted, with pydantic's ``to_json``; ``store()``
goes through ``wire_forms``. Neither keeps wire forms of a partner's objects."""

from __future__ import annotations

import orjson

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext
from roamkit.domain.v211 import locations as loc211
from roamkit.domain.v211 import tariffs as tariff211
from roamkit.modules.locations import service as locations
from roamkit.modules.wirejson import wire_forms
from roamkit.sim.seed import generate_locations, generate_tariffs
from roamkit.store.tables import Partner
from roamkit.sync.prepare import MODULES, Preparer, documents


def _pulled(module: str, version: str, sent: dict[str, object]) -> dict[str, object]:
    """The columns a pull stores for ``sent``, received from a partner of ``version``."""
    partner = Partner(
        id=7,
        name="cpo",
        version=version,
        roles=[{"role": "CPO", "country_code": "NL", "party_id": "RKT"}],
    )
    preparer = Preparer(None, partner, MODULES[module], "", {})  # type: ignore[arg-type]
    prepared = preparer.prepare([orjson.dumps(sent)])
    assert not prepared.rejects, prepared.rejects
    (item,) = prepared.inserts
    return documents(item)


def test_a_pulled_221_location_is_stored_as_sent_and_means_what_store_writes() -> None:
    for location in generate_locations(100, seed=7):
        data, wire_v221, wire_v211 = wire_forms(location, loc211.from_canonical, served=False)
        assert wire_v221 is wire_v211 is None
        assert c.Location.model_validate(data) == location
        sent = {**location.model_dump(mode="json", exclude_none=True), "custom_field": 1}
        pulled = _pulled("locations", "2.2.1", sent)
        assert orjson.loads(bytes(pulled["data"])) == sent
        assert c.Location.model_validate(orjson.loads(bytes(pulled["data"]))) == location
        assert pulled["wire_v221"] is pulled["wire_v211"] is None
        assert pulled["published"] == locations.is_public(location)
        assert pulled["last_updated"] == location.last_updated


def test_a_pulled_211_object_is_stored_converted_byte_for_byte_as_store_writes_it() -> None:
    ctx = ConversionContext(country_code="NL", party_id="RKT")
    for location in generate_locations(50, seed=3):
        converted = loc211.to_canonical(loc211.from_canonical(location, ctx), ctx)
        data, _, _ = wire_forms(converted, loc211.from_canonical, served=False)
        pulled = _pulled("locations", "2.1.1", loc211.from_canonical(location, ctx).wire())
        assert bytes(pulled["data"]) == orjson.dumps(data)
    for tariff in generate_tariffs(30, seed=3):
        converted_t = tariff211.to_canonical(tariff211.from_canonical(tariff, ctx), ctx)
        data, _, _ = wire_forms(converted_t, tariff211.from_canonical, served=False)
        pulled = _pulled("tariffs", "2.1.1", tariff211.from_canonical(tariff, ctx).wire())
        assert bytes(pulled["data"]) == orjson.dumps(data)
