"""The covenant pages for each role: the advisor defines covenants and reads their tests traced
to their source; the client enters its financial statements from its own client page; the bank
sees the covenants on its facility page and waives; the dashboard counts breaches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from facilities.models import Covenant, FinancialStatement
from valuation.models import CovenantTest, CovenantWaiver, ValuationRun

pytestmark = pytest.mark.django_db


def _run_test(world, covenant, *, value="80", state="breached"):
    return CovenantTest.objects.create(
        covenant=covenant,
        facility=world.facility_x,
        test_date=dt.date(2026, 12, 31),
        as_of=world.run_x.as_of,
        value=D(value),
        threshold=covenant.threshold,
        direction=covenant.direction,
        headroom_pct=covenant.headroom_pct,
        raw_state=state,
        run=world.run_x,
    )


def test_the_advisor_defines_a_covenant_and_is_told_which_field_is_wrong(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.advisor_a)
    url = reverse("facilities:covenant-create", args=[world.facility_x.pk])
    base = {"metric": "formula", "threshold": "3", "frequency": "quarterly", "headroom_pct": "10", "active": "on"}
    bad = client.post(url, {**base, "formula": "total_debt ** 2", "direction": "max"})
    assert bad.status_code == 200
    assert "Only + - * / and parentheses are allowed." in bad.content.decode()
    undirected = client.post(url, {**base, "formula": "total_debt / ebitda"})
    assert "Choose whether the formula is a minimum or a maximum." in undirected.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, {**base, "formula": "total_debt / ebitda", "direction": "max", "name": "Leverage"})
    assert ok.status_code == 302 and ok["Location"] == reverse(
        "valuation:facility-covenants", args=[world.facility_x.pk]
    )
    covenant = Covenant.objects.get(facility=world.facility_x)
    assert (covenant.name, covenant.direction, covenant.threshold) == ("Leverage", "max", D("3"))
    # A run metric takes the direction it implies, whatever is posted.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**base, "metric": "ltv", "threshold": "70", "direction": "min", "formula": ""})
    assert Covenant.objects.get(metric="ltv").direction == "max"


def test_the_covenant_page_traces_each_figure_to_its_run_or_statement(client, world):
    ltv = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    _run_test(world, ltv)
    tnw = Covenant.objects.create(
        facility=world.facility_x, metric="tangible_net_worth", direction="min", threshold=D("2000000")
    )
    statement = FinancialStatement.objects.create(facility=world.facility_x, period_end=dt.date(2025, 12, 31))
    CovenantTest.objects.create(
        covenant=tnw,
        facility=world.facility_x,
        test_date=dt.date(2025, 12, 31),
        as_of=dt.date(2025, 12, 31),
        value=D("2100000"),
        threshold=D("2000000"),
        direction="min",
        headroom_pct=D("10"),
        raw_state="at_risk",
        statement=statement,
    )
    client.force_login(world.advisor_a)
    html = client.get(reverse("valuation:facility-covenants", args=[world.facility_x.pk])).content.decode()
    assert f'href="{reverse("valuation:run-detail", args=[world.run_x.pk])}"' in html
    assert f'href="{reverse("facilities:statement-list", args=[world.facility_x.pk])}#statement-{statement.pk}"' in html
    assert "80%" in html and "≤ 70%" in html  # the LTV figure and its threshold
    assert "€2,100,000.00" in html and "≥ €2,000,000.00" in html
    assert 'data-state="breached"' in html and 'data-state="at_risk"' in html
    assert "1 covenant breached" in html and "1 at risk" in html
    # The dossier leads to it.
    dossier = client.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert reverse("valuation:facility-covenants", args=[world.facility_x.pk]) in dossier


def test_the_client_enters_its_statements_from_its_client_page(client, world, django_capture_on_commit_callbacks):
    Covenant.objects.create(facility=world.facility_x, metric="debt_to_tnw", direction="max", threshold=D("3.5"))
    client.force_login(world.client_user_x)
    page = client.get(reverse("valuation:client-detail", args=[world.client_x.pk])).content.decode()
    assert reverse("facilities:statement-list", args=[world.facility_x.pk]) in page
    url = reverse("facilities:statement-create", args=[world.facility_x.pk])
    form = client.get(url).content.decode()
    assert 'name="line_total_debt"' in form and 'name="line_tangible_net_worth"' in form
    bad = client.post(url, {"period_end": "2025-12-31", "line_total_debt": "6000000", "other_lines": "ebitda 12"})
    assert bad.status_code == 200 and "Row 1: write name;amount." in bad.content.decode()
    future = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    assert (
        "The period end is in the future."
        in client.post(url, {"period_end": future, "line_total_debt": "1"}).content.decode()
    )
    data = {
        "period_end": "2025-12-31",
        "line_total_debt": "6000000.00",
        "line_tangible_net_worth": "1500000.00",
        "other_lines": "ebitda;1100000",
    }
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, data)
    assert ok.status_code == 302
    statement = FinancialStatement.objects.get(facility=world.facility_x)
    assert statement.inputs() == {
        "ebitda": D("1100000"),
        "tangible_net_worth": D("1500000"),
        "total_debt": D("6000000"),
    }
    assert statement.entered_by == world.client_user_x
    # 6,000,000 ÷ 1,500,000 = 4 > 3.5: breached.
    test = CovenantTest.objects.get(statement=statement)
    assert (test.value, test.raw_state) == (D("4"), "breached")
    listing = client.get(reverse("facilities:statement-list", args=[world.facility_x.pk])).content.decode()
    assert "€6,000,000.00" in listing and "ebitda" in listing
    # The client does not reach the covenant pages.
    assert client.get(reverse("valuation:facility-covenants", args=[world.facility_x.pk])).status_code == 404


def test_a_statement_from_a_csv_file(client, world, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.client_user_x)
    url = reverse("facilities:statement-create", args=[world.facility_x.pk])
    upload = SimpleUploadedFile(
        "fs.csv", b"name;amount\ntotal_debt;6000000.00\ntangible_net_worth;1500000\n", "text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, {"period_end": "2025-12-31", "file": upload})
    assert ok.status_code == 302
    statement = FinancialStatement.objects.get(facility=world.facility_x)
    assert statement.source == "uploaded" and statement.inputs()["total_debt"] == D("6000000.00")
    garbage = SimpleUploadedFile("fs.csv", b"\xff\xfe\x00junk", "text/csv")
    bad = client.post(url, {"period_end": "2025-12-31", "file": garbage})
    assert bad.status_code == 200 and "not UTF-8 text" in bad.content.decode()


def test_the_bank_sees_the_covenants_and_waives_a_breach(client, world):
    ltv = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    test = _run_test(world, ltv)
    page_url = reverse("valuation:bank-facility", args=[world.facility_x.pk])
    waive_url = reverse("valuation:bank-covenant-waive", args=[world.facility_x.pk, test.pk])
    client.force_login(world.bank_shared)
    html = client.get(page_url).content.decode()
    assert 'id="covenants"' in html and "Maximum loan-to-value (%)" in html and waive_url in html
    assert reverse("valuation:run-detail", args=[world.run_x.pk]) not in html  # the bank has no run page
    expiry = timezone.localdate() + dt.timedelta(days=60)
    missing = client.post(waive_url, {"reason": "", "expires_on": expiry.isoformat()}, follow=True)
    assert "The test was not waived" in missing.content.decode() and not CovenantWaiver.objects.exists()
    response = client.post(waive_url, {"reason": "Amendment signed", "expires_on": expiry.isoformat()}, follow=True)
    assert "Test waived." in response.content.decode()
    waiver = CovenantWaiver.objects.get(test=test)
    assert (waiver.by, waiver.reason, waiver.expires_on) == (world.bank_shared, "Amendment signed", expiry)
    assert 'data-state="waived"' in response.content.decode()
    # Another bank, the advisors and the client cannot waive (404, as for any page they cannot reach).
    for who in (world.bank_unshared, world.advisor_a, world.client_user_x):
        client.force_login(who)
        assert client.post(waive_url, {"reason": "x", "expires_on": expiry.isoformat()}).status_code == 404
    assert CovenantWaiver.objects.count() == 1


def test_the_bank_sees_no_test_of_figures_newer_than_what_was_shared(client, world):
    ltv = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    newer = ValuationRun.objects.create(
        facility=world.facility_x,
        upload=world.upload_x,
        as_of=dt.date(2026, 11, 30),
        terms_hash="x",
        status="done",
    )
    CovenantTest.objects.create(
        covenant=ltv,
        facility=world.facility_x,
        test_date=dt.date(2027, 3, 31),
        as_of=newer.as_of,
        value=D("99"),
        threshold=D("70"),
        direction="max",
        headroom_pct=D("10"),
        raw_state="breached",
        run=newer,
    )
    client.force_login(world.bank_shared)
    html = client.get(reverse("valuation:bank-facility", args=[world.facility_x.pk])).content.decode()
    assert "99%" not in html and "Not tested yet." in html


def test_the_dashboard_counts_breached_and_at_risk_covenants(client, world):
    ltv = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    _run_test(world, ltv)
    days = Covenant.objects.create(
        facility=world.facility_x, metric="days_of_stock", direction="max", threshold=D("90")
    )
    _run_test(world, days, value="85", state="at_risk")
    client.force_login(world.advisor_a)
    html = client.get(reverse("valuation:dashboard")).content.decode()
    assert 'id="covenant-watch"' in html
    assert "1 breached" in html and "1 at risk" in html
    assert reverse("valuation:facility-covenants", args=[world.facility_x.pk]) in html
    client.force_login(world.advisor_b)  # another firm: nothing of firm A's
    assert "No covenant is breached or at risk." in client.get(reverse("valuation:dashboard")).content.decode()


def test_a_correction_keeps_its_period(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.client_user_x)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("facilities:statement-create", args=[world.facility_x.pk]),
            {"period_end": "2025-12-31", "other_lines": "tangible_net_worth;1500000"},
        )
    statement = FinancialStatement.objects.get()
    edit = reverse("facilities:statement-edit", args=[world.facility_x.pk, statement.pk])
    assert "tangible_net_worth;1500000.00" in client.get(edit).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(edit, {"period_end": "2024-06-30", "other_lines": "tangible_net_worth;1600000"})
    assert ok.status_code == 302
    statement = FinancialStatement.objects.get()  # still one, at its own period end
    assert statement.period_end == dt.date(2025, 12, 31) and statement.inputs() == {"tangible_net_worth": D("1600000")}
    # Another client's user does not reach it.
    client.force_login(world.client_user_y)
    assert client.get(edit).status_code == 404
