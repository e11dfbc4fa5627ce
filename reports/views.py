"""Report pages: the list, a version's page (figures, PDF, sharing, thread, decisions,
certification), the htmx status panel, the PDF download, and one view per action.

Each view checks access (borrowers.common.access), calls a service or reads a selector, and renders. A
`DomainError` with code "forbidden" (a role the rule does not let act) answers 404 like any other
object outside the user's reach."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from borrowers.common import access
from borrowers.common.errors import DomainError
from facilities.models import Lender
from reports import services
from reports.forms import CertificationForm, ClientShareForm, CommentForm, DecisionForm, IssueForm, ShareForm
from reports.models import (
    Certification,
    RenderStatus,
    ReportAccess,
    ReportComment,
    ReportDecision,
    ReportShare,
    ReportVersion,
)
from valuation.models import ValuationRun
from valuation.pipeline import services as valuation_services

REPORTS = ReportVersion.objects.select_related("facility__client", "facility__lender", "author", "run")


def _report(request: HttpRequest, pk: int, action: access.Action = "view") -> ReportVersion:
    return access.get_or_404(request.user, REPORTS, action, pk=pk)


def _forbidden_is_404(request: HttpRequest, error: DomainError, what: str) -> None:
    if error.code == "forbidden":
        access.log_denial(request.user, what, error.message)
        raise Http404 from error


def _log_access(request: HttpRequest, report: ReportVersion, action: str) -> None:
    # The access log is the lender's and client's reading, not the advisors' own.
    if not request.user.is_advisor:
        services.record_access(report=report, user=request.user, action=action)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_controller:
        # Field exams: a stock controller has no reports; the page is closed like any other.
        access.log_denial(request.user, f"page {request.path}", request.path)
        raise Http404
    reports = access.scope(REPORTS, request.user)
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    runs = None
    if request.user.is_advisor:
        # The latest completed runs, to issue a report from (the run page links here too).
        done = ValuationRun.objects.filter(status="done").select_related("facility__client")
        runs = access.scope(done, request.user, "change").order_by(F("finished_at").desc(nulls_last=True), "-id")[:20]
    return render(request, "reports/report_list.html", {"page": page, "runs": runs})


def _detail_context(request: HttpRequest, report: ReportVersion) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {"report": report, "figures": report.context.get("result", {}).get("financing", {})}
    certification = Certification.objects.filter(report=report).select_related("certified_by").first()
    context["certification"] = certification
    context["freshness"] = valuation_services.freshness(report.run)
    comments = ReportComment.objects.filter(report=report).select_related("author")
    decisions = ReportDecision.objects.filter(report=report).select_related("author", "lender")
    if user.is_advisor:
        context["shares"] = ReportShare.objects.filter(report=report).select_related("lender", "shared_by")
        context["accesses"] = ReportAccess.objects.filter(report=report).select_related("user__lender", "user__client")[
            :100
        ]
        context["share_form"] = ShareForm(lenders=access.scope(Lender.objects.all(), user))
        context["client_share_form"] = ClientShareForm(
            initial={"include_levers": report.client_includes_levers, "include_annex": report.client_includes_annex}
        )
        context["comments"] = comments
        context["decisions"] = decisions
        context["comment_form"] = CommentForm()
    elif user.is_bank_user:
        # A lender reads the advisors' messages and its own, and its own decisions only.
        context["comments"] = comments.filter(Q(author__lender__isnull=True) | Q(author__lender_id=user.lender_id))
        context["decisions"] = decisions.filter(lender_id=user.lender_id)
        context["comment_form"] = CommentForm()
        context["decision_form"] = DecisionForm(certificate=report.is_certificate)
    elif user.is_client_user and report.is_certificate and certification is None:
        context["certification_form"] = CertificationForm()
    return context


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    _log_access(request, report, "view")
    return render(request, "reports/report_detail.html", _detail_context(request, report))


@login_required
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The render status panel alone, polled by htmx until the PDF is ready."""
    report = _report(request, pk)
    return render(request, "reports/_status.html", {"report": report})


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    pdf = report.pdf_for(request.user)
    if report.render_status != RenderStatus.READY or not pdf:
        raise Http404
    _log_access(request, report, "download")
    name = f"{report.get_kind_display()} {report.facility.client.legal_name} v{report.number}.pdf"
    return FileResponse(pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


@login_required
def report_issue(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = access.get_or_404(request.user, ValuationRun.objects.select_related("facility__client"), "change", pk=run_pk)
    form = IssueForm(request.POST or None, initial={"language": run.facility.client.language})
    if request.method == "POST" and form.is_valid():
        try:
            report = services.issue_report(
                run=run, by=request.user, kind=form.cleaned_data["kind"], language=form.cleaned_data["language"]
            )
        except DomainError as error:
            _forbidden_is_404(request, error, "issue report")
            error.add_to(form)
        else:
            messages.success(request, _("Report issued; its PDF is being rendered."))
            return redirect(report)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Issue a report"),
            "intro": _("The report freezes this run's figures and the facility's terms as they are now."),
            "cancel_url": run.get_absolute_url(),
        },
    )


