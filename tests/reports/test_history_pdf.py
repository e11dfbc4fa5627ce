"""The report's history: the last periods up to its run, frozen at issue, in the PDF's text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facilities.models import Structure
from reports.models import ReportKind
from reports.rendering import report_html
from tests.engine.helpers import lines
from tests.reports.conftest import TERMS_A_E, TERMS_B, example_a_lines, issue_and_render, make_run, pdf_text
from tests.workspace.conftest import make_upload
from tests.workspace.test_history import add_run, month_end
from valuation.models import ValuationRun

D = Decimal


def earlier_runs(world, run: ValuationRun, count: int) -> None:
    """``count`` monthly runs of the run's facility before its stock date, book value 1,000 + i."""
    for i in range(count):
        day = month_end(i)
        assert day < run.as_of
        upload = make_upload(world.client_x, world.advisor_a, as_of=day, checksum=f"p{i}".ljust(64, "0"))
        add_run(
            run.facility,
            upload,
            book=f"{1000 + i}.00",
            eligible="800.00",
            reasons={"obsolete": f"{200 + i}.00"},
            liquidation="500.00",
            financing="400.00",
            availability="100.00",
            ltv="80.00",
            days="90.0",
        )


def test_the_financing_report_shows_the_last_12_periods_as_issued(world, django_capture_on_commit_callbacks):
    run = make_run(world, example_a_lines(), TERMS_A_E)
    earlier_runs(world, run, 13)
    # A run newer than the report's is not part of its history.
    later = make_upload(
        world.client_x, world.advisor_a, as_of=run.as_of + dt.timedelta(days=31), checksum="z".ljust(64, "0")
    )
    add_run(
        run.facility,
        later,
        book="7777.00",
        eligible="1.00",
        reasons={},
        liquidation="1.00",
        financing="1.00",
        availability="1.00",
        ltv="1",
        days="1",
    )
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    frozen = report.context["extra"]["history"]
    # 11 earlier months (the 2nd to the 13th: 1,002 … 1,012) and the report's own run.
    assert [item["book_value"] for item in frozen[:-1]] == [f"{1000 + i}.00" for i in range(2, 13)]
    assert frozen[-1]["run_id"] == run.pk and D(frozen[-1]["book_value"]) == D("5000000.00")
    text = pdf_text(report)
    assert "History" in text
    for figure in ("€1,002.00", "€1,012.00", "€212.00", "€5,000,000.00"):
        assert figure in text
    assert "€1,001.00" not in text and "€7,777.00" not in text
    # Frozen: a run computed afterwards for an earlier date does not change a re-render.
    ValuationRun.objects.filter(facility=run.facility, book_value=D("1012.00")).update(book_value=D("3333.00"))
    assert "€3,333.00" not in report_html(report.context)
    assert "€1,012.00" in report_html(report.context)


def test_the_certificate_shows_the_history_too(world, django_capture_on_commit_callbacks):
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    earlier_runs(world, run, 2)
    report = issue_and_render(
        run,
        world.advisor_a,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        language="en",
        capture=django_capture_on_commit_callbacks,
    )
    text = pdf_text(report)
    for figure in ("€1,000.00", "€1,001.00", "€201.00", "€8,000,000.00"):
        assert figure in text
