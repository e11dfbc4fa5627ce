"""The typed context of a report version: built once when the version is issued, then frozen.

`build_context` gathers what a report shows — the run's result (figures), the facility's terms, the
client's, lender's and firm's names, the firm's branding, the language, the author — into a
`ReportContext`, whose JSON form is stored on `ReportVersion.context` and never changes afterwards.
A terms change, a renamed client or a new logo after issue leave the version as it was.

`presentation` turns that frozen JSON back into the rows the PDF templates show (labels translated
in the active language, amounts kept as exact `Decimal`s for the `figures` filters to format).
Both are pure apart from reading the run's Parquet lines file for the annex.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from borrowers.common.labels import (
    binding_label,
    category_label,
    liquidity_label,
    reason_label,
    rule_status_label,
    structure_label,
    warning_text,
)
from reports.rollforward import frozen_rollforward, rollforward_presentation  # roll-forward (issue 16)
from valuation.engine.money import to_decimal
from valuation.workspace.covenants import frozen_covenants
from valuation.workspace.covenants import report_rows as covenant_report_rows
from valuation.workspace.history import HistoryPoint, reasons_in, report_history
from valuation.workspace.history_charts import figures_line_svg
from valuation.workspace.problem_labels import rule_note_text
from valuation.workspace.reserve_labels import reserve_rows
from valuation.workspace.sites import site_flags

CONTEXT_VERSION = 1
ANNEX_LINES = 25
ZERO = Decimal("0.00")

# ----------------------------------------------------------------------------------- the context


@dataclass(frozen=True)
class Branding:
    """The firm as it appears on its reports."""

    firm_name: str
    address: str
    colour: str
    logo: str  # storage name of the logo in the default storage, "" for none


@dataclass(frozen=True)
class AnnexLine:
    """One of the largest ineligible lines (from the run's Parquet lines file)."""

    row: int
    sku: str
    description: str
    category: str
    warehouse: str
    book_value: str
    ineligible: str
    reason: str


@dataclass(frozen=True)
class ReportContext:
    """Everything a report version shows, JSON-able; amounts as exact decimal strings."""

    kind: str
    language: str
    number: int
    title: str
    issued_on: str
    author_name: str
    branding: Branding
    client_name: str
    registration_number: str
    facility_name: str
    lender_name: str
    currency: str
    as_of: str
    terms: dict[str, Any]
    result: dict[str, Any]
    annex: tuple[AnnexLine, ...] = ()
    version: int = CONTEXT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["annex"] = [dataclasses.asdict(line) for line in self.annex]
        return data


def _hex_colour(value: str) -> str:
    """Only a #rrggbb colour reaches the stylesheet (it is written into CSS, not HTML)."""
    text = (value or "").strip()
    if len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:]):
        return text.lower()
    return "#1f4e79"


def build_context(
    *,
    run: Any,
    kind: str,
    language: str,
    number: int,
    title: str,
    issued_on: dt.date,
    author_name: str,
    terms: dict[str, Any],
    annex: tuple[AnnexLine, ...] = (),
) -> ReportContext:
    """Freeze a run's figures, the facility terms and the names around them."""
    facility = run.facility
    client = facility.client
    firm = client.firm
    return ReportContext(
        kind=kind,
        language=language,
        number=number,
        title=title,
        issued_on=issued_on.isoformat(),
        author_name=author_name,
        branding=Branding(
            firm_name=firm.name,
            address=firm.address,
            colour=_hex_colour(firm.brand_colour),
            logo=firm.logo.name if firm.logo else "",
        ),
        client_name=client.legal_name,
        registration_number=client.registration_number,
        facility_name=facility.name,
        lender_name=facility.lender.name,
        currency=run.currency or facility.currency or "EUR",
        as_of=run.as_of.isoformat(),
        terms=terms,
        result=dict(run.result or {}),
        annex=annex,
        extra={
            "appraisal": frozen_appraisal(facility, run.as_of),
            # The last periods up to this run, frozen at issue: a re-render shows the same history.
            "history": [point.as_json() for point in report_history(run)],
            # roll-forward (issue 16): the last periods up to this run, frozen at issue.
            "rollforward": frozen_rollforward(run),
            # covenants (issue 16): the active covenants and their last tests up to this run.
            "covenants": frozen_covenants(facility, run.as_of, issued_on),
        },
    )


