"""Covenants as the pages, the bank view and the report show them: each test's figure in its
unit, its state's label and badge, and where the figure came from (a run, or a statement)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import formatting
from facilities.models import Covenant, Facility
from valuation.engine import covenants as rules
from valuation.models import CovenantState, CovenantTest
from valuation.pipeline import covenants as services

STATE_LABELS = {
    CovenantState.MET: gettext_lazy("Met"),
    CovenantState.AT_RISK: gettext_lazy("At risk"),
    CovenantState.BREACHED: gettext_lazy("Breached"),
    CovenantState.WAIVED: gettext_lazy("Waived"),
    CovenantState.NOT_TESTABLE: gettext_lazy("Not testable"),
}
STATE_BADGES = {
    CovenantState.MET: "badge-ok",
    CovenantState.AT_RISK: "badge-warn",
    CovenantState.BREACHED: "badge-bad",
    CovenantState.WAIVED: "badge-muted",
    CovenantState.NOT_TESTABLE: "badge-info",
}
MONEY_METRICS = (rules.AVAILABILITY, rules.TANGIBLE_NET_WORTH)
PERCENT_METRICS = (rules.LTV, rules.PLEDGE_COVER)


def figure(metric: str, value: Decimal | None, currency: str, language: str | None = None) -> str:
    """A covenant figure in its unit: money, % (2 places), days (1 place) or a ratio (2 places);
    rounded half-up for display only (the test compares the exact figure)."""
    if value is None:
        return "—"
    language = language or translation.get_language()
    if metric in MONEY_METRICS:
        return formatting.money(value, currency, language)
    if metric in PERCENT_METRICS:
        return formatting.percent(value, language, 2)
    if metric == rules.DAYS_OF_STOCK:
        return _("%(days)s days") % {"days": formatting.number(value, language, 1)}
    return formatting.number(value, language, 2)


def direction_sign(direction: str) -> str:
    return "≥" if direction == rules.MIN else "≤"


@dataclass(frozen=True)
class CovenantTestView:
    """One test, ready to show."""

    test: CovenantTest
    state: str
    value: str
    threshold: str
    source_label: str
    source_url: str
    waiver: Any

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def badge(self) -> str:
        return STATE_BADGES.get(self.state, "badge-info")

    @property
    def can_be_waived(self) -> bool:
        return self.test.raw_state in (CovenantState.BREACHED, CovenantState.AT_RISK)

    @property
    def reason(self) -> str:
        details = self.test.details or {}
        if details.get("missing"):
            return _("Missing input: %(names)s") % {"names": ", ".join(details["missing"])}
        if details.get("division_by_zero"):
            return _("Division by zero")
        if details.get("out_of_range"):
            return _("Figure out of range")
        return ""


@dataclass(frozen=True)
class CovenantView:
    """A covenant with its tests (newest first) and its revisions."""

    covenant: Covenant
    tests: list[CovenantTestView]
    revisions: list[Any]
    currency: str

    @property
    def latest(self) -> CovenantTestView | None:
        return self.tests[0] if self.tests else None

    @property
    def threshold(self) -> str:
        covenant = self.covenant
        return f"{direction_sign(covenant.direction)} {figure(covenant.metric, covenant.threshold, self.currency)}"


def _source(test: CovenantTest, *, links: bool) -> tuple[str, str]:
    if test.run_id:
        label = _("Valuation of the stock at %(date)s") % {"date": formatting.day(test.as_of)}
        url = reverse("valuation:run-detail", args=[test.run_id]) if links else ""
        return label, url
    if test.statement_id:
        label = _("Financial statements at %(date)s") % {"date": formatting.day(test.as_of)}
        url = reverse("facilities:statement-list", args=[test.facility_id]) + f"#statement-{test.statement_id}"
        return label, url if links else ""
    return "—", ""


def covenant_views(
    facility: Facility, *, today: dt.date | None = None, until: dt.date | None = None, links: bool = True
) -> list[CovenantView]:
    """The facility's covenants with their tests as the pages show them; ``links`` leads each
    figure to its run or statement (the advisor's pages; a bank and the PDF get the label only)."""
    rows = services.covenant_rows(facility, today=today, until=until)
    views = []
    for row in rows:
        covenant = row.covenant
        tests = []
        for test in row.tests:
            label, url = _source(test, links=links)
            currency = (test.details or {}).get("currency") or facility.currency
            tests.append(
                CovenantTestView(
                    test=test,
                    state=test.state,  # type: ignore[attr-defined]
                    value=figure(covenant.metric, test.value, currency),
                    threshold=f"{direction_sign(test.direction)} {figure(covenant.metric, test.threshold, currency)}",
                    source_label=label,
                    source_url=url,
                    waiver=services.latest_waiver(test),
                )
            )
        views.append(CovenantView(covenant, tests, list(covenant.revisions.all()), facility.currency))
    return views


def counts(views: list[CovenantView]) -> dict[str, int]:
    """Breached and at-risk active covenants, on their latest test."""
    out = {"breached": 0, "at_risk": 0}
    for view in views:
        if view.covenant.active and view.latest and view.latest.state in out:
            out[view.latest.state] += 1
    return out


# ------------------------------------------------------------------------------------ the report

REPORT_TESTS = 6  # the tests per covenant a report shows, newest first


def frozen_covenants(facility: Facility, as_of: dt.date, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The facility's active covenants and their last tests of figures up to ``as_of``, with
    their state on ``today`` (the day of issue), as exact strings: a report freezes them so a
    re-render shows them as issued. Empty when the facility has no active covenant."""
    frozen = []
    for row in services.covenant_rows(facility, today=today, until=as_of):
        covenant = row.covenant
        if not covenant.active:
            continue
        frozen.append(
            {
                "label": covenant.label,
                "metric": covenant.metric,
                "direction": covenant.direction,
                "threshold": str(covenant.threshold),
                "frequency": covenant.frequency,
                "headroom_pct": str(covenant.headroom_pct),
                "formula": covenant.formula,
                "tests": [
                    {
                        "test_date": test.test_date.isoformat(),
                        "as_of": test.as_of.isoformat(),
                        "value": None if test.value is None else str(test.value),
                        "threshold": str(test.threshold),
                        "direction": test.direction,
                        "state": test.state,  # type: ignore[attr-defined]
                        "source": "run" if test.run_id else "statement",
                    }
                    for test in row.tests[:REPORT_TESTS]
                ],
            }
        )
    return frozen


def _d(text: Any) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def report_rows(frozen: list[dict[str, Any]] | None, currency: str) -> list[dict[str, Any]]:
    """The frozen covenants as the PDF shows them (call under the report's language)."""
    rows = []
    for item in frozen or []:
        metric = item.get("metric", "")
        tests = []
        for test in item.get("tests") or []:
            state = test.get("state") or ""
            tests.append(
                {
                    "test_date": dt.date.fromisoformat(test["test_date"]),
                    "value": figure(metric, _d(test.get("value")), currency),
                    "threshold": f"{direction_sign(test.get('direction', ''))} "
                    f"{figure(metric, _d(test.get('threshold')), currency)}",
                    "state": state,
                    "state_label": str(STATE_LABELS.get(state, state)),
                    "source": _("Valuation") if test.get("source") == "run" else _("Financial statements"),
                }
            )
        threshold = f"{direction_sign(item.get('direction', ''))} {figure(metric, _d(item.get('threshold')), currency)}"
        rows.append(
            {"label": item.get("label", ""), "threshold": threshold, "formula": item.get("formula", ""), "tests": tests}
        )
    return rows
