"""Facility alerts: which monitoring conditions hold on a facility's latest valuation.

Pure functions of stored figures (no Django). ``evaluate`` takes the figures of the current run,
those of the previous accepted run (None for a first file), the thresholds in force and the
appraisal's expiry date, and says for each kind of alert whether it is active, with the figure, the
threshold and the comparison in ``details`` (JSON-able: Decimals as strings). The pipeline stores
the answer as stateful alerts (``valuation.pipeline.alerting``).

Every comparison is exact and strict: a figure exactly at its threshold does not raise the alert.
Percentages are computed exactly and rounded half-up to one decimal only in ``details``.

"Collateral change" compares the eligible stock and the financing with the last approved borrowing
base certificate (the figures of the run it was issued from: its ``basis`` is "certificate"); a
facility that never had a certificate approved is compared with its previous accepted run instead
(``basis`` "previous_run"), and the alert's text says so. Which run the last approved certificate
showed is found by the pipeline (``valuation.pipeline.alerting.certified_run``); this module only
compares figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# The kinds of alert (stored on ``valuation.Alert.kind``; the pages label them).
COLLATERAL_CHANGE = "collateral_change"
LTV_ABOVE_CAP = "ltv_above_cap"
ROTATION_SLOWDOWN = "rotation_slowdown"
SITE_CONCENTRATION = "site_concentration"
CATEGORY_CONCENTRATION = "category_concentration"
SKU_CONCENTRATION = "sku_concentration"
BOOK_VALUE_JUMP = "book_value_jump"
EXPIRED_APPRAISAL = "expired_appraisal"
# Raised and resolved by the deliverables calendar (``raise_or_resolve``), never by ``evaluate``.
LATE_DELIVERABLE = "late_deliverable"

KINDS = (
    COLLATERAL_CHANGE,
    LTV_ABOVE_CAP,
    ROTATION_SLOWDOWN,
    SITE_CONCENTRATION,
    CATEGORY_CONCENTRATION,
    SKU_CONCENTRATION,
    BOOK_VALUE_JUMP,
    EXPIRED_APPRAISAL,
    LATE_DELIVERABLE,
)
# The kinds a valuation decides: after each run, each of them is raised or resolved.
RUN_KINDS = KINDS[:-1]
# --- the credit file (issue 16, part 4): raised and resolved by the document checks
# (valuation.pipeline.monitoring.check_credit_documents), never by ``evaluate``.
DOCUMENT_EXPIRING = "document_expiring"
DOCUMENT_EXPIRED = "document_expired"
KINDS = (*KINDS, DOCUMENT_EXPIRING, DOCUMENT_EXPIRED)
# --- end of the credit file
# roll-forward (issue 16): raised and resolved by valuation.pipeline.rollforward, never by ``evaluate``.
ROLLFORWARD_UNRECONCILED = "rollforward_unreconciled"
KINDS = (*KINDS, ROLLFORWARD_UNRECONCILED)
# covenants (issue 16): raised and resolved by valuation/pipeline/covenants.py after each test.
COVENANT_BREACH = "covenant_breach"
KINDS = (*KINDS, COVENANT_BREACH)

ZERO = Decimal(0)


@dataclass(frozen=True)
class Thresholds:
    """The thresholds in force for one facility (the firm's, or the facility's override).

    collateral_change_pct: a move of eligible stock or financing of more than this % from the
    last approved certificate (or the previous run); ltv_max_pct: an LTV above this % (None:
    only the facility's own cap, through ``ltv_exceeded``); rotation_slowdown_days: days of stock
    up by more than this many days;
    site_concentration_pct / category_concentration_pct / sku_concentration_pct: one site, one
    category or one SKU holding more than this % of eligible stock."""

    collateral_change_pct: Decimal = Decimal(20)
    ltv_max_pct: Decimal | None = None
    rotation_slowdown_days: Decimal = Decimal(15)
    site_concentration_pct: Decimal = Decimal(60)
    category_concentration_pct: Decimal = Decimal(70)
    sku_concentration_pct: Decimal = Decimal(50)


@dataclass(frozen=True)
class RunFigures:
    """What the alerts read of one run: amounts in the run's currency, Decimal."""

    eligible: Decimal | None
    financing: Decimal | None
    ltv_pct: Decimal | None = None
    ltv_cap_pct: Decimal | None = None
    ltv_exceeded: bool = False
    days_of_stock: Decimal | None = None
    eligible_by_site: dict[str, Decimal] = field(default_factory=dict)
    eligible_by_category: dict[str, Decimal] = field(default_factory=dict)
    # The SKU holding the most eligible stock and that amount (the engine's
    # ``eligibility.largest_sku``); None when nothing is eligible or the result predates it.
    largest_sku: tuple[str, Decimal] | None = None
    # The eligible stock the SKU's share is taken of (the result's own total).
    sku_basis: Decimal | None = None
    jumps: tuple[dict[str, Any], ...] = ()
    as_of: str = ""


@dataclass(frozen=True)
class Evaluation:
    kind: str
    active: bool
    details: dict[str, Any]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _pct1(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def figures_from_result(
    result: dict[str, Any] | None,
    *,
    eligible: Decimal | None,
    financing: Decimal | None,
    jumps: list[dict[str, Any]] | None = None,
    as_of: str = "",
) -> RunFigures:
    """A run's figures from its stored result (``result_to_dict``) and key figures. The eligible
    stock per site and per category is summed from the result's groups (category × warehouse);
    lines without a site count under "". The largest SKU is the one the engine stored."""
    result = result or {}
    eligibility = result.get("eligibility") or {}
    top = eligibility.get("largest_sku") or {}
    top_amount = _decimal(top.get("eligible"))
    largest_sku = (str(top.get("sku") or ""), top_amount) if top_amount is not None else None
    ltv = (result.get("financing") or {}).get("ltv") or {}
    by_site: dict[str, Decimal] = {}
    by_category: dict[str, Decimal] = {}
    for group in (result.get("eligibility") or {}).get("groups") or []:
        amount = _decimal(group.get("eligible")) or ZERO
        site = str(group.get("warehouse") or "")
        category = str(group.get("category") or "")
        by_site[site] = by_site.get(site, ZERO) + amount
        by_category[category] = by_category.get(category, ZERO) + amount
    return RunFigures(
        eligible=eligible,
        financing=financing,
        ltv_pct=_decimal(ltv.get("ltv_pct")),
        ltv_cap_pct=_decimal(ltv.get("cap_pct")),
        ltv_exceeded=bool(ltv.get("exceeded")),
        days_of_stock=_decimal((result.get("working_capital") or {}).get("days_of_stock")),
        eligible_by_site=by_site,
        eligible_by_category=by_category,
        largest_sku=largest_sku,
        sku_basis=_decimal(eligibility.get("eligible")),
        jumps=tuple(jumps or ()),
        as_of=as_of,
    )


def _moved_beyond(previous: Decimal | None, current: Decimal | None, threshold_pct: Decimal) -> dict[str, Any] | None:
    """The move previous → current when both exist, with ``beyond``: |Δ| × 100 > threshold × |previous|
    (exact). From zero, any non-zero figure is beyond."""
    if previous is None or current is None:
        return None
    delta = current - previous
    if previous == 0:
        beyond = current != 0
        change = None
    else:
        beyond = abs(delta) * 100 > threshold_pct * abs(previous)
        change = _pct1(delta * 100 / previous)
    return {"previous": _s(previous), "current": _s(current), "change_pct": _s(change), "beyond": beyond}


# What the collateral change is measured against (``details["basis"]``).
BASIS_CERTIFICATE = "certificate"
BASIS_PREVIOUS_RUN = "previous_run"


@dataclass(frozen=True)
class CertifiedFigures:
    """The last approved borrowing base certificate: its number and the figures of its run."""

    number: int
    figures: RunFigures


def collateral_change(
    current: RunFigures,
    previous: RunFigures | None,
    thresholds: Thresholds,
    certificate: CertifiedFigures | None = None,
) -> Evaluation:
    """Eligible stock or financing moved by more than ``collateral_change_pct`` from the last
    approved certificate's figures; without one, from the previous run (``basis`` says which)."""
    threshold = thresholds.collateral_change_pct
    details: dict[str, Any] = {"threshold_pct": _s(threshold), "comparison": "abs_change_pct_gt"}
    if certificate is not None:
        details.update({"basis": BASIS_CERTIFICATE, "certificate_number": certificate.number})
        previous = certificate.figures
    else:
        details["basis"] = BASIS_PREVIOUS_RUN
    active = False
    if previous is not None:
        details["previous_as_of"] = previous.as_of
        for name in ("eligible", "financing"):
            move = _moved_beyond(getattr(previous, name), getattr(current, name), threshold)
            if move is not None:
                details[name] = move
                active = active or move["beyond"]
    return Evaluation(COLLATERAL_CHANGE, active, details)


def ltv_above_cap(current: RunFigures, thresholds: Thresholds) -> Evaluation:
    """The LTV above the facility's cap (the engine's ``exceeded``) or above ``ltv_max_pct``."""
    above_max = (
        thresholds.ltv_max_pct is not None and current.ltv_pct is not None and current.ltv_pct > thresholds.ltv_max_pct
    )
    details = {
        "ltv_pct": _s(current.ltv_pct),
        "cap_pct": _s(current.ltv_cap_pct),
        "cap_exceeded": current.ltv_exceeded,
        "threshold_pct": _s(thresholds.ltv_max_pct),
        "comparison": "gt",
    }
    return Evaluation(LTV_ABOVE_CAP, current.ltv_exceeded or above_max, details)


def rotation_slowdown(current: RunFigures, previous: RunFigures | None, thresholds: Thresholds) -> Evaluation:
    """Days of stock up by strictly more than ``rotation_slowdown_days`` from the previous run."""
    threshold = thresholds.rotation_slowdown_days
    details: dict[str, Any] = {"threshold_days": _s(threshold), "comparison": "increase_gt"}
    active = False
    before = previous.days_of_stock if previous is not None else None
    after = current.days_of_stock
    if before is not None and after is not None:
        increase = after - before
        details.update({"previous": _s(before), "current": _s(after), "increase_days": _s(increase)})
        active = increase > threshold
    return Evaluation(ROTATION_SLOWDOWN, active, details)


def _concentration(kind: str, shares: dict[str, Decimal], total: Decimal | None, threshold: Decimal) -> Evaluation:
    """The largest holder's share of eligible stock strictly above ``threshold`` % (exact:
    holder × 100 > threshold × total). A single site or category holding everything counts too:
    that is the most concentrated a facility can be."""
    details: dict[str, Any] = {"threshold_pct": _s(threshold), "comparison": "share_pct_gt"}
    total = sum(shares.values(), ZERO) if total is None else total
    if not shares or total <= 0:
        return Evaluation(kind, False, details)
    # The largest holder; at equal amounts, the first by name (a stable answer).
    name, amount = min(shares.items(), key=lambda item: (-item[1], item[0]))
    details.update(
        {"holder": name, "amount": _s(amount), "eligible": _s(total), "share_pct": _s(_pct1(amount * 100 / total))}
    )
    return Evaluation(kind, amount * 100 > threshold * total, details)


def site_concentration(current: RunFigures, thresholds: Thresholds) -> Evaluation:
    total = sum(current.eligible_by_site.values(), ZERO)
    return _concentration(SITE_CONCENTRATION, current.eligible_by_site, total, thresholds.site_concentration_pct)


def category_concentration(current: RunFigures, thresholds: Thresholds) -> Evaluation:
    total = sum(current.eligible_by_category.values(), ZERO)
    return _concentration(
        CATEGORY_CONCENTRATION, current.eligible_by_category, total, thresholds.category_concentration_pct
    )


def sku_concentration(current: RunFigures, thresholds: Thresholds) -> Evaluation:
    """The largest SKU's eligible stock strictly above ``sku_concentration_pct`` % of the run's
    eligible stock (exact: SKU × 100 > threshold × eligible). A result stored before the engine
    computed the largest SKU decides nothing (``details["computed"]`` false)."""
    threshold = thresholds.sku_concentration_pct
    if current.largest_sku is None:
        details = {"threshold_pct": _s(threshold), "comparison": "share_pct_gt", "computed": False}
        return Evaluation(SKU_CONCENTRATION, False, details)
    sku, amount = current.largest_sku
    total = current.sku_basis if current.sku_basis is not None else current.eligible
    evaluation = _concentration(SKU_CONCENTRATION, {sku: amount}, total, threshold)
    evaluation.details["computed"] = True
    return evaluation


def book_value_jump(current: RunFigures, jump_threshold_pct: Decimal | None = None) -> Evaluation:
    """The run's jumps (``valuation.engine.jumps``, against the firm's jump threshold)."""
    details = {"jumps": list(current.jumps), "threshold_pct": _s(jump_threshold_pct), "comparison": "abs_change_pct_gt"}
    return Evaluation(BOOK_VALUE_JUMP, bool(current.jumps), details)


def expired_appraisal(expiry_date: date | None, today: date) -> Evaluation:
    """The facility's latest appraisal expired before today (valid on its last day)."""
    details = {"expiry_date": expiry_date.isoformat() if expiry_date else None, "today": today.isoformat()}
    return Evaluation(EXPIRED_APPRAISAL, expiry_date is not None and expiry_date < today, details)


def evaluate(
    *,
    current: RunFigures,
    previous: RunFigures | None,
    thresholds: Thresholds,
    appraisal_expiry: date | None,
    today: date,
    jump_threshold_pct: Decimal | None = None,
    certificate: CertifiedFigures | None = None,
) -> list[Evaluation]:
    """One evaluation per kind a valuation decides (``RUN_KINDS``), in that order. The collateral
    change is measured against ``certificate`` when there is one, else against ``previous``."""
    return [
        collateral_change(current, previous, thresholds, certificate),
        ltv_above_cap(current, thresholds),
        rotation_slowdown(current, previous, thresholds),
        site_concentration(current, thresholds),
        category_concentration(current, thresholds),
        sku_concentration(current, thresholds),
        book_value_jump(current, jump_threshold_pct),
        expired_appraisal(appraisal_expiry, today),
    ]
