"""The financing report names the appraisal its stock date used and the firm categories that
valued lines with their own settings; the client copy leaves both out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facilities.models import Appraisal, AppraisalRate
from tests.conftest import current_terms_hash
from tests.engine.helpers import lines
from tests.reports.conftest import AS_OF, issue_and_render, make_run, pdf_text
from valuation.models import ValuationRun

PLEDGE = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "100", "over_collateralisation_pct": "100"},
}


def test_the_pdf_shows_the_expired_appraisal_and_the_sub_category_settings(world, django_capture_on_commit_callbacks):
    """PF-LUX: 1 line of 1,000 at 60 % recovery → 600 of liquidation value, shown with its row."""
    terms = {
        **PLEDGE,
        "categories": [{"category": "finished_good", "nrv_pct_of_cost": "20"}],
        "sub_categories": [{"code": "PF-LUX", "category": "finished_good", "nrv_pct_of_cost": "60"}],
    }
    run = make_run(world, lines(["1000"], ["finished_good"], sub_category=["PF-LUX"]), terms)
    appraisal = Appraisal.objects.create(
        facility=run.facility,
        appraiser="Hall & Co",
        effective_date=dt.date(2025, 1, 1),
        expiry_date=dt.date(2025, 12, 31),
    )
    AppraisalRate.objects.create(appraisal=appraisal, base_category="finished_good", nolv_pct=Decimal("50"))
    assert appraisal.expiry_date < AS_OF
    # The appraisal is an input: the run counts as valued under it (else no report is issued).
    ValuationRun.objects.filter(pk=run.pk).update(terms_hash=current_terms_hash(run.facility, AS_OF))
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    frozen = report.context["extra"]["appraisal"]
    assert frozen["appraiser"] == "Hall & Co" and frozen["status"] == "expired"
    text = pdf_text(report)
    assert "Appraisal and category settings" in text
    assert "Hall & Co" in text and "This appraisal expired on" in text
    assert "PF-LUX" in text and "€600.00" in text
