"""The field exam report (issue 16): the sample, the counts, the variance, the findings and the
photos list of one exam, rendered like the other reports (WeasyPrint, through the safe fetcher
of ``reports.rendering``: it fetches nothing but the app's static files and the firm's logo)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from reports.rendering import LOGO_URL, SafeURLFetcher, _logo, write_pdf
from valuation.engine.field_exam import line_variance
from valuation.field_exams import services
from valuation.models import FieldExam


def exam_context(exam: FieldExam) -> dict[str, Any]:
    """What the report shows, read once: the lines with their variance, findings and photos."""
    lines = list(exam.lines.prefetch_related("findings", "photos").order_by("position"))
    for line in lines:
        counted = services.exam_lines_of([line])
        line.variance = line_variance(counted[0]) if counted else None
    firm = exam.facility.client.firm
    return {
        "exam": exam,
        "facility": exam.facility,
        "lines": lines,
        "findings": [finding for line in lines for finding in line.findings.all()],
        "photos": [photo for line in lines for photo in line.photos.all()],
        "findings_reserve": services.findings_reserve(exam),
        "typed_variance": services.typed_variance(exam.facility),
        "currency": exam.currency,
        "branding": {"firm_name": firm.name, "logo": firm.logo.name if firm.logo else ""},
        "issued_on": timezone.localdate(),
    }


def render_exam_pdf(exam: FieldExam, *, language: str) -> bytes:
    context = exam_context(exam)
    fetcher = SafeURLFetcher(allowed=_logo(context["branding"]["logo"]))
    with translation.override(language):
        html = render_to_string(
            "reports/pdf/field_exam.html",
            {**context, "language": language, "has_logo": bool(fetcher.allowed), "logo_url": LOGO_URL},
        )
    return write_pdf(html, fetcher=fetcher)
