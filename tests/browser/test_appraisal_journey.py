"""The advisor records an appraisal in the browser (in English): two rates picked from the firm's
categories, saved, listed as in force, and used by the dossier's liquidation value.

With the stock of tests/browser/helpers.py (stock date 2026-11-15) and an appraisal effective
2026-06-01 at raw materials 70 %, finished goods 45 % (no resale estimate is used any more):
    A001 raw material  1 000,00 × 70 % =    700,00   eligible
    C003 finished good 40 000,00 × 45 % = 18 000,00  eligible
    liquidation value of eligible stock  = 18 700,00 (30 800,00 from the resale estimates before)
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from tests.browser.helpers import AS_OF, PASSWORD, STOCK_CSV, Dossier, field, plain
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services as uploads

pytestmark = pytest.mark.browser


def test_advisor_adds_an_appraisal_and_the_dossier_uses_it(journey):
    dossier = Dossier()
    uploads.create_upload(
        client=dossier.client,
        by=dossier.client_user,
        file=SimpleUploadedFile("etat-stock.csv", STOCK_CSV, content_type="text/csv"),
        as_of=AS_OF,
    )
    assert ValuationRun.objects.get(facility=dossier.facility).status == RunStatus.DONE

    one = journey("appraisal-en")
    page = one.page
    one.log_in(dossier.advisor.email, PASSWORD)
    one.goto(dossier.facility.get_absolute_url())
    page.get_by_role("link", name="Appraisals", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appraisals")
    page.get_by_role("link", name="New appraisal").click()
    field(page, "Appraiser").fill("Hall & Co")
    field(page, "Appraisal firm").fill("Hall Valuations LLP")
    field(page, "Effective date").fill("2026-06-01")
    page.locator("#id_rates-0-category").select_option(label="All Raw materials")
    page.locator("#id_rates-0-nolv_pct").fill("70")
    page.locator("#id_rates-1-category").select_option(label="All Finished goods")
    page.locator("#id_rates-1-nolv_pct").fill("45")
    one.shot("appraisal-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/appraisals/$"))
    row = plain(page.locator("#appraisals tbody tr").first.inner_text())
    assert "Hall & Co" in row and "In force" in row, row
    assert "All Raw materials: 70%" in row and "All Finished goods: 45%" in row, row
    # The expiry defaults to 12 months after the effective date.
    assert "31 May 2027" in row, row
    one.shot("appraisal-listed")

    one.goto(dossier.facility.get_absolute_url())
    card = page.locator("#appraisal")
    expect(card).to_contain_text("Hall & Co")
    expect(card).to_contain_text("In force")
    # Saving the appraisal recomputed the valuation; the page polls until the new figures are in.
    kpi = page.locator("dl.kpis .kpi").filter(has=page.get_by_text("Liquidation value of eligible stock", exact=True))
    for _attempt in range(20):
        if plain(kpi.locator("dd").inner_text()) == "€18,700.00":
            break
        page.wait_for_timeout(1000)
        one.goto(dossier.facility.get_absolute_url())
    assert plain(kpi.locator("dd").inner_text()) == "€18,700.00"
    one.shot("dossier-with-appraisal")
