"""The roll-forward's API route: the pages' readers and writers, exact decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.api.conftest import token_client
from tests.rollforward.conftest import add_stock_file
from valuation.models import RollforwardPeriod
from valuation.pipeline import rollforward as services

pytestmark = pytest.mark.django_db


def url(facility) -> str:
    return f"/api/facilities/{facility.pk}/rollforward/"


def test_the_client_enters_march_and_reads_its_unreconciled_amount(world, facility):
    api = token_client(world.client_user_x)
    body = {"period_end": "2024-03-31", "purchases": "2000.00", "cost_of_goods_sold": "2500.00"}
    response = api.post(url(facility), body, content_type="application/json")
    assert response.status_code == 201
    answer = response.json()
    # 10,450.00 + 2,000.00 − 2,500.00 = 9,950.00 against 9,800.25.
    assert answer["expected"] == "9950.00" and answer["unreconciled"] == "-149.75"
    assert answer["state"] == "beyond" and answer["source"] == "entered"
    periods = api.get(url(facility)).json()
    assert [p["period_end"] for p in periods] == ["2024-03-31", "2024-02-29", "2024-01-31"]
    assert periods[-1]["opening"] is None and periods[-1]["state"] == "no_opening"


def test_bad_input_is_a_400_naming_the_field(world, facility):
    api = token_client(world.advisor_a)
    response = api.post(
        url(facility), {"period_end": "2024-03-31", "purchases": "1.005"}, content_type="application/json"
    )
    assert response.status_code == 400 and "purchases" in response.json()["fields"]
    future = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    response = api.post(url(facility), {"period_end": future, "purchases": "1"}, content_type="application/json")
    assert response.status_code == 400 and "period_end" in response.json()["fields"]
    assert not RollforwardPeriod.objects.exists()


@pytest.mark.parametrize("who", ["client_user_y", "advisor_b", "bank_shared"])
def test_nobody_else_enters(world, facility, who):
    response = token_client(getattr(world, who)).post(
        url(facility), {"period_end": "2024-03-31", "purchases": "1"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not RollforwardPeriod.objects.exists()


def test_the_bank_reads_up_to_what_was_shared_and_cannot_enter(world):
    facility = world.facility_x  # shared up to 31 October 2026
    add_stock_file(world, facility, dt.date(2026, 9, 30), "4900000.00")
    add_stock_file(world, facility, dt.date(2026, 11, 30), "5100000.00")
    services.save_inputs(
        facility=facility,
        period_end=dt.date(2026, 10, 31),
        purchases=Decimal("300000.00"),
        production=Decimal("0"),
        cost_of_goods_sold=Decimal("200000.00"),
        adjustments=Decimal("0"),
        by=world.advisor_a,
    )
    periods = token_client(world.bank_shared).get(url(facility)).json()
    assert [p["period_end"] for p in periods] == ["2026-10-31", "2026-09-30"]
    assert periods[0]["unreconciled"] == "0.00" and periods[0]["state"] == "within"
    response = token_client(world.bank_shared).post(
        url(facility), {"period_end": "2026-10-31", "purchases": "1"}, content_type="application/json"
    )
    assert response.status_code == 404
