"""The bank portfolio: every facility a bank user follows, with the figures of the latest report
shared with its lender (never a newer valuation), in the firm's reporting currency.

``portfolio_rows`` costs the same number of queries whatever the number of facilities: the
facilities, their shared runs, their unresolved alerts, their late deliverables (the reporting
calendar's ``late_items``: the deliverables and their closed periods), the reporting currency,
and (only when a run is in another currency) the rate history in two queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from borrowers.common import access
from borrowers.models import ExchangeRate, Firm, User
from facilities import calendar_services
from valuation.engine.fx import PIVOT, Rate, RateTable, convert_amount
from valuation.models import CURRENT_ORDER, Alert, AlertState, RunStatus, ValuationRun

FIGURES = ("book_value", "eligible_value", "financing", "availability")


@dataclass
class PortfolioRow:
    facility: Any
    as_of: date | None = None
    currency: str = ""
    figures: dict[str, Decimal | None] = field(default_factory=dict)  # in the run's currency
    reported: dict[str, Decimal | None] | None = None  # in the reporting currency; None: no rate
    rate_day: date | None = None
    ltv_pct: Decimal | None = None
    open_alerts: int = 0
    late_items: int = 0  # periods of the facility's deliverables that are late today
    most_days_late: int = 0
    trend: list[Decimal] = field(default_factory=list)  # financing over the shared runs, oldest first
    sparkline: str = ""

    @property
    def no_rate(self) -> bool:
        return bool(self.currency) and self.reported is None

    def reported_figure(self, name: str) -> Decimal | None:
        return None if self.reported is None else self.reported.get(name)


def shared_runs(user: User, facility_ids: list[int]):  # type: ignore[no-untyped-def]
    """The runs of reports shared with the bank user's lender (not withdrawn, rendered), of the
    facilities ``access.facilities_shared_with_bank`` gave (their keys, read once)."""
    return (
        ValuationRun.objects.filter(
            facility_id__in=facility_ids,
            status=RunStatus.DONE,
            reports__shares__lender_id=user.lender_id,
            reports__shares__withdrawn_at__isnull=True,
            reports__render_status="ready",
        )
        .distinct()
        .order_by("facility_id", *CURRENT_ORDER)
    )


def rate_history(*, firm_id: int, currencies: set[str], first: date, last: date) -> RateTable:
    """Every quote between the currencies that a latest-on-or-before lookup at any day in
    [first, last] may return, in two queries: per pair the last quote on or before ``first``,
    then everything from the earliest of those to ``last``."""
    rates = ExchangeRate.objects.filter(firm_id=firm_id, base__in=currencies, quote__in=currencies)
    anchors = rates.filter(day__lte=first).values("base", "quote").annotate(last=Max("day")).order_by()
    start = min((row["last"] for row in anchors), default=first)
    found = rates.filter(day__gte=start, day__lte=last).values_list("base", "quote", "rate", "day", "source")
    return RateTable(Rate(b, q, r, d, s) for b, q, r, d, s in found)


def convert_rows(rows: list[PortfolioRow], *, currency: str, firm_id: int) -> None:
    """Each row's figures in ``currency`` at the rate dated on or before its stock date (exact
    product, half-up to the cent once); a row with no such rate keeps ``reported`` None."""
    foreign = [r for r in rows if r.currency and r.currency != currency]
    for row in rows:
        if row.currency == currency:
            row.reported = dict(row.figures)
    if not foreign:
        return
    table = rate_history(
        firm_id=firm_id,
        currencies={r.currency for r in foreign} | {currency, PIVOT},
        first=min(r.as_of for r in foreign if r.as_of),
        last=max(r.as_of for r in foreign if r.as_of),
    )
    for row in foreign:
        quote = table.quote(row.currency, currency, row.as_of) if row.as_of else None
        if quote is None:
            continue
        row.reported = {
            name: None if value is None else convert_amount(value, quote) for name, value in row.figures.items()
        }
        row.rate_day = max((leg.day for leg in quote.legs), default=None)


def sparkline_svg(values: list[Decimal], *, width: int = 96, height: int = 24, title: str = "") -> str:
    """A small polyline of ``values`` (drawing coordinates only, rounded to 0.1 px); "" with fewer
    than two points."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = Decimal(width - 4) / (len(values) - 1)
    tenth = Decimal("0.1")
    points = []
    for i, value in enumerate(values):
        x = (2 + step * i).quantize(tenth, ROUND_HALF_UP)
        y = (Decimal(height - 2) - (value - low) * (height - 4) / span).quantize(tenth, ROUND_HALF_UP)
        points.append(f"{x},{y}")
    return (
        f'<svg class="sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><polyline fill="none" stroke="currentColor" '
        f'stroke-width="1.5" points="{" ".join(points)}"/></svg>'
    )