@login_required
@require_POST
def report_share(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk, "change")
    form = ShareForm(request.POST, lenders=access.scope(Lender.objects.all(), request.user))
    if not form.is_valid():
        messages.error(request, _("Choose one of the firm's lenders."))
        return redirect(report)
    try:
        services.share_report(report=report, lender=form.cleaned_data["lender"], by=request.user)
    except DomainError as error:
        _forbidden_is_404(request, error, "share report")
        messages.error(request, error.message)
    else:
        messages.success(request, _("Shared with %(lender)s.") % {"lender": form.cleaned_data["lender"]})
    return redirect(report)


@login_required
@require_POST
def report_share_client(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the version with the borrower's users, as the client copy (or change what it includes)."""
    report = _report(request, pk, "change")
    form = ClientShareForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    try:
        services.share_with_client(
            report=report,
            by=request.user,
            include_levers=form.cleaned_data.get("include_levers", False),
            include_annex=form.cleaned_data.get("include_annex", False),
        )
    except DomainError as error:
        _forbidden_is_404(request, error, "share report with client")
        messages.error(request, error.message)
    else:
        messages.success(request, _("Shared with %(client)s.") % {"client": report.facility.client})
    return redirect(report)


@login_required
@require_POST
def report_withdraw_client(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk, "change")
    try:
        services.withdraw_from_client(report=report, by=request.user)
    except DomainError as error:
        _forbidden_is_404(request, error, "withdraw report from client")
        messages.error(request, error.message)
    else:
        messages.success(request, _("Withdrawn from %(client)s.") % {"client": report.facility.client})
    return redirect(report)


@login_required
@require_POST
def share_withdraw(request: HttpRequest, share_pk: int) -> HttpResponse:
    reports = access.scope(ReportVersion.objects.all(), request.user, "change")
    share = get_object_or_404(ReportShare.objects.select_related("report", "lender"), pk=share_pk, report__in=reports)
    try:
        services.withdraw_share(share=share, by=request.user)
    except DomainError as error:
        _forbidden_is_404(request, error, "withdraw share")
        messages.error(request, error.message)
    else:
        messages.success(request, _("Withdrawn from %(lender)s.") % {"lender": share.lender})
    return redirect(share.report)


@login_required
@require_POST
def report_comment(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    form = CommentForm(request.POST)
    error_message = ""
    if form.is_valid():
        try:
            services.add_comment(report=report, author=request.user, body=form.cleaned_data["body"])
        except DomainError as error:
            _forbidden_is_404(request, error, "comment on report")
            error_message = error.message
        else:
            form = CommentForm()
    elif not request.user.is_advisor and not request.user.is_bank_user:
        raise Http404
    context = _detail_context(request, report)
    context["comment_form"] = form
    context["comment_error"] = error_message
    if request.headers.get("HX-Request"):
        return render(request, "reports/_thread.html", context)
    if error_message:
        messages.error(request, error_message)
    return redirect(report)


@login_required
@require_POST
def report_decide(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not request.user.is_bank_user:
        access.log_denial(request.user, "decide on report", pk)
        raise Http404
    form = DecisionForm(request.POST, certificate=report.is_certificate)
    if form.is_valid():
        asked = {"report": report, "by": request.user, **{k: form.cleaned_data[k] for k in ("decision", "comment")}}
        try:
            if form.needs_confirmation:
                services.check_decision(**asked)
                decision = dict(form.fields["decision"].choices)[form.cleaned_data["decision"]]
                context = {"report": report, "decision": decision, "form": form, "comment": asked["comment"]}
                return render(request, "reports/decision_confirm.html", context)
            services.record_decision(**asked)
        except DomainError as error:
            _forbidden_is_404(request, error, "decide on report")
            error.add_to(form)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(report)
    context = _detail_context(request, report)
    context["decision_form"] = form
    return render(request, "reports/report_detail.html", context, status=400)


@login_required
def report_certify(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not (request.user.is_client_user and report.is_certificate):
        access.log_denial(request.user, "certify report", pk)
        raise Http404
    form = CertificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certify(
                report=report,
                by=request.user,
                signatory_name=form.cleaned_data["signatory_name"],
                signatory_title=form.cleaned_data["signatory_title"],
                statement=form.cleaned_data["statement"],
            )
        except DomainError as error:
            _forbidden_is_404(request, error, "certify report")
            error.add_to(form)
        else:
            messages.success(request, _("Certificate certified; your advisor may now send it to the lender."))
            return redirect(report)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Certify the borrowing base certificate"),
            "intro": report.title,
            "cancel_url": report.get_absolute_url(),
        },
    )
