"""Levers: how much more financing the borrower would get by clearing one reason.

For a waterfall rule, the rule is switched off and the waterfall re-run over the lines it took
(only those can change), so a line also caught by a later rule stays out: the gain is what
clearing the reason really brings. For a criteria discount, its applied amount becomes eligible.
The structure is recomputed with every min and cap, the loan-to-value caps included, and levers
are ranked by financing gain (then by amount made eligible), largest first. Amounts in cents until the result boundary.
"""

from __future__ import annotations

import numpy as np

from valuation.engine.criteria import CriteriaOutcome
from valuation.engine.liquidation import eligible_share
from valuation.engine.money import to_decimal as dec
from valuation.engine.result import Lever
from valuation.engine.rules import RuleTake, Waterfall, run_waterfall
from valuation.engine.structures import financing_cents
from valuation.engine.terms import FacilityTerms, LiquidityClass

_CLASSES = tuple(LiquidityClass)


def nrv_by_class(line_class: np.ndarray, nrv_cents: np.ndarray) -> dict[LiquidityClass, int]:
    """Eligible liquidation value per liquidity class, in integer cents (``line_class`` holds each
    line's index in ``LiquidityClass``)."""
    return {klass: int(nrv_cents[line_class == i].sum()) for i, klass in enumerate(_CLASSES)}


def _with_gain(
    by_class: dict[LiquidityClass, int], line_class: np.ndarray, index: np.ndarray, gained: np.ndarray
) -> dict[LiquidityClass, int]:
    """``by_class`` plus the liquidation value a lever makes eligible on the lines ``index``."""
    extra = nrv_by_class(line_class[index], gained)
    return {klass: by_class.get(klass, 0) + extra[klass] for klass in _CLASSES}


def waterfall_levers(
    book: np.ndarray,
    nrv: np.ndarray,
    eligible_nrv: np.ndarray,
    takes: list[RuleTake],
    waterfall: Waterfall,
    terms: FacilityTerms,
    *,
    line_class: np.ndarray,
) -> list[Lever]:
    """One lever per rule that took something (see the module docstring)."""
    eligible_total = int(waterfall.eligible.sum())
    nrv_total = int(eligible_nrv.sum())
    by_class = nrv_by_class(line_class, eligible_nrv)
    base = financing_cents(eligible_total, nrv_total, terms, by_class)
    levers = []
    for position, rule in enumerate(waterfall.reasons):
        index = np.flatnonzero(waterfall.taken[position] > 0)
        if not len(index):
            continue
        others = [take for take in takes if take.rule != rule]
        cleared = run_waterfall(book, others, index)
        gained = int(cleared.eligible.sum()) - int(waterfall.eligible[index].sum())
        new_nrv = eligible_share(nrv[index], cleared.eligible, book[index], cleared.matched)
        gained_nrv = int(new_nrv.sum()) - int(eligible_nrv[index].sum())
        after_class = _with_gain(by_class, line_class, index, new_nrv - eligible_nrv[index])
        after = financing_cents(eligible_total + gained, nrv_total + gained_nrv, terms, after_class)
        levers.append(Lever("rule", str(rule), dec(gained), dec(after - base)))
    return rank(levers)


def criteria_levers(
    book: np.ndarray,
    nrv: np.ndarray,
    eligible_nrv: np.ndarray,
    excluded: np.ndarray,
    outcome: CriteriaOutcome,
    terms: FacilityTerms,
    *,
    line_class: np.ndarray,
) -> list[Lever]:
    """One lever per discount that took something: its applied amount made eligible."""
    eligible_total = int(outcome.eligible.sum())
    nrv_total = int(eligible_nrv.sum())
    by_class = nrv_by_class(line_class, eligible_nrv)
    base = financing_cents(eligible_total, nrv_total, terms, by_class)
    levers = []
    for discount, part in zip(outcome.reasons, outcome.taken, strict=True):
        index = np.flatnonzero(part > 0)
        if not len(index):
            continue
        gained = int(part[index].sum())
        new_eligible = outcome.eligible[index] + part[index]
        new_nrv = eligible_share(nrv[index], new_eligible, book[index], excluded[index])
        gained_nrv = int(new_nrv.sum()) - int(eligible_nrv[index].sum())
        after_class = _with_gain(by_class, line_class, index, new_nrv - eligible_nrv[index])
        after = financing_cents(eligible_total + gained, nrv_total + gained_nrv, terms, after_class)
        levers.append(Lever("discount", str(discount), dec(gained), dec(after - base)))
    return rank(levers)


def rank(levers: list[Lever]) -> list[Lever]:
    """Largest financing gain first, then largest amount made eligible, then reason name."""
    return sorted(levers, key=lambda x: (-x.financing_gain, -x.amount_made_eligible, x.reason))
