"""Field-exam pages: the controller plans, counts (a phone-sized page per line), photographs and
submits; the firm's advisors read every exam and decide it and its findings (and withdraw a line
exclusion). Each view checks
access (borrowers.common.access), calls a service, renders."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borrowers.common import access
from borrowers.common.access import advisor_required, controller_required
from borrowers.common.errors import DomainError
from facilities.models import Facility
from valuation.field_exams import services
from valuation.field_exams.forms import (
    CountForm,
    DecisionForm,
    FindingDecisionForm,
    FindingForm,
    PhotoForm,
    PlanForm,
    WithdrawalForm,
)
from valuation.models import ExamStatus, FieldExam, FieldExamFinding, FieldExamLine, FieldExamPhoto, SampleMethod


def _exams(request: HttpRequest):  # type: ignore[no-untyped-def]
    return access.scope(FieldExam.objects.select_related("facility__client", "controller"), request.user)


@controller_required
def exam_list(request: HttpRequest) -> HttpResponse:
    """The controller's start page: its facilities and their exams; the advisors' list of the
    firm's exams (``?facility=`` narrows it)."""
    exams = _exams(request).annotate(
        line_count=Count("lines"), counted=Count("lines", filter=Q(lines__counted_quantity__isnull=False))
    )
    facility_pk = request.GET.get("facility", "")
    if facility_pk.isdigit():
        exams = exams.filter(facility_id=int(facility_pk))
    facilities = (
        access.facilities_assigned_to(request.user).select_related("client")
        if request.user.is_controller
        else Facility.objects.none()
    )
    return render(request, "valuation/field_exams/exam_list.html", {"exams": exams[:200], "facilities": facilities})


