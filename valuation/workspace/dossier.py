"""The advisor's dossier for a facility, read from stored valuation results (never the lines).

Every figure comes from ``ValuationRun.result`` (the JSON of
``valuation.engine.serialize.result_to_dict``) and the run's key figure fields, so the page costs
the same few queries whether the stock file had ten lines or a million. Links to the lines behind
a figure go to the drill-down (``valuation.workspace.drilldown``), which reads the run's Parquet file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import access
from borrowers.common.labels import binding_label, category_label, liquidity_label, reason_label, warning_text
from facilities.models import Facility
from valuation.models import CURRENT_ORDER, RunStatus, ValuationRun
from valuation.pipeline import services as valuation_services
from valuation.workspace.charts import WaterfallBar, waterfall_bars, waterfall_svg
from valuation.workspace.gaps import run_gaps
from valuation.workspace.problem_labels import rule_note_text
from valuation.workspace.reserve_labels import reserve_rows
from valuation.workspace.rollforward import dossier_rollforward  # roll-forward (issue 16)
from valuation.workspace.run_picker import run_options

ZERO = Decimal("0.00")
# The run list never loads the results: one result can be large, and a facility has many runs.
LIST_FIELDS = (
    "id",
    "facility_id",
    "as_of",
    "status",
    "finished_at",
    "created_at",
    "financing",
    "currency",
    "failure_reason",
)


def dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def facility_runs(facility: Facility, user: Any) -> QuerySet[ValuationRun]:
    """The facility's runs the user may see, newest stock date first, without their results."""
    return (
        access.scope(ValuationRun.objects.filter(facility=facility), user).only(*LIST_FIELDS).order_by(*CURRENT_ORDER)
    )


def pick_run(runs: list[ValuationRun], run_id: Any) -> ValuationRun | None:
    """The run asked for (404 when it is not one of the facility's visible runs), else the
    current one: the latest completed run."""
    if run_id not in (None, ""):
        try:
            wanted = int(run_id)
        except (TypeError, ValueError):
            raise Http404 from None
        for run in runs:
            if run.pk == wanted:
                return run
        raise Http404
    return next((r for r in runs if r.status == RunStatus.DONE), None)


def load_run(run: ValuationRun | None) -> ValuationRun | None:
    """The chosen run with its result (one query)."""
    if run is None:
        return None
    return ValuationRun.objects.select_related("upload", "facility__client").get(pk=run.pk)


def lines_url(facility: Facility, run: ValuationRun, **params: str) -> str:
    query = {"run": str(run.pk), **{k: v for k, v in params.items() if v}}
    return f"{reverse('valuation:facility-lines', args=[facility.pk])}?{urlencode(query)}"


BAR_FILTERS = {"book_value": {}, "eligible": {"status": "eligible"}, "liquidation_value": {"status": "eligible"}}


def chart(facility: Facility, run: ValuationRun, *, links: bool, title: str | None = None, width: int = 720) -> str:
    """The run's waterfall as inline SVG; each bar links to its lines when ``links``."""
    bars: list[WaterfallBar] = waterfall_bars(run.result or {})
    if links:
        linked = []
        for bar in bars:
            if bar.key.startswith("reason:"):
                href = lines_url(facility, run, reason=bar.key.removeprefix("reason:"), sort="-ineligible")
            elif bar.key in BAR_FILTERS:
                href = lines_url(facility, run, **BAR_FILTERS[bar.key])
            else:
                href = lines_url(facility, run, status="eligible")
            linked.append(replace(bar, href=href))
        bars = linked
    return waterfall_svg(bars, currency=run.currency, title=title or _("From book value to financing"), width=width)


@dataclass(frozen=True)
class GroupRow:
    """One category or warehouse: book value, eligible, ineligible (and liquidation value)."""

    key: str
    label: str
    book_value: Decimal
    eligible: Decimal
    ineligible: Decimal
    href: str = ""
    liquidation_value: Decimal | None = None
    eligible_liquidation_value: Decimal | None = None
    recovery_ratio_pct: Decimal | None = None
    liquidity_class: str = ""


