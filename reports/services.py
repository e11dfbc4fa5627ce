"""Report workflows: issue a frozen version, share and withdraw it, comment, decide, certify, log
access, and render its PDF off the request.

Every function is keyword-only, transactional and audited, and refuses with `DomainError` (naming
the field at fault) when a business rule says no. Callers (pages, the API, tasks) check access with
`borrowers.common.access` first; the role checks here are the business rules themselves (only an advisor
issues, only the client's signatory certifies, only a lender with the report decides).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from borrowers.common import audit, queueing
from borrowers.common.errors import DomainError
from borrowers.common.notify import client_users, firm_advisors, lender_users, notify
from borrowers.models import NotificationKind, User
from facilities.models import Facility, Lender
from reports import context as report_context
from reports.models import (
    Certification,
    DecisionKind,
    RenderStatus,
    ReportAccess,
    ReportComment,
    ReportDecision,
    ReportKind,
    ReportShare,
    ReportVersion,
)
from valuation.models import RunStatus, StockLine, ValuationRun
from valuation.pipeline import alerting
from valuation.pipeline import services as valuation_services

log = logging.getLogger("stockpledge.reports")

MAX_RENDER_ATTEMPTS = 3
ACCESS_ACTIONS = ("view", "download")
MAX_TEXT = 5000


def _require_advisor_of(user: User, firm_id: int, field: str = "by") -> None:
    if not (user.is_active and user.is_advisor and user.firm_id == firm_id):
        raise DomainError(_("Only an advisor of the firm may do this."), field=field, code="forbidden")


def _active_share(report: ReportVersion, lender_id: int | None) -> ReportShare | None:
    if lender_id is None:
        return None
    return report.shares.filter(lender_id=lender_id, withdrawn_at__isnull=True).first()


def _language(language: str | None, default: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    chosen = (language or default or settings.LANGUAGE_CODE).lower()
    if chosen not in codes:
        raise DomainError(_("Choose one of the report languages."), field="language")
    return chosen


def _names(report: ReportVersion) -> dict[str, str]:
    """The words of a report's notifications; call inside the reader's language."""
    return {
        "kind": str(ReportKind(report.kind).label),
        "number": str(report.number),
        "facility": report.facility.name,
        "client": report.facility.client.legal_name,
    }


def _report_url(report: ReportVersion) -> str:
    return reverse("reports:report-detail", args=[report.pk])


# ------------------------------------------------------------------------------------- issuing


@transaction.atomic
def issue_report(
    *, run: ValuationRun, by: User, kind: str = ReportKind.FINANCING_REPORT, language: str | None = None
) -> ReportVersion:
    """Freeze the run's figures, the facility's terms and the names around them into a new,
    numbered version (per facility and kind), and render its PDF once the transaction commits."""
    from facilities.terms import engine_terms_dict

    run = ValuationRun.objects.select_related(
        "facility__client__firm", "facility__lender", "upload__column_mapping"
    ).get(pk=run.pk)
    facility = run.facility
    client = facility.client
    _require_advisor_of(by, client.firm_id)
    if kind not in ReportKind.values:
        raise DomainError(_("Unknown kind of report."), field="kind")
    if run.status != RunStatus.DONE or not run.result:
        raise DomainError(_("A report is issued from a completed valuation run."), field="run")
    if not valuation_services.freshness(run).is_current:
        # A bank lends on what the report says: never figures computed from inputs that have
        # changed since (terms, client facts, sites, categories…).
        raise DomainError(
            _(
                "Something this valuation reads has changed since it was computed: wait for the "
                "figures to be updated, then issue the report from the new valuation."
            ),
            field="run",
            code="stale_inputs",
        )
    mapping = run.upload.column_mapping
    if mapping is not None and mapping.mapped_by_client:
        # A bank lends on what the report says: figures read with columns the borrower chose
        # itself reach it only once an advisor has looked at that mapping.
        raise DomainError(
            _(
                "The client mapped this stock file's columns itself and no advisor has confirmed the "
                "mapping yet: confirm it on the file's page before issuing a report."
            ),
            field="run",
            code="unconfirmed_mapping",
        )
    if kind == ReportKind.BORROWING_BASE_CERTIFICATE and facility.structure != "borrowing_base":
        raise DomainError(
            _("A borrowing base certificate needs a borrowing base facility."),
            field="kind",
        )
    language = _language(language, client.language)
    # Lock the facility row so two advisors issuing at once get consecutive numbers.
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    last = ReportVersion.objects.filter(facility=facility, kind=kind).aggregate(n=Max("number"))["n"] or 0
    with translation.override(language):
        title = f"{ReportKind(kind).label} – {facility.name}"
    annex = _annex(run) if kind == ReportKind.FINANCING_REPORT else ()
    frozen = report_context.build_context(
        run=run,
        kind=kind,
        language=language,
        number=last + 1,
        title=title,
        issued_on=timezone.localdate(),
        author_name=str(by),
        # The terms the run was valued under (the facility's current terms for an older run
        # that did not record them): the figures and the terms shown always belong together.
        terms=dict(run.terms) if run.terms else engine_terms_dict(facility, as_of=run.as_of),
        annex=annex,
    )
    report = ReportVersion.objects.create(
        run=run,
        facility=facility,
        kind=kind,
        number=last + 1,
        language=language,
        title=title[:200],
        context=frozen.as_json(),
        author=by,
        render_status=RenderStatus.QUEUED,
    )
    audit.record(actor=by, action="report.issued", instance=report, after={"kind": kind, "number": report.number})
    if kind == ReportKind.BORROWING_BASE_CERTIFICATE:
        notify(
            users=client_users(client.pk),
            kind=NotificationKind.CERTIFICATE_WAITING,
            title=lambda: (
                _("%(facility)s: borrowing base certificate no. %(number)s waits for your certification")
                % _names(report)
            ),
            body=lambda: _("Your authorised signatory reads it and certifies it before it goes to the lender."),
            url=_report_url(report),
            subject_key=f"report:{report.pk}:certificate-waiting",
        )
    transaction.on_commit(lambda: _enqueue_render(report.pk))
    return report


def _annex(run: ValuationRun) -> tuple[report_context.AnnexLine, ...]:
    if not run.lines_file:
        return ()
    try:
        top = report_context.largest_ineligible_lines(run.lines_file)
    except (OSError, ValueError, KeyError) as error:
        # The annex is optional: a missing or unreadable lines file leaves it out, not the report.
        log.warning("report annex skipped", extra={"object": f"run:{run.pk}", "outcome": str(error)[:200]})
        return ()
    rows = [line["row"] for line in top]
    texts = {
        row: (sku, description)
        for row, sku, description in StockLine.objects.filter(upload_id=run.upload_id, row__in=rows).values_list(
            "row", "sku", "description"
        )
    }
    return tuple(
        report_context.AnnexLine(
            row=line["row"],
            sku=texts.get(line["row"], ("", ""))[0],
            description=texts.get(line["row"], ("", ""))[1],
            category=str(line["category"] or ""),
            warehouse=str(line["warehouse"] or ""),
            book_value=report_context.cents_text(line["book_value_cents"]),
            ineligible=report_context.cents_text(line["ineligible_cents"]),
            reason=str(line["first_reason"] or ""),
        )
        for line in top
    )


def _enqueue_render(report_id: int) -> None:
    from reports import tasks

    queueing.send(tasks.render_report, report_id)


# ------------------------------------------------------------------------------------- sharing


@transaction.atomic
def share_with_client(
    *, report: ReportVersion, by: User, include_levers: bool = False, include_annex: bool = False
) -> ReportVersion:
    """Let the borrower's users read a financing report, as the client copy: without the levers
    and the line annex unless the advisor includes them. Sharing again changes what is included."""
    report = ReportVersion.objects.select_for_update().select_related("facility__client").get(pk=report.pk)
    _require_advisor_of(by, report.facility.client.firm_id)
    if report.is_certificate:
        raise DomainError(_("A borrowing base certificate is always the client's to read and certify."), field="report")
    if report.render_status == RenderStatus.FAILED:
        raise DomainError(_("This report's PDF failed to render; issue it again."), field="report")
    included = {"client_includes_levers": include_levers, "client_includes_annex": include_annex}
    changed = any(getattr(report, name) != value for name, value in included.items())
    for name, value in included.items():
        setattr(report, name, value)
    newly_shared = report.client_shared_at is None
    if newly_shared:
        report.client_shared_at, report.client_shared_by = timezone.now(), by
    report.save(update_fields=[*included, "client_shared_at", "client_shared_by"])
    audit.record(actor=by, action="report.shared_with_client", instance=report, after=included)
    if newly_shared:
        notify(
            users=client_users(report.facility.client_id),
            kind=NotificationKind.REPORT_SHARED,
            title=lambda: _("%(facility)s: %(kind)s no. %(number)s shared with you") % _names(report),
            url=_report_url(report),
            subject_key=f"report:{report.pk}:client:{report.client_shared_at.isoformat()}",
        )
    if (changed or not report.client_pdf) and report.render_status == RenderStatus.READY:
        # A render still to come or under way sees the share when it stores the PDF (render_pdf).
        transaction.on_commit(lambda: _enqueue_client_copy(report.pk))
    return report


@transaction.atomic
def withdraw_from_client(*, report: ReportVersion, by: User) -> ReportVersion:
    """The borrower's users no longer see the version (not shared: no change)."""
    report = ReportVersion.objects.select_for_update().select_related("facility__client").get(pk=report.pk)
    _require_advisor_of(by, report.facility.client.firm_id)
    if report.client_shared_at is not None:
        report.client_shared_at = None
        report.save(update_fields=["client_shared_at"])
        audit.record(actor=by, action="report.client_share_withdrawn", instance=report)
    return report


