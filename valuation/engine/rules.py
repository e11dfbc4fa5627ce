"""The ineligibles waterfall (docs/domain.md, "Ineligible stock: the waterfall").

Rules run in the facility's order. Each takes from what is left of a line after the rules before
it, so a line's amount is attributed to the first rule that excludes it and nothing is counted
twice: book value = eligible + Σ ineligibles, to the cent, line by line. Retention of title is the
one partial rule: it takes the unpaid share and the rest of the line continues down the waterfall.
All amounts are int64 cents; no rounding happens here (the inputs are already cents).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from valuation.engine.lines import WIP_CODE, Lines
from valuation.engine.money import mul_div_remainder
from valuation.engine.sites import site_mask
from valuation.engine.terms import SITE_RULES, FacilityTerms, Rule, RuleSetting, rules_in_force, unrented_sites

APPLIED = "applied"
DISABLED = "disabled"
NOT_ASSESSED = "not_assessed"

# The columns each rule reads; the rule is "not assessed" when none of them is in the file.
RULE_INPUTS: dict[Rule, tuple[str, ...]] = {
    Rule.NOT_OWNED: ("supplier_consignment",),
    Rule.RETENTION_OF_TITLE: ("retention_of_title", "unpaid_amount"),
    Rule.REVERSE_FACTORING: ("reverse_factoring",),
    Rule.DEFECTIVE: ("defective",),
    Rule.PERISHABLE: ("expiry_date",),
    Rule.IN_TRANSIT: ("in_transit",),
    Rule.CUSTOMER_RETURN: ("customer_return",),
    Rule.WIP: ("category",),
    Rule.OBSOLETE: ("last_movement_date",),
    Rule.SLOW_MOVING: ("annual_consumption_qty",),
    Rule.LOCATION: ("warehouse",),
    Rule.UNDECLARED_SITE: ("warehouse",),
    Rule.UNINSURED: ("warehouse",),
    Rule.DISPOSSESSION_IMPOSSIBLE: ("warehouse",),
}
WIP_EXCEPTIONS = ("firm_order", "sellable_as_is")


@dataclass(frozen=True)
class RuleStatus:
    """How a rule fared: applied, disabled or not assessed (input column absent).

    ``unstated_lines`` counts lines whose input cell is empty: they were not excluded by this
    rule, and the count says so rather than passing them silently.
    """

    rule: Rule
    status: str
    missing_columns: tuple[str, ...] = ()
    unstated_lines: int = 0
    note: str = ""


@dataclass(frozen=True)
class RuleTake:
    """What one applied rule would take from each line: everything (mask) or a share (cents)."""

    rule: Rule
    mask: np.ndarray | None = None
    share: np.ndarray | None = None


@dataclass(frozen=True)
class Waterfall:
    """The waterfall's outcome per line, in cents.

    ``taken[k]`` is what the k-th applied rule (``reasons[k]``) took from each line;
    ``first_reason`` is the index of the first rule that took anything, -1 when none did.
    """

    reasons: tuple[Rule, ...]
    taken: tuple[np.ndarray, ...]
    eligible: np.ndarray
    first_reason: np.ndarray
    matched: np.ndarray


def assess_rules(lines: Lines, terms: FacilityTerms) -> tuple[list[RuleTake], list[RuleStatus]]:
    """Evaluate every enabled rule whose inputs are present, in the facility's order."""
    takes: list[RuleTake] = []
    statuses: list[RuleStatus] = []
    for setting in rules_in_force(terms.rules):
        inputs = RULE_INPUTS[setting.rule]
        if not setting.enabled:
            statuses.append(RuleStatus(setting.rule, DISABLED))
            continue
        if not any(name in lines.present for name in inputs):
            statuses.append(RuleStatus(setting.rule, NOT_ASSESSED, missing_columns=inputs))
            continue
        take, status = _assess(lines, terms, setting)
        takes.append(take)
        statuses.append(status)
    return takes, statuses


def assess_site_rules(lines: Lines, terms: FacilityTerms) -> tuple[list[RuleTake], list[RuleStatus]]:
    """The site rules alone, as ``assess_rules`` would evaluate them: the criteria method takes
    this stock out before any discount (a funder does not lend against it at all)."""
    takes, statuses = assess_rules(lines, terms)
    return (
        [t for t in takes if t.rule in SITE_RULES],
        [s for s in statuses if s.rule in SITE_RULES],
    )