def _groups(result: dict[str, Any], field: str) -> dict[str, list[Decimal]]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for group in (result.get("eligibility") or {}).get("groups") or []:
        key = str(group.get(field) or "")
        book = dec(group.get("book_value")) or ZERO
        eligible = dec(group.get("eligible")) or ZERO
        totals[key][0] += book
        totals[key][1] += eligible
        totals[key][2] += book - eligible
    return totals


def by_category(facility: Facility, run: ValuationRun, *, links: bool) -> list[GroupRow]:
    result = run.result or {}
    liquidation = {str(c.get("category")): c for c in (result.get("liquidation") or {}).get("by_category") or []}
    rows = []
    for key, (book, eligible, ineligible) in _groups(result, "category").items():
        extra = liquidation.get(key, {})
        rows.append(
            GroupRow(
                key=key,
                label=category_label(key),
                book_value=book,
                eligible=eligible,
                ineligible=ineligible,
                href=lines_url(facility, run, category=key) if links else "",
                liquidation_value=dec(extra.get("liquidation_value")),
                eligible_liquidation_value=dec(extra.get("eligible_liquidation_value")),
                recovery_ratio_pct=dec(extra.get("recovery_ratio_pct")),
                liquidity_class=liquidity_label(str(extra.get("liquidity_class") or "")),
            )
        )
    return rows


WAREHOUSE_ROWS = 50


def by_warehouse(facility: Facility, run: ValuationRun, *, links: bool) -> list[GroupRow]:
    """Warehouses by book value, largest first; past the 50th they are summed in one row (the
    drill-down filters any of them), so a client with hundreds of sites keeps a readable page."""
    groups = sorted(_groups(run.result or {}, "warehouse").items(), key=lambda item: (-item[1][0], item[0]))
    rows = [
        GroupRow(
            key=key,
            label=key or _("(no warehouse)"),
            book_value=book,
            eligible=eligible,
            ineligible=ineligible,
            href=lines_url(facility, run, warehouse=key) if links and key else "",
        )
        for key, (book, eligible, ineligible) in groups[:WAREHOUSE_ROWS]
    ]
    rest = groups[WAREHOUSE_ROWS:]
    if rest:
        rows.append(
            GroupRow(
                key="",
                label=_("%(count)s other warehouses") % {"count": len(rest)},
                book_value=sum((g[1][0] for g in rest), ZERO),
                eligible=sum((g[1][1] for g in rest), ZERO),
                ineligible=sum((g[1][2] for g in rest), ZERO),
            )
        )
    return rows


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    amount: Decimal
    lines: int | None
    status: str
    href: str = ""
    note: str = ""


def ineligible_by_reason(facility: Facility, run: ValuationRun, *, links: bool) -> list[ReasonRow]:
    """Each rule (waterfall) with its amount and line count, including rules that were off or could
    not be assessed (so the reader sees what was not checked); each criteria discount otherwise."""
    eligibility = (run.result or {}).get("eligibility") or {}
    amounts = {str(r.get("reason")): dec(r.get("amount")) or ZERO for r in eligibility.get("by_reason") or []}
    rows = []
    for rule in eligibility.get("rules") or []:
        reason = str(rule.get("reason"))
        amount = amounts.get(reason, dec(rule.get("amount")) or ZERO)
        note = ""
        missing = ", ".join(str(c) for c in rule.get("missing_columns") or [])
        if missing and rule.get("status") == "not_assessed":
            note = _("Not assessed: the stock file has no column %(columns)s.") % {"columns": missing}
        elif missing:
            note = _("Assessed without the column(s) %(columns)s.") % {"columns": missing}
        rows.append(
            ReasonRow(
                reason=reason,
                label=reason_label(reason),
                amount=amount,
                lines=int(rule.get("lines") or 0),
                status=str(rule.get("status") or ""),
                href=lines_url(facility, run, reason=reason, sort="-ineligible") if links and amount else "",
                note=note or rule_note_text(str(rule.get("note") or ""), currency=run.currency or "EUR"),
            )
        )
    if not rows:
        rows = [
            ReasonRow(
                reason=reason,
                label=reason_label(reason),
                amount=amount,
                lines=None,
                status="applied",
                href=lines_url(facility, run, reason=reason, sort="-ineligible") if links and amount else "",
            )
            for reason, amount in amounts.items()
        ]
    return rows


