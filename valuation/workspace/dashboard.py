"""Read models for the workspace pages: the advisor dashboard, the client page and its summary.

Every figure comes from the key figures stored on `ValuationRun` (never from the lines), and every
function issues a fixed number of queries whatever the number of clients, facilities and runs:
the current run of each facility is picked by a correlated subquery with the same ordering as
`services.current_run`, then the runs are read in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borrowers.common import access
from borrowers.models import AuditEvent, ClientCompany, Invitation, User
from facilities.models import Facility
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.workspace import alerts as rules

ALERT_LABELS = {
    rules.OVER_ADVANCE: _("Over-advance"),
    rules.REPLENISHMENT_BREACH: _("Replenishment breach"),
    rules.STALE_STOCK_FILE: _("Stale stock file"),
    rules.NO_STOCK_FILE: _("No stock file yet"),
    rules.FAILED_UPLOAD: _("Last upload failed"),
    rules.JUMP: _("Figures jumped from the previous file"),
    rules.FIGURES_UPDATING: _("Figures being updated"),
    rules.EXPIRED_APPRAISAL: _("Appraisal expired"),
}

# How loud each alert is on the page (the design system's badge tones).
ALERT_TONES = {
    rules.OVER_ADVANCE: "bad",
    rules.REPLENISHMENT_BREACH: "bad",
    rules.STALE_STOCK_FILE: "warn",
    rules.FAILED_UPLOAD: "warn",
    rules.EXPIRED_APPRAISAL: "warn",
    rules.NO_STOCK_FILE: "muted",
    rules.JUMP: "warn",
    rules.FIGURES_UPDATING: "muted",
}


def labelled(alerts: list[rules.Alert]) -> list[tuple[str, str, str]]:
    """(code, translated label, tone) for each alert, for the templates."""
    return [(a.code, str(ALERT_LABELS[a.code]), ALERT_TONES[a.code]) for a in alerts]


FIGURE_FIELDS = ("book_value", "eligible_value", "liquidation_value", "financing", "availability")


def current_run_id_subquery(facility_ref: str = "pk") -> Subquery:
    """The id of the facility's current run (``ValuationRun.objects.current()``, as `services.current_run`)."""
    return Subquery(ValuationRun.objects.filter(facility_id=OuterRef(facility_ref)).current().values("pk")[:1])


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass
class FacilityFigures:
    """A facility with the key figures of its current run (None everywhere when it has none)."""

    facility: Facility
    run: ValuationRun | None
    committed_guarantee: Decimal | None = None
    alerts: list[rules.Alert] = field(default_factory=list)
    # Set by the client summary when the advisor shows them (valuation.workspace.charts makes the SVG, escaped).
    waterfall_svg: str = ""
    ineligibles: list[tuple[str, Any]] = field(default_factory=list)

    def figure(self, name: str) -> Decimal | None:
        return getattr(self.run, name) if self.run is not None else None

    @property
    def currency(self) -> str:
        return self.run.currency if self.run is not None else self.facility.currency

    @property
    def cover_pct(self) -> Decimal | None:
        """Pledge cover: mobilisable (eligible) stock ÷ committed guarantee, for pledges with a clause."""
        if not self.facility.is_pledge:
            return None
        return rules.pledge_cover_pct(
            mobilisable=self.figure("eligible_value"), committed_guarantee=self.committed_guarantee
        )


def facility_figures(facilities: Iterable[Facility], *, user: User, with_result: bool = False) -> list[FacilityFigures]:
    """Pair facilities annotated with `current_run_id` with their runs (those `user` may see), in
    ONE query."""
    facilities = list(facilities)
    run_ids = [f.current_run_id for f in facilities if getattr(f, "current_run_id", None)]
    runs: dict[int, ValuationRun] = {}
    if run_ids:
        qs = access.scope(ValuationRun.objects.filter(pk__in=run_ids), user).annotate(
            committed=KT("result__financing__pledge__committed_guarantee")
        )
        # The result JSON can be large: read it only for the pages that show more than the figures.
        extra = ("result",) if with_result else ()
        qs = qs.only(
            "id", "facility_id", "upload_id", "as_of", "currency", "finished_at", "jumps", *FIGURE_FIELDS, *extra
        )
        runs = {run.pk: run for run in qs}
    out = []
    for facility in facilities:
        run = runs.get(getattr(facility, "current_run_id", None) or 0)
        committed = _decimal(getattr(run, "committed", None)) if run else None
        item = FacilityFigures(facility=facility, run=run, committed_guarantee=committed)
        item.alerts = rules.facility_alerts(
            facility_id=facility.pk,
            is_pledge=facility.is_pledge,
            availability=item.figure("availability"),
            mobilisable=item.figure("eligible_value"),
            committed_guarantee=committed,
            jumps=len(run.jumps or []) if run else 0,
            updating=bool(getattr(facility, "revaluing", False)),
        )
        out.append(item)
    return out


# ------------------------------------------------------------------------------------ dashboard


