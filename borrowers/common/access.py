"""Who may see and change what: decided here, and only here.

Every view, API route, download and task asks this module. Querysets are scoped per user and fail
closed: a model without a rule, or a user without a role, sees nothing. An object outside the user's
scope answers 404 (not 403) so ids cannot be probed, and every denial is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

log = logging.getLogger("stockpledge.access")

Action = Literal["view", "change"]
M = TypeVar("M", bound=Model)

# Rule: (user, action) -> Q filter, or None for "nothing". Keyed by "app_label.ModelName".
Rule = Callable[[Any, Action], Q | None]
_RULES: dict[str, Rule] = {}


def rule(label: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES[label] = fn
        return fn

    return register


def _firm_advisor(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_advisor)


def _client_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_client_user)


def _bank_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_bank_user)


def _controller(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_controller)


@rule("borrowers.Firm")
def _firms(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        if action == "change" and not user.is_firm_admin:
            return None
        return Q(pk=user.firm_id)
    return None


@rule("borrowers.ClientCompany")
def _clients(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(pk=user.client_id)
    return None


@rule("borrowers.Warehouse")
def _warehouses(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(client_id=user.client_id)
    if _controller(user) and action == "view":
        # Field exams: the sites of the facilities the controller is assigned to.
        return Q(client_id__in=facilities_assigned_to(user).values("client_id"))
    return None


@rule("borrowers.StockCategory")
def _categories(user: Any, action: Action) -> Q | None:
    return Q(firm_id=user.firm_id) if _firm_advisor(user) else None


@rule("borrowers.ExchangeRate")
def _exchange_rates(user: Any, action: Action) -> Q | None:
    # The firm's rate table: its advisors read and keep it; clients and banks never see it.
    return Q(firm_id=user.firm_id) if _firm_advisor(user) else None


@rule("borrowers.Invitation")
def _invitations(user: Any, action: Action) -> Q | None:
    return Q(firm_id=user.firm_id) if _firm_advisor(user) else None


@rule("borrowers.AuditEvent")
def _audit(user: Any, action: Action) -> Q | None:
    # The audit trail is the advisors' record; nobody edits it.
    return Q(firm_id=user.firm_id) if _firm_advisor(user) and action == "view" else None


@rule("borrowers.User")
def _users(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        if action == "change" and not user.is_firm_admin:
            return Q(pk=user.pk)
        return Q(firm_id=user.firm_id)
    if user.is_authenticated and user.is_active:
        return Q(pk=user.pk)
    return None


def _own_rows(user: Any, action: Action) -> Q | None:
    # A person's notifications and notification choices are theirs alone, whatever their role.
    return Q(user_id=user.pk) if user.is_authenticated and user.is_active else None


for _label in ("borrowers.Notification", "borrowers.NotificationPreference", "borrowers.NotificationSettings"):
    rule(_label)(_own_rows)


@rule("facilities.Lender")
def _lenders(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(firm_id=user.firm_id)
    if _bank_user(user) and action == "view":
        return Q(pk=user.lender_id)
    return None


@rule("facilities.Facility")
def _facilities(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(client_id=user.client_id)
    return None


@rule("facilities.Appraisal")
def _appraisals(user: Any, action: Action) -> Q | None:
    # An appraisal is the lender's and the advisor's working material (like the terms it feeds):
    # a client user sees the figures it produced on the dossier, never the record or its report.
    return Q(facility__client__firm_id=user.firm_id) if _firm_advisor(user) else None


@rule("facilities.AppraisalRate")
def _appraisal_rates(user: Any, action: Action) -> Q | None:
    return Q(appraisal__facility__client__firm_id=user.firm_id) if _firm_advisor(user) else None


@rule("facilities.Deliverable")
def _deliverables(user: Any, action: Action) -> Q | None:
    # The reporting calendar: kept by the firm's advisors, read by the client's own users (what is
    # due next). A bank reads a followed facility's calendar through facilities_shared_with_bank.
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(facility__client_id=user.client_id)
    return None


@rule("facilities.DeliverablePeriod")
def _deliverable_periods(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(deliverable__facility__client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(deliverable__facility__client_id=user.client_id)
    return None


# --- the credit file (issue 16, part 4) ---------------------------------------------------------


@rule("facilities.CreditDocument")
def _credit_documents(user: Any, action: Action) -> Q | None:
    # The firm's advisors keep the credit file. The client's users read their company's documents
    # except the advisor's internal ones (visible_to_client off); they add only the documents the
    # client itself provides (facilities.credit_file.CLIENT_KINDS), never edit one. A bank reads
    # the documents of a facility it follows (a report shared with its lender), not the client's
    # documents kept outside any facility, and not those the advisor keeps from it.
    if _firm_advisor(user):
        return Q(client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(client_id=user.client_id, visible_to_client=True)
    if _bank_user(user) and action == "view":
        return Q(facility__in=facilities_shared_with_bank(user), visible_to_bank=True)
    return None


# --- end of the credit file ---------------------------------------------------------------------


@rule("valuation.StockUpload")
def _uploads(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(client__firm_id=user.firm_id)
    if _client_user(user):
        # A client user uploads for its own company ("change" = create/cancel its own uploads).
        return Q(client_id=user.client_id)
    return None


@rule("valuation.ValuationRun")
def _runs(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        return Q(facility__client_id=user.client_id, status="done")
    return None


@rule("valuation.Alert")
def _alerts(user: Any, action: Action) -> Q | None:
    # A facility's alerts are its advisors' to work; a bank following the facility reads them.
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _bank_user(user) and action == "view":
        return Q(facility__in=facilities_shared_with_bank(user))
    return None


@rule("valuation.AlertEvent")
def _alert_events(user: Any, action: Action) -> Q | None:
    if action != "view":
        return None  # the history is written by the services, never edited
    if _firm_advisor(user):
        return Q(alert__facility__client__firm_id=user.firm_id)
    if _bank_user(user):
        return Q(alert__facility__in=facilities_shared_with_bank(user))
    return None


@rule("valuation.AlertThresholds")
def _alert_thresholds(user: Any, action: Action) -> Q | None:
    return Q(firm_id=user.firm_id) if _firm_advisor(user) else None


# ----------------------------------------------------------------------- roll-forward (issue 16)


@rule("valuation.RollforwardPeriod")
def _rollforward_periods(user: Any, action: Action) -> Q | None:
    # The client enters its own facilities' movements (or the advisor does); a bank following the
    # facility reads them (its pages also cut them at ``bank_shared_until``).
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user):
        return Q(facility__client_id=user.client_id)
    if _bank_user(user) and action == "view":
        return Q(facility__in=facilities_shared_with_bank(user))
    return None


def can_enter_rollforward(user: Any, facility: Any) -> bool:
    """Whether ``user`` may enter a period's roll-forward inputs for ``facility``: the firm's
    advisors and the client's own users, nobody else."""
    if _firm_advisor(user):
        return bool(facility.client.firm_id == user.firm_id)
    return bool(_client_user(user) and facility.client_id == user.client_id)