def run_waterfall(book: np.ndarray, takes: list[RuleTake], index: np.ndarray | None = None) -> Waterfall:
    """Run the rules in order over ``book`` (cents), optionally restricted to lines ``index``."""
    remaining = book.copy() if index is None else book[index].copy()
    first = np.full(len(remaining), -1, dtype=np.int8)
    matched = np.zeros(len(remaining), dtype=bool)
    taken: list[np.ndarray] = []
    for position, take in enumerate(takes):
        if take.share is not None:
            share = take.share if index is None else take.share[index]
            amount = np.minimum(share, remaining)
            matched |= share > 0
        else:
            assert take.mask is not None
            mask = take.mask if index is None else take.mask[index]
            amount = remaining * mask  # a bool mask keeps or zeroes the line: one pass
            matched |= mask
        remaining -= amount
        first[(first < 0) & (amount > 0)] = position
        taken.append(amount)
    return Waterfall(tuple(t.rule for t in takes), tuple(taken), remaining, first, matched)


def _assess(lines: Lines, terms: FacilityTerms, setting: RuleSetting) -> tuple[RuleTake, RuleStatus]:
    rule = setting.rule
    if rule == Rule.RETENTION_OF_TITLE:
        return _retention_of_title(lines)
    if rule == Rule.PERISHABLE:
        return _perishable(lines, setting.min_shelf_life_days)
    if rule == Rule.WIP:
        return _wip(lines)
    if rule == Rule.OBSOLETE:
        return _obsolete(lines, setting.no_movement_days)
    if rule == Rule.SLOW_MOVING:
        return _slow_moving(lines, setting)
    if rule == Rule.LOCATION:
        return _location(lines, terms)
    if rule in SITE_RULES:
        return _site(lines, terms, rule)
    flag = RULE_INPUTS[rule][0]
    unstated = int(lines.flags[flag].missing.sum())
    return RuleTake(rule, mask=lines.flag_true(flag)), RuleStatus(rule, APPLIED, (), unstated)


def _retention_of_title(lines: Lines) -> tuple[RuleTake, RuleStatus]:
    """Only the unpaid share is excluded (capped at the line by the waterfall).

    A line flagged under retention of title with no unpaid amount is taken in full: the funder
    cannot tell how much belongs to the supplier. An unpaid amount on a line flagged false is an
    ordinary payable and excludes nothing. Without the flag column, the unpaid amount alone
    decides.
    """
    n = len(lines)
    unpaid = lines.decimals.get("unpaid_amount")
    unpaid_values = unpaid.values if unpaid is not None else np.zeros(n, dtype=np.int64)
    unpaid_missing = unpaid.missing if unpaid is not None else np.ones(n, dtype=bool)
    if "retention_of_title" in lines.flags:
        flag = lines.flags["retention_of_title"]
        share = np.where(flag.values, np.where(unpaid_missing, lines.book, unpaid_values), 0)
        unstated = int(flag.missing.sum())
        missing = () if unpaid is not None else ("unpaid_amount",)
        note = "" if unpaid is not None else "no unpaid_amount column: flagged lines taken in full"
    else:
        share = unpaid_values
        unstated = int(unpaid_missing.sum())
        missing, note = ("retention_of_title",), "no flag column: unpaid_amount alone decides"
    take = RuleTake(Rule.RETENTION_OF_TITLE, share=share.astype(np.int64))
    return take, RuleStatus(Rule.RETENTION_OF_TITLE, APPLIED, missing, unstated, note)


def _perishable(lines: Lines, min_days: int) -> tuple[RuleTake, RuleStatus]:
    """Excluded when fewer than ``min_days`` days of shelf life remain at ``as_of``."""
    expiry = lines.dates["expiry_date"]
    remaining_days = expiry.values - lines.as_of_day
    mask = ~expiry.missing & (remaining_days < min_days)
    status = RuleStatus(Rule.PERISHABLE, APPLIED, (), int(expiry.missing.sum()))
    return RuleTake(Rule.PERISHABLE, mask=mask), status