def levers(facility: Facility, run: ValuationRun, *, links: bool) -> list[dict[str, Any]]:
    """The levers, largest financing gain first: "clearing obsolete stock adds €X of financing"."""
    items = []
    for lever in (run.result or {}).get("levers") or []:
        reason = str(lever.get("reason"))
        items.append(
            {
                "kind": lever.get("kind"),
                "reason": reason,
                "label": reason_label(reason),
                "amount_made_eligible": dec(lever.get("amount_made_eligible")) or ZERO,
                "financing_gain": dec(lever.get("financing_gain")) or ZERO,
                "href": lines_url(facility, run, reason=reason, sort="-ineligible") if links else "",
            }
        )
    return sorted(items, key=lambda i: (-i["financing_gain"], -i["amount_made_eligible"], i["reason"]))


def discounts(run: ValuationRun) -> list[dict[str, Any]]:
    return [
        {
            "discount": str(d.get("discount")),
            "label": reason_label(str(d.get("discount"))),
            "status": d.get("status") or "",
            "basis": rule_note_text(d.get("basis") or "", currency=run.currency or "EUR"),
            "computed": dec(d.get("computed")),
            "amount": dec(d.get("amount")),
        }
        for d in ((run.result or {}).get("eligibility") or {}).get("discounts") or []
    ]


def visible_parts(facility: Facility, user: Any) -> dict[str, bool]:
    """Advisors see the whole dossier; a client user sees what the advisor chose to show the
    company (key figures, waterfall, ineligibles), never the working tables or the levers."""
    return asdict(access.visibility(user, facility.client))


def dossier_context(facility: Facility, user: Any, run_id: Any = None) -> dict[str, Any]:
    """Everything the dossier page shows: a handful of queries, whatever the run's size."""
    runs = list(facility_runs(facility, user))
    chosen = load_run(pick_run(runs, run_id))
    links = bool(getattr(user, "is_advisor", False))
    current = next((r for r in runs if r.status == RunStatus.DONE), None)
    # A run newer than the current one that failed (e.g. the terms just saved are refused).
    failed = [
        r
        for r in runs
        if r.status == RunStatus.FAILED
        and (current is None or current.finished_at is None or r.created_at > current.finished_at)
    ]
    context: dict[str, Any] = {
        "runs": runs,
        "run": chosen,
        "links": links,
        "show": visible_parts(facility, user),
        "pending": any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs),
        "latest_failed": failed[0] if failed else None,
        **terms_summary(facility),
    }
    context["run_options"] = run_options(runs, chosen, show_figures=context["show"]["figures"])
    context.update(_appraisal_context(facility, chosen, context["show"]))
    # roll-forward (issue 16)
    context.update(dossier_rollforward(facility, user))
    if chosen is None or chosen.status != RunStatus.DONE or not chosen.result:
        return context
    if current is not None and chosen.pk == current.pk:
        chosen.facility = facility
        context["freshness"] = valuation_services.freshness(chosen)
    result = chosen.result
    reasons = ineligible_by_reason(facility, chosen, links=links)
    context.update(
        {
            "result": result,
            "binding_label": binding_label(str((result.get("financing") or {}).get("binding") or "")),
            "chart": chart(facility, chosen, links=links),
            "categories": by_category(facility, chosen, links=links),
            "warehouses": by_warehouse(facility, chosen, links=links),
            "reasons": reasons,
            "warnings": [
                warning_text(w, currency=chosen.currency or facility.currency or "EUR")
                for w in result.get("warnings") or []
            ],
            "unassessed": [r for r in reasons if r.status != "applied" and not r.amount],
            "conversions": _conversion_notes(result),
            "file_gaps": run_gaps(chosen),
            "discounts": discounts(chosen),
            "reserves": reserve_rows(
                (result.get("financing") or {}).get("borrowing_base"), chosen.currency or facility.currency or "EUR"
            ),
            "levers": levers(facility, chosen, links=links),
            "all_lines_url": lines_url(facility, chosen) if links else "",
            "eligible_lines_url": lines_url(facility, chosen, status="eligible") if links else "",
            "ineligible_lines_url": lines_url(facility, chosen, status="ineligible", sort="-ineligible")
            if links
            else "",
        }
    )
    return context


