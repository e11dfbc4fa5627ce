"""The demo's bank-grade controls for Atelier Lumière (``manage.py seed_demo``, issue 16): a stock
controller of a control firm assigned to the pledge and the field exam it made on the latest stock
file (accepted by the advisor, so its variance feeds the valuation); the pledge's covenants with
four quarters of financial statements (met, at-risk and breached tests, one breach waived by the
bank); and the borrower's own certificate of the borrowing base, overstating its availability.

Everything goes through the real services, as a person would, and each piece is made once: a
second run finds it and changes nothing. What needs a completed valuation (the exam, the
certificate) or a rendered shared report (the bank's waiver) waits when a worker has not done it
yet: ``load_controls`` says what, and a second run of the command loads it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from borrowers.common import access
from borrowers.models import ClientCompany, ControlFirm, Role, User
from facilities import controller_services
from facilities.covenant_services import save_covenant, save_statement
from facilities.models import ControllerAssignment, Covenant, CovenantFrequency, Facility, FinancialStatement
from reports import borrower_certificates
from reports.models import BorrowerCertificate
from valuation.engine import certificate_check as cc
from valuation.engine import covenants as rules
from valuation.field_exams import services as exams
from valuation.models import CovenantState, CovenantTest, FieldExam, FindingDecision, FindingKind, SampleMethod
from valuation.pipeline import covenants as covenant_tests
from valuation.pipeline.services import current_run

CONTROL_FIRM = "Contrôle Stocks Rhône"
CONTROLLER_NAME = {"first_name": "Julien", "last_name": "Contrôle"}
EXAM_SAMPLE_LINES = 8  # the eight largest lines by value
# Two counts short of the file: (position in the sample, units missing). The first one's missing
# units are also a finding the advisor accepts as a reserve.
COUNT_SHORTFALLS = {2: Decimal("2"), 5: Decimal("1")}
# Counted at the stock date itself (the period-end count): a bank sees an exam once a report of
# a stock date on or after its count is shared with it, and the demo bank follows 31 October.
EXAM_DAYS_AFTER_STOCK_DATE = 0

# The pledge's covenants, chosen against the demo's figures of 31 October 2026 (README): an
# availability of about 0.25 M (met), a loan-to-value just under its cap (at risk), 90 days of
# stock over a cap of 75 (breached: the covenant alert opens), and a leverage cap of 3.25 that the
# four quarters test: 2.7 and 2.8 met, 3.4 breached in June (waived by the bank), 3.0 at risk in
# September (within 10 % of the cap).
COVENANTS = [
    # (name, metric, threshold, frequency)
    ("Disponibilité minimale", rules.AVAILABILITY, Decimal("150000"), CovenantFrequency.MONTHLY),
    ("LTV maximale", rules.LTV, Decimal("65"), CovenantFrequency.MONTHLY),
    ("Rotation : jours de stock maximum", rules.DAYS_OF_STOCK, Decimal("75"), CovenantFrequency.MONTHLY),
    (
        "Levier maximum (dette ÷ fonds propres tangibles)",
        rules.DEBT_TO_TNW,
        Decimal("3.25"),
        CovenantFrequency.QUARTERLY,
    ),
]
# Quarter end → (total debt, tangible net worth): the last is the client's 9 M on 3 M (leverage 3).
STATEMENTS = {
    dt.date(2025, 12, 31): (Decimal("8100000.00"), Decimal("3000000.00")),
    dt.date(2026, 3, 31): (Decimal("8400000.00"), Decimal("3000000.00")),
    dt.date(2026, 6, 30): (Decimal("10200000.00"), Decimal("3000000.00")),
    dt.date(2026, 9, 30): (Decimal("9000000.00"), Decimal("3000000.00")),
}
WAIVED_QUARTER = dt.date(2026, 6, 30)
WAIVER_REASON = (
    "Stock built up for the lighting season, financed by the suppliers' extended terms; "
    "leverage back under the cap at the September accounts."
)
WAIVER_DAYS = 180
CERTIFICATE_OVERSTATEMENT = Decimal("1.03")  # the borrower's availability, 3 % above StockPledge's


def load_controls(
    *,
    client: ClientCompany,
    pledge: Facility,
    borrowing_base: Facility,
    advisor: User,
    client_user: User,
    bank_user: User,
    controller_email: str,
    password: str,
) -> list[str]:
    """Load each piece that is not there yet; returns what has to wait for a worker."""
    waiting: list[str] = []
    controller = ensure_controller(pledge=pledge, advisor=advisor, email=controller_email, password=password)
    if not ensure_field_exam(pledge=pledge, controller=controller, advisor=advisor):
        waiting.append(f"the field exam of {pledge.name}")
    ensure_covenants(pledge=pledge, advisor=advisor, client_user=client_user)
    if not ensure_waiver(pledge=pledge, bank_user=bank_user):
        waiting.append(f"the bank's covenant waiver on {pledge.name}")
    if not ensure_borrower_certificate(client=client, facility=borrowing_base, client_user=client_user):
        waiting.append(f"the borrower's certificate of {borrowing_base.name}")
    return waiting


def ensure_controller(*, pledge: Facility, advisor: User, email: str, password: str) -> User:
    """The controller of a control firm the demo firm works with, assigned to the pledge."""
    control_firm, _ = ControlFirm.objects.get_or_create(firm_id=advisor.firm_id, name=CONTROL_FIRM)
    controller = User.objects.filter(email=email).first()
    if controller is None:
        controller = User.objects.create_user(
            email,
            password,
            role=Role.CONTROLLER,
            firm_id=advisor.firm_id,
            control_firm=control_firm,
            language="fr",
            **CONTROLLER_NAME,
        )
    else:
        controller.set_password(password)
        controller.save(update_fields=["password"])
    if not ControllerAssignment.objects.filter(facility=pledge, user=controller).exists():
        controller_services.assign_controller(facility=pledge, user=controller, by=advisor)
    return controller


def ensure_field_exam(*, pledge: Facility, controller: User, advisor: User) -> bool:
    """The controller's exam of the pledge's latest stock file: the eight largest lines counted,
    two of them short by a unit or two, the missing units of one a finding the advisor accepts as
    a reserve; the advisor accepts the exam (its variance feeds the next valuation). False while
    the latest file has no completed valuation yet (a worker values it)."""
    if FieldExam.objects.filter(facility=pledge).exists():
        return True
    run = current_run(pledge)
    latest = pledge.client.uploads.order_by("-as_of").values_list("as_of", flat=True).first()
    if run is None or run.as_of != latest:
        return False
    counted_on = min(run.as_of + dt.timedelta(days=EXAM_DAYS_AFTER_STOCK_DATE), timezone.localdate())
    with transaction.atomic():
        exam = exams.plan_exam(
            facility=pledge,
            by=controller,
            counted_on=counted_on,
            sample=exams.SampleRequest(method=SampleMethod.TOP_N, top_n=EXAM_SAMPLE_LINES),
        )
        findings = []
        for line in exam.lines.order_by("position"):
            short = COUNT_SHORTFALLS.get(line.position, Decimal("0"))
            counted = max(line.recorded_quantity - short, Decimal("0"))
            note = "Écart de comptage" if short else ""
            exams.record_count(line=line, by=controller, counted_quantity=counted, note=note)
            if short and not findings:
                findings.append(
                    exams.add_finding(
                        line=line,
                        by=controller,
                        kind=FindingKind.MISSING,
                        amount=(short * line.unit_cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                        note="Unités introuvables au comptage",
                    )
                )
        exams.submit_exam(exam=exam, by=controller)
        for finding in findings:
            exams.decide_finding(finding=finding, by=advisor, decision=FindingDecision.RESERVE)
        exams.accept_exam(exam=exam, by=advisor, note="Échantillon représentatif ; écarts faibles et expliqués.")
    return True


def ensure_covenants(*, pledge: Facility, advisor: User, client_user: User) -> None:
    """The pledge's four covenants (each once, by metric), then the quarterly statements the
    client enters (each quarter once); each save tests the covenants through the real tests."""
    have = set(Covenant.objects.filter(facility=pledge).values_list("metric", flat=True))
    for name, metric, threshold, frequency in COVENANTS:
        if metric in have:
            continue
        save_covenant(
            by=advisor,
            covenant=Covenant(
                facility=pledge,
                name=name,
                metric=metric,
                threshold=threshold,
                frequency=frequency,
                headroom_pct=Decimal("10"),
            ),
        )
    entered = set(FinancialStatement.objects.filter(facility=pledge).values_list("period_end", flat=True))
    for period_end, (debt, tnw) in sorted(STATEMENTS.items()):
        if period_end in entered:
            continue
        save_statement(
            by=client_user,
            facility=pledge,
            period_end=period_end,
            lines={rules.TOTAL_DEBT: debt, rules.TNW: tnw},
            notes="Comptes trimestriels (non audités)",
        )


def ensure_waiver(*, pledge: Facility, bank_user: User) -> bool:
    """The bank waives June's leverage breach for 180 days from today, once. False while the test
    or the bank's view of the facility (a rendered shared report) is not there yet."""
    test = (
        CovenantTest.objects.filter(facility=pledge, covenant__metric=rules.DEBT_TO_TNW, test_date=WAIVED_QUARTER)
        .select_related("facility")
        .first()
    )
    if test is None:
        return False
    if test.raw_state != CovenantState.BREACHED or test.waivers.exists():
        return True  # nothing (more) to waive
    if not access.facilities_shared_with_bank(bank_user).filter(pk=pledge.pk).exists():
        return False
    covenant_tests.waive_test(
        by=bank_user,
        test=test,
        reason=WAIVER_REASON,
        expires_on=timezone.localdate() + dt.timedelta(days=WAIVER_DAYS),
    )
    return True


def ensure_borrower_certificate(*, client: ClientCompany, facility: Facility, client_user: User) -> bool:
    """The client's own certificate for the facility's latest stock date: StockPledge's figures
    but an availability 3 % higher (an overstated line for the advisors). False while that date's
    valuation is not done."""
    as_of = client.uploads.order_by("-as_of").values_list("as_of", flat=True).first()
    if as_of is None:
        return False
    if BorrowerCertificate.objects.filter(facility=facility, as_of=as_of).exists():
        return True
    run = borrower_certificates.current_run(facility, as_of)
    if run is None:
        return False
    figures = {
        code: amount
        for code, amount in cc.stockpledge_figures(run.result or {}).items()
        if amount is not None and not cc.is_reason(code)
    }
    figures[cc.AVAILABILITY] = (figures[cc.AVAILABILITY] * CERTIFICATE_OVERSTATEMENT).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    borrower_certificates.submit_certificate(
        facility=facility, by=client_user, as_of=as_of, currency=run.currency, figures=figures
    )
    return True
