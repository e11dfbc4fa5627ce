"""The demo's bank-grade controls (reports/demo_controls.py, issue 16): a stock-controller log-in,
the pledge's covenants with tests in each state, an accepted field exam feeding the valuation and
the borrower's own certificate overstating its availability; made once through the services, and
each of the four demo log-ins lands on its page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from borrowers.models import ControlFirm, Role, User
from facilities.models import ControllerAssignment, Covenant, Facility, FinancialStatement
from reports import borrower_certificates, demo_controls
from reports.management.commands.seed_demo import (
    BORROWING_BASE_FACILITY,
    DEMO_PASSWORD,
    LOGINS,
    PLEDGE_FACILITY,
)
from reports.models import BorrowerCertificate
from valuation.models import (
    Alert,
    CovenantTest,
    CovenantWaiver,
    ExamStatus,
    FieldExam,
    FieldExamFinding,
    FindingDecision,
    RunStatus,
    StockLine,
    ValuationRun,
)
from valuation.pipeline import covenants
from valuation.pipeline.services import current_run


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def control_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            ControlFirm,
            ControllerAssignment,
            Covenant,
            FinancialStatement,
            CovenantTest,
            CovenantWaiver,
            FieldExam,
            FieldExamFinding,
            BorrowerCertificate,
            ValuationRun,
            User,
        )
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_the_controls_once_with_each_state_to_show(client):
    printed = seed()
    first = control_counts()
    seed()
    assert control_counts() == first
    assert first == {
        "ControlFirm": 1,
        "ControllerAssignment": 1,
        "Covenant": 4,
        "FinancialStatement": 4,
        "CovenantTest": 7,  # 3 run covenants on the latest run, the leverage on 4 quarters
        "CovenantWaiver": 1,
        "FieldExam": 1,
        "FieldExamFinding": 1,
        "BorrowerCertificate": 1,
        "ValuationRun": 28,  # the 27 of the demo files and the pledge valued again after the exam
        "User": 4,
    }
    assert LOGINS[Role.CONTROLLER] in printed

    # The controller: one user of the control firm, assigned to the pledge only.
    pledge = Facility.objects.get(name=PLEDGE_FACILITY)
    controller = User.objects.get(role=Role.CONTROLLER)
    assert controller.email == LOGINS[Role.CONTROLLER]
    assert controller.control_firm.name == "Contrôle Stocks Rhône"
    assert list(ControllerAssignment.objects.values_list("facility", "user")) == [(pledge.pk, controller.pk)]

    # Covenants, against the figures of 31 October 2026: availability 251,284.70 ≥ 150,000 and
    # beyond the 10 % headroom (165,000): met; LTV 63.00 % ≤ 65 but above 58.5: at risk; 90 days
    # of stock > 75: breached. Leverage (cap 3.25, at risk above 2.925): 8.1 M ÷ 3 M = 2.7 and
    # 8.4 ÷ 3 = 2.8 met, 10.2 ÷ 3 = 3.4 breached (waived by the bank), 9 ÷ 3 = 3.0 at risk.
    today = timezone.localdate()
    found = {
        (test.covenant.metric, test.test_date): (test.value, covenants.state_of(test, today))
        for test in CovenantTest.objects.filter(facility=pledge).select_related("covenant")
    }
    october = dt.date(2026, 10, 31)
    assert found == {
        ("availability", october): (Decimal("251284.70"), "met"),
        ("ltv", october): (Decimal("63.00"), "at_risk"),
        ("days_of_stock", october): (Decimal("90.0"), "breached"),
        ("debt_to_tnw", dt.date(2025, 12, 31)): (Decimal("2.7"), "met"),
        ("debt_to_tnw", dt.date(2026, 3, 31)): (Decimal("2.8"), "met"),
        ("debt_to_tnw", dt.date(2026, 6, 30)): (Decimal("3.4"), "waived"),
        ("debt_to_tnw", dt.date(2026, 9, 30)): (Decimal("3.0"), "at_risk"),
    }
    run = current_run(pledge)
    assert set(CovenantTest.objects.filter(run__isnull=False).values_list("run", flat=True)) == {run.pk}
    waiver = CovenantWaiver.objects.get()
    assert waiver.test.raw_state == "breached" and waiver.by.email == LOGINS[Role.BANK]
    assert waiver.reason and waiver.expires_on == today + dt.timedelta(days=180)
    # The days-of-stock breach is not waived: the covenant alert is open.
    alert = Alert.objects.get(facility=pledge, kind="covenant_breach")
    assert alert.state == "open"
    assert [breach["covenant"] for breach in alert.details["breaches"]] == ["Rotation : jours de stock maximum"]

    # The field exam: the eight largest lines of the latest file by value, counted by the
    # controller, two short (2 units at 83.32, 1 at 83.07: 249.71 of 125,542.36 sampled, 0.199 %),
    # the first shortfall a reserve; accepted, its variance is in the current run's terms.
    exam = FieldExam.objects.get()
    assert exam.status == ExamStatus.ACCEPTED
    assert exam.controller == controller and exam.decided_by.email == LOGINS[Role.ADVISOR]
    assert exam.run.as_of == october and exam.run_id != run.pk
    lines = list(exam.lines.order_by("position"))
    assert len(lines) == 8
    smallest_sampled = min(line.recorded_value for line in lines)
    unsampled = StockLine.objects.filter(upload_id=exam.upload_id).exclude(row__in=[line.row for line in lines])
    assert all(value <= smallest_sampled for value in unsampled.values_list("book_value", flat=True))
    short = [(line.position, line.recorded_quantity - line.counted_quantity, line.unit_cost) for line in lines]
    assert [item for item in short if item[1]] == [(2, 2, Decimal("83.32")), (5, 1, Decimal("83.07"))]
    assert exam.sampled_value == Decimal("125542.36")
    assert exam.gross_variance == Decimal("249.71")  # 2 × 83.32 + 83.07
    assert exam.variance_pct == Decimal("0.199")  # 249.71 ÷ 125,542.36 = 0.1989… %
    finding = FieldExamFinding.objects.get()
    assert finding.decision == FindingDecision.RESERVE and finding.amount == Decimal("166.64")  # 2 × 83.32
    pledge.refresh_from_db()
    assert pledge.exam_count_variance_pct == Decimal("0.199") and pledge.exam_findings_reserve == Decimal("166.64")
    assert Decimal(run.terms["criteria"]["count_variance_pct"]) == Decimal("0.199")
    assert exam.reference in run.terms["criteria"]["count_variance_source"]

    # The borrower's certificate of the borrowing base at 31 October: StockPledge's figures but an
    # availability of 196,413.17 × 1.03 = 202,305.57, 5,892.40 over (tolerance: 1,000).
    certificate = BorrowerCertificate.objects.get()
    assert certificate.facility.name == BORROWING_BASE_FACILITY and certificate.as_of == october
    assert certificate.submitted_by.email == LOGINS[Role.CLIENT]
    assert certificate.overstated and certificate.beyond_tolerance
    comparison = borrower_certificates.compare(certificate)
    beyond = {line.check.code: line.check.status for line in comparison.lines if line.check.status != "match"}
    assert beyond == {"availability": "beyond"}
    assert certificate.lines.get(code="availability").amount == Decimal("202305.57")

    # Each demo log-in opens its landing page.
    landings = {
        Role.ADVISOR: reverse("valuation:dashboard"),
        Role.CLIENT: reverse("valuation:client-detail", args=[pledge.client_id]),
        Role.BANK: reverse("reports:report-list"),
        Role.CONTROLLER: reverse("valuation:exam-list"),
    }
    assert set(LOGINS) == set(landings)
    for role, email in LOGINS.items():
        client.logout()
        assert client.login(username=email, password=DEMO_PASSWORD), email
        page = client.get(reverse("home"), follow=True)
        assert page.status_code == 200, email
        assert page.redirect_chain[-1][0] == landings[role], email
        if role == Role.BANK:
            # The exam is counted at the shared stock date: the bank's page of the pledge shows it.
            bank_page = client.get(reverse("valuation:bank-facility", args=[pledge.pk])).content.decode()
            assert exam.reference in bank_page


@pytest.mark.django_db(transaction=True)
def test_the_controls_wait_for_a_valuation_not_done_yet():
    """With a worker the latest valuations may not be done when the command ends: the exam and the
    certificate wait (and say so) rather than sample or compare an older file."""
    seed()
    FieldExam.objects.all().delete()
    BorrowerCertificate.objects.all().delete()
    october = dt.date(2026, 10, 31)
    ValuationRun.objects.filter(facility__client__legal_name="Atelier Lumière SAS", as_of=october).update(
        status=RunStatus.RUNNING
    )
    pledge = Facility.objects.get(name=PLEDGE_FACILITY)
    waiting = demo_controls.load_controls(
        client=pledge.client,
        pledge=pledge,
        borrowing_base=Facility.objects.get(name=BORROWING_BASE_FACILITY),
        advisor=User.objects.get(email=LOGINS[Role.ADVISOR]),
        client_user=User.objects.get(email=LOGINS[Role.CLIENT]),
        bank_user=User.objects.get(email=LOGINS[Role.BANK]),
        controller_email=LOGINS[Role.CONTROLLER],
        password=DEMO_PASSWORD,
    )
    assert waiting == [
        f"the field exam of {PLEDGE_FACILITY}",
        f"the borrower's certificate of {BORROWING_BASE_FACILITY}",
    ]
    assert not FieldExam.objects.exists() and not BorrowerCertificate.objects.exists()
