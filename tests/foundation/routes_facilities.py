"""Access-matrix entries for facilities (lenders, facilities, dossiers).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.foundation.matrix_helpers import (
    ADVISORS,
    Routes,
    pages,
)


def appraisal_of_x(w: Any, *, with_report: bool = False) -> dict[str, Any]:
    """An appraisal of the world's facility (with a PDF report when asked)."""
    from django.core.files.base import ContentFile

    from facilities.models import Appraisal

    appraisal, _created = Appraisal.objects.get_or_create(
        facility=w.facility_x,
        appraiser="Hall & Co",
        defaults={"effective_date": date(2026, 1, 1), "expiry_date": date(2026, 12, 31)},
    )
    if with_report and not appraisal.report_file:
        appraisal.report_file.save("r.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    return {"pk": w.facility_x.pk, "appraisal_pk": appraisal.pk}


def deliverable_of_x(w: Any) -> dict[str, Any]:
    """A monthly stock-file deliverable of the world's facility."""
    from facilities.models import Deliverable

    deliverable, _created = Deliverable.objects.get_or_create(
        facility=w.facility_x, kind="stock_file", defaults={"start": date(2026, 1, 1), "due_days": 20}
    )
    return {"pk": w.facility_x.pk, "deliverable_pk": deliverable.pk}


# --- the credit file (issue 16, part 4)
def credit_document_of_x(w: Any, *, visible_to_client: bool = True) -> dict[str, Any]:
    """A pledge deed of the world's facility, filed by its advisor (a real stored PDF)."""
    import hashlib

    from django.core.files.base import ContentFile

    from facilities.models import CreditDocument

    content = b"%PDF-1.4 pledge deed"
    document = CreditDocument.objects.filter(client=w.client_x, title="Pledge deed 2026").first()
    if document is None:
        document = CreditDocument(
            client=w.client_x,
            facility=w.facility_x,
            kind="pledge_deed",
            title="Pledge deed 2026",
            signed_on=date(2026, 1, 15),
            visible_to_client=visible_to_client,
            original_name="deed.pdf",
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content_type="application/pdf",
            uploaded_by=w.advisor_a,
        )
        document.file.save("deed.pdf", ContentFile(content), save=True)
    return {"pk": document.pk}


# --- end of the credit file
def covenant_of_x(w: Any) -> dict[str, Any]:
    """A maximum-LTV covenant of the world's facility (covenants, issue 16)."""
    from decimal import Decimal

    from facilities.models import Covenant

    covenant, _created = Covenant.objects.get_or_create(
        facility=w.facility_x, metric="ltv", defaults={"direction": "max", "threshold": Decimal("70")}
    )
    return {"pk": w.facility_x.pk, "covenant_pk": covenant.pk}


def statement_of_x(w: Any) -> dict[str, Any]:
    """A financial statement of the world's facility (covenants, issue 16)."""
    from decimal import Decimal

    from facilities.models import FinancialStatement, StatementLine

    statement, created = FinancialStatement.objects.get_or_create(facility=w.facility_x, period_end=date(2025, 12, 31))
    if created:
        StatementLine.objects.create(statement=statement, name="tangible_net_worth", amount=Decimal("1500000"))
    return {"pk": w.facility_x.pk, "statement_pk": statement.pk}


ROUTES: Routes = {
    "facilities:lender-list": (lambda w: {}, pages(**ADVISORS)),
    "facilities:lender-edit": (lambda w: {"pk": w.lender_a.pk}, pages(advisor_a=200)),
    "facilities:facility-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200)),
    "facilities:facility-edit": (
        lambda w: {"client_pk": w.client_x.pk, "pk": w.facility_x.pk},
        pages(advisor_a=200),
    ),
    "valuation:facility-detail": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    # The lines behind the figures, their exports and the comparisons are the advisor's tools.
    "valuation:facility-lines": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:facility-lines-export": (lambda w: {"pk": w.facility_x.pk, "fmt": "csv"}, pages(advisor_a=200)),
    "valuation:facility-compare": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:facility-compare-terms": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:facility-bridge": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:facility-compare-lines": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    # With fewer than two valued files the export sends the advisor back to the page (302).
    "valuation:facility-compare-lines-export": (
        lambda w: {"pk": w.facility_x.pk, "fmt": "csv"},
        pages(advisor_a={200, 302}),
    ),
    # Appraisals are the advisors' working material: clients and banks never reach them (404).
    "facilities:appraisal-list": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:appraisal-create": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:appraisal-edit": (appraisal_of_x, pages(advisor_a=200)),
    # POST-only: the firm's advisor is told 405 on a GET, everyone else 404 as for any page.
    "facilities:appraisal-delete": (appraisal_of_x, pages(advisor_a=405, advisor_b=405)),
    "facilities:appraisal-report": (lambda w: appraisal_of_x(w, with_report=True), pages(advisor_a=200)),
    # The reporting calendar: the firm's advisors keep it, the client's users and the bank that
    # follows the facility (a report shared with it) read it; the lender's other bank gets 404.
    "facilities:calendar": (
        lambda w: deliverable_of_x(w) and {"pk": w.facility_x.pk},
        pages(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
    "facilities:deliverable-create": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:deliverable-edit": (deliverable_of_x, pages(advisor_a=200)),
    # POST-only: any advisor is told 405 on a GET (the method is checked before the facility, as for
    # the appraisal delete); everyone else 404 as for any page.
    "facilities:deliverable-delete": (deliverable_of_x, pages(advisor_a=405, advisor_b=405)),
    "facilities:period-waive": (deliverable_of_x, pages(advisor_a=405, advisor_b=405)),
    "facilities:period-receive": (deliverable_of_x, pages(advisor_a=405, advisor_b=405)),
    # --- the credit file (issue 16, part 4): the firm's advisors keep it; the client's users
    # read it and file their own certificates; a bank following the facility downloads its
    # documents (listed on its bank page), never the client's page.
    "facilities:credit-file": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "facilities:credit-document-create": (
        lambda w: {"client_pk": w.client_x.pk},
        pages(advisor_a=200, client_user_x=200),
    ),
    "facilities:credit-document-edit": (credit_document_of_x, pages(advisor_a=200)),
    "facilities:credit-document-renew": (credit_document_of_x, pages(advisor_a=200)),
    "facilities:credit-document-download": (
        credit_document_of_x,
        pages(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
    # --- end of the credit file
    # covenants (issue 16): the advisors define them; the client's users and its advisors enter
    # the financial statements; banks see the covenants on their own page, never these.
    "facilities:covenant-create": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:covenant-edit": (covenant_of_x, pages(advisor_a=200)),
    "facilities:statement-list": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "facilities:statement-create": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "facilities:statement-edit": (statement_of_x, pages(advisor_a=200, client_user_x=200)),
    # -- field exams (issue 16): the firm's advisors keep a facility's stock controllers.
    "facilities:facility-controllers": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:controller-withdraw": (
        lambda w: {"pk": w.facility_x.controller_assignments.get().pk},
        pages(advisor_a=405, advisor_b=405),  # POST only
    ),
}
