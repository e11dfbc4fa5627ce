"""The bank's view of a facility's last field exam (issue 16): its counts and how they changed the
valuation.

What the bank reaches is ``borrowers.common.access``'s (the field exams' rule): accepted exams of a
facility it follows, counted on or before the latest stock date shared with it. Of those, the page
shows the latest (by count date, then acceptance, as ``valuation.field_exams.services.applied_exam``
orders them), its counted lines and accepted findings, and the effect of its variance:

- the *first run valued with the exam* is the facility's earliest completed run whose stored terms
  name it (``criteria.count_variance_source``, written by ``facilities.terms``: "field exam FE-12 of
  …; typed figure 3 %");
- the *run just before it* is the latest completed run made before it of the same stock file (so
  the two differ by the terms only), else of any earlier file;
- the record-accuracy discount of each comes from the run's result (``eligibility.discounts``);
  the financing from the run. A run newer than what was shared with the bank is not shown.

Four queries whatever the number of lines: the exam, its lines, its accepted findings, the runs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Subquery

from borrowers.common import access
from facilities.models import Facility
from valuation.engine.field_exam import line_variance
from valuation.field_exams import services
from valuation.models import (
    ExamStatus,
    FieldExam,
    FieldExamFinding,
    FindingDecision,
    RunStatus,
    ValuationRun,
)

RECORD_ACCURACY = "record_accuracy"
_TYPED = re.compile(r"typed figure (-?\d+(?:\.\d+)?) %")


@dataclass(frozen=True)
class RunFigures:
    """One side of the comparison: the run, its record-accuracy discount (None: the run's method
    takes none, e.g. a waterfall) and its count-variance input."""

    run: ValuationRun
    discount: Decimal | None
    count_variance_pct: Decimal | None

    @property
    def financing(self) -> Decimal | None:
        return self.run.financing


def source_prefix(exam: FieldExam) -> str:
    """How a run's terms name the exam (``facilities.terms._field_exam``)."""
    return f"field exam {exam.reference} of "


def record_accuracy_discount(result: dict[str, Any] | None) -> Decimal | None:
    """The applied record-accuracy discount of a stored result, None when it has none."""
    for discount in ((result or {}).get("eligibility") or {}).get("discounts") or ():
        if discount.get("discount") == RECORD_ACCURACY:
            return Decimal(str(discount.get("amount")))
    return None


def typed_figure(source: str) -> Decimal | None:
    """The typed figure a run's ``count_variance_source`` says the exam replaced."""
    match = _TYPED.search(source or "")
    return Decimal(match.group(1)) if match else None


def _figures(run: ValuationRun | None) -> RunFigures | None:
    if run is None:
        return None
    pct = ((run.terms or {}).get("criteria") or {}).get("count_variance_pct")
    return RunFigures(run, record_accuracy_discount(run.result), None if pct is None else Decimal(str(pct)))


def _runs(exam: FieldExam, until: dt.date) -> tuple[ValuationRun | None, ValuationRun | None]:
    """The first run valued with the exam and the one just before it (module docstring), in one
    query; either None when there is none or it is newer than ``until``."""
    done = ValuationRun.objects.filter(facility_id=exam.facility_id, status=RunStatus.DONE)
    first = done.filter(terms__criteria__count_variance_source__startswith=source_prefix(exam)).order_by("pk")
    first_pk = Subquery(first.values("pk")[:1])
    earlier = done.filter(pk__lt=first_pk).order_by("-pk")
    same_file = Subquery(earlier.filter(upload_id=Subquery(first.values("upload_id")[:1])).values("pk")[:1])
    any_file = Subquery(earlier.values("pk")[:1])
    rows = list(
        ValuationRun.objects.filter(Q(pk=first_pk) | Q(pk=same_file) | Q(pk=any_file))
        .filter(as_of__lte=until)
        .only("pk", "upload_id", "as_of", "terms", "result", "financing", "currency")
        .order_by("-pk")
    )
    after = next((run for run in rows if source_prefix(exam) in _source(run)), None)
    if after is None:
        return None, None
    before = [run for run in rows if run.pk < after.pk]
    same = [run for run in before if run.upload_id == after.upload_id]
    return after, (same or before or [None])[0]


def _source(run: ValuationRun) -> str:
    return str(((run.terms or {}).get("criteria") or {}).get("count_variance_source") or "")


def bank_field_exam(facility: Facility, user: Any, until: dt.date | None) -> dict[str, Any]:
    """The bank page's field-exam block: ``field_exam`` None when nothing is shown."""
    if until is None:
        return {"field_exam": None}
    exam = (
        access.scope(FieldExam.objects.filter(facility=facility, status=ExamStatus.ACCEPTED), user)
        .filter(counted_on__lte=until)
        .select_related("controller__control_firm")
        .order_by("-counted_on", "-decided_at", "-id")
        .first()
    )
    if exam is None:
        return {"field_exam": None}
    lines = list(exam.lines.filter(counted_quantity__isnull=False).order_by("position"))
    for line in lines:
        line.variance = line_variance(services.exam_lines_of([line])[0])
    findings = list(
        FieldExamFinding.objects.filter(
            line__exam=exam, decision__in=(FindingDecision.RESERVE, FindingDecision.EXCLUSION)
        ).select_related("line")
    )
    after, before = _runs(exam, until)
    typed = typed_figure(_source(after)) if after else None
    return {
        "field_exam": exam,
        "field_exam_lines": lines,
        "field_exam_findings": findings,
        "field_exam_typed": services.typed_variance(facility) if typed is None else typed,
        "field_exam_after": _figures(after),
        "field_exam_before": _figures(before),
    }