def _enqueue_client_copy(report_id: int) -> None:
    from reports import tasks

    queueing.send(tasks.render_client_copy, report_id)


@transaction.atomic
def share_report(*, report: ReportVersion, lender: Lender, by: User) -> ReportShare:
    """Make a version visible to a lender's users; a certificate only once certified."""
    report = ReportVersion.objects.select_related("facility__client").get(pk=report.pk)
    _require_advisor_of(by, report.facility.client.firm_id)
    if lender.firm_id != report.facility.client.firm_id:
        raise DomainError(_("Choose one of the firm's lenders."), field="lender")
    if report.is_certificate and not Certification.objects.filter(report=report).exists():
        raise DomainError(
            _("The client's signatory must certify this borrowing base certificate before it is shared."),
            field="report",
            code="not_certified",
        )
    if report.render_status == RenderStatus.FAILED:
        raise DomainError(_("This report's PDF failed to render; issue it again."), field="report")
    existing = _active_share(report, lender.pk)
    if existing is not None:
        return existing
    share = ReportShare.objects.create(report=report, lender=lender, shared_by=by)
    audit.record(actor=by, action="report.shared", instance=report, after={"lender": lender.pk})
    notify(
        users=lender_users(lender.pk),
        kind=NotificationKind.REPORT_SHARED,
        title=lambda: _("%(client)s, %(facility)s: %(kind)s no. %(number)s shared with you") % _names(report),
        url=_report_url(report),
        subject_key=f"share:{share.pk}",
    )
    return share


