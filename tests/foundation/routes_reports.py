"""Access-matrix entries for reports (versions, sharing, comments, decisions).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from reports.models import RenderStatus, ReportKind, ReportVersion
from tests.conftest import World
from tests.foundation.matrix_helpers import (
    ALL_LOGGED_IN,
    Routes,
    everyone,
    pages,
)

READERS = {"advisor_a": 200, "client_user_x": 200, "bank_shared": 200}


def _with_pdf(w: World) -> dict[str, Any]:
    w.report_x.pdf.save("report.pdf", ContentFile(b"%PDF-1.4\n%test\n"))
    w.report_x.client_pdf.save("report-client.pdf", ContentFile(b"%PDF-1.4\n%client copy\n"))
    return {"pk": w.report_x.pk}


def _certificate(w: World) -> dict[str, Any]:
    report = ReportVersion.objects.create(
        run=w.run_x,
        facility=w.facility_x,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        number=1,
        title="Borrowing base certificate",
        author=w.advisor_a,
        render_status=RenderStatus.READY,
    )
    return {"pk": report.pk}


def _field_exam(w: World) -> dict[str, int]:
    """The world's exam, accepted: counted on the stock date shared with lender A (bank_shared)."""
    from tests.field_exams.helpers import make_exam
    from valuation.models import ExamStatus, FieldExam

    exam = make_exam(w)
    FieldExam.objects.filter(pk=exam.pk).update(status=ExamStatus.ACCEPTED)
    return {"pk": exam.pk}


ROUTES: Routes = {
    # Everyone logged in but a stock controller (it has no reports: field exams).
    "reports:report-list": (
        lambda w: {},
        pages(**{p: 200 for p in ALL_LOGGED_IN if p not in ("controller", "controller_unassigned")}),
    ),
    "reports:report-detail": (lambda w: {"pk": w.report_x.pk}, pages(**READERS)),
    "reports:report-status": (lambda w: {"pk": w.report_x.pk}, pages(**READERS)),
    "reports:report-download": (_with_pdf, pages(**READERS)),
    "reports:report-issue": (lambda w: {"run_pk": w.run_x.pk}, pages(advisor_a=200)),
    "reports:report-certify": (_certificate, pages(client_user_x=200)),
    # POST only
    "reports:report-share": (lambda w: {"pk": w.report_x.pk}, everyone(405, anon=302)),
    "reports:share-withdraw": (lambda w: {"share_pk": w.report_x.shares.get().pk}, everyone(405, anon=302)),
    "reports:report-share-client": (lambda w: {"pk": w.report_x.pk}, everyone(405, anon=302)),
    "reports:report-withdraw-client": (lambda w: {"pk": w.report_x.pk}, everyone(405, anon=302)),
    "reports:report-comment": (lambda w: {"pk": w.report_x.pk}, everyone(405, anon=302)),
    "reports:report-decide": (lambda w: {"pk": w.report_x.pk}, everyone(405, anon=302)),
    # -- field exams (issue 16): the exam's PDF, to whoever sees the exam; an accepted exam of a
    # shared stock date to the bank too (tests/field_exams/test_bank_view.py: not another one).
    "reports:exam-pdf": (_field_exam, pages(advisor_a=200, controller=200, bank_shared=200)),
}


# ---------------------------------------------- the borrower's own certificate (issue 16, part 5)


def _borrower_certificate(w: World) -> dict[str, Any]:
    from decimal import Decimal

    from reports.models import BorrowerCertificate, BorrowerCertificateLine

    certificate = BorrowerCertificate.objects.create(
        facility=w.facility_x,
        as_of=w.run_x.as_of,
        currency="EUR",
        submitted_by=w.client_user_x,
        tolerance_pct=Decimal("0.5"),
        tolerance_amount=Decimal("1000"),
    )
    BorrowerCertificateLine.objects.create(certificate=certificate, code="book_value", amount=Decimal("4900000.00"))
    return {"pk": certificate.pk}


ROUTES.update(
    {
        "reports:borrower-certificates": (
            lambda w: {"pk": w.facility_x.pk},
            pages(advisor_a=200, client_user_x=200),
        ),
        "reports:borrower-certificate-new": (lambda w: {"pk": w.facility_x.pk}, pages(client_user_x=200)),
        "reports:borrower-certificate-detail": (
            _borrower_certificate,
            pages(advisor_a=200, client_user_x=200, bank_shared=200),
        ),
        "reports:bank-borrower-certificates": (lambda w: {"pk": w.facility_x.pk}, pages(bank_shared=200)),
    }
)
