"""The field exam report's download (issue 16): whoever may see the exam gets its PDF — the firm's
advisors, the exam's controller and, once the exam is accepted and its count date shared, the
facility's bank (``borrowers.common.access``, the field exams' rule); anyone else a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from borrowers.common import access
from reports.field_exam_pdf import render_exam_pdf
from valuation.models import FieldExam


@login_required
def exam_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    exam = access.get_or_404(
        request.user, FieldExam.objects.select_related("facility__client__firm", "facility__lender", "upload"), pk=pk
    )
    pdf = render_exam_pdf(exam, language=translation.get_language() or "en")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="field-exam-{exam.reference}.pdf"'
    return response
