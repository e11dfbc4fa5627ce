"""Following a facility month after month in the browser: the advisor (in French) sees the
dossier's history grow over three monthly stock files and opens why availability moved; the bank
(in English) finds the facility in its portfolio with an open alert, and its history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from reports import services as reports
from reports.models import RenderStatus
from tests.browser.helpers import HEADER, PASSWORD, ROWS, Dossier, tr
from valuation.engine import alerting as rules
from valuation.models import Alert, AlertState, RunStatus, ValuationRun
from valuation.pipeline import alerting
from valuation.pipeline import services as uploads

pytestmark = pytest.mark.browser

MONTHS = [dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31)]


def monthly_file(quantity_of_pumps: int) -> bytes:
    """The journeys' stock file with another quantity of finished pumps (row C003), its recent
    movements moved to the summer so that an August stock date is not before them."""
    rows = [row if not row.startswith("C003;") else row.replace(";20;", f";{quantity_of_pumps};") for row in ROWS]
    summer = {"15/09/2026": "15/07/2026", "01/10/2026": "01/08/2026", "10/10/2026": "10/08/2026"}
    for autumn, summer_day in summer.items():
        rows = [row.replace(autumn, summer_day) for row in rows]
    return ("\n".join((HEADER, *rows)) + "\n").encode("utf-8")


def three_months(dossier: Dossier) -> list[ValuationRun]:
    runs = []
    for as_of, pumps in zip(MONTHS, (12, 16, 20), strict=True):
        uploads.create_upload(
            client=dossier.client,
            by=dossier.client_user,
            file=SimpleUploadedFile(f"stock-{as_of}.csv", monthly_file(pumps), content_type="text/csv"),
            as_of=as_of,
        )
        run = ValuationRun.objects.get(facility=dossier.facility, as_of=as_of)
        assert run.status == RunStatus.DONE, run.failure_reason
        runs.append(run)
    return runs


def test_the_advisor_follows_three_months_and_the_bank_sees_history_and_an_alert(journey):
    dossier = Dossier(bank_language="en")
    runs = three_months(dossier)
    # Financing grows with the pumps: 12, 16, 20 finished pumps of 2 000,00.
    assert runs[0].financing < runs[1].financing < runs[2].financing

    advisor = journey("monitoring-advisor-fr", locale="fr-FR")
    dossier.advisor.language = "fr"
    dossier.advisor.save(update_fields=["language"])
    advisor.log_in(dossier.advisor.email, PASSWORD)
    advisor.goto(dossier.facility.get_absolute_url())
    history = advisor.page.locator("table.history-table tbody tr")
    expect(history).to_have_count(3)
    advisor.shot("dossier-history")
    advisor.page.get_by_role("link", name=tr("fr", "Why availability moved")).first.click()
    advisor.page.wait_for_url(re.compile(r"/bridge/"))
    expect(advisor.page.locator('tr[data-key="stock_level"]')).to_be_visible()
    assert advisor.page.locator(".waterfall").count() == 1
    advisor.shot("bridge")

    # The advisor shares the latest report; the valuation raised an alert the bank must see.
    report = reports.issue_report(run=runs[-1], by=dossier.advisor)
    report.refresh_from_db()
    assert report.render_status == RenderStatus.READY, report.failure_reason
    reports.share_report(report=report, lender=dossier.lender, by=dossier.advisor)
    alerting.raise_or_resolve(dossier.facility, rules.ROTATION_SLOWDOWN, True, {"summary": "+40 days of stock"})

    bank = journey("monitoring-bank-en", locale="en-GB")
    bank.log_in(dossier.bank_user.email, PASSWORD)
    bank.goto("/bank/portfolio/")
    row = bank.page.locator(f'#portfolio tr[data-facility="{dossier.facility.pk}"]')
    expect(row).to_be_visible()
    unresolved = Alert.objects.filter(facility=dossier.facility).exclude(state=AlertState.RESOLVED).count()
    assert unresolved >= 1
    expect(row.locator("td.open-alerts")).to_have_text(str(unresolved))  # the open alerts, linked
    bank.shot("portfolio")
    row.locator("td.open-alerts").get_by_role("link").click()
    bank.page.wait_for_url(re.compile(rf"/facilities/{dossier.facility.pk}/alerts/$"))
    expect(bank.page.get_by_text(tr("en", "Stock rotation slowing down")).first).to_be_visible()
    bank.shot("alerts")
    bank.goto("/bank/portfolio/")
    row = bank.page.locator(f'#portfolio tr[data-facility="{dossier.facility.pk}"]')
    row.get_by_role("link", name=dossier.facility.name).click()
    bank.page.wait_for_url(re.compile(rf"/bank/facilities/{dossier.facility.pk}/$"))
    expect(bank.page.locator("table.history-table tbody tr")).to_have_count(3)
    bank.shot("bank-history")