def frozen_appraisal(facility: Any, as_of: dt.date) -> dict[str, Any] | None:
    """The appraisal the run's stock date used, as it stood at issue: who, when, until when,
    its status at the stock date and its rates (labels resolved in the report's language later)."""
    from facilities.models import Appraisal

    appraisal = Appraisal.objects.filter(facility=facility).at(as_of)
    if appraisal is None:
        return None
    return {
        "appraiser": appraisal.appraiser,
        "appraiser_firm": appraisal.appraiser_firm,
        "effective_date": appraisal.effective_date.isoformat(),
        "expiry_date": appraisal.expiry_date.isoformat(),
        "status": appraisal.status(as_of),
        "rates": [
            {
                "category": r.base_category,
                "code": r.stock_category.code if r.stock_category_id else "",
                "name": r.stock_category.name if r.stock_category_id else "",
                "nolv_pct": str(r.nolv_pct),
            }
            for r in appraisal.rates.select_related("stock_category")
        ],
    }


def _appraisal_presentation(frozen: dict[str, Any]) -> dict[str, Any] | None:
    data = (frozen.get("extra") or {}).get("appraisal")
    if not data:
        return None
    rates = [
        {
            "label": f"{r['code']} – {r['name']}"
            if r.get("code")
            else gettext("All %(category)s") % {"category": category_label(r["category"])},
            "nolv_pct": Decimal(r["nolv_pct"]),
        }
        for r in data.get("rates") or []
    ]
    return {
        **data,
        "effective_date": dt.date.fromisoformat(data["effective_date"]),
        "expiry_date": dt.date.fromisoformat(data["expiry_date"]),
        "expired": data.get("status") == "expired",
        "rates": rates,
    }


def _sub_category_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for sub in (result.get("liquidation") or {}).get("by_sub_category") or []:
        rows.append(
            {
                "code": sub["code"],
                "category_label": category_label(sub["category"]),
                "liquidity_label": liquidity_label(sub["liquidity_class"]),
                "lines": sub["lines"],
                "nrv_pct_of_cost": _d(sub.get("nrv_pct_of_cost")),
                "commission_pct": _d(sub.get("commission_pct")),
                "appraisal_nolv_pct": _d(sub.get("appraisal_nolv_pct")),
                "expired_appraisal_pct": _d(sub.get("expired_appraisal_pct")),
                "liquidation_value": _d(sub.get("liquidation_value")) or ZERO,
            }
        )
    return rows