@dataclass
class DashboardRow:
    """One line of the advisor dashboard: a client and one of its facilities (or none yet)."""

    client: ClientCompany
    figures: FacilityFigures | None
    alerts: list[rules.Alert]
    # The figures in the firm's reporting currency (``report_in``): None when the row has no run
    # or no rate converts it; ``rate_note`` says which rate served, ``unconverted`` why none did.
    reported: dict[str, Decimal | None] | None = None
    rate_note: str = ""
    unconverted: str = ""

    @property
    def last_stock_date(self) -> date | None:
        return self.client.last_stock_date

    def figure(self, name: str) -> Decimal | None:
        return self.figures.figure(name) if self.figures else None

    def reported_figure(self, name: str) -> Decimal | None:
        """The figure in the reporting currency; None (sorted last, left out of totals) when it
        cannot be converted: never compared or added as if it were in that currency."""
        return self.reported.get(name) if self.reported is not None else None

    @property
    def alert_labels(self) -> list[tuple[str, str, str]]:
        return labelled(self.alerts)

    @property
    def alert_weight(self) -> int:
        return rules.alert_weight(self.alerts)


# Whitelisted sort keys: ?sort=<key> ascending, ?sort=-<key> descending. Anything else: by client.
SORTS: dict[str, Callable[[DashboardRow], Any]] = {
    "client": lambda r: r.client.legal_name.casefold(),
    "stock_date": lambda r: r.last_stock_date,
    "book_value": lambda r: r.reported_figure("book_value"),
    "eligible": lambda r: r.reported_figure("eligible_value"),
    "liquidation": lambda r: r.reported_figure("liquidation_value"),
    "financing": lambda r: r.reported_figure("financing"),
    "availability": lambda r: r.reported_figure("availability"),
    "alerts": lambda r: r.alert_weight,
}
DEFAULT_SORT = "client"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """(key, descending) from the query string; an unknown key falls back to the client name."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def sort_rows(rows: list[DashboardRow], *, key: str, descending: bool) -> list[DashboardRow]:
    """Sort by a whitelisted key; rows without the figure always go last; ties by client, facility."""
    rows = sorted(rows, key=lambda r: (r.client.legal_name.casefold(), r.figures.facility.name if r.figures else ""))
    getter = SORTS[key]
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    return sorted(present, key=getter, reverse=descending) + missing


def latest_appraisal_expiry_subquery(today: date) -> Subquery:
    """The expiry date of the facility's appraisal at ``today`` (the latest effective by then)."""
    from facilities.models import Appraisal

    latest = Appraisal.objects.filter(facility_id=OuterRef("pk"), effective_date__lte=today)
    return Subquery(latest.order_by("-effective_date", "-pk").values("expiry_date")[:1])


def _client_queryset(user: User, today: date | None = None) -> QuerySet[ClientCompany]:
    uploads = StockUpload.objects.filter(client_id=OuterRef("pk"))
    facilities = access.scope(Facility.objects.select_related("lender"), user).annotate(
        current_run_id=current_run_id_subquery(),
        # A valuation queued or computing (new terms, client facts, sites…): the row says so.
        revaluing=Exists(
            ValuationRun.objects.filter(facility_id=OuterRef("pk"), status__in=(RunStatus.QUEUED, RunStatus.RUNNING))
        ),
        appraisal_expiry=latest_appraisal_expiry_subquery(today or timezone.localdate()),
    )
    return (
        ClientCompany.objects.visible_to(user)
        .annotate(
            last_stock_date=Subquery(
                uploads.filter(status=UploadStatus.ACCEPTED).order_by("-as_of", "-uploaded_at").values("as_of")[:1]
            ),
            last_upload_id=Subquery(uploads.order_by("-uploaded_at", "-id").values("pk")[:1]),
            last_upload_status=Subquery(uploads.order_by("-uploaded_at", "-id").values("status")[:1]),
        )
        .prefetch_related(Prefetch("facilities", queryset=facilities.order_by("name", "pk"), to_attr="facility_list"))
        .order_by("legal_name")
    )


def client_level_alerts(client: ClientCompany, *, today: date) -> list[rules.Alert]:
    """Alerts on a client annotated by `_client_queryset` (last stock date, last upload status)."""
    return rules.client_alerts(
        today=today,
        period_days=client.reporting_period_days,
        last_stock_date=client.last_stock_date,
        last_upload_status=client.last_upload_status,
    )


