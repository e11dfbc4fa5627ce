"""Line exclusions from field exams end to end: a finding accepted as a line exclusion takes its
SKU at its site out of the current and every later valuation of the facility (recomputed at once),
traceably (the run's terms, the dossier's ineligibles, the lines page), until it is withdrawn.

The stock file below, worked by hand (stock date 2026-11-15, after the `world` run of 2026-10-31,
so its run is current). facility_x: pledge without dispossession, fungibility 75 %,
over-collateralisation 150 %, LTV caps indicative; every line moved recently, none WIP:
  row 2  A001 raw material      W01  100 × 10.00   =  1,000.00
  row 3  C003 finished goods    W02   30 × 2,500.00 = 75,000.00   <- the exam's finding: not owned
  row 4  C003 finished goods    W01    4 × 2,500.00 = 10,000.00   (same SKU, other site: stays)
Eligible 86,000.00; guarantee 75 % = 64,500.00; financing ÷ 150 % = 43,000.00.
C003 at W02 excluded: eligible 11,000.00; guarantee 8,250.00; financing 5,500.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent
from tests.conftest import World
from valuation.field_exams import services
from valuation.field_exams.services import SampleRequest
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services as pipeline
from valuation.pipeline.services import current_run

D = Decimal
AS_OF = dt.date(2026, 11, 15)
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement"
ROWS = (
    "A001;Acier laminé;MP;W01;100;10,00;15/09/2026",
    "C003;Pompe finie;PF;W02;30;2500,00;10/10/2026",
    "C003;Pompe finie;PF;W01;4;2500,00;10/10/2026",
)


def _csv(rows: tuple[str, ...]) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode("utf-8")


def _upload(w: World, capture, rows: tuple[str, ...], as_of: dt.date) -> ValuationRun:
    with capture(execute=True):
        upload = pipeline.create_upload(
            client=w.client_x,
            by=w.client_user_x,
            file=SimpleUploadedFile("stock.csv", _csv(rows), content_type="text/csv"),
            as_of=as_of,
        )
    upload.refresh_from_db()
    assert upload.status == "accepted", upload.report
    run = current_run(w.facility_x)
    assert run is not None and run.upload_id == upload.pk and run.status == RunStatus.DONE, run
    return run


@pytest.fixture
def valued(world: World, django_capture_on_commit_callbacks) -> ValuationRun:
    run = _upload(world, django_capture_on_commit_callbacks, ROWS, AS_OF)
    assert (run.eligible_value, run.financing) == (D("86000.00"), D("43000.00"))
    return run


def _excluding_finding(w: World):  # type: ignore[no-untyped-def]
    """An exam of row 3 (C003 at W02), counted, with a not-owned finding, submitted."""
    exam = services.plan_exam(
        facility=w.facility_x, by=w.controller, counted_on=AS_OF, sample=SampleRequest(method="chosen", rows=(3,))
    )
    line = exam.lines.get()
    assert (line.sku, line.warehouse) == ("C003", "W02")
    services.record_count(line=line, by=w.controller, counted_quantity=D("30"))
    finding = services.add_finding(
        line=line, by=w.controller, kind="not_owned", amount=D("75000.00"), note="A customer's pumps"
    )
    services.submit_exam(exam=exam, by=w.controller)
    return finding


def test_an_accepted_exclusion_lowers_the_current_valuation_by_the_line_and_withdrawing_restores_it(
    client, world: World, valued: ValuationRun, django_capture_on_commit_callbacks
):
    finding = _excluding_finding(world)
    exam = finding.line.exam
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_finding(finding=finding, by=world.advisor_a, decision="exclusion")
    run = current_run(world.facility_x)
    assert run.pk != valued.pk and run.upload_id == valued.upload_id
    assert (run.eligible_value, run.financing) == (D("11000.00"), D("5500.00"))
    by_reason = {r["reason"]: r["amount"] for r in run.result["eligibility"]["by_reason"]}
    assert by_reason["field_exam_finding"] == "75000.00"
    # The run's stored terms say which finding excluded what.
    assert run.terms["line_exclusions"] == [
        {
            "sku": "C003",
            "site": "W02",
            "finding": finding.pk,
            "exam": f"FE-{exam.pk}",
            "counted_on": "2026-11-15",
            "accepted_on": timezone.localdate().isoformat(),
        }
    ]
    assert AuditEvent.objects.filter(action="apply-field-exam", object_id=str(world.facility_x.pk)).exists()

    # The dossier's ineligibles by reason name it, and link to its lines; the lines page filters on it.
    client.force_login(world.advisor_a)
    body = client.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert "Excluded after a field exam" in body
    lines_url = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    assert f"{lines_url}?run={run.pk}&amp;reason=field_exam_finding&amp;sort=-ineligible" in body
    page = client.get(lines_url, {"run": run.pk, "reason": "field_exam_finding"})
    assert [row["row"] for row in page.context["page"].rows] == [3]
    assert ("field_exam_finding", "Excluded after a field exam") in page.context["reasons"]

    # The exam page says what the finding excludes, and offers its withdrawal instead of a new decision.
    body = client.get(reverse("valuation:exam-detail", args=[exam.pk])).content.decode()
    assert "Excludes SKU C003 at W02 from eligible stock in every valuation." in body
    assert reverse("valuation:exam-finding-withdraw", args=[finding.pk]) in body
    assert reverse("valuation:exam-finding-decide", args=[finding.pk]) not in body
    # An exclusion in force is not re-decided away: it is withdrawn, with a reason.
    with pytest.raises(DomainError, match="withdraw the exclusion first"):
        services.decide_finding(finding=finding, by=world.advisor_a, decision="rejected")
    url = reverse("valuation:exam-finding-withdraw", args=[finding.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 302
    assert current_run(world.facility_x).pk == run.pk  # refused: nothing changed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"note": "The pumps were bought back on 20 November"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.withdrawn_at is not None and not finding.excludes and finding.decision == "exclusion"
    back = current_run(world.facility_x)
    assert back.pk == valued.pk  # the same inputs as before the exclusion: the first run is current again
    assert (back.eligible_value, back.financing) == (D("86000.00"), D("43000.00"))
    withdrawn = AuditEvent.objects.get(action="withdraw-field-exam-exclusion", object_id=str(exam.pk))
    assert withdrawn.actor == world.advisor_a
    assert "line_exclusions" not in back.terms
    # The exam page shows the withdrawal on record.
    body = client.get(reverse("valuation:exam-detail", args=[exam.pk])).content.decode()
    assert "The pumps were bought back on 20 November" in body


def test_a_later_file_is_valued_without_the_line_and_a_file_without_the_sku_loses_nothing(
    world: World, valued: ValuationRun, django_capture_on_commit_callbacks
):
    """25 November: the same three lines → 11,000.00 eligible again. 30 November: C003 no longer
    held at W02 (rows A001 and C003 at W01 only) → nothing excluded, 11,000.00 eligible, and a
    warning says the excluded SKU is not in the file."""
    finding = _excluding_finding(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_finding(finding=finding, by=world.advisor_a, decision="exclusion")
    later = _upload(world, django_capture_on_commit_callbacks, ROWS, dt.date(2026, 11, 25))
    assert (later.eligible_value, later.financing) == (D("11000.00"), D("5500.00"))
    gone = _upload(world, django_capture_on_commit_callbacks, (ROWS[0], ROWS[2]), dt.date(2026, 11, 30))
    assert (gone.eligible_value, gone.financing) == (D("11000.00"), D("5500.00"))
    reference = f"FE-{finding.line.exam_id}"
    assert (
        f"field exam {reference} finding {finding.pk}: SKU C003 at site W02 is not in the stock file: nothing excluded"
        in gone.result["warnings"]
    )


def test_only_the_firms_advisors_withdraw_and_a_reason_is_required(world: World, valued: ValuationRun):
    finding = _excluding_finding(world)
    services.decide_finding(finding=finding, by=world.advisor_a, decision="exclusion")
    with pytest.raises(DomainError):
        services.withdraw_exclusion(finding=finding, by=world.controller, note="counted again")
    with pytest.raises(DomainError) as caught:
        services.withdraw_exclusion(finding=finding, by=world.advisor_a, note="  ")
    assert caught.value.field == "note"
    services.withdraw_exclusion(finding=finding, by=world.advisor_a, note="Bought back")
    with pytest.raises(DomainError, match="nothing to withdraw"):
        services.withdraw_exclusion(finding=finding, by=world.advisor_a, note="again")
    # Withdrawn, it may be decided again: as a reserve now, nothing is excluded any more.
    services.decide_finding(finding=finding, by=world.advisor_a, decision="reserve")
    world.facility_x.refresh_from_db()
    assert world.facility_x.exam_line_exclusions == []


def test_rejecting_the_exam_does_not_lift_an_accepted_exclusion(world: World, valued: ValuationRun):
    finding = _excluding_finding(world)
    services.decide_finding(finding=finding, by=world.advisor_a, decision="exclusion")
    services.reject_exam(exam=finding.line.exam, by=world.advisor_a, note="Counted the wrong aisle")
    world.facility_x.refresh_from_db()
    assert [e["finding"] for e in world.facility_x.exam_line_exclusions] == [finding.pk]