def _conversion_notes(result: dict[str, Any]) -> list[Any]:
    from valuation.workspace.conversions import conversion_notes

    return conversion_notes(result)


def _appraisal_context(facility: Facility, run: ValuationRun | None, show: dict[str, bool]) -> dict[str, Any]:
    """The appraisal the shown valuation used (status at its stock date; today's without one)
    and the firm sub-categories whose own settings valued lines. Working material: advisors."""
    if not show.get("detail"):
        return {}
    from django.utils import timezone

    from facilities.appraisals import appraisal_used

    as_of = run.as_of if run is not None else timezone.localdate()
    result = (run.result or {}) if run is not None else {}
    subs = (result.get("liquidation") or {}).get("by_sub_category") or []
    return {
        "appraisal": appraisal_used(facility, as_of),
        "sub_categories": [
            {
                **sub,
                "category_label": category_label(sub["category"]),
                "liquidity_label": liquidity_label(sub["liquidity_class"]),
            }
            for sub in subs
        ],
    }


# ------------------------------------------------------------------------------------ comparison


def _path(result: dict[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# (label, path in the result, kind): kind is "money", "pct" or "num" (how the figure is shown).
COMPARED = (
    (gettext_lazy("Book value"), "eligibility.book_value", "money"),
    (gettext_lazy("Eligible stock"), "eligibility.eligible", "money"),
    (gettext_lazy("Ineligible stock"), "eligibility.ineligible", "money"),
    (gettext_lazy("Liquidation value"), "liquidation.liquidation_value", "money"),
    (gettext_lazy("Liquidation value of eligible stock"), "liquidation.eligible_liquidation_value", "money"),
    (gettext_lazy("Mobilisable stock"), "financing.pledge.mobilisable", "money"),
    (gettext_lazy("Guarantee offered"), "financing.pledge.guarantee", "money"),
    (gettext_lazy("Replenishment shortfall"), "financing.pledge.replenishment_shortfall", "money"),
    (gettext_lazy("Cost leg"), "financing.borrowing_base.cost_leg", "money"),
    (gettext_lazy("NOLV leg"), "financing.borrowing_base.nolv_leg", "money"),
    (gettext_lazy("Reserves"), "financing.borrowing_base.reserves", "money"),
    (gettext_lazy("Borrowing base"), "financing.borrowing_base.borrowing_base", "money"),
    (gettext_lazy("Financing"), "financing.financing", "money"),
    (gettext_lazy("Outstanding"), "financing.outstanding", "money"),
    (gettext_lazy("Availability"), "financing.availability", "money"),
    (gettext_lazy("Loan-to-value"), "financing.ltv.ltv_pct", "pct"),
    (gettext_lazy("Days of stock"), "working_capital.days_of_stock", "num"),
    (gettext_lazy("Working-capital need for the target days"), "working_capital.need_for_target", "money"),
    (gettext_lazy("All-in annual cost"), "financing_cost.total", "money"),
    (gettext_lazy("All-in cost (% of average drawn)"), "financing_cost.all_in_pct", "pct"),
)


@dataclass(frozen=True)
class RunPair:
    """Two of a facility's runs to compare, each with its result, and the completed runs to pick from."""

    runs: list[ValuationRun]
    before: ValuationRun | None
    after: ValuationRun | None


def pick_pair(facility: Facility, user: Any, before_id: Any = None, after_id: Any = None) -> RunPair:
    """The runs asked for (404 when one is not the facility's), by default the current run (after)
    and the completed run before it (before)."""
    runs = list(facility_runs(facility, user))
    done = [r for r in runs if r.status == RunStatus.DONE]
    after = pick_run(runs, after_id) if after_id not in (None, "") else (done[0] if done else None)
    before = pick_run(runs, before_id) if before_id not in (None, "") else None
    if before is None and after is not None:
        before = next((r for r in done if r.pk != after.pk), None)
    return RunPair(runs=done, before=load_run(before), after=load_run(after))


@dataclass(frozen=True)
class ComparedFigure:
    label: str
    kind: str
    before: Decimal | None
    after: Decimal | None
    # What the figure is, whatever the language: its path in the result, or "reason:<code>" (the API's key).
    key: str = ""

    @property
    def delta(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[ComparedFigure]:
    """The figures of two results side by side (a figure neither result has is left out), with
    each ineligible reason after the book value."""
    rows = []
    for label, path, kind in COMPARED:
        a, b = dec(_path(before, path)), dec(_path(after, path))
        if a is None and b is None:
            continue
        rows.append(ComparedFigure(str(label), kind, a, b, key=path))
        if path == "eligibility.book_value":
            reasons: dict[str, list[Decimal | None]] = {}
            for index, result in enumerate((before, after)):
                for item in (result.get("eligibility") or {}).get("by_reason") or []:
                    pair = reasons.setdefault(str(item.get("reason")), [ZERO, ZERO])
                    pair[index] = dec(item.get("amount")) or ZERO
            for reason, (x, y) in reasons.items():
                if x or y:
                    rows.append(ComparedFigure(f"− {reason_label(reason)}", "money", x, y, key=f"reason:{reason}"))
    return rows


@dataclass(frozen=True)
class Proposal:
    """Figures under proposed terms, computed from a run's stored lines and saved nowhere."""

    result: dict[str, Any] | None
    error: str = ""


def propose(*, candidate: Facility, run: ValuationRun) -> Proposal:
    """Value the run's stock file again under ``candidate``'s terms (an unsaved facility) with
    the same engine and the same stored lines as a recompute; nothing is written. Reads every
    line, so it is an explicit action (a form post), never part of the dossier page."""
    from django.core.exceptions import ValidationError

    from facilities.terms import engine_terms
    from valuation.engine.errors import EngineInputError, TermsError
    from valuation.engine.fx import ConvertedTooLarge, NoRateError, rates_used, valuate_converted
    from valuation.engine.serialize import result_to_dict
    from valuation.pipeline.frames import lines_frame
    from valuation.pipeline.services import no_rate_text
    from valuation.rates.services import max_rate_age_days, rate_table

    try:
        terms = engine_terms(candidate, as_of=run.as_of)
        lines = lines_frame(run.upload)
        if lines.empty:
            return Proposal(None, _("The stock lines of this valuation are no longer stored."))
        # Converted into the candidate's currency as a run is: never valued unconverted.
        result, conversions = valuate_converted(
            lines,
            terms,
            as_of=run.as_of,
            target=candidate.currency,
            default_currency=run.upload.file_currency,
            table=rate_table(firm_id=candidate.client.firm_id, as_of=run.as_of),
            max_age_days=max_rate_age_days(),
        )
    except ValidationError as error:
        return Proposal(None, "; ".join(error.messages))
    except (TermsError, EngineInputError, ConvertedTooLarge) as error:
        return Proposal(None, str(error))
    except NoRateError as error:
        return Proposal(None, no_rate_text(error.currency, error.target, error.day))
    body = result_to_dict(result)
    body["conversions"] = rates_used(conversions)
    return Proposal(body)


def terms_summary(facility: Facility) -> dict[str, Any]:
    """The facility's rules (order, on/off, threshold with its unit) and LTV caps, as stored."""
    from django.core.exceptions import ValidationError

    from facilities import terms_settings as ts

    try:
        eligibility = ts.clean_eligibility(facility.eligibility_settings)
        caps = ts.clean_ltv_caps(facility.ltv_caps)
    except ValidationError as error:
        return {"terms_error": " ".join(error.messages)}
    rules = []
    for item in eligibility["rules"]:
        threshold = ts.RULE_THRESHOLDS.get(item["rule"])
        rules.append(
            {
                "code": item["rule"],
                "label": reason_label(item["rule"]),
                "enabled": item["enabled"],
                "threshold": item[threshold[0]] if threshold else None,
                "unit": threshold[1] if threshold else "",
            }
        )
    return {
        "terms_rules": rules,
        "terms_caps": [(liquidity_label(k), Decimal(v)) for k, v in caps.items()],
        "terms_locations": eligibility,
    }
