"""The bank's view of a facility's last field exam (valuation.workspace.bank_field_exam): the
counts, the variance and how it changed the valuation, only for an accepted exam counted on or
before the stock date shared with the bank; the exam report to the bank under the same rule.

The world's facility_x (pledge without dispossession, fungibility 75 %, over-collateralisation
150 %) valued by the criteria method on the world's stock file of 31 October 2026, which the
bank's lender has a report of. Worked by hand:

  row 1  A  W01  100 units at 10.00 = 1,000.00
  row 2  B  W01   50 units at  4.00 =   200.00          total 1,200.00
  Mix ranges widened to 0-100 % (raw material is the whole stock): no mix discount; no movement
  date nor consumption column: obsolescence and turnover not assessed (0); physical controls 0 %.

  Before the exam, typed count variance 3 %: record accuracy 3 % × 1,200.00 = 36.00; eligible
  1,164.00; guarantee 75 % = 873.00; financing 873.00 ÷ 150 % = 582.00.

  The exam counts A 98 (−2 × 10.00 = −20.00) and B 50 (0.00): gross variance 20.00 of 1,200.00 =
  1.6666… %, rounded up to 0.001 % (valuation.engine.field_exam) = 1.667 %.
  After it: 1.667 % × 120,000 cents = 2,000.4 cents → 20.00 (half-up); eligible 1,180.00;
  guarantee 75 % = 885.00; financing 885.00 ÷ 150 % = 590.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World
from tests.field_exams.helpers import add_lines
from valuation.field_exams import services
from valuation.field_exams.services import SampleRequest
from valuation.models import ExamStatus, FieldExam, ValuationRun
from valuation.pipeline import services as pipeline
from valuation.workspace.bank_field_exam import record_accuracy_discount, typed_figure

D = Decimal
WIDE_MIX = {"min_pct": "0", "max_pct": "100"}


@pytest.fixture
def valued(world: World, django_capture_on_commit_callbacks) -> World:
    """The stock file above valued by the criteria method under a typed 3 % (financing 582.00)."""
    add_lines(world, [(1, "A", "100", "1000.00", "10"), (2, "B", "50", "200.00", "4")])
    world.upload_x.columns = ["sku", "category", "warehouse", "quantity", "unit_cost", "book_value"]
    world.upload_x.save(update_fields=["columns"])
    facility = world.facility_x
    facility.method = "criteria"
    model = facility.client.business_model
    ranges = {model: {"raw_material": WIDE_MIX, "wip": WIDE_MIX, "finished_good": WIDE_MIX}}
    facility.criteria_settings = {**(facility.criteria_settings or {}), "count_variance_pct": "3", "mix_ranges": ranges}
    facility.save()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.recompute_latest(facility=facility, by=world.advisor_a)
    before = ValuationRun.objects.filter(facility=facility).latest("pk")
    assert before.financing == D("582.00"), before.failure_reason
    return world


def _exam(w: World, counts: dict[str, str], *, counted_on: dt.date | None = None, rows=(1, 2)) -> FieldExam:
    exam = services.plan_exam(
        facility=w.facility_x,
        by=w.controller,
        counted_on=counted_on or w.upload_x.as_of,
        sample=SampleRequest(method="chosen", rows=tuple(rows)),
    )
    for line in exam.lines.all():
        services.record_count(line=line, by=w.controller, counted_quantity=D(counts[line.sku]))
    return exam


def _accept(w: World, exam: FieldExam, capture) -> FieldExam:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        services.accept_exam(exam=exam, by=w.advisor_a)
    return exam


def _bank(w: World, persona: str = "bank_shared") -> Client:
    browser = Client()
    browser.force_login(getattr(w, persona))
    return browser


def _page(w: World, persona: str = "bank_shared"):  # type: ignore[no-untyped-def]
    return _bank(w, persona).get(reverse("valuation:bank-facility", args=[w.facility_x.pk]))


def test_the_bank_sees_the_counts_the_variance_and_the_valuation_before_and_after(
    valued: World, django_capture_on_commit_callbacks
):
    exam = _exam(valued, {"A": "98", "B": "50"})
    line_b = exam.lines.get(sku="B")
    damaged = services.add_finding(line=line_b, by=valued.controller, kind="damaged", amount=D("5.00"))
    other = services.add_finding(line=line_b, by=valued.controller, kind="not_owned", amount=D("7.00"))
    services.submit_exam(exam=exam, by=valued.controller)
    services.decide_finding(finding=damaged, by=valued.advisor_a, decision="reserve")
    services.decide_finding(finding=other, by=valued.advisor_a, decision="rejected")
    _accept(valued, exam, django_capture_on_commit_callbacks)
    exam.refresh_from_db()
    assert exam.variance_pct == D("1.667")
    after = ValuationRun.objects.filter(facility=valued.facility_x).latest("pk")
    assert after.financing == D("590.00"), after.failure_reason

    response = _page(valued)
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="field-exam"') :]
    assert f"FE-{exam.pk}" in section
    assert "Contrôle Stock SAS" in section  # the controller's firm
    assert "€1,200.00" in section  # the sampled recorded value
    for cell in ("<td>A</td><td>W01</td>", "100.000", "98.000", "-€20.00", "50.000", "€0.00"):
        assert cell in section, cell
    assert '<dd id="bank-exam-variance">1.667%</dd>' in section
    assert "replacing the typed figure of 3%" in section
    assert "Record-accuracy discount €36.00 → €20.00" in section
    assert "financing €582.00 → €590.00" in section
    # The finding accepted as a reserve is listed, the rejected one is not.
    assert "Damaged" in section and "€5.00" in section and "Accepted as a reserve" in section
    assert "Not owned by the client" not in section and "€7.00" not in section
    # The exam report, which the page links to, is the bank's to download.
    pdf_url = reverse("reports:exam-pdf", args=[exam.pk])
    assert pdf_url in section
    pdf = _bank(valued).get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # Its photos are not: the photo page stays the firm's and the controller's.
    assert "exam-photo" not in section


def test_a_bank_of_an_unshared_facility_sees_nothing(valued: World, django_capture_on_commit_callbacks):
    exam = _exam(valued, {"A": "98", "B": "50"})
    services.submit_exam(exam=exam, by=valued.controller)
    _accept(valued, exam, django_capture_on_commit_callbacks)
    assert _page(valued, "bank_unshared").status_code == 404
    assert _bank(valued, "bank_unshared").get(reverse("reports:exam-pdf", args=[exam.pk])).status_code == 404


def test_an_exam_counted_after_the_shared_date_is_not_shown(valued: World, django_capture_on_commit_callbacks):
    """Exam 1 of 31 October (shared) measured 1.667 %; exam 2 of 5 November, after the latest
    stock date shared with the bank, counts A 90 (−80.00 of 1,200.00): the bank still sees exam 1."""
    first = _exam(valued, {"A": "98", "B": "50"})
    services.submit_exam(exam=first, by=valued.controller)
    _accept(valued, first, django_capture_on_commit_callbacks)
    later = _exam(valued, {"A": "90", "B": "50"}, counted_on=dt.date(2026, 11, 5))
    services.submit_exam(exam=later, by=valued.controller)
    _accept(valued, later, django_capture_on_commit_callbacks)
    valued.facility_x.refresh_from_db()
    assert valued.facility_x.exam_reference == f"FE-{later.pk}"  # the later one feeds the valuations

    html = _page(valued).content.decode()
    assert f"FE-{first.pk}" in html
    assert f"FE-{later.pk}" not in html
    assert "1.667%" in html and "6.667%" not in html
    assert _bank(valued).get(reverse("reports:exam-pdf", args=[later.pk])).status_code == 404


def test_only_a_later_exam_shows_no_exam_at_all(valued: World, django_capture_on_commit_callbacks):
    later = _exam(valued, {"A": "98", "B": "50"}, counted_on=dt.date(2026, 11, 5))
    services.submit_exam(exam=later, by=valued.controller)
    _accept(valued, later, django_capture_on_commit_callbacks)
    html = _page(valued).content.decode()
    assert 'id="field-exam"' not in html


def test_a_submitted_exam_not_yet_accepted_is_not_shown(valued: World):
    exam = _exam(valued, {"A": "98", "B": "50"})
    services.submit_exam(exam=exam, by=valued.controller)
    assert FieldExam.objects.get(pk=exam.pk).status == ExamStatus.SUBMITTED
    response = _page(valued)
    assert response.status_code == 200
    assert 'id="field-exam"' not in response.content.decode()
    assert _bank(valued).get(reverse("reports:exam-pdf", args=[exam.pk])).status_code == 404


def test_a_rejected_exam_is_not_shown(valued: World):
    exam = _exam(valued, {"A": "98", "B": "50"})
    services.submit_exam(exam=exam, by=valued.controller)
    services.reject_exam(exam=exam, by=valued.advisor_a, note="Wrong site")
    assert 'id="field-exam"' not in _page(valued).content.decode()


def test_the_page_takes_as_many_queries_whatever_the_number_of_lines(valued: World, django_capture_on_commit_callbacks):
    """One line, then two lines with findings: the same number of queries."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _page(valued).status_code == 200
        return len(captured)

    without = queries()
    small = _exam(valued, {"A": "98"}, rows=(1,))
    services.submit_exam(exam=small, by=valued.controller)
    _accept(valued, small, django_capture_on_commit_callbacks)
    one = queries()
    # The exam is looked for either way; shown, its lines, its findings and the runs (one query).
    assert one - without == 3, (without, one)
    bigger = _exam(valued, {"A": "97", "B": "49"})
    for line in bigger.lines.all():
        services.add_finding(line=line, by=valued.controller, kind="damaged", amount=D("1.00"))
    services.submit_exam(exam=bigger, by=valued.controller)
    for finding in services.FieldExamFinding.objects.filter(line__exam=bigger):
        services.decide_finding(finding=finding, by=valued.advisor_a, decision="exclusion")
    _accept(valued, bigger, django_capture_on_commit_callbacks)
    assert queries() == one