# ------------------------------------------------------------------- end of roll-forward (issue 16)


@rule("reports.ReportVersion")
def _reports(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user) and action == "view":
        # A financing report reaches its client only once an advisor shares it with the client
        # (and then as the client copy, see reports.services.share_with_client). A borrowing base
        # certificate is the client's own statement: its signatory must read it to certify it.
        # An issued version stays visible while its PDF is (re-)rendered — after the signatory
        # certifies a certificate, say; a failed render is the advisors' to fix.
        return Q(
            Q(kind="borrowing_base_certificate") | Q(client_shared_at__isnull=False),
            facility__client_id=user.client_id,
            render_status__in=("queued", "rendering", "ready"),
        )
    if _bank_user(user) and action == "view":
        return Q(
            shares__lender_id=user.lender_id,
            shares__withdrawn_at__isnull=True,
            render_status="ready",
        )
    return None


# ------------------------------------------------------ the borrower's own certificate (issue 16.5)


def _bank_certificate_dates(user: Any, path: str) -> Q:
    """A bank user's certificates: of a facility it follows, for a stock date no later than the
    latest one a report shared with its lender shows (``bank_shared_until``, as one subquery)."""
    from django.db.models import Exists, OuterRef

    ValuationRun = apps.get_model("valuation", "ValuationRun")
    shown = ValuationRun.objects.filter(
        facility_id=OuterRef(f"{path}facility_id"),
        as_of__gte=OuterRef(f"{path}as_of"),
        reports__shares__lender_id=user.lender_id,
        reports__shares__withdrawn_at__isnull=True,
        reports__render_status="ready",
    )
    return Q(Exists(shown), **{f"{path}facility__in": facilities_shared_with_bank(user)})


