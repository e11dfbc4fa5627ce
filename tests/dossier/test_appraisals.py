"""Appraisals as records and firm sub-categories, from the database to the figures.

Every figure is worked out by hand in the docstring; the engine is fed hand-built lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from borrowers.models import StockCategory
from facilities.models import Appraisal, AppraisalRate, default_expiry
from facilities.terms import engine_terms
from tests.conftest import World
from tests.engine.helpers import lines
from valuation.engine import valuate
from valuation.workspace import dashboard
from valuation.workspace.alerts import EXPIRED_APPRAISAL

FG = "finished_good"
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture
def two_fg(world: World) -> tuple[StockCategory, StockCategory]:
    """Two firm categories under finished goods: PF-LUX recovers 60 %, PF-OUT 20 %."""
    lux = StockCategory.objects.create(
        firm=world.firm_a,
        code="PF-LUX",
        name="Luxe",
        base_category=FG,
        liquidity_class="high",
        default_recovery_pct=Decimal("60"),
    )
    out = StockCategory.objects.create(
        firm=world.firm_a,
        code="PF-OUT",
        name="Outlet",
        base_category=FG,
        liquidity_class="low",
        default_recovery_pct=Decimal("20"),
        selling_costs_pct=Decimal("15"),
    )
    return lux, out


def _value(world: World, df, as_of=AS_OF):
    return valuate(df, engine_terms(world.facility_x, as_of=as_of), as_of=as_of)


def test_each_firm_category_values_its_own_lines(world: World, two_fg):
    """Before, every finished good took PF-LUX's 60 % (first by code): 60 % × 2,000 = 1,200.
    Now PF-LUX 1,000 × 60 % = 600 and PF-OUT 1,000 × 20 % = 200: 800."""
    df = lines(["1000", "1000"], [FG, FG], sub_category=["PF-LUX", "PF-OUT"])
    assert _value(world, df).liquidation.liquidation_value == Decimal("800.00")


def test_lines_without_a_sub_category_take_the_most_conservative_setting(world: World, two_fg):
    """No sub-category: the lowest recovery of the firm's finished goods (20 %), not the first
    category's 60 %: 1,000 × 20 % = 200, and the least liquid class (low)."""
    df = lines(["1000"], [FG])
    result = _value(world, df)
    assert result.liquidation.liquidation_value == Decimal("200.00")
    assert result.liquidation.by_category[0].liquidity_class == "low"


def test_an_unknown_code_is_flagged_and_conservative(world: World, two_fg):
    """PF-NEW is not a firm category: 2 × 500 at the fallback 20 % = 200 (not 600), warned."""
    df = lines(["500", "500"], [FG, FG], sub_category=["PF-NEW", "pf new"])
    result = _value(world, df)
    assert result.liquidation.liquidation_value == Decimal("200.00")
    assert any("2 finished_good line(s)" in w and "PF-NEW" in w for w in result.warnings)


def _appraisal(world: World, *, effective, expiry=None, rates=()):
    appraisal = Appraisal.objects.create(
        facility=world.facility_x,
        appraiser="Hall & Co",
        effective_date=effective,
        expiry_date=expiry or default_expiry(effective),
    )
    for category, pct in rates:
        if isinstance(category, StockCategory):
            AppraisalRate.objects.create(appraisal=appraisal, stock_category=category, nolv_pct=Decimal(pct))
        else:
            AppraisalRate.objects.create(appraisal=appraisal, base_category=category, nolv_pct=Decimal(pct))
    return appraisal


def test_the_appraisal_in_force_replaces_line_estimates(world: World, two_fg):
    """In force on 2026-11-15 (effective 2026-06-01): FG 50 %, PF-OUT 30 % of its own.
    PF-LUX 1,000 × 50 % = 500; PF-OUT 1,000 × 30 % = 300: 800 (estimates 600 + 200 replaced)."""
    lux, out = two_fg
    _appraisal(world, effective=dt.date(2026, 6, 1), rates=[(FG, "50"), (out, "30")])
    df = lines(["1000", "1000"], [FG, FG], sub_category=["PF-LUX", "PF-OUT"])
    assert _value(world, df).liquidation.liquidation_value == Decimal("800.00")


