"""The criteria method (docs/domain.md, "The criteria method"): portfolio discounts, criterion by criterion.

Each discount is computed on its own basis (as example D of docs/domain.md does) and then spread over the
lines, so the same per-line, per-reason drill-down as the waterfall reconciles to the cent:
- obsolescence: obsolete lines (no movement for M days) in full;
- turnover: each other line loses its band's % of book value (half-up per line);
- mix: (category value − max share × total) for each category above its range, spread over that
  category's remaining value, any excess over the rest of the stock;
- record accuracy and physical controls: % × total, spread over the remaining value.
Spreading is largest-remainder pro rata (``money.allocate``) and never takes more than what is
left of a line, so total discounts are capped at total book value ("no stock is discounted for
more than its value"); the cut is shown as ``computed`` vs ``applied``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from valuation.engine.lines import CATEGORIES, Lines
from valuation.engine.money import allocate, apply_pct, apply_pct_lines, pct_to_micro, share_pct
from valuation.engine.rules import APPLIED, NOT_ASSESSED, obsolete_mask, turns_below
from valuation.engine.terms import BorrowerFacts, CriteriaTerms, Discount, TurnoverBand

# Allocation order: line-level discounts first (they are tied to lines), then portfolio ones.
ALLOCATION_ORDER = (
    Discount.OBSOLESCENCE,
    Discount.TURNOVER,
    Discount.MIX,
    Discount.RECORD_ACCURACY,
    Discount.PHYSICAL_CONTROLS,
)
# Presentation order, as docs/domain.md lists them.
DISPLAY_ORDER = tuple(Discount)


@dataclass(frozen=True)
class DiscountOutcome:
    """One criteria discount in cents: what its basis gives and what was applied after the cap."""

    discount: Discount
    status: str
    basis: str
    computed: int
    applied: int


@dataclass(frozen=True)
class CriteriaOutcome:
    """Per-line discounts in docs/domain.md order (``taken[k]`` for ``reasons[k]``), and summaries."""

    reasons: tuple[Discount, ...]
    taken: tuple[np.ndarray, ...]
    eligible: np.ndarray
    first_reason: np.ndarray
    discounts: tuple[DiscountOutcome, ...]


def run_criteria(lines: Lines, criteria: CriteriaTerms, borrower: BorrowerFacts) -> CriteriaOutcome:
    """Apply the five discounts to ``lines``; amounts in cents, half-up per line."""
    book = lines.book
    total = int(book.sum())
    remaining = book.copy()
    taken: dict[Discount, np.ndarray] = {}
    outcomes: dict[Discount, DiscountOutcome] = {}

    obsolete = _obsolete(lines, criteria)
    wanted, outcomes[Discount.OBSOLESCENCE] = _obsolescence(book, obsolete, lines, criteria)
    wanted_turnover, outcomes[Discount.TURNOVER] = _turnover(lines, criteria, borrower, obsolete)
    mix_wanted, outcomes[Discount.MIX] = _mix(lines, criteria, borrower, total)
    for discount in ALLOCATION_ORDER:
        if discount == Discount.OBSOLESCENCE:
            part = np.minimum(wanted, remaining)
        elif discount == Discount.TURNOVER:
            part = np.minimum(wanted_turnover, remaining)
        elif discount == Discount.MIX:
            part = _spread_mix(mix_wanted, lines, remaining)
        else:
            outcome = _portfolio(discount, criteria, total)
            outcomes[discount] = outcome
            part = allocate(outcome.computed, remaining)
        remaining = remaining - part
        taken[discount] = part
        applied = int(part.sum())
        outcomes[discount] = _with_applied(outcomes[discount], applied)

    ordered = tuple(taken[d] for d in DISPLAY_ORDER)
    first = np.full(len(book), -1, dtype=np.int8)
    for position, part in enumerate(ordered):
        first[(first < 0) & (part > 0)] = position
    summaries = tuple(outcomes[d] for d in DISPLAY_ORDER)
    return CriteriaOutcome(DISPLAY_ORDER, ordered, remaining, first, summaries)


def _with_applied(outcome: DiscountOutcome, applied: int) -> DiscountOutcome:
    return DiscountOutcome(outcome.discount, outcome.status, outcome.basis, outcome.computed, applied)


def _obsolete(lines: Lines, criteria: CriteriaTerms) -> np.ndarray | None:
    if "last_movement_date" not in lines.dates:
        return None
    return obsolete_mask(lines, criteria.obsolete_after_days)


def _obsolescence(
    book: np.ndarray, obsolete: np.ndarray | None, lines: Lines, criteria: CriteriaTerms
) -> tuple[np.ndarray, DiscountOutcome]:
    """Obsolete stock (no movement for ``obsolete_after_days``) is discounted in full."""
    if obsolete is None:
        outcome = DiscountOutcome(Discount.OBSOLESCENCE, NOT_ASSESSED, "no last_movement_date column", 0, 0)
        return np.zeros(len(book), dtype=np.int64), outcome
    wanted = np.where(obsolete, book, 0)
    amount = int(wanted.sum())
    basis = (
        f"{int(obsolete.sum())} line(s) with no movement for {criteria.obsolete_after_days} days "
        f"or more, {share_pct(amount, int(book.sum()))} % of stock, discounted in full"
    )
    return wanted, DiscountOutcome(Discount.OBSOLESCENCE, APPLIED, basis, amount, amount)


def band_for(turns_test, bands: tuple[TurnoverBand, ...], n: int) -> np.ndarray:
    """Per-line discount % (in ten-thousandths of a percent) of the first matching band."""
    pct = np.zeros(n, dtype=np.int64)
    decided = np.zeros(n, dtype=bool)
    for band in bands:
        match = ~decided if band.max_turns is None else ~decided & turns_test(band)
        pct[match] = pct_to_micro(band.discount_pct)
        decided |= match
    return pct


def _turnover(
    lines: Lines, criteria: CriteriaTerms, borrower: BorrowerFacts, obsolete: np.ndarray | None
) -> tuple[np.ndarray, DiscountOutcome]:
    """Turnover bands on each line not already discounted in full as obsolete.

    Turns per line = annual_consumption_qty ÷ quantity; without that column, the borrower's
    turns (annual cost of sales ÷ average stock) apply to every line; without either, the
    criterion is not assessed.
    """
    n = len(lines)
    book = lines.book
    not_obsolete = np.ones(n, dtype=bool) if obsolete is None else ~obsolete
    bands = criteria.turnover_bands
    consumption = lines.decimals.get("annual_consumption_qty")
    if consumption is not None:
        known = ~consumption.missing & not_obsolete

        def test(band: TurnoverBand) -> np.ndarray:
            assert band.max_turns is not None
            return turns_below(consumption.values, lines.quantity, band.max_turns, inclusive=band.inclusive)

        pct = band_for(test, bands, n)
        wanted = np.where(known, apply_pct_lines(book, pct), 0)
        unstated = int((consumption.missing & not_obsolete).sum())
        basis = _turnover_basis(book, pct, known, bands) + (
            f"; {unstated} line(s) without annual consumption not banded" if unstated else ""
        )
        amount = int(wanted.sum())
        return wanted, DiscountOutcome(Discount.TURNOVER, APPLIED, basis, amount, amount)
    cost_of_sales, average = borrower.annual_cost_of_sales, borrower.average_stock
    if cost_of_sales is None or not average:
        basis = "no annual_consumption_qty column and no borrower cost of sales / average stock"
        return np.zeros(n, dtype=np.int64), DiscountOutcome(Discount.TURNOVER, NOT_ASSESSED, basis, 0, 0)
    turns = cost_of_sales / average
    band_pct = _portfolio_band(turns, bands)
    wanted = np.where(not_obsolete, apply_pct_lines(book, band_pct), 0)
    amount = int(wanted.sum())
    basis = f"borrower turns {turns:.2f} (cost of sales ÷ average stock) → {band_pct} % of stock"
    return wanted, DiscountOutcome(Discount.TURNOVER, APPLIED, basis, amount, amount)


def _portfolio_band(turns: Decimal, bands: tuple[TurnoverBand, ...]) -> Decimal:
    for band in bands:
        if band.max_turns is None:
            return band.discount_pct
        if turns < band.max_turns or (band.inclusive and turns == band.max_turns):
            return band.discount_pct
    return Decimal(0)


def _turnover_basis(book: np.ndarray, pct: np.ndarray, known: np.ndarray, bands: tuple[TurnoverBand, ...]) -> str:
    parts = []
    previous = "0"
    for band in bands:
        micro = pct_to_micro(band.discount_pct)
        in_band = known & (pct == micro)
        value = int(book[in_band].sum())
        bound = f"≥ {previous}" if band.max_turns is None else f"{'≤' if band.inclusive else '<'} {band.max_turns}"
        if band.max_turns is not None:
            previous = str(band.max_turns)
        if value:
            parts.append(f"turns {bound}: {value / 100:,.2f} at {band.discount_pct} %")
    return "; ".join(parts) or "no stock in a discounted band"


def _mix(
    lines: Lines, criteria: CriteriaTerms, borrower: BorrowerFacts, total: int
) -> tuple[dict[int, int], DiscountOutcome]:
    """For each category above its range: (share − max share) × total = value − max × total."""
    ranges = criteria.ranges_for(borrower.business_model)
    wanted: dict[int, int] = {}
    parts: list[str] = []
    for code, category in enumerate(CATEGORIES):
        value = int(lines.book[lines.category == code].sum())
        mix = ranges.get(category)
        if mix is None or total == 0:
            continue
        ceiling = apply_pct(total, mix.max_pct)
        excess = max(value - ceiling, 0)
        if excess:
            wanted[code] = excess
            parts.append(
                f"{category} {share_pct(value, total)} % vs {mix.min_pct}-{mix.max_pct} % "
                f"({borrower.business_model}): {excess / 100:,.2f} above the range"
            )
    amount = sum(wanted.values())
    basis = "; ".join(parts) or f"mix within the {borrower.business_model} ranges"
    return wanted, DiscountOutcome(Discount.MIX, APPLIED, basis, amount, amount)


def _spread_mix(wanted: dict[int, int], lines: Lines, remaining: np.ndarray) -> np.ndarray:
    part = np.zeros(len(remaining), dtype=np.int64)
    spill = 0
    for code, amount in wanted.items():
        in_category = np.where(lines.category == code, remaining, 0)
        share = allocate(amount, in_category)
        part += share
        spill += amount - int(share.sum())
    if spill:
        # The excess is a portfolio figure: what the category cannot absorb falls on the rest.
        part += allocate(spill, remaining - part)
    return part


def _portfolio(discount: Discount, criteria: CriteriaTerms, total: int) -> DiscountOutcome:
    if discount == Discount.RECORD_ACCURACY:
        pct = criteria.count_variance_pct
        basis = f"count variance {pct} % × total stock {total / 100:,.2f}"
        if criteria.count_variance_source:
            basis += f" ({criteria.count_variance_source})"
    else:
        pct = criteria.physical_controls_pct
        reason = criteria.physical_controls_reason.strip()
        basis = f"physical controls {pct} % × total stock {total / 100:,.2f}" + (f": {reason}" if reason else "")
    amount = apply_pct(total, pct)
    return DiscountOutcome(discount, APPLIED, basis, amount, amount)