@rule("reports.BorrowerCertificate")
def _borrower_certificates(user: Any, action: Action) -> Q | None:
    # The client's users submit their own company's certificates (change = submit); the advisors
    # read them against the valuation; a bank reads those of the stock dates shared with it.
    if _firm_advisor(user) and action == "view":
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user):
        return Q(facility__client_id=user.client_id)
    if _bank_user(user) and action == "view" and user.lender_id:
        return _bank_certificate_dates(user, "")
    return None


@rule("reports.BorrowerCertificateLine")
def _borrower_certificate_lines(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user) and action == "view":
        return Q(certificate__facility__client__firm_id=user.firm_id)
    if _client_user(user):
        return Q(certificate__facility__client_id=user.client_id)
    if _bank_user(user) and action == "view" and user.lender_id:
        return _bank_certificate_dates(user, "certificate__")
    return None


# ------------------------------------------------------------------ covenants (issue 16)
# The facility's covenants are kept by its advisors and read by the bank following it; the client
# enters its financial statements (the covenants' inputs) and never sees the covenants' pages.
# Only a bank following the facility may waive a test ("change" on a test is the waiver).


@rule("facilities.Covenant")
def _covenants(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _bank_user(user) and action == "view":
        return Q(facility__in=facilities_shared_with_bank(user))
    return None


@rule("facilities.CovenantRevision")
def _covenant_revisions(user: Any, action: Action) -> Q | None:
    if action != "view":
        return None  # the history is written by the services, never edited
    if _firm_advisor(user):
        return Q(covenant__facility__client__firm_id=user.firm_id)
    if _bank_user(user):
        return Q(covenant__facility__in=facilities_shared_with_bank(user))
    return None


@rule("facilities.FinancialStatement")
def _statements(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _client_user(user):
        return Q(facility__client_id=user.client_id)
    return None


@rule("facilities.StatementLine")
def _statement_lines(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(statement__facility__client__firm_id=user.firm_id)
    if _client_user(user):
        return Q(statement__facility__client_id=user.client_id)
    return None


@rule("valuation.CovenantTest")
def _covenant_tests(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user) and action == "view":
        return Q(facility__client__firm_id=user.firm_id)
    if _bank_user(user):
        return Q(facility__in=facilities_shared_with_bank(user))
    return None


@rule("valuation.CovenantWaiver")
def _covenant_waivers(user: Any, action: Action) -> Q | None:
    if action != "view":
        return None  # a waiver is given through its test (valuation.pipeline.covenants.waive_test)
    if _firm_advisor(user):
        return Q(test__facility__client__firm_id=user.firm_id)
    if _bank_user(user):
        return Q(test__facility__in=facilities_shared_with_bank(user))
    return None


# ------------------------------------------------------------------ end of covenants (issue 16)


# ------------------------------------------------------------------ what a role sees of a valuation

Part = Literal["figures", "waterfall", "ineligibles", "detail"]
PARTS: tuple[Part, ...] = ("figures", "waterfall", "ineligibles", "detail")


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which parts of a client's valuations a user may see, beyond reaching the run at all.

    figures: the key figures (book value, eligible, liquidation value, financing, availability);
    waterfall: the waterfall chart; ineligibles: the ineligible stock by reason;
    detail: the working material — stock lines, levers, terms, the full engine result, exports.
    """

    figures: bool = False
    waterfall: bool = False
    ineligibles: bool = False
    detail: bool = False

    def allows(self, part: Part) -> bool:
        return bool(getattr(self, part))


NOTHING = Visibility()
EVERYTHING = Visibility(figures=True, waterfall=True, ineligibles=True, detail=True)

# For a client user, the switch on the client company that opens each part; None: never.
_CLIENT_SWITCHES: dict[Part, str | None] = {
    "figures": "client_sees_figures",
    "waterfall": "client_sees_waterfall",
    "ineligibles": "client_sees_ineligibles",
    "detail": None,
}


def visibility(user: Any, client: Any) -> Visibility:
    """What `user` may see of `client`'s valuations: the one decision pages, API, exports and
    PDFs ask. Advisors of the client's firm see everything; the client's own users see what the
    advisor switched on for the company, never the working material; anyone else nothing."""
    if _firm_advisor(user) and client.firm_id == user.firm_id:
        return EVERYTHING
    if _client_user(user) and client.pk == user.client_id:
        switched_on = {part: bool(switch and getattr(client, switch)) for part, switch in _CLIENT_SWITCHES.items()}
        return Visibility(**switched_on)
    return NOTHING


def runs_showing(queryset: QuerySet[M], user: Any, part: Part) -> QuerySet[M]:
    """The valuation runs `user` may reach *and* see `part` of: ``scope`` narrowed by the same
    switches as ``visibility``, so a list or a detail route never serves what a page hides."""
    scoped = scope(queryset, user)
    if _firm_advisor(user):
        return scoped
    if _client_user(user):
        switch = _CLIENT_SWITCHES[part]
        return scoped.filter(**{f"facility__client__{switch}": True}) if switch else scoped.none()
    return scoped.none()


def scope(queryset: QuerySet[M], user: Any, action: Action = "view") -> QuerySet[M]:
    """The rows of `queryset` that `user` may see (or change). Fails closed."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    fn = _RULES.get(queryset.model._meta.label)
    if fn is None:
        return queryset.none()
    condition = fn(user, action)
    if condition is None:
        return queryset.none()
    scoped = queryset.filter(condition)
    # Filters across multi-valued relations (shares) can repeat rows.
    return scoped.distinct() if queryset.model._meta.label == "reports.ReportVersion" else scoped


def get_or_404(user: Any, model_or_queryset: type[M] | QuerySet[M], action: Action = "view", **lookup: Any) -> M:
    """The one object `user` may reach, or 404 — logged as a denial when the object exists."""
    queryset = (
        model_or_queryset if isinstance(model_or_queryset, QuerySet) else model_or_queryset._default_manager.all()
    )
    try:
        return scope(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        exists = queryset.filter(**lookup).exists()
        log_denial(user, f"{action} {queryset.model._meta.label}", lookup, exists=exists)
        raise Http404 from None


def can(user: Any, action: Action, obj: Model) -> bool:
    """Whether `user` may `action` this object: the same rules as the querysets."""
    model = type(obj)
    return scope(model._default_manager.filter(pk=obj.pk), user, action).exists()


def log_denial(user: Any, what: str, target: Any, *, exists: bool = True) -> None:
    log.warning(
        "access denied",
        extra={
            "user": getattr(user, "pk", None),
            "role": getattr(user, "role", None),
            "action": what,
            "object": str(target),
            "object_exists": exists,
            "outcome": "denied",
        },
    )


def rules_cover_all_models() -> list[str]:
    """Labels of the project's models that have no access rule (the tests require none missing
    for models that views or APIs serve)."""
    project = {"borrowers", "facilities", "valuation", "reports"}
    return [m._meta.label for m in apps.get_models() if m._meta.app_label in project and m._meta.label not in _RULES]


def facilities_shared_with_bank(user: Any) -> QuerySet:
    """The facilities a bank user follows: those with at least one report shared with the user's
    lender, not withdrawn, and rendered (within the firm the bank user belongs to). Only the bank's own
    monitoring pages (portfolio, a shared facility's history and calendar) ask this; the
    advisor's dossier and working pages stay closed to banks (``scope`` gives them no facility).
    Anyone but a bank user gets none."""
    Facility = apps.get_model("facilities", "Facility")
    if user is None or not _bank_user(user) or not user.lender_id:
        return Facility.objects.none()
    shared = Facility.objects.filter(
        client__firm_id=user.firm_id,
        reports__shares__lender_id=user.lender_id,
        reports__shares__withdrawn_at__isnull=True,
        reports__render_status="ready",
    )
    return Facility.objects.filter(pk__in=shared.values("pk"))


def bank_shared_until(user: Any, facility: Any) -> Any:
    """The latest stock date of the facility that a report shared with the bank user's lender
    (not withdrawn, rendered) shows; None when nothing is shared. A bank's monitoring pages show
    nothing newer than what was shared with it (docs/domain.md, "History")."""
    from django.db.models import Max

    if not facilities_shared_with_bank(user).filter(pk=facility.pk).exists():
        return None
    ValuationRun = apps.get_model("valuation", "ValuationRun")
    return ValuationRun.objects.filter(
        facility=facility,
        reports__facility=facility,
        reports__shares__lender_id=user.lender_id,
        reports__shares__withdrawn_at__isnull=True,
        reports__render_status="ready",
    ).aggregate(until=Max("as_of"))["until"]


def clients_for_upload(user: Any) -> QuerySet:
    """The companies `user` may upload stock files for: an advisor's firm clients, a client
    user's own company."""
    ClientCompany = apps.get_model("borrowers", "ClientCompany")
    if _firm_advisor(user):
        return ClientCompany.objects.filter(firm_id=user.firm_id)
    if _client_user(user):
        return ClientCompany.objects.filter(pk=user.client_id)
    return ClientCompany.objects.none()


def advisor_required(view):  # type: ignore[no-untyped-def]
    """Pages only advisors use: anyone else gets the same 404 as for a missing page."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not request.user.is_advisor:
            log_denial(request.user, f"page {request.path}", request.path)
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# ------------------------------------------------------------------ field exams (issue 16)
# A stock controller sees the facilities it is assigned to (for its exam pages only: ``scope``
# gives it no facility, so the dossier, reports and every other page stay 404), their sites, and
# its own exams of those facilities. The advisors of the firm see and decide every exam.


def facilities_assigned_to(user: Any) -> QuerySet:
    """The facilities a controller user is assigned to (within its advisory firm); anyone else
    gets none. Only the field-exam pages ask this."""
    Facility = apps.get_model("facilities", "Facility")
    if user is None or not getattr(user, "is_authenticated", False) or not _controller(user):
        return Facility.objects.none()
    return Facility.objects.filter(client__firm_id=user.firm_id, controller_assignments__user_id=user.pk)


@rule("borrowers.ControlFirm")
def _control_firms(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(firm_id=user.firm_id)
    if _controller(user) and action == "view" and user.control_firm_id:
        return Q(pk=user.control_firm_id)
    return None


@rule("facilities.ControllerAssignment")
def _controller_assignments(user: Any, action: Action) -> Q | None:
    if _firm_advisor(user):
        return Q(facility__client__firm_id=user.firm_id)
    if _controller(user) and action == "view":
        return Q(user_id=user.pk, facility__client__firm_id=user.firm_id)
    return None


def _exam_rule(path: str, *, bank: bool = True) -> Rule:
    """The rule of an exam, or of a row under it at ``path`` ("line__exam__"): the firm's advisors
    see and decide; a controller sees and works (counts, findings, photos) its own exams, and only
    while it is still assigned to their facility (an assignment withdrawn closes them). A bank user
    reads (``bank``) the accepted exams of the stock dates shared with it (``_bank_exams``)."""

    def exam_rule(user: Any, action: Action) -> Q | None:
        if _firm_advisor(user):
            return Q(**{f"{path}facility__client__firm_id": user.firm_id})
        if _controller(user):
            return Q(**{f"{path}facility__in": facilities_assigned_to(user), f"{path}controller_id": user.pk})
        if bank and _bank_user(user) and action == "view" and user.lender_id:
            return _bank_exams(user, path)
        return None

    return exam_rule


# -- field exams for the bank (issue 16, the bank's view of the last exam)
def _bank_exams(user: Any, path: str) -> Q:
    """A bank user's exams: accepted ones of a facility it follows, counted on or before the latest
    stock date a report shared with its lender shows (``bank_shared_until``, as one subquery). A
    submitted, rejected or still-counting exam, or one newer than what was shared, stays closed."""
    from django.db.models import Exists, OuterRef

    ValuationRun = apps.get_model("valuation", "ValuationRun")
    shown = ValuationRun.objects.filter(
        facility_id=OuterRef(f"{path}facility_id"),
        as_of__gte=OuterRef(f"{path}counted_on"),
        reports__facility_id=OuterRef(f"{path}facility_id"),
        reports__shares__lender_id=user.lender_id,
        reports__shares__withdrawn_at__isnull=True,
        reports__render_status="ready",
    )
    return Q(
        Exists(shown),
        **{f"{path}status": "accepted", f"{path}facility__in": facilities_shared_with_bank(user)},
    )


rule("valuation.FieldExam")(_exam_rule(""))
rule("valuation.FieldExamLine")(_exam_rule("exam__"))
rule("valuation.FieldExamFinding")(_exam_rule("line__exam__"))
# The photos stay with the firm and its controller: a bank reads the exam's counts and findings
# (its page, the exam report, whose photo list gives each photo's time and position), never the
# pictures themselves (people, other owners' goods and the site's inside can be on them).
rule("valuation.FieldExamPhoto")(_exam_rule("line__exam__", bank=False))
# -- end of field exams for the bank


def controller_required(view):  # type: ignore[no-untyped-def]
    """Pages only controllers and advisors use (the field exams): anyone else gets 404."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not (request.user.is_advisor or request.user.is_controller):
            log_denial(request.user, f"page {request.path}", request.path)
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# ------------------------------------------------------------------ end of field exams