def dashboard_rows(
    *, user: User, query: str = "", sort: str | None = None, today: date | None = None
) -> list[DashboardRow]:
    """The advisor's clients, one row per facility, with the current run's figures and alerts.

    Three queries whatever the number of clients: clients (with their latest uploads as
    subqueries), facilities (with their current run's id), and those runs."""
    today = today or timezone.localdate()
    clients = _client_queryset(user, today)
    query = query.strip()
    if query:
        clients = clients.filter(legal_name__icontains=query)
    clients = list(clients)
    figures = facility_figures((f for c in clients for f in c.facility_list), user=user)
    by_facility = {item.facility.pk: item for item in figures}
    rows: list[DashboardRow] = []
    for client in clients:
        client_alerts = client_level_alerts(client, today=today)
        if not client.facility_list:
            rows.append(DashboardRow(client=client, figures=None, alerts=client_alerts))
        for facility in client.facility_list:
            item = by_facility[facility.pk]
            alerts = item.alerts + client_alerts + appraisal_alerts(facility, today=today)
            alerts.sort(key=lambda a: -rules.SEVERITY[a.code])
            rows.append(DashboardRow(client=client, figures=item, alerts=alerts))
    report_in(rows, currency=reporting_currency(user), firm_id=user.firm_id, today=today)
    key, descending = parse_sort(sort)
    return sort_rows(rows, key=key, descending=descending)


def reporting_currency(user: User) -> str:
    """The currency the firm's dashboard sorts and totals in (``Firm.reporting_currency``)."""
    firm = getattr(user, "firm", None)
    return getattr(firm, "reporting_currency", "") or "EUR"


def report_in(rows: list[DashboardRow], *, currency: str, firm_id: int | None, today: date) -> None:
    """Give each row its figures in ``currency``, at the firm's latest rate on or before
    ``today``; the rate table is read (two queries) only when some run is in another currency."""
    from valuation.engine.fx import convert_amount
    from valuation.rates.services import rate_table
    from valuation.workspace.conversions import rate_legs_text

    table = None
    for row in rows:
        run = row.figures.run if row.figures else None
        if run is None:
            continue
        if run.currency == currency:
            row.reported = {name: getattr(run, name) for name in FIGURE_FIELDS}
            continue
        if table is None:
            table = rate_table(firm_id=firm_id or 0, as_of=today)
        quote = table.quote(run.currency, currency, today)
        if quote is None:
            row.unconverted = str(
                _("No %(source)s→%(target)s rate: shown in %(source)s and left out of the total.")
                % {"source": run.currency, "target": currency}
            )
            continue
        row.reported = {
            name: None if getattr(run, name) is None else convert_amount(getattr(run, name), quote)
            for name in FIGURE_FIELDS
        }
        row.rate_note = rate_legs_text(quote.legs)


@dataclass(frozen=True)
class DashboardTotals:
    """Σ of the rows' figures in the reporting currency, and the rows left out (no rate)."""

    currency: str
    values: dict[str, Decimal]
    excluded: int


def dashboard_totals(rows: list[DashboardRow], *, currency: str) -> DashboardTotals:
    values = {name: Decimal("0.00") for name in FIGURE_FIELDS}
    for row in rows:
        for name in FIGURE_FIELDS:
            value = row.reported_figure(name)
            if value is not None:
                values[name] += value
    excluded = sum(1 for row in rows if row.unconverted)
    return DashboardTotals(currency=currency, values=values, excluded=excluded)


def appraisal_alerts(facility: Facility, *, today: date) -> list[rules.Alert]:
    """An expired appraisal on a facility annotated by `_client_queryset` (``appraisal_expiry``)."""
    expiry = getattr(facility, "appraisal_expiry", None)
    if rules.appraisal_expired(expiry_date=expiry, today=today):
        return [rules.Alert(rules.EXPIRED_APPRAISAL, facility.pk)]
    return []


# ------------------------------------------------------------------------------------ client page


@dataclass
class ClientPage:
    client: ClientCompany
    warehouses: list[Any]
    facilities: list[FacilityFigures]
    uploads: list[StockUpload]
    alerts: list[rules.Alert]
    users: list[User] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)

    @property
    def alert_labels(self) -> list[tuple[str, str, str]]:
        return labelled(self.alerts)


def client_page(*, user: User, pk: int, today: date | None = None) -> ClientPage:
    """Everything the client page shows, in a fixed number of queries; 404 outside the user's scope.

    Advisors get the users, pending invitations and audit trail; a client user gets the current
    runs with their stored result (for the summary the advisor chose to show). The page's list of
    reports comes from the reports app's `client_reports` tag."""

    today = today or timezone.localdate()
    client = access.get_or_404(user, _client_queryset(user), pk=pk)
    is_advisor = user.is_advisor
    page = ClientPage(
        client=client,
        warehouses=list(access.scope(client.warehouses.all(), user)),
        facilities=facility_figures(client.facility_list, user=user, with_result=not is_advisor),
        uploads=list(access.scope(client.uploads.select_related("uploaded_by"), user)[:10]),
        alerts=client_level_alerts(client, today=today) if is_advisor else [],
    )
    if is_advisor:
        page.users = list(access.scope(client.users.order_by("last_name", "email"), user))
        page.invitations = list(
            access.scope(Invitation.objects.usable().filter(client=client).select_related("invited_by"), user)
        )
        page.audit_events = list(AuditEvent.objects.visible_to(user).filter(client=client).select_related("actor")[:20])
        for item in page.facilities:
            page.alerts += item.alerts
    return page
