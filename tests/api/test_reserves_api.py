"""The API takes the named reserves, the leased-site treatment, the average drawn amount and the
warehouses' monthly rent with the same validation as the forms: 400 naming the field, never 500,
and the schema describes them."""

from __future__ import annotations

from decimal import Decimal

from tests.api.conftest import token_client
from tests.conftest import World


def _facility(world: World, **fields):
    return {
        "client": world.client_x.pk,
        "lender": world.lender_a.pk,
        "name": "Revolver",
        "structure": "borrowing_base",
        "cost_advance_rate_pct": "60",
        "nolv_advance_rate_pct": "85",
        **fields,
    }


def test_named_reserves_are_created_and_read_back(world: World):
    api = token_client(world.advisor_a)
    data = _facility(
        world,
        shrink_reserve_pct="2",
        priority_payables_reserve="40000",
        dilution_reserve="5000",
        other_reserve="10000",
        other_reserve_reason="Disputed supplier stock",
        leased_site_treatment="rent_reserve",
        rent_reserve_months=4,
        average_drawn="750000",
    )
    answer = api.post("/api/facilities/", data, content_type="application/json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["other_reserve"], body["leased_site_treatment"], body["rent_reserve_months"]) == (
        "10000.00",
        "rent_reserve",
        4,
    )
    assert body["average_drawn"] == "750000.00"


def test_the_old_single_reserves_field_is_refused_not_ignored(world: World):
    """Ignoring it would drop a 250,000 reserve and lend 250,000 more than the caller meant."""
    api = token_client(world.advisor_a)
    answer = api.post("/api/facilities/", _facility(world, reserves="250000"), content_type="application/json")
    assert answer.status_code == 400
    assert "reserves" in answer.json()["fields"]


def test_reserve_mistakes_are_400_naming_the_field(world: World):
    api = token_client(world.advisor_a)
    cases = [
        ({"other_reserve": "10000"}, "other_reserve_reason"),
        ({"shrink_reserve_pct": "120"}, "shrink_reserve_pct"),
        ({"dilution_reserve": "-1"}, "dilution_reserve"),
        ({"leased_site_treatment": "ignore"}, "leased_site_treatment"),
        ({"rent_reserve_months": 0}, "rent_reserve_months"),
        ({"average_drawn": "-5"}, "average_drawn"),
        ({"structure": "pledge_with_dispossession", "priority_payables_reserve": "5000"}, "priority_payables_reserve"),
    ]
    for fields, name in cases:
        answer = api.post("/api/facilities/", _facility(world, **fields), content_type="application/json")
        assert answer.status_code == 400, (fields, answer.status_code)
        assert name in answer.json()["fields"], (fields, answer.json())


def test_a_warehouse_s_monthly_rent_through_the_api(world: World):
    api = token_client(world.advisor_a)
    url = f"/api/warehouses/{world.warehouse_x.pk}/"
    bad = api.patch(url, {"monthly_rent": "-100"}, content_type="application/json")
    assert bad.status_code == 400 and "monthly_rent" in bad.json()["fields"]
    good = api.patch(url, {"monthly_rent": "12500", "tenure": "leased"}, content_type="application/json")
    assert good.status_code == 200 and good.json()["monthly_rent"] == "12500.00"
    world.warehouse_x.refresh_from_db()
    assert world.warehouse_x.monthly_rent == Decimal("12500")


def test_the_schema_describes_the_new_fields(world: World):
    schema = token_client(world.advisor_a).get("/api/schema/?format=json").json()
    facility = schema["components"]["schemas"]["Facility"]["properties"]
    for name in (
        "shrink_reserve_pct",
        "priority_payables_reserve",
        "dilution_reserve",
        "other_reserve",
        "other_reserve_reason",
        "leased_site_treatment",
        "rent_reserve_months",
        "average_drawn",
    ):
        assert name in facility, name
    assert "monthly_rent" in schema["components"]["schemas"]["Warehouse"]["properties"]