SORTS: dict[str, Callable[[PortfolioRow], Any]] = {
    "client": lambda r: r.facility.client.legal_name.casefold(),
    "facility": lambda r: r.facility.name.casefold(),
    "structure": lambda r: str(r.facility.get_structure_display()).casefold(),
    "as_of": lambda r: r.as_of,
    "book_value": lambda r: r.reported_figure("book_value"),
    "eligible": lambda r: r.reported_figure("eligible_value"),
    "financing": lambda r: r.reported_figure("financing"),
    "availability": lambda r: r.reported_figure("availability"),
    "ltv": lambda r: r.ltv_pct,
    "alerts": lambda r: r.open_alerts,
    "late": lambda r: (r.late_items, r.most_days_late),
}
DEFAULT_SORT = "client"


def parse_sort(value: str | None) -> tuple[str, bool]:
    value = (value or "").strip()
    key = value.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, value.startswith("-")


def sort_rows(rows: list[PortfolioRow], *, key: str, descending: bool) -> list[PortfolioRow]:
    """By a whitelisted key; rows without the figure (no run, no rate) always last."""
    rows = sorted(
        rows, key=lambda r: (r.facility.client.legal_name.casefold(), r.facility.name.casefold(), r.facility.pk)
    )
    getter = SORTS[key]
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    return sorted(present, key=getter, reverse=descending) + missing


def reporting_currency(user: User) -> str:
    firm = Firm.objects.filter(pk=user.firm_id).values_list("reporting_currency", flat=True).first()
    return firm or "EUR"


def portfolio_rows(user: User, *, sort: str | None = None) -> tuple[list[PortfolioRow], str]:
    """The bank user's portfolio rows (sorted) and the reporting currency they are shown in."""
    facilities = list(access.facilities_shared_with_bank(user).select_related("client"))
    if not facilities:
        return [], reporting_currency(user)
    rows = {f.pk: PortfolioRow(facility=f) for f in facilities}
    runs = shared_runs(user, list(rows)).values("pk", "facility_id", "as_of", "currency", *FIGURES)
    latest_seen: set[int] = set()
    latest_run: dict[int, PortfolioRow] = {}
    for run in runs:  # per facility, latest first (CURRENT_ORDER)
        row = rows.get(run["facility_id"])
        if row is None:
            continue
        if run["financing"] is not None:
            row.trend.insert(0, run["financing"])
        if run["facility_id"] in latest_seen:
            continue
        latest_seen.add(run["facility_id"])
        row.as_of = run["as_of"]
        row.currency = run["currency"]
        row.figures = {name: run[name] for name in FIGURES}
        latest_run[run["pk"]] = row
    # The LTV is read from the stored result of the latest shared runs only (one key of the JSON).
    ltvs = ValuationRun.objects.filter(pk__in=list(latest_run)).values_list("pk", "result__financing__ltv__ltv_pct")
    for pk, ltv in ltvs:
        latest_run[pk].ltv_pct = Decimal(str(ltv)) if ltv not in (None, "") else None
    counts = (
        Alert.objects.filter(facility_id__in=list(rows))
        .exclude(state=AlertState.RESOLVED)
        .values("facility_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for item in counts:
        rows[item["facility_id"]].open_alerts = item["n"]
    for late in calendar_services.late_items(facilities, timezone.localdate()):
        row = rows[late.facility.pk]
        row.late_items += 1
        row.most_days_late = max(row.most_days_late, late.late_by)
    currency = reporting_currency(user)
    convert_rows(list(rows.values()), currency=currency, firm_id=user.firm_id)
    for row in rows.values():
        row.sparkline = sparkline_svg(row.trend, title=_("Financing over the shared reports"))
    key, descending = parse_sort(sort)
    return sort_rows(list(rows.values()), key=key, descending=descending), currency
