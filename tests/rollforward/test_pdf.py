"""The roll-forward in the borrowing base certificate: the periods up to its stock date, frozen
at issue, in the PDF's text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facilities.models import Structure
from reports.models import ReportKind
from reports.rendering import report_html
from tests.engine.helpers import lines
from tests.reports.conftest import TERMS_B, issue_and_render, make_run, pdf_text
from tests.rollforward.conftest import add_stock_file
from valuation.models import RollforwardPeriod
from valuation.pipeline import rollforward as services

D = Decimal


def test_the_certificate_shows_the_period_s_roll_forward_as_issued(world, django_capture_on_commit_callbacks):
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    add_stock_file(world, run.facility, run.as_of - dt.timedelta(days=30), "7900000.00")
    services.save_inputs(
        facility=run.facility,
        period_end=run.as_of,
        purchases=D("500000.00"),
        production=D("100000.00"),
        cost_of_goods_sold=D("550000.00"),
        adjustments=D("-25000.00"),
        by=world.client_user_x,
    )
    report = issue_and_render(
        run,
        world.advisor_a,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        language="en",
        capture=django_capture_on_commit_callbacks,
    )
    text = pdf_text(report)
    # 7,900,000.00 + 500,000.00 + 100,000.00 − 550,000.00 − 25,000.00 = 7,925,000.00 expected;
    # the file says 8,000,000.00: 75,000.00 unreconciled, beyond 0.5 % of 8,000,000.00 (40,000.00).
    assert "Roll-forward" in text
    for figure in ("€7,900,000.00", "€500,000.00", "€550,000.00", "€7,925,000.00", "€75,000.00"):
        assert figure in text
    assert "beyond tolerance" in text and "Inputs entered in StockPledge." in text
    # The earlier period (the first file) shows no opening, not a zero.
    assert "no opening" in text
    # Frozen: inputs corrected after issue do not change a re-render.
    RollforwardPeriod.objects.filter(facility=run.facility).update(adjustments=D("50000.00"))
    html = report_html(report.context)
    assert "€7,925,000.00" in html and "€8,000,000.00" in html
