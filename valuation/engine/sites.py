"""Site guardrails (docs/domain.md, "Ineligible stock: the waterfall", the site rules).

A line counts only at a site the borrower declared, whose stock is insured, and, for a pledge with
dispossession, where the stock can be put under a custodian. Site codes are compared exactly as
the readers leave them (trimmed, case kept) with the declared codes (trimmed): a code that matches
no declared site in its exact spelling is undeclared, the safe side, and is named so the advisor
can fix the file or accept the site. A line whose warehouse cell is empty cannot be shown to be at
a declared site, so it is undeclared too (when the file has no warehouse column at all the rules
are "not assessed", said in the warnings). Masks are per line; amounts are int64 cents, no rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valuation.engine.lines import Lines
from valuation.engine.terms import FacilityTerms, Rule, Structure

NO_DECLARATION = "no declared sites given: every site taken as declared"
NOT_DISPOSSESSION = "applies to pledges with dispossession only"


@dataclass(frozen=True)
class SiteStock:
    """Stock at one site a site rule excludes: line count and book value in cents."""

    code: str
    lines: int
    book_cents: int


def _codes(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for v in values]


def site_refused(lines: Lines, terms: FacilityTerms, rule: Rule) -> tuple[np.ndarray, str]:
    """(per-label refusal mask over ``lines.warehouse_labels``, note) for one site rule."""
    labels = np.array(lines.warehouse_labels, dtype=object)
    nothing = np.zeros(len(labels), dtype=bool)
    if rule == Rule.UNDECLARED_SITE:
        if terms.declared_locations is None:
            return nothing, NO_DECLARATION
        return ~np.isin(labels, _codes(terms.declared_locations)) | (labels == ""), ""
    if rule == Rule.UNINSURED:
        return np.isin(labels, _codes(terms.uninsured_locations)), ""
    if rule == Rule.DISPOSSESSION_IMPOSSIBLE:
        if terms.structure != Structure.PLEDGE_WITH_DISPOSSESSION:
            return nothing, NOT_DISPOSSESSION
        return np.isin(labels, _codes(terms.no_dispossession_locations)), ""
    raise ValueError(f"{rule} is not a site rule")


def site_mask(lines: Lines, terms: FacilityTerms, rule: Rule) -> tuple[np.ndarray, str]:
    """(per-line mask, note): the lines a site rule takes in full."""
    refused, note = site_refused(lines, terms, rule)
    return refused[lines.warehouse], note


def site_stock(lines: Lines, mask: np.ndarray) -> tuple[SiteStock, ...]:
    """The stock a site mask takes, site by site (code order; the empty code for blank cells)."""
    found = []
    for code, label in enumerate(lines.warehouse_labels):
        at_site = mask & (lines.warehouse == code)
        count = int(np.count_nonzero(at_site))
        if count:
            found.append(SiteStock(label, count, int(lines.book[at_site].sum())))
    return tuple(sorted(found, key=lambda s: s.code))


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# One English message per site rule (pages translate them: borrowers/common/labels.py).
_MESSAGES = {
    Rule.UNDECLARED_SITE: "stock at undeclared site {code}: {lines} line(s), book value {book}, not eligible",
    Rule.UNINSURED: "stock at uninsured site {code}: {lines} line(s), book value {book}, not eligible",
    Rule.DISPOSSESSION_IMPOSSIBLE: (
        "pledge with dispossession: dispossession is impossible at site {code}: "
        "{lines} line(s), book value {book}, not eligible"
    ),
}


def site_warnings(lines: Lines, masks: dict[Rule, np.ndarray]) -> list[str]:
    """One warning per site and rule, naming the site, its line count and book value (whole
    lines at that site, whichever rule took them first: the flag is about the site)."""
    warnings = []
    for rule, mask in masks.items():
        for stock in site_stock(lines, mask):
            code = stock.code or "(none)"
            warnings.append(_MESSAGES[rule].format(code=code, lines=stock.lines, book=_money(stock.book_cents)))
    return warnings
