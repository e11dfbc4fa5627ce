"""The firm's rate table, by page and by API: hand-typed rates validated alike, the ECB import
(counts, idempotent re-import, bad cells named by row and column), firm isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from borrowers.models import ExchangeRate, Firm
from tests.api.conftest import token_client
from tests.imports.test_ecb import HIST, zipped

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ecb_file(content: bytes = HIST, name: str = "eurofxref-hist.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


# ------------------------------------------------------------------------------------ pages


def test_advisor_adds_a_rate_by_hand_and_its_source_names_them(world):
    web = page_client(world.advisor_a)
    answer = web.post("/rates/", {"day": "2026-11-27", "base": "eur", "quote": "usd", "rate": "1.0842"})
    assert answer.status_code == 302
    rate = ExchangeRate.objects.get(firm=world.firm_a)
    assert (rate.base, rate.quote, rate.rate, rate.source) == (
        "EUR",
        "USD",
        Decimal("1.0842"),
        "manual: advisor@alpha.test",
    )
    listed = web.get("/rates/?base=EUR&quote=USD").content.decode()
    assert "1 EUR = 1.0842 USD" in listed
    # Firm B's advisor sees none of it.
    assert "1.0842" not in page_client(world.advisor_b).get("/rates/").content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day": "2026-11-27", "base": "EURO", "quote": "USD", "rate": "1.08"}, "base"),
        ({"day": "2026-11-27", "base": "EUR", "quote": "U1D", "rate": "1.08"}, "quote"),
        ({"day": "2026-11-27", "base": "EUR", "quote": "USD", "rate": "0"}, "rate"),
        ({"day": "2026-11-27", "base": "EUR", "quote": "USD", "rate": "-1.08"}, "rate"),
        ({"day": "2026-11-27", "base": "EUR", "quote": "EUR", "rate": "1"}, "quote"),
        ({"day": "2999-01-01", "base": "EUR", "quote": "USD", "rate": "1.08"}, "day"),
    ],
)
def test_bad_rates_are_refused_naming_the_field_on_the_page_and_in_the_api(world, data, field):
    answer = page_client(world.advisor_a).post("/rates/", data)
    assert answer.status_code == 200 and field in answer.context["form"].errors
    api = token_client(world.advisor_a).post("/api/rates/", data, content_type="application/json")
    assert api.status_code == 400 and field in api.json()["fields"], api.json()
    assert not ExchangeRate.objects.exists()


def test_a_second_rate_for_the_same_pair_and_day_is_refused(world):
    ExchangeRate.objects.create(
        firm=world.firm_a, day=dt.date(2026, 11, 27), base="EUR", quote="USD", rate=1, source="ECB"
    )
    data = {"day": "2026-11-27", "base": "EUR", "quote": "USD", "rate": "1.08"}
    answer = token_client(world.advisor_a).post("/api/rates/", data, content_type="application/json")
    assert answer.status_code == 400 and "day" in answer.json()["fields"]
    # Another firm may have its own rate that day.
    ok = token_client(world.advisor_b).post("/api/rates/", data, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["source"] == "manual: advisor@beta.test"


def test_ecb_import_page_counts_and_reimport_changes_nothing(world):
    web = page_client(world.advisor_a)
    first = web.post("/rates/import/", {"file": ecb_file()}, follow=True)
    assert "9 added, 0 updated, 0 unchanged (3 days)" in first.content.decode()
    assert ExchangeRate.objects.filter(firm=world.firm_a, source="ECB").count() == 9
    again = web.post("/rates/import/", {"file": ecb_file(zipped("eurofxref-hist.csv", HIST), "h.zip")}, follow=True)
    assert "0 added, 0 updated, 9 unchanged" in again.content.decode()
    changed = HIST.replace(b"1.0842", b"1.0843")
    third = web.post("/rates/import/", {"file": ecb_file(changed)}, follow=True)
    assert "0 added, 1 updated, 8 unchanged" in third.content.decode()
    assert ExchangeRate.objects.get(firm=world.firm_a, day=dt.date(2026, 11, 27), quote="USD").rate == Decimal("1.0843")


def test_a_bad_ecb_file_names_row_and_column_and_stores_nothing(world):
    answer = page_client(world.advisor_a).post(
        "/rates/import/", {"file": ecb_file(HIST.replace(b"163.9,", b"163.9x,"))}
    )
    assert answer.status_code == 200
    errors = " ".join(answer.context["form"].errors["file"])
    assert "row 3" in errors and "column JPY" in errors and "163.9x" in errors
    assert not ExchangeRate.objects.exists()


def test_an_ecb_file_with_future_dates_is_refused(world):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat().encode()
    answer = token_client(world.advisor_a).post(
        "/api/rates/import/", {"file": ecb_file(b"Date,USD\n" + future + b",1.08\n")}
    )
    assert answer.status_code == 400 and "future" in answer.json()["fields"]["file"][0]


def test_firm_admin_sets_the_reporting_currency(world):
    web = page_client(world.advisor_a)
    assert web.post("/rates/reporting-currency/", {"reporting_currency": "usd"}).status_code == 302
    assert Firm.objects.get(pk=world.firm_a.pk).reporting_currency == "USD"
    web.post("/rates/reporting-currency/", {"reporting_currency": "dollars"})
    assert Firm.objects.get(pk=world.firm_a.pk).reporting_currency == "USD"
    # An advisor who is not the firm's admin cannot change it.
    assert (
        page_client(world.advisor_b).post("/rates/reporting-currency/", {"reporting_currency": "CNY"}).status_code
        == 404
    )


# ------------------------------------------------------------------------------------ API


def test_api_import_lists_and_filters(world):
    api = token_client(world.advisor_a)
    answer = api.post("/api/rates/import/", {"file": ecb_file()})
    assert answer.status_code == 200
    assert answer.json() == {
        "added": 9,
        "updated": 0,
        "unchanged": 0,
        "days": 3,
        "first_day": "1999-01-04",
        "last_day": "2026-11-27",
    }
    assert api.post("/api/rates/import/", {"file": ecb_file()}).json()["added"] == 0
    listed = api.get("/api/rates/?quote=usd").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {r["rate"] for r in rows} == {"1.08420000", "1.08500000", "1.17890000"}
    assert api.get("/api/rates/?base=E1R").status_code == 400
    # Other firms and other roles see none of them.
    for user in (world.advisor_b, world.client_user_x, world.bank_shared):
        other = token_client(user).get("/api/rates/").json()
        assert (other["results"] if isinstance(other, dict) else other) == []
    assert token_client(world.client_user_x).post("/api/rates/import/", {"file": ecb_file()}).status_code == 404


def test_api_import_of_a_bad_file_is_400_naming_row_and_column(world):
    answer = token_client(world.advisor_a).post("/api/rates/import/", {"file": ecb_file(b"Date,USD\n2026-11-27,abc\n")})
    assert answer.status_code == 400
    assert "row 2" in answer.json()["fields"]["file"][0] and "column USD" in answer.json()["fields"]["file"][0]
    assert token_client(world.advisor_a).post("/api/rates/import/", {}).status_code == 400


def test_client_users_cannot_create_rates(world):
    data = {"day": "2026-11-27", "base": "EUR", "quote": "USD", "rate": "1.08"}
    assert (
        token_client(world.client_user_x).post("/api/rates/", data, content_type="application/json").status_code == 403
    )


def test_schema_describes_the_rate_routes(world):
    schema = token_client(world.advisor_a).get("/api/schema/?format=json").json()
    assert "/api/rates/" in schema["paths"] and "/api/rates/import/" in schema["paths"]
    assert "multipart/form-data" in schema["paths"]["/api/rates/import/"]["post"]["requestBody"]["content"]
