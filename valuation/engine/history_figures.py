"""The few figures a facility's history shows of one run, taken from its stored result.

Pure (no Django). The history reads, per period, the ineligible total and amounts by reason, the
LTV and the days of stock; they sit deep in the run's result JSON, which is large (every group of
category × site). The pipeline stores these figures beside the result when a run completes
(``ValuationRun.history_figures``), so the history reads a few hundred bytes per run instead of
the whole result. Amounts stay the result's exact decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# The keys of the stored figures (every one present; None when the result has no such figure).
KEYS = ("ineligible", "by_reason", "ltv_pct", "days_of_stock")


def _text(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def _took_something(amount: str | None) -> bool:
    try:
        return amount is not None and Decimal(amount) != 0
    except ArithmeticError:
        return False


def history_figures(result: dict[str, Any] | None) -> dict[str, Any]:
    """``{"ineligible", "by_reason", "ltv_pct", "days_of_stock"}`` of a stored result
    (``serialize.result_to_dict``): texts as the result holds them, ``by_reason`` as
    ``[[reason, amount], ...]`` in the result's order, leaving out the reasons that took nothing."""
    result = result or {}
    eligibility = result.get("eligibility") or {}
    ltv = (result.get("financing") or {}).get("ltv") or {}
    reasons = []
    for item in eligibility.get("by_reason") or []:
        if not isinstance(item, dict):
            continue
        code, amount = _text(item.get("reason")), _text(item.get("amount"))
        if code and _took_something(amount):
            reasons.append([code, amount])
    return {
        "ineligible": _text(eligibility.get("ineligible")),
        "by_reason": reasons,
        "ltv_pct": _text(ltv.get("ltv_pct")),
        "days_of_stock": _text((result.get("working_capital") or {}).get("days_of_stock")),
    }