def test_the_stored_result_gives_the_record_accuracy_discount_and_the_terms_the_typed_figure():
    result = {
        "eligibility": {
            "discounts": [{"discount": "mix", "amount": "1.00"}, {"discount": "record_accuracy", "amount": "36.00"}]
        }
    }
    assert record_accuracy_discount(result) == D("36.00")
    assert record_accuracy_discount({"eligibility": {"discounts": []}}) is None  # a waterfall run
    assert record_accuracy_discount({}) is None
    assert typed_figure("field exam FE-3 of 2026-10-31; typed figure 2.5 %") == D("2.5")
    assert typed_figure("") is None


def test_the_bank_reads_the_lines_and_findings_of_a_shown_exam_never_its_photos(valued: World):
    from borrowers.common import access
    from tests.field_exams.helpers import make_exam
    from valuation.models import FieldExamFinding, FieldExamLine, FieldExamPhoto

    exam = make_exam(valued)  # one line, one finding, one photo; counted on the shared date
    bank = valued.bank_shared
    assert not access.scope(FieldExamLine.objects.all(), bank).exists()  # still counting
    FieldExam.objects.filter(pk=exam.pk).update(status=ExamStatus.ACCEPTED)
    assert list(access.scope(FieldExamLine.objects.all(), bank)) == list(exam.lines.all())
    assert access.scope(FieldExamFinding.objects.all(), bank).count() == 1
    assert not access.scope(FieldExamPhoto.objects.all(), bank).exists()
    assert not access.scope(FieldExamLine.objects.all(), valued.bank_unshared).exists()
    assert not access.scope(FieldExamLine.objects.all(), valued.client_user_x).exists()
    photo = FieldExamPhoto.objects.get(line__exam=exam)
    assert _bank(valued).get(reverse("valuation:exam-photo", args=[photo.pk])).status_code == 404