def test_an_expired_appraisal_never_raises(world: World, two_fg):
    """Effective 2025-01-01, expired 2025-12-31, before the stock date. FG 50 %:
    PF-LUX estimate 600 → min(600, 500) = 500; PF-OUT estimate 200 → min(200, 500) = 200: 700.
    Used as if in force it would read 1,000; ignored, 800."""
    _appraisal(world, effective=dt.date(2025, 1, 1), rates=[(FG, "50")])
    df = lines(["1000", "1000"], [FG, FG], sub_category=["PF-LUX", "PF-OUT"])
    result = _value(world, df)
    assert result.liquidation.liquidation_value == Decimal("700.00")
    assert any("appraisal has expired" in w for w in result.warnings)


def test_the_latest_effective_appraisal_applies_and_a_future_one_does_not(world: World, two_fg):
    """2026-01-01 at 40 % (in force), 2026-12-01 at 90 % (future on 2026-11-15): 1,000 × 40 %."""
    _appraisal(world, effective=dt.date(2026, 1, 1), rates=[(FG, "40")])
    _appraisal(world, effective=dt.date(2026, 12, 1), rates=[(FG, "90")])
    df = lines(["1000"], [FG], sub_category=["PF-LUX"])
    assert _value(world, df).liquidation.liquidation_value == Decimal("400.00")