@transaction.atomic
def withdraw_share(*, share: ReportShare, by: User) -> ReportShare:
    """End a share: the lender's users no longer see the version (already-withdrawn: no change)."""
    share = ReportShare.objects.select_for_update().select_related("report__facility__client").get(pk=share.pk)
    _require_advisor_of(by, share.report.facility.client.firm_id)
    if share.withdrawn_at is not None:
        return share
    share.withdrawn_at = timezone.now()
    share.save(update_fields=["withdrawn_at"])
    audit.record(actor=by, action="report.share_withdrawn", instance=share.report, after={"lender": share.lender_id})
    return share


# --------------------------------------------------------------------------- comments, decisions


def _clean_text(value: str, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}, field=field)
    return text


@transaction.atomic
def add_comment(*, report: ReportVersion, author: User, body: str) -> ReportComment:
    """A message in the thread between the firm's advisors and the lenders it is shared with."""
    report = ReportVersion.objects.select_related("facility__client").get(pk=report.pk)
    is_advisor = author.is_active and author.is_advisor and author.firm_id == report.facility.client.firm_id
    is_lender = author.is_active and author.is_bank_user and _active_share(report, author.lender_id) is not None
    if not (is_advisor or is_lender):
        raise DomainError(
            _("Only the firm's advisors and the lenders it is shared with may comment."),
            field="author",
            code="forbidden",
        )
    comment = ReportComment.objects.create(report=report, author=author, body=_clean_text(body, "body", required=True))
    audit.record(actor=author, action="report.commented", instance=report, after={"comment": comment.pk})
    if is_lender and not is_advisor:
        notify(
            users=firm_advisors(report.facility.client.firm_id),
            kind=NotificationKind.BANK_COMMENT,
            title=lambda: (
                _("%(lender)s commented on %(kind)s no. %(number)s of %(facility)s")
                % {**_names(report), "lender": author.lender.name}
            ),
            body=comment.body,
            url=_report_url(report),
            subject_key=f"comment:{comment.pk}",
        )
    return comment


