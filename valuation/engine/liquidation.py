"""Liquidation value (docs/domain.md, "Three values of the same stock").

Per line, in cents, each figure rounded half-up to the cent:
- resale value = quantity × resale unit price;
- net realisable value = resale value − transport − storage − commissions, floored at zero;
  each cost is the line's own cell when given, else the category's % of resale value;
- a line with no resale price is valued at the category's ``nrv_pct_of_cost`` × book value, or
  at nothing when the category has none (it is counted, never guessed);
- a category with an appraisal (``nolv_appraisal_pct``) is valued at that % of book value on
  every line: the appraisal replaces the line estimate;
- a category whose appraisal has expired (``expired_appraisal_pct``) keeps each line's estimate
  above, lowered to that % of book value where the estimate is higher: never raised.
"The category" of a line is its firm sub-category when the terms define one with the line's
``sub_category`` code under the line's base category, else its base category (``line_settings``).
Liquidation value of eligible stock takes each line's NRV pro rata to its eligible share
(round_half_up(NRV × eligible ÷ book)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valuation.engine.columns import code_key
from valuation.engine.lines import CATEGORIES, Lines
from valuation.engine.money import PCT_SCALE, mul_div, pct_to_micro
from valuation.engine.terms import FacilityTerms

RESALE_ESTIMATE = "resale_estimate"
PCT_OF_COST = "pct_of_cost"
APPRAISAL = "appraisal"
NO_VALUE = "no_value"
NRV_BASES = (RESALE_ESTIMATE, PCT_OF_COST, APPRAISAL, NO_VALUE)

COST_COLUMNS = {
    "transport_cost": "transport_pct",
    "storage_cost": "storage_pct",
    "commission_cost": "commission_pct",
}


@dataclass(frozen=True)
class LineValues:
    """Per-line NRV in cents and the basis it came from (index into ``NRV_BASES``)."""

    nrv: np.ndarray
    basis: np.ndarray


@dataclass(frozen=True)
class LineSettings:
    """Which of ``terms.line_settings()`` values each line (int32 index), and the sub-category
    codes lines name that the terms do not define under their base category: (base category,
    code as written, line count), valued on the base category's settings."""

    index: np.ndarray
    unknown: tuple[tuple[str, str, int], ...]


def line_settings(lines: Lines, terms: FacilityTerms) -> LineSettings:
    """Each line's setting: its sub-category's when defined for its base category, else its
    base category's (lines without a sub-category, or naming an unknown code)."""
    index = lines.category.astype(np.int32)
    if lines.sub_category is None or len(lines.sub_category_labels) < 2:
        return LineSettings(index, ())
    n_base = len(CATEGORIES)
    defined = {(code_key(s.code), s.category): n_base + i for i, s in enumerate(terms.sub_categories)}
    table = np.full((len(lines.sub_category_labels), n_base), -1, dtype=np.int32)
    table[0, :] = np.arange(n_base, dtype=np.int32)
    for j, label in enumerate(lines.sub_category_labels[1:], start=1):
        key = code_key(label)
        for c, category in enumerate(CATEGORIES):
            table[j, c] = defined.get((key, category), -1)
    found = table[lines.sub_category, lines.category]
    missing = found < 0
    unknown: list[tuple[str, str, int]] = []
    if missing.any():
        pairs = lines.sub_category[missing].astype(np.int64) * n_base + lines.category[missing]
        values, counts = np.unique(pairs, return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            label, category = divmod(int(value), n_base)
            unknown.append((str(CATEGORIES[category]), lines.sub_category_labels[label], int(count)))
    return LineSettings(np.where(missing, index, found).astype(np.int32), tuple(unknown))


def line_nrv(lines: Lines, terms: FacilityTerms, assigned: LineSettings | None = None) -> LineValues:
    """Net realisable value of every line, in cents (see the module docstring)."""
    n = len(lines)
    settings = terms.line_settings()
    which = (assigned or line_settings(lines, terms)).index
    nrv = np.zeros(n, dtype=np.int64)
    basis = np.full(n, NRV_BASES.index(NO_VALUE), dtype=np.int8)

    price = lines.decimals.get("resale_unit_price")
    if price is not None:
        has_price = ~price.missing
        # quantity (3 decimals) × unit price (4 decimals) → cents: divide by 10^5.
        resale = mul_div(lines.quantity, np.where(has_price, price.values, 0), 10**5)
        costs = np.zeros(n, dtype=np.int64)
        for column, pct_name in COST_COLUMNS.items():
            rate = _per_setting(which, [getattr(s, pct_name) for s in settings])
            by_pct = mul_div(resale, rate, 100 * PCT_SCALE)
            given = lines.decimals.get(column)
            if given is None:
                costs += by_pct
            else:
                costs += np.where(given.missing, by_pct, given.values)
        nrv = np.where(has_price, np.maximum(resale - costs, 0), nrv)
        basis[has_price] = NRV_BASES.index(RESALE_ESTIMATE)

    for code, setting in enumerate(settings):
        in_category = which == code
        if not in_category.any():
            continue
        if setting.nolv_appraisal_pct is not None:
            pct = pct_to_micro(setting.nolv_appraisal_pct)
            nrv = np.where(in_category, mul_div(lines.book, pct, 100 * PCT_SCALE), nrv)
            basis[in_category] = NRV_BASES.index(APPRAISAL)
        elif setting.nrv_pct_of_cost is not None:
            unvalued = in_category & (basis == NRV_BASES.index(NO_VALUE))
            pct = pct_to_micro(setting.nrv_pct_of_cost)
            nrv = np.where(unvalued, mul_div(lines.book, pct, 100 * PCT_SCALE), nrv)
            basis[unvalued] = NRV_BASES.index(PCT_OF_COST)
        if setting.nolv_appraisal_pct is None and setting.expired_appraisal_pct is not None:
            # An expired appraisal only lowers: min(line estimate, expired NOLV % × book).
            pct = pct_to_micro(setting.expired_appraisal_pct)
            nrv = np.where(in_category, np.minimum(nrv, mul_div(lines.book, pct, 100 * PCT_SCALE)), nrv)
    return LineValues(nrv.astype(np.int64), basis)


def _per_setting(which: np.ndarray, pcts: list) -> np.ndarray:
    table = np.array([pct_to_micro(p) for p in pcts], dtype=np.int64)
    return table[which]


def eligible_share(amount: np.ndarray, eligible: np.ndarray, book: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """``amount`` × eligible ÷ book per line, half-up; whole and nil lines skip the division.

    A line with zero book value has no share to go by: ``excluded`` (a rule or discount wanted
    it) decides, so consigned stock at zero cost does not bring its resale value along.
    """
    whole = (eligible == book) & ~((book == 0) & excluded)
    partial = ~whole & (eligible > 0)
    result = np.where(whole, amount, 0)
    if partial.any():
        idx = np.flatnonzero(partial)
        result[idx] = mul_div(amount[idx], eligible[idx], book[idx])
    return result