def test_default_expiry_is_twelve_months():
    assert default_expiry(dt.date(2026, 3, 15)) == dt.date(2027, 3, 14)
    assert default_expiry(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


# ------------------------------------------------------------------------------------ the API


def _api(world: World) -> APIClient:
    api = APIClient()
    api.force_authenticate(world.advisor_a)
    return api


def test_api_refuses_an_unknown_category_naming_it(world: World, two_fg):
    body = {
        "facility": world.facility_x.pk,
        "appraiser": "Hall",
        "effective_date": "2026-06-01",
        "rates": [{"category": "Raw materials", "nolv_pct": "70"}],
    }
    response = _api(world).post("/api/appraisals/", body, format="json")
    assert response.status_code == 400
    assert "Raw materials" in str(response.json()["fields"]["rates"])
    assert not Appraisal.objects.exists()


def test_api_creates_an_appraisal_with_the_default_expiry(world: World, two_fg):
    body = {
        "facility": world.facility_x.pk,
        "appraiser": "Hall",
        "effective_date": "2026-06-01",
        "rates": [{"category": "finished_good", "nolv_pct": "45"}, {"category": "pf-lux", "nolv_pct": "55"}],
    }
    response = _api(world).post("/api/appraisals/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["expiry_date"] == "2027-05-31"
    assert sorted(r["category"] for r in data["rates"]) == ["PF-LUX", "finished_good"]


def test_api_refuses_a_category_twice_and_an_expiry_before_the_effective_date(world: World):
    api = _api(world)
    twice = {
        "facility": world.facility_x.pk,
        "appraiser": "Hall",
        "effective_date": "2026-06-01",
        "rates": [{"category": "wip", "nolv_pct": "10"}, {"category": "WIP", "nolv_pct": "20"}],
    }
    assert api.post("/api/appraisals/", twice, format="json").status_code == 400
    backwards = {**twice, "rates": [], "expiry_date": "2026-01-01"}
    response = api.post("/api/appraisals/", backwards, format="json")
    assert response.status_code == 400 and "expiry_date" in response.json()["fields"]


def test_api_report_accepts_only_a_pdf(world: World):
    appraisal = _appraisal(world, effective=dt.date(2026, 6, 1))
    api = _api(world)
    url = f"/api/appraisals/{appraisal.pk}/report/"
    fake = SimpleUploadedFile("report.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = api.put(url, {"file": fake}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["fields"]
    real = SimpleUploadedFile("report.pdf", b"%PDF-1.4 appraisal", content_type="application/pdf")
    assert api.put(url, {"file": real}, format="multipart").status_code == 200
    assert b"".join(api.get(url).streaming_content).startswith(b"%PDF-")


def test_clients_and_banks_do_not_reach_appraisals(world: World):
    appraisal = _appraisal(world, effective=dt.date(2026, 6, 1))
    for user in (world.client_user_x, world.bank_shared):
        api = APIClient()
        api.force_authenticate(user)
        assert (
            api.get("/api/appraisals/").json()["results"] == []
            if "results" in api.get("/api/appraisals/").json()
            else api.get("/api/appraisals/").json() == []
        )
        assert api.get(f"/api/appraisals/{appraisal.pk}/").status_code == 404
        body = {"facility": world.facility_x.pk, "appraiser": "X", "effective_date": "2026-06-01"}
        assert api.post("/api/appraisals/", body, format="json").status_code in (400, 403)
    assert Appraisal.objects.count() == 1


# ------------------------------------------------------------------------------------ pages


def test_the_editor_saves_two_rates_picked_from_the_firm_categories(world: World, two_fg):
    lux, _out = two_fg
    browser = Client()
    browser.force_login(world.advisor_a)
    url = reverse("facilities:appraisal-create", args=[world.facility_x.pk])
    data = {
        "appraiser": "Hall & Co",
        "appraiser_firm": "Hall Valuations",
        "effective_date": "2026-06-01",
        "expiry_date": "",
        "notes": "",
        "rates-TOTAL_FORMS": "3",
        "rates-INITIAL_FORMS": "0",
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        "rates-0-category": "base:finished_good",
        "rates-0-nolv_pct": "45",
        "rates-1-category": f"cat:{lux.pk}",
        "rates-1-nolv_pct": "55",
        "rates-2-category": "",
        "rates-2-nolv_pct": "",
    }
    response = browser.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    appraisal = Appraisal.objects.get()
    assert appraisal.expiry_date == dt.date(2027, 5, 31)
    assert sorted(r.category_code for r in appraisal.rates.all()) == ["PF-LUX", "finished_good"]
    listing = browser.get(reverse("facilities:appraisal-list", args=[world.facility_x.pk])).content.decode()
    assert "Hall &amp; Co" in listing and "PF-LUX" in listing


def test_a_category_of_another_firm_is_not_a_choice(world: World):
    foreign = StockCategory.objects.create(firm=world.firm_b, code="X", name="X", base_category=FG)
    browser = Client()
    browser.force_login(world.advisor_a)
    url = reverse("facilities:appraisal-create", args=[world.facility_x.pk])
    data = {
        "appraiser": "Hall",
        "effective_date": "2026-06-01",
        "rates-TOTAL_FORMS": "1",
        "rates-INITIAL_FORMS": "0",
        "rates-0-category": f"cat:{foreign.pk}",
        "rates-0-nolv_pct": "99",
    }
    assert browser.post(url, data).status_code == 200
    assert not Appraisal.objects.exists()


def test_dashboard_flags_an_expired_appraisal(world: World):
    _appraisal(world, effective=dt.date(2025, 1, 1))
    rows = dashboard.dashboard_rows(user=world.advisor_a, today=dt.date(2026, 11, 20))
    row = next(r for r in rows if r.figures and r.figures.facility.pk == world.facility_x.pk)
    assert EXPIRED_APPRAISAL in {a.code for a in row.alerts}
    fresh = dashboard.dashboard_rows(user=world.advisor_a, today=dt.date(2025, 6, 1))
    row = next(r for r in fresh if r.figures and r.figures.facility.pk == world.facility_x.pk)
    assert EXPIRED_APPRAISAL not in {a.code for a in row.alerts}


def test_the_dossier_names_the_appraisal_and_flags_it_expired(world: World):
    """The world's run is dated 2026-10-31; the appraisal expired on 2025-12-31."""
    _appraisal(world, effective=dt.date(2025, 1, 1), rates=[("raw_material", "70")])
    browser = Client()
    browser.force_login(world.advisor_a)
    page = browser.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert 'id="appraisal"' in page and "Hall &amp; Co" in page and "expired" in page
    browser.force_login(world.client_user_x)
    page = browser.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert 'id="appraisal"' not in page and "Hall" not in page