def largest_ineligible_lines(lines_file: Any, *, limit: int = ANNEX_LINES) -> list[dict[str, Any]]:
    """The `limit` lines with the largest ineligible amount, from a run's Parquet lines file
    (reads three columns, so it stays quick at a million lines)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    with lines_file.open("rb") as handle:
        table = pq.read_table(
            handle, columns=["row", "category", "warehouse", "book_value_cents", "ineligible_cents", "first_reason"]
        )
    if table.num_rows == 0:
        return []
    table = table.filter(pc.greater(table["ineligible_cents"], 0))
    if table.num_rows == 0:
        return []
    indices = pc.select_k_unstable(table, k=min(limit, table.num_rows), sort_keys=[("ineligible_cents", "descending")])
    top = table.take(indices).to_pylist()
    top.sort(key=lambda r: (-r["ineligible_cents"], r["row"]))
    return top


def cents_text(cents: int) -> str:
    return str(to_decimal(cents))


# -------------------------------------------------------------------------------- presentation


@dataclass(frozen=True)
class Row:
    label: str
    book_value: Decimal
    eligible: Decimal
    ineligible: Decimal


@dataclass(frozen=True)
class ReasonRow:
    label: str
    amount: Decimal
    lines: int | None
    status: str


@dataclass(frozen=True)
class DiscountRow:
    label: str
    basis: str
    computed: Decimal
    amount: Decimal


@dataclass(frozen=True)
class LeverRow:
    rank: int
    label: str
    amount_made_eligible: Decimal
    financing_gain: Decimal


def _d(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _group_rows(groups: list[dict[str, Any]], key: str, label) -> list[Row]:
    book: dict[str, Decimal] = {}
    eligible: dict[str, Decimal] = {}
    for group in groups:
        k = group.get(key) or ""
        book[k] = book.get(k, ZERO) + Decimal(group["book_value"])
        eligible[k] = eligible.get(k, ZERO) + Decimal(group["eligible"])
    return [Row(label(k), book[k], eligible[k], book[k] - eligible[k]) for k in book]


def client_copy(frozen: dict[str, Any], *, levers: bool, annex: bool) -> dict[str, Any]:
    """The frozen context as the borrower's users read it: the levers (the advisor's working
    advice) and the annex of stock lines left out unless the advisor includes them."""
    copy = {**frozen, "result": {**(frozen.get("result") or {})}, "omitted": []}
    if not levers:
        copy["result"]["levers"] = []
        copy["omitted"].append("levers")
    if not annex:
        copy["annex"] = []
        copy["omitted"].append("annex")
    # The appraisal record is the lender's and the advisor's working material, like the terms.
    copy["extra"] = {k: v for k, v in (frozen.get("extra") or {}).items() if k != "appraisal"}
    copy["omitted"].append("appraisal")
    return copy


def presentation(frozen: dict[str, Any]) -> dict[str, Any]:
    """The rows and figures the PDF shows, from a frozen context; call it under the report's
    language (`translation.override`) so labels come out in that language."""
    result = frozen.get("result") or {}
    currency = frozen.get("currency") or "EUR"
    eligibility = result.get("eligibility") or {}
    financing = result.get("financing") or {}
    pledge = financing.get("pledge")
    base = financing.get("borrowing_base")
    ltv = financing.get("ltv") or {}
    rules = {r["reason"]: r for r in eligibility.get("rules") or []}
    groups = eligibility.get("groups") or []

    by_reason = [
        ReasonRow(
            label=reason_label(item["reason"]),
            amount=Decimal(item["amount"]),
            lines=rules[item["reason"]]["lines"] if item["reason"] in rules else None,
            status=rule_status_label(rules[item["reason"]]["status"]) if item["reason"] in rules else "",
        )
        for item in eligibility.get("by_reason") or []
        if Decimal(item["amount"]) != 0  # a rule that took nothing is not a step of the waterfall
    ]
    not_assessed = [reason_label(r["reason"]) for r in rules.values() if r["status"] == "not_assessed"]
    discounts = [
        DiscountRow(
            reason_label(d["discount"]),
            rule_note_text(d.get("basis", ""), currency=currency),
            Decimal(d["computed"]),
            Decimal(d["amount"]),
        )
        for d in eligibility.get("discounts") or []
    ]
    levers = sorted(
        (lever for lever in result.get("levers") or [] if Decimal(lever["financing_gain"]) > 0),
        key=lambda lever: (-Decimal(lever["financing_gain"]), lever["reason"]),
    )
    lever_rows = [
        LeverRow(i, reason_label(lv["reason"]), Decimal(lv["amount_made_eligible"]), Decimal(lv["financing_gain"]))
        for i, lv in enumerate(levers, start=1)
    ]
    book_value = _d(eligibility.get("book_value")) or ZERO
    eligible = _d(eligibility.get("eligible")) or ZERO
    amount = _d(financing.get("financing")) or ZERO
    pledge_cover = None
    if pledge and amount:
        pledge_cover = (Decimal(pledge["guarantee"]) / amount * 100).quantize(Decimal("0.01"))
    annex = [
        {**line, "book_value": Decimal(line["book_value"]), "ineligible": Decimal(line["ineligible"])}
        for line in frozen.get("annex") or []
    ]
    for line in annex:
        line["reason_label"] = reason_label(line["reason"])
        line["category_label"] = category_label(line["category"])
    return {
        "structure_label": structure_label(financing.get("structure", "")),
        "is_pledge": pledge is not None,
        "is_borrowing_base": base is not None,
        "book_value": book_value,
        "eligible": eligible,
        "ineligible": _d(eligibility.get("ineligible")) or ZERO,
        "financing": amount,
        "financing_quota_pct": (amount / book_value * 100).quantize(Decimal("0.01")) if book_value else None,
        "outstanding": _d(financing.get("outstanding")) or ZERO,
        "availability": _d(financing.get("availability")) or ZERO,
        "over_advance": bool(financing.get("over_advance")),
        "refusal": financing.get("refusal") or "",
        "ltv_pct": _d(ltv.get("ltv_pct")),
        "ltv_cap_pct": _d(ltv.get("cap_pct")),
        "ltv_exceeded": bool(ltv.get("exceeded")),
        "ltv_indicative": bool(ltv.get("indicative")),
        "ltv_max_financing": _d(ltv.get("max_financing")),
        "binding_label": binding_label(str(financing.get("binding") or "")),
        "liquidation_value": _d((result.get("liquidation") or {}).get("liquidation_value")) or ZERO,
        "eligible_liquidation_value": _d((result.get("liquidation") or {}).get("eligible_liquidation_value")) or ZERO,
        "pledge": _decimals(pledge) if pledge else None,
        "pledge_cover_pct": pledge_cover,
        "borrowing_base": _decimals(base) if base else None,
        "reserves": reserve_rows(base, currency),
        "by_category": _group_rows(groups, "category", category_label),
        "by_warehouse": _group_rows(groups, "warehouse", lambda w: w or gettext("(no warehouse)")),
        "by_reason": by_reason,
        "not_assessed": not_assessed,
        "discounts": discounts,
        "working_capital": _decimals(result.get("working_capital") or {}),
        "cost": _cost(result.get("financing_cost") or {}),
        "levers": lever_rows,
        "warnings": [warning_text(w, currency=currency) for w in result.get("warnings") or []],
        "site_flags": site_flags(result, currency=currency),
        "conversions": _conversion_notes(result),
        "line_count": result.get("line_count", 0),
        "method": result.get("method", ""),
        "annex": annex,
        "hide_levers": "levers" in (frozen.get("omitted") or ()),
        "appraisal": _appraisal_presentation(frozen),
        **_history_presentation(frozen),
        **rollforward_presentation(frozen),  # roll-forward (issue 16)
        # covenants (issue 16): empty when the facility had none at issue.
        "covenants": covenant_report_rows((frozen.get("extra") or {}).get("covenants"), currency),
        "sub_categories": [] if "appraisal" in (frozen.get("omitted") or ()) else _sub_category_rows(result),
    }


def _history_presentation(frozen: dict[str, Any]) -> dict[str, Any]:
    """The frozen history's rows (oldest first, as issued), the reasons they list and a small chart."""
    points = [HistoryPoint.from_json(item) for item in (frozen.get("extra") or {}).get("history") or []]
    reasons = reasons_in(points)
    rows = [{"point": p, "reasons": [p.reason_amount(code) for code, _label in reasons]} for p in points]
    chart = figures_line_svg(points, width=640, height=240) if len(points) > 1 else ""
    return {"history": rows, "history_reasons": reasons, "history_svg": chart}


def _conversion_notes(result: dict[str, Any]) -> list[Any]:
    """How the lines were converted into the report's currency (frozen with the run's result)."""
    from valuation.workspace.conversions import conversion_notes

    return conversion_notes(result)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _decimals(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (_d(v) if isinstance(v, str) and _is_number(v) else v) for k, v in data.items()}


def _cost(data: dict[str, Any]) -> dict[str, Any]:
    cost = _decimals(data)
    fees = ("collateral_monitoring_fee", "field_exam_fee", "servicing_fee")
    cost["fees_total"] = sum((cost.get(k) or ZERO for k in fees), ZERO)
    return cost