def _wip(lines: Lines) -> tuple[RuleTake, RuleStatus]:
    """WIP is excluded unless behind a firm order or sellable as it stands.

    Without the exception columns no exception can be shown, so all WIP is excluded (the
    conservative reading) and the status names the missing columns.
    """
    is_wip = lines.category == WIP_CODE
    excepted = np.zeros(len(lines), dtype=bool)
    for name in WIP_EXCEPTIONS:
        if name in lines.flags:
            excepted |= lines.flag_true(name)
    missing = tuple(name for name in WIP_EXCEPTIONS if name not in lines.flags)
    note = "exception columns absent: no WIP exception could be shown" if missing else ""
    return RuleTake(Rule.WIP, mask=is_wip & ~excepted), RuleStatus(Rule.WIP, APPLIED, missing, 0, note)


def _obsolete(lines: Lines, no_movement_days: int) -> tuple[RuleTake, RuleStatus]:
    """Excluded when the last movement is at least ``no_movement_days`` days before ``as_of``."""
    mask = obsolete_mask(lines, no_movement_days)
    unstated = int(lines.dates["last_movement_date"].missing.sum())
    return RuleTake(Rule.OBSOLETE, mask=mask), RuleStatus(Rule.OBSOLETE, APPLIED, (), unstated)


def obsolete_mask(lines: Lines, no_movement_days: int) -> np.ndarray:
    """Lines with no movement for at least ``no_movement_days`` days (empty date: not obsolete)."""
    last = lines.dates["last_movement_date"]
    return ~last.missing & (lines.as_of_day - last.values >= no_movement_days)


def _slow_moving(lines: Lines, setting: RuleSetting) -> tuple[RuleTake, RuleStatus]:
    """Excluded when turns = annual_consumption_qty ÷ quantity are below ``min_turns``."""
    consumption = lines.decimals["annual_consumption_qty"]
    below = turns_below(consumption.values, lines.quantity, setting.min_turns, inclusive=False)
    mask = ~consumption.missing & below
    status = RuleStatus(Rule.SLOW_MOVING, APPLIED, (), int(consumption.missing.sum()))
    return RuleTake(Rule.SLOW_MOVING, mask=mask), status


def turns_below(consumption: np.ndarray, quantity: np.ndarray, limit: Decimal, *, inclusive: bool) -> np.ndarray:
    """Exact test of consumption ÷ quantity < limit (≤ when ``inclusive``), both at 3 decimals.

    Lines with zero quantity have no turns to speak of and never test true. The comparison is
    made on integers: consumption < limit × quantity, with limit × quantity floored plus its
    remainder, so no float decides a boundary case.
    """
    num, den = limit.as_integer_ratio()
    product, remainder = mul_div_remainder(num, quantity, den)
    if inclusive:
        # consumption ≤ product + remainder/den  ⇔  consumption ≤ product (integers)
        result = consumption <= product
    else:
        # consumption < product + remainder/den  ⇔  consumption ≤ product when remainder > 0
        result = np.where(remainder > 0, consumption <= product, consumption < product)
    return result & (quantity > 0)


def _location(lines: Lines, terms: FacilityTerms) -> tuple[RuleTake, RuleStatus]:
    """Excluded at a location the facility does not accept (a line with no location included
    when an accepted list exists, since it cannot be shown to be at an accepted site). A site under
    a rent reserve whose rent is unknown is refused too: never financed behind a zero reserve."""
    labels = np.array(lines.warehouse_labels, dtype=object)
    refused = np.isin(labels, [*terms.excluded_locations, *unrented_sites(terms)])
    if terms.accepted_locations is not None:
        refused |= ~np.isin(labels, list(terms.accepted_locations))
    mask = refused[lines.warehouse]
    configured = terms.accepted_locations is not None or bool(terms.excluded_locations) or bool(unrented_sites(terms))
    note = "" if configured else "no accepted or excluded locations set"
    return RuleTake(Rule.LOCATION, mask=mask), RuleStatus(Rule.LOCATION, APPLIED, (), 0, note)


def _site(lines: Lines, terms: FacilityTerms, rule: Rule) -> tuple[RuleTake, RuleStatus]:
    """A site guardrail (``valuation.engine.sites``): the whole line at a refused site. A blank
    warehouse cell is refused as undeclared, so no line passes unstated."""
    mask, note = site_mask(lines, terms, rule)
    return RuleTake(rule, mask=mask), RuleStatus(rule, APPLIED, (), 0, note)