@transaction.atomic
def check_decision(*, report: ReportVersion, by: User, decision: str, comment: str = "") -> str:
    """The rules a lender's decision must meet, without recording it (the page asks them before
    its confirmation step); returns the cleaned comment."""
    share = _active_share(report, by.lender_id) if by.is_active and by.is_bank_user else None
    if share is None:
        raise DomainError(_("Only a lender this report is shared with may decide on it."), field="by", code="forbidden")
    if decision not in DecisionKind.values:
        raise DomainError(_("Choose approve, ask for changes, decline or waive."), field="decision")
    if decision == DecisionKind.WAIVE and not report.is_certificate:
        raise DomainError(_("A point can be waived on a borrowing base certificate only."), field="decision")
    return _clean_text(comment, "comment", required=decision != DecisionKind.APPROVE)


def record_decision(*, report: ReportVersion, by: User, decision: str, comment: str = "") -> ReportDecision:
    """A lender's decision: approve, ask for changes, decline; waive a point on a certificate.
    Anything but an approval needs a comment saying why or which point."""
    report = ReportVersion.objects.select_related("facility__client").get(pk=report.pk)
    text = check_decision(report=report, by=by, decision=decision, comment=comment)
    made = ReportDecision.objects.create(
        report=report, lender_id=by.lender_id, author=by, decision=decision, comment=text
    )
    audit.record(actor=by, action=f"report.decision.{decision}", instance=report, after={"comment": text})
    notify(
        users=firm_advisors(report.facility.client.firm_id),
        kind=NotificationKind.BANK_DECISION,
        title=lambda: (
            _("%(lender)s decided on %(kind)s no. %(number)s of %(facility)s: %(decision)s")
            % {**_names(report), "lender": by.lender.name, "decision": str(DecisionKind(decision).label)}
        ),
        body=text,
        url=_report_url(report),
        subject_key=f"decision:{made.pk}",
    )
    return made


@transaction.atomic
def certify(
    *, report: ReportVersion, by: User, signatory_name: str, signatory_title: str = "", statement: str
) -> Certification:
    """The client's authorised signatory certifies a borrowing base certificate (once)."""
    report = ReportVersion.objects.select_for_update().select_related("facility__client").get(pk=report.pk)
    if not report.is_certificate:
        raise DomainError(_("Only a borrowing base certificate is certified."), field="report")
    if not (by.is_active and by.is_client_user and by.client_id == report.facility.client_id):
        raise DomainError(_("Only the client's own users may certify."), field="by", code="forbidden")
    if Certification.objects.filter(report=report).exists():
        raise DomainError(_("This certificate is already certified."), field="report", code="already_certified")
    name = _clean_text(signatory_name, "signatory_name", required=True)[:200]
    title = _clean_text(signatory_title, "signatory_title", required=False)[:200]
    text = _clean_text(statement, "statement", required=True)
    made = Certification.objects.create(
        report=report, signatory_name=name, signatory_title=title, statement=text, certified_by=by
    )
    audit.record(
        actor=by,
        action="report.certified",
        instance=report,
        after={"signatory_name": name, "signatory_title": title, "statement": text},
    )
    # Render the PDF again with the certification block filled in; the figures stay frozen.
    ReportVersion.objects.filter(pk=report.pk).update(render_status=RenderStatus.QUEUED, render_attempts=0)
    transaction.on_commit(lambda: _enqueue_render(report.pk))
    # The collateral-change alert is measured against the last approved certificate: this one now.
    transaction.on_commit(lambda: _reevaluate_alerts(report.facility))
    return made


def _reevaluate_alerts(facility: Facility) -> None:
    """Re-decide the facility's alerts on its current valuation (never raises)."""
    current = valuation_services.current_run(facility)
    if current is not None:
        alerting.evaluate_run_safely(current.pk)


@transaction.atomic
def record_access(*, report: ReportVersion, user: User, action: str) -> None:
    """Log a view or a download of a version (the lender-access log the advisors read)."""
    if action not in ACCESS_ACTIONS:
        raise DomainError(_("Unknown access."), field="action")
    ReportAccess.objects.create(report=report, user=user, action=action)
    audit.record(actor=user, action=f"report.{action}", instance=report)


# ------------------------------------------------------------------------------------ rendering