@controller_required
@require_http_methods(["GET", "POST"])
def exam_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan an exam on an assigned facility and draw its sample."""
    facility = access.facilities_assigned_to(request.user).select_related("client").filter(pk=pk).first()
    if facility is None:
        access.log_denial(request.user, "plan field exam", {"pk": pk})
        raise Http404
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        method = data["method"]
        sample = services.SampleRequest(
            method=method,
            coverage_pct=data.get("coverage_pct") if method == SampleMethod.VALUE_COVERAGE else None,
            top_n=data.get("top_n") if method == SampleMethod.TOP_N else None,
            size=data.get("top_n") if method == SampleMethod.RANDOM else None,
            seed=data.get("seed") if method == SampleMethod.RANDOM else None,
            skus=tuple(data["sku_list"]) if method == SampleMethod.CHOSEN else (),
        )
        try:
            exam = services.plan_exam(facility=facility, by=request.user, counted_on=data["counted_on"], sample=sample)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Sample drawn: %(n)s lines to count.") % {"n": exam.lines.count()})
            return redirect("valuation:exam-detail", pk=exam.pk)
    return render(request, "valuation/field_exams/exam_plan.html", {"facility": facility, "form": form})


@controller_required
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = access.get_or_404(request.user, _exams(request), pk=pk)
    lines = list(
        exam.lines.prefetch_related(
            Prefetch("findings", queryset=FieldExamFinding.objects.order_by("id")),
            Prefetch("photos", queryset=FieldExamPhoto.objects.order_by("taken_at", "id")),
        )
    )
    for line in lines:
        line.variance = None
        if line.counted_quantity is not None:
            line.variance = services.engine.line_variance(services.exam_lines_of([line])[0])
    user = request.user
    context = {
        "exam": exam,
        "lines": lines,
        "counted": sum(1 for line in lines if line.counted_quantity is not None),
        "can_count": exam.status == ExamStatus.COUNTING and exam.controller_id == user.pk,
        "can_decide": user.is_advisor and exam.status == ExamStatus.SUBMITTED,
        "can_decide_findings": user.is_advisor and exam.status in (ExamStatus.SUBMITTED, ExamStatus.ACCEPTED),
        "applied": services.applied_exam(exam.facility) if user.is_advisor else None,
        "findings_reserve": services.findings_reserve(exam),
        "withdrawal_form": WithdrawalForm(),
        "typed_variance": services.typed_variance(exam.facility),
        "decision_form": DecisionForm(),
        "finding_decision_form": FindingDecisionForm(),
        "currency": exam.currency,
    }
    return render(request, "valuation/field_exams/exam_detail.html", context)


def _line(request: HttpRequest, pk: int, line_pk: int, action: access.Action = "view") -> FieldExamLine:
    scoped = access.scope(FieldExamLine.objects.select_related("exam__facility__client"), request.user, action)
    return access.get_or_404(request.user, scoped, pk=line_pk, exam_id=pk)


@controller_required
@require_http_methods(["GET", "POST"])
def exam_count(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """One sampled line on a phone: the count, a finding, a photo; then the next line."""
    line = _line(request, pk, line_pk, "change" if request.method == "POST" else "view")
    exam = line.exam
    count_form = CountForm(
        initial={"counted_quantity": line.counted_quantity, "note": line.note}
        if line.counted_quantity is not None
        else None
    )
    finding_form, photo_form = FindingForm(), PhotoForm()
    if request.method == "POST":
        what = request.POST.get("what", "count")
        try:
            if what == "finding":
                finding_form = FindingForm(request.POST)
                if finding_form.is_valid():
                    services.add_finding(line=line, by=request.user, **finding_form.cleaned_data)
                    messages.success(request, _("Finding recorded."))
                    return redirect("valuation:exam-count", pk=pk, line_pk=line.pk)
            elif what == "photo":
                photo_form = PhotoForm(request.POST, request.FILES)
                if photo_form.is_valid():
                    services.add_photo(line=line, by=request.user, **photo_form.cleaned_data)
                    messages.success(request, _("Photo saved."))
                    return redirect("valuation:exam-count", pk=pk, line_pk=line.pk)
            else:
                count_form = CountForm(request.POST)
                if count_form.is_valid():
                    services.record_count(line=line, by=request.user, **count_form.cleaned_data)
                    following = exam.lines.filter(position__gt=line.position).order_by("position").first()
                    if following is not None:
                        return redirect("valuation:exam-count", pk=pk, line_pk=following.pk)
                    messages.success(request, _("Every line of the sample has a count: check and submit."))
                    return redirect("valuation:exam-detail", pk=pk)
        except DomainError as error:
            form = {"finding": finding_form, "photo": photo_form}.get(what, count_form)
            error.add_to(form)
    siblings = list(exam.lines.order_by("position").values_list("pk", flat=True))
    index = siblings.index(line.pk)
    context = {
        "exam": exam,
        "line": line,
        "count_form": count_form,
        "finding_form": finding_form,
        "photo_form": photo_form,
        "findings": line.findings.all(),
        "photos": line.photos.all(),
        "previous_pk": siblings[index - 1] if index > 0 else None,
        "next_pk": siblings[index + 1] if index + 1 < len(siblings) else None,
        "index": index + 1,
        "total": len(siblings),
        "can_count": exam.status == ExamStatus.COUNTING and exam.controller_id == request.user.pk,
        "currency": exam.currency,
    }
    return render(request, "valuation/field_exams/exam_count.html", context)


@controller_required
@require_POST
def exam_submit(request: HttpRequest, pk: int) -> HttpResponse:
    exam = access.get_or_404(request.user, FieldExam, "change", pk=pk)
    try:
        services.submit_exam(exam=exam, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Exam submitted to the advisors."))
    return redirect("valuation:exam-detail", pk=pk)


def _decide(request: HttpRequest, pk: int, action) -> HttpResponse:  # type: ignore[no-untyped-def]
    exam = access.get_or_404(request.user, FieldExam.objects.select_related("facility__client"), "change", pk=pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        action(exam=exam, by=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("valuation:exam-detail", pk=pk)


@advisor_required
@require_POST
def exam_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.accept_exam)


@advisor_required
@require_POST
def exam_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.reject_exam)


@advisor_required
@require_POST
def finding_decide(request: HttpRequest, pk: int) -> HttpResponse:
    finding = access.get_or_404(request.user, FieldExamFinding.objects.select_related("line__exam"), "change", pk=pk)
    form = FindingDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
    else:
        try:
            services.decide_finding(finding=finding, by=request.user, decision=form.cleaned_data["decision"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("valuation:exam-detail", pk=finding.line.exam_id)


@advisor_required
@require_POST
def finding_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a line exclusion, saying why: the line counts again from the next valuation on."""
    finding = access.get_or_404(request.user, FieldExamFinding.objects.select_related("line__exam"), "change", pk=pk)
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the exclusion is withdrawn."))
    else:
        try:
            services.withdraw_exclusion(finding=finding, by=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Exclusion withdrawn: the line counts again in the next valuation."))
    return redirect("valuation:exam-detail", pk=finding.line.exam_id)


@controller_required
def exam_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo, to whoever may see its exam (never a public media URL)."""
    photo = access.get_or_404(request.user, FieldExamPhoto, pk=pk)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
