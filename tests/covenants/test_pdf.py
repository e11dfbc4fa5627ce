"""The financing report's covenants section: only when the facility has covenants, with each
test's figure, threshold and state as they stood on the day of issue (frozen)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from facilities import covenant_services
from facilities.models import Covenant
from reports.models import ReportShare
from reports.rendering import report_html
from tests.reports.conftest import TERMS_A_E, example_a_lines, issue_and_render, make_run, pdf_text
from valuation.models import CovenantTest
from valuation.pipeline import covenants as services

pytestmark = pytest.mark.django_db


def test_the_report_shows_the_covenants_and_their_tests(world, django_capture_on_commit_callbacks):
    run = make_run(world, example_a_lines(), TERMS_A_E)  # stock date 2026-11-21
    facility = run.facility
    tnw = Covenant(
        facility=facility, name="Minimum TNW (art. 21.2)", metric="tangible_net_worth", threshold=D("2000000")
    )
    covenant_services.save_covenant(by=world.advisor_a, covenant=tnw)
    days = Covenant(facility=facility, metric="days_of_stock", threshold=D("120"), frequency="monthly")
    covenant_services.save_covenant(by=world.advisor_a, covenant=days)
    statement = covenant_services.save_statement(
        by=world.client_user_x,
        facility=facility,
        period_end=dt.date(2026, 9, 30),
        lines={"tangible_net_worth": "1500000"},
    )
    services.test_statement(statement.pk)
    assert CovenantTest.objects.get(covenant=tnw).raw_state == "breached"
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    frozen = report.context["extra"]["covenants"]
    assert [c["label"] for c in frozen] == ["Maximum days of stock", "Minimum TNW (art. 21.2)"]
    assert frozen[1]["tests"][0] == {
        "test_date": "2026-09-30",
        "as_of": "2026-09-30",
        "value": "1500000.0000000000",
        "threshold": "2000000.0000",
        "direction": "min",
        "state": "breached",
        "source": "statement",
    }
    text = pdf_text(report)
    assert "Covenants" in text
    assert "Minimum TNW (art. 21.2)" in text
    assert "≥ €2,000,000.00" in text and "€1,500,000.00" in text and "Breached" in text
    assert "Financial statements" in text
    # Frozen: a waiver given after the issue (by the bank the report is shared with) does not
    # change a re-render.
    ReportShare.objects.create(report=report, lender=world.lender_a, shared_by=world.advisor_a)
    test = CovenantTest.objects.get(covenant=tnw)
    services.waive_test(by=world.bank_shared, test=test, reason="r", expires_on=dt.date.today() + dt.timedelta(days=5))
    assert "Waived" not in report_html(report.context)


def test_no_covenants_no_section(world, django_capture_on_commit_callbacks):
    run = make_run(world, example_a_lines(), TERMS_A_E)
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    assert report.context["extra"]["covenants"] == []
    assert 'id="covenants"' not in report_html(report.context)
