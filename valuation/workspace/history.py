"""A facility's figures over its stock dates: one point per accepted stock file date.

A facility has many runs: one per upload and terms hash (``ValuationRun``), so a file valued again
under new terms has an older run that was superseded. Its history keeps, per stock date, the run
``CURRENT_ORDER`` would make current among that date's runs: the latest upload of the date, and of
that upload the run finished last. So a recomputed file shows once, with its figures as they stand.

The points are read in ONE query, whatever the number of runs: the key figure fields and the
run's ``history_figures`` (the ineligible total and amounts by reason, the LTV, the days of stock,
stored beside the result when the run completed: a few hundred bytes), never the result, the lines
or the Parquet file. A run saved without them (``history_figures`` empty) has the same four paths
read from its result by the database instead (``values()`` with JSON key transforms under a
``CASE``, so a run that has its figures never makes the database open its result). Amounts are
exact ``Decimal`` (rounded for display only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Case, JSONField, QuerySet, TextField, When
from django.db.models.fields.json import KT, KeyTransform

from borrowers.common import access
from borrowers.common.labels import reason_label
from valuation.models import CURRENT_ORDER, RunStatus, UploadStatus, ValuationRun

ZERO = Decimal("0.00")
# What a point reads: the key figures and the stored history figures.
FIELDS = (
    "id",
    "upload_id",
    "as_of",
    "currency",
    "book_value",
    "eligible_value",
    "liquidation_value",
    "financing",
    "availability",
    "history_figures",
)
# Without stored history figures: the reasons inside the result, and its scalars read as text (the
# result stores amounts as exact decimal strings; a JSON read of them could turn one into a float
# on some databases).
REASONS_PATH = ("eligibility", "by_reason")
TEXT_PATHS = {
    "ineligible_text": "result__eligibility__ineligible",
    "ltv_text": "result__financing__ltv__ltv_pct",
    "days_text": "result__working_capital__days_of_stock",
}


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


@dataclass(frozen=True)
class HistoryPoint:
    """A stock date's figures, from the run current for that date."""

    run_id: int
    as_of: dt.date
    currency: str
    book_value: Decimal | None
    eligible: Decimal | None
    ineligible: Decimal | None
    by_reason: tuple[tuple[str, Decimal], ...]  # (reason code, amount), in the waterfall's order
    liquidation_value: Decimal | None
    financing: Decimal | None
    availability: Decimal | None
    ltv_pct: Decimal | None
    days_of_stock: Decimal | None

    def reason_amount(self, reason: str) -> Decimal:
        return next((amount for code, amount in self.by_reason if code == reason), ZERO)

    def as_json(self) -> dict[str, Any]:
        """Amounts as exact decimal strings (a report freezes its history in this form)."""
        text = lambda v: None if v is None else str(v)  # noqa: E731
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "book_value": text(self.book_value),
            "eligible": text(self.eligible),
            "ineligible": text(self.ineligible),
            "by_reason": [[code, str(amount)] for code, amount in self.by_reason],
            "liquidation_value": text(self.liquidation_value),
            "financing": text(self.financing),
            "availability": text(self.availability),
            "ltv_pct": text(self.ltv_pct),
            "days_of_stock": text(self.days_of_stock),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HistoryPoint:
        return cls(
            run_id=int(data.get("run_id") or 0),
            as_of=dt.date.fromisoformat(data["as_of"]),
            currency=str(data.get("currency") or "EUR"),
            book_value=_dec(data.get("book_value")),
            eligible=_dec(data.get("eligible")),
            ineligible=_dec(data.get("ineligible")),
            by_reason=_reasons(data.get("by_reason")),
            liquidation_value=_dec(data.get("liquidation_value")),
            financing=_dec(data.get("financing")),
            availability=_dec(data.get("availability")),
            ltv_pct=_dec(data.get("ltv_pct")),
            days_of_stock=_dec(data.get("days_of_stock")),
        )


def _reasons(items: Any) -> tuple[tuple[str, Decimal], ...]:
    """(reason, amount) pairs from the result's ``by_reason`` list (or frozen pairs); a reason
    that took nothing is left out."""
    pairs = []
    for item in items or []:
        if isinstance(item, dict):
            code, amount = str(item.get("reason") or ""), _dec(item.get("amount"))
        elif isinstance(item, list | tuple) and len(item) == 2:
            code, amount = str(item[0]), _dec(item[1])
        else:
            continue
        if code and amount:
            pairs.append((code, amount))
    return tuple(pairs)