def lease_seconds() -> int:
    return int(getattr(settings, "JOB_LEASE_SECONDS", 120))


def render_pdf(*, report_id: int) -> bool:
    """Render and store a version's PDF; idempotent: a render already done or held by another
    worker is left alone. Returns whether this call rendered it."""
    from reports import rendering

    if not ReportVersion.objects.claim_render(report_id, lease_seconds=lease_seconds()):
        return False
    report = ReportVersion.objects.select_related("facility").get(pk=report_id)
    if report.render_attempts > MAX_RENDER_ATTEMPTS:
        _fail(report_id, _("Rendering stopped after %(n)s attempts.") % {"n": MAX_RENDER_ATTEMPTS})
        return False
    certification = Certification.objects.filter(report_id=report_id).first()
    pdf = rendering.render_report_pdf(report.context, extra={"certification": certification})
    # The client copy only for a version shared with the client: most are never shared with it.
    used = _copy_choices(report)
    client_pdf = _client_copy_pdf(report) if _wants_client_copy(report) else None
    with transaction.atomic():
        report = ReportVersion.objects.select_for_update().get(pk=report_id)
        if report.render_status != RenderStatus.RENDERING:
            return False
        if report.pdf:
            report.pdf.delete(save=False)
        report.pdf.save(f"report-{report.pk}-v{report.number}.pdf", ContentFile(pdf), save=False)
        fields = ["pdf", "render_status", "failure_reason"]
        if client_pdf is not None and _copy_choices(report) == used:
            _store_client_copy(report, client_pdf)
            fields.append("client_pdf")
        elif _wants_client_copy(report):
            # Shared with the client, or its choices changed, while this render ran.
            transaction.on_commit(lambda: _enqueue_client_copy(report_id))
        report.render_status = RenderStatus.READY
        report.failure_reason = ""
        report.save(update_fields=fields)
    return True


def _wants_client_copy(report: ReportVersion) -> bool:
    return report.shared_with_client and not report.is_certificate


def _copy_choices(report: ReportVersion) -> tuple[bool, bool]:
    """What the client copy includes: the levers, the annex of lines."""
    return report.client_includes_levers, report.client_includes_annex


def _client_copy_pdf(report: ReportVersion) -> bytes:
    from reports import rendering

    frozen = report_context.client_copy(
        report.context, levers=report.client_includes_levers, annex=report.client_includes_annex
    )
    return rendering.render_report_pdf(frozen)


def _store_client_copy(report: ReportVersion, pdf: bytes) -> None:
    if report.client_pdf:
        report.client_pdf.delete(save=False)
    report.client_pdf.save(f"report-{report.pk}-v{report.number}-client.pdf", ContentFile(pdf), save=False)


def render_client_copy(*, report_id: int) -> None:
    """Render the client copy again after the advisor changed what it includes. Idempotent: it
    renders from the frozen context and the choices as they are when it runs, and a later change
    queues another run; until it is stored the client reads the copy with less in it, never more."""
    report = ReportVersion.objects.get(pk=report_id)
    if not _wants_client_copy(report) or report.render_status != RenderStatus.READY:
        return
    pdf = _client_copy_pdf(report)
    with transaction.atomic():
        current = ReportVersion.objects.select_for_update().get(pk=report_id)
        if _copy_choices(current) != _copy_choices(report):
            return  # changed again while rendering: the task queued by that change renders it
        _store_client_copy(current, pdf)
        current.save(update_fields=["client_pdf"])


def _fail(report_id: int, reason: str) -> None:
    ReportVersion.objects.filter(pk=report_id).exclude(render_status=RenderStatus.READY).update(
        render_status=RenderStatus.FAILED, failure_reason=reason
    )


def release_render(*, report_id: int) -> None:
    ReportVersion.objects.filter(pk=report_id, render_status=RenderStatus.RENDERING).update(
        render_status=RenderStatus.QUEUED, claimed_at=None
    )


def fail_render(*, report_id: int) -> None:
    _fail(report_id, _("The PDF could not be rendered. The team has been told; issue the report again."))


def requeue_render(*, report_id: int) -> Any:
    """Put a failed render back in the queue (an advisor's retry)."""
    updated = ReportVersion.objects.filter(pk=report_id, render_status=RenderStatus.FAILED).update(
        render_status=RenderStatus.QUEUED, render_attempts=0, failure_reason=""
    )
    if updated:
        transaction.on_commit(lambda: _enqueue_render(report_id))
    return updated