def current_per_date(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of rows already in ``CURRENT_ORDER`` (newest stock date first; at a date, the latest upload
    first; for an upload, the run finished last first), the first of each stock date, oldest date
    first. Pure: no database."""
    kept: dict[dt.date, dict[str, Any]] = {}
    for row in rows:
        kept.setdefault(row["as_of"], row)
    return [kept[day] for day in sorted(kept)]


def point(row: dict[str, Any]) -> HistoryPoint:
    stored = row.get("history_figures")
    if isinstance(stored, dict):
        row = {
            **row,
            "reasons_json": stored.get("by_reason"),
            "ineligible_text": stored.get("ineligible"),
            "ltv_text": stored.get("ltv_pct"),
            "days_text": stored.get("days_of_stock"),
        }
    ineligible = _dec(row.get("ineligible_text"))
    book, eligible = _dec(row.get("book_value")), _dec(row.get("eligible_value"))
    if ineligible is None and book is not None and eligible is not None:
        ineligible = book - eligible
    return HistoryPoint(
        run_id=row["id"],
        as_of=row["as_of"],
        currency=row.get("currency") or "EUR",
        book_value=book,
        eligible=eligible,
        ineligible=ineligible,
        by_reason=_reasons(row.get("reasons_json")),
        liquidation_value=_dec(row.get("liquidation_value")),
        financing=_dec(row.get("financing")),
        availability=_dec(row.get("availability")),
        ltv_pct=_dec(row.get("ltv_text")),
        days_of_stock=_dec(row.get("days_text")),
    )


def history(runs: QuerySet[ValuationRun], *, until: dt.date | None = None) -> list[HistoryPoint]:
    """The points of ``runs`` (already narrowed to one facility and to what the reader may see):
    completed runs of accepted files, one per stock date, oldest first; with ``until``, none
    after that date. One query."""
    queryset = runs.filter(status=RunStatus.DONE, upload__status=UploadStatus.ACCEPTED)
    if until is not None:
        queryset = queryset.filter(as_of__lte=until)
    rows = queryset.annotate(**_fallbacks()).order_by(*CURRENT_ORDER).values(*FIELDS, *_fallbacks())
    return [point(row) for row in current_per_date(rows)]


def _fallbacks() -> dict[str, Case]:
    """The result's paths, read only for a run without stored history figures (else NULL)."""
    missing = {"history_figures__isnull": True}
    reasons = KeyTransform(REASONS_PATH[1], KeyTransform(REASONS_PATH[0], "result"))
    return {
        "reasons_json": Case(When(**missing, then=reasons), output_field=JSONField()),
        **{name: Case(When(**missing, then=KT(path)), output_field=TextField()) for name, path in TEXT_PATHS.items()},
    }


def facility_history(facility: Any, user: Any, *, until: dt.date | None = None) -> list[HistoryPoint]:
    """The history of a facility as ``user`` may see its runs (``access.scope``)."""
    return history(access.scope(ValuationRun.objects.filter(facility=facility), user), until=until)


def reasons_in(points: Iterable[HistoryPoint]) -> list[tuple[str, str]]:
    """The ineligible reasons that took something in any period, in order of first appearance,
    with their labels."""
    seen: dict[str, str] = {}
    for item in points:
        for code, _amount in item.by_reason:
            if code not in seen:
                seen[code] = reason_label(code)
    return list(seen.items())


@dataclass(frozen=True)
class HistoryRow:
    """One period of the history table: its point and its ineligible amount per listed reason."""

    point: HistoryPoint
    reasons: tuple[Decimal, ...]
    href: str = ""


def history_context(
    points: list[HistoryPoint], *, show_figures: bool, show_ineligibles: bool, links: bool, limit: int | None = None
) -> dict[str, Any]:
    """What ``valuation/_history.html`` shows: the charts and the rows (newest first), limited to
    the parts the reader may see; ``links`` makes each period open its run."""
    from django.urls import reverse

    from valuation.workspace.history_charts import figures_line_svg, history_table_body, ineligible_bars_svg

    if limit is not None:
        points = points[-limit:]
    reasons = reasons_in(points) if show_ineligibles else []
    # One reverse() for every period: the run's link with a stand-in id, then each run's own id.
    stand_in = "2147483647"
    prefix, _sep, suffix = (
        reverse("valuation:run-detail", args=[stand_in]).partition(stand_in) if links else ("", "", "")
    )
    rows = [
        HistoryRow(
            point=p,
            reasons=tuple(p.reason_amount(code) for code, _label in reasons),
            href=f"{prefix}{int(p.run_id)}{suffix}" if links else "",
        )
        for p in reversed(points)
    ]
    return {
        "history_rows": rows,
        "history_body": history_table_body(rows, show_figures=show_figures, show_ineligibles=show_ineligibles),
        "history_reasons": reasons,
        "history_show_figures": show_figures,
        "history_show_ineligibles": show_ineligibles,
        "history_line_svg": figures_line_svg(points) if show_figures and len(points) > 1 else "",
        "history_bars_svg": ineligible_bars_svg(points) if show_ineligibles and points else "",
    }


def dossier_history(facility: Any, user: Any) -> dict[str, Any]:
    """The dossier's history section: the parts ``access.visibility`` opens to the user."""
    seen = access.visibility(user, facility.client)
    if not (seen.figures or seen.ineligibles):
        return {"history_rows": []}
    return history_context(
        facility_history(facility, user),
        show_figures=seen.figures,
        show_ineligibles=seen.ineligibles,
        links=True,
    )


def run_point(run: ValuationRun) -> HistoryPoint:
    """The point of one loaded run (its result in memory): a report's own period."""
    result = run.result or {}
    return point(
        {
            "id": run.pk,
            "as_of": run.as_of,
            "currency": run.currency,
            "book_value": run.book_value,
            "eligible_value": run.eligible_value,
            "liquidation_value": run.liquidation_value,
            "financing": run.financing,
            "availability": run.availability,
            "reasons_json": (result.get("eligibility") or {}).get("by_reason"),
            "ineligible_text": (result.get("eligibility") or {}).get("ineligible"),
            "ltv_text": ((result.get("financing") or {}).get("ltv") or {}).get("ltv_pct"),
            "days_text": (result.get("working_capital") or {}).get("days_of_stock"),
        }
    )


REPORT_PERIODS = 12


def report_history(run: ValuationRun, *, periods: int = REPORT_PERIODS) -> list[HistoryPoint]:
    """A report's history: the facility's last ``periods`` stock dates up to the report's run,
    whose own figures are its last period (one query besides the run)."""
    earlier = history(ValuationRun.objects.filter(facility_id=run.facility_id, as_of__lt=run.as_of))
    return [*earlier, run_point(run)][-periods:]
