"""The engine's one entry point: ``valuate(lines, terms, as_of=...)``.

Pure: pandas in, a frozen ``ValuationResult`` out; no Django, no I/O, no clock (``as_of`` is
given). Bad lines raise ``EngineInputError``, bad terms ``TermsError``; either way there is no
partial result. Everything is int64 cents until the result boundary (``money.to_decimal``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from valuation.engine.concentration import largest_sku
from valuation.engine.criteria import CriteriaOutcome, run_criteria
from valuation.engine.exclusions import FIELD_EXAM_FINDING, assess_exclusions, exclusion_warnings
from valuation.engine.levers import criteria_levers, waterfall_levers
from valuation.engine.lines import CATEGORIES, Lines, prepare_lines
from valuation.engine.liquidation import NO_VALUE, NRV_BASES, LineSettings, eligible_share, line_nrv, line_settings
from valuation.engine.money import share_pct, to_cents
from valuation.engine.money import to_decimal as dec
from valuation.engine.result import (
    CategoryLiquidation,
    DiscountOutcome,
    Eligibility,
    GroupAmounts,
    Liquidation,
    ReasonAmount,
    RuleOutcome,
    SubCategoryLiquidation,
    ValuationResult,
)
from valuation.engine.rules import (
    NOT_ASSESSED,
    RuleTake,
    Waterfall,
    assess_rules,
    assess_site_rules,
    obsolete_mask,
    run_waterfall,
)
from valuation.engine.sites import site_warnings
from valuation.engine.structures import compute_financing
from valuation.engine.terms import (
    SITE_RULES,
    FacilityTerms,
    LiquidityClass,
    Method,
    over_collateralisation_warning,
    unrented_sites,
)
from valuation.engine.working_capital import financing_cost, working_capital

# Columns of ``ValuationResult.lines`` besides one ``ineligible_<reason>_cents`` per reason.
LINE_COLUMNS = (
    "row",
    "category",
    "warehouse",
    "book_value_cents",
    "eligible_cents",
    "ineligible_cents",
    "first_reason",
    "nrv_cents",
    "eligible_nrv_cents",
    "nrv_basis",
)


@dataclass(frozen=True)
class _Outcome:
    """Method-independent eligibility per line: reasons, what each took, eligible, first."""

    reasons: tuple[str, ...]
    taken: tuple[np.ndarray, ...]
    eligible: np.ndarray
    first_reason: np.ndarray
    excluded: np.ndarray


def valuate(
    lines: pd.DataFrame, terms: FacilityTerms, *, as_of: date, prepared: Lines | None = None
) -> ValuationResult:
    """Value a canonical stock-line frame under ``terms`` at ``as_of``.

    ``prepared``: the same frame as ``prepare_lines`` returned it, when the caller values one file
    under several facilities (it is used only if prepared for this date and book-value tolerance).
    Units: money in cents internally, Decimal with 2 places in the result, half-up per line.
    """
    tolerance = to_cents(terms.book_value_tolerance)
    as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
    reusable = (
        prepared is not None
        and prepared.as_of_day == as_of_day
        and prepared.book_value_tolerance_cents == tolerance
        and len(prepared) == len(lines)
    )
    if not reusable:
        prepared = prepare_lines(lines, as_of=as_of, book_value_tolerance_cents=tolerance)
    book = prepared.book
    assigned = line_settings(prepared, terms)
    values = line_nrv(prepared, terms, assigned)
    warnings: list[str] = []
    rule_outcomes: tuple[RuleOutcome, ...] = ()
    discount_outcomes: tuple[DiscountOutcome, ...] = ()
    # Each line's liquidity class, so the levers can bind their figures by the LTV caps too.
    category_class = [terms.category_setting(category).liquidity_class for category in CATEGORIES]
    line_class = np.array([list(LiquidityClass).index(k) for k in category_class], dtype=np.int64)[prepared.category]
    # Field exams: lines an advisor excluded after a finding go first, whole, in either method
    # (valuation.engine.exclusions); the reader keeps every line in order, so the frame's SKUs line
    # up with the prepared arrays.
    exclusions = assess_exclusions(lines["sku"], prepared, terms.line_exclusions)
    if exclusions is not None:
        warnings += exclusion_warnings(exclusions.matches)
    first_takes = [] if exclusions is None else [exclusions.take]
    if terms.method == Method.WATERFALL:
        takes, statuses = assess_rules(prepared, terms)
        takes = first_takes + takes
        if exclusions is not None:
            statuses = [exclusions.status, *statuses]
        waterfall = run_waterfall(book, takes)
        outcome = _Outcome(
            tuple(str(r) for r in waterfall.reasons),
            waterfall.taken,
            waterfall.eligible,
            waterfall.first_reason,
            waterfall.matched,
        )
        eligible_nrv = eligible_share(values.nrv, outcome.eligible, book, outcome.excluded)
        levers = waterfall_levers(book, values.nrv, eligible_nrv, takes, waterfall, terms, line_class=line_class)
        by_rule = dict(zip(waterfall.reasons, waterfall.taken, strict=True))
        rule_outcomes = tuple(_rule_outcome(s, by_rule.get(s.rule)) for s in statuses)
        warnings += [
            f"rule {s.rule} not assessed: no {' / '.join(s.missing_columns)} column"
            for s in statuses
            if s.status == NOT_ASSESSED
        ]
        warnings += _site_warnings(prepared, takes)
    else:
        site_takes, site_statuses = assess_site_rules(prepared, terms)
        site_part = run_waterfall(book, first_takes + site_takes)
        # The criteria discounts are computed on what the site rules leave: stock at an undeclared,
        # uninsured or non-dispossessable site is not collateral, so no discount basis includes it.
        criteria = run_criteria(dataclasses.replace(prepared, book=site_part.eligible), terms.criteria, terms.borrower)
        outcome = _criteria_outcome(prepared, criteria, terms, site_part)
        warnings += [
            f"rule {s.rule} not assessed: no {' / '.join(s.missing_columns)} column"
            for s in site_statuses
            if s.status == NOT_ASSESSED
        ]
        warnings += _site_warnings(prepared, site_takes)
        eligible_nrv = eligible_share(values.nrv, outcome.eligible, book, outcome.excluded)
        levers = criteria_levers(
            book, values.nrv, eligible_nrv, outcome.excluded, criteria, terms, line_class=line_class
        )
        discount_outcomes = tuple(
            DiscountOutcome(str(d.discount), d.status, d.basis, dec(d.computed), dec(d.applied))
            for d in criteria.discounts
        )
        warnings += [
            f"discount {d.discount} not assessed: {d.basis}" for d in criteria.discounts if d.status == NOT_ASSESSED
        ]

    eligible_total = int(outcome.eligible.sum())
    # Each line's liquidity class is its own (sub-)category's, so a sub-category the firm rates
    # less liquid gets its own, lower LTV cap.
    line_setting_list = terms.line_settings()
    nrv_by_setting = _sum_by(assigned.index, eligible_nrv, len(line_setting_list))
    nrv_by_class: dict[LiquidityClass, int] = {}
    for code, setting in enumerate(line_setting_list):
        klass = setting.liquidity_class
        nrv_by_class[klass] = nrv_by_class.get(klass, 0) + nrv_by_setting[code]
    financing = compute_financing(eligible_total, int(eligible_nrv.sum()), nrv_by_class, terms)
    # An advisor's exclusion is not the borrower's to clear: it is lifted by withdrawing it, so
    # it is offered as no lever.
    levers = [lever for lever in levers if lever.reason != FIELD_EXAM_FINDING]
    eligibility = _eligibility(prepared, outcome, terms, rule_outcomes, discount_outcomes)
    # The reader keeps every line in order (it refuses a file with a bad line), so the frame's
    # SKUs line up with the prepared arrays.
    eligibility = dataclasses.replace(eligibility, largest_sku=largest_sku(lines["sku"], outcome.eligible))
    liquidation = _liquidation(prepared, values.nrv, values.basis, outcome.eligible, eligible_nrv, terms)
    liquidation = dataclasses.replace(
        liquidation,
        by_sub_category=_sub_category_liquidation(
            prepared, assigned, values.nrv, outcome.eligible, eligible_nrv, terms
        ),
    )
    warnings += _sub_category_warnings(assigned, terms)
    warnings += _financing_warnings(terms, financing, liquidation)
    return ValuationResult(
        as_of=as_of,
        structure=str(terms.structure),
        method=str(terms.method),
        line_count=len(prepared),
        eligibility=eligibility,
        liquidation=liquidation,
        financing=financing,
        working_capital=working_capital(terms, int(book.sum())),
        financing_cost=financing_cost(terms, to_cents(financing.financing)),
        levers=tuple(levers),
        warnings=tuple(warnings),
        lines=_line_frame(prepared, outcome, values.nrv, eligible_nrv, values.basis),
    )


def _criteria_outcome(lines: Lines, criteria: CriteriaOutcome, terms: FacilityTerms, sites: Waterfall) -> _Outcome:
    """The site rules' takes first (whole lines), then the five discounts on what they left."""
    if "last_movement_date" in lines.dates:
        excluded = obsolete_mask(lines, terms.criteria.obsolete_after_days)
    else:
        excluded = np.zeros(len(lines), dtype=bool)
    excluded = excluded | sites.matched
    offset = len(sites.reasons)
    first = np.where(
        sites.first_reason >= 0,
        sites.first_reason,
        np.where(criteria.first_reason >= 0, criteria.first_reason + offset, -1),
    ).astype(np.int8)
    return _Outcome(
        tuple(str(r) for r in sites.reasons) + tuple(str(d) for d in criteria.reasons),
        sites.taken + criteria.taken,
        criteria.eligible,
        first,
        excluded,
    )


def _site_warnings(lines: Lines, takes: list[RuleTake]) -> list[str]:
    """The site rules' flags, naming each refused site with its lines and book value."""
    return site_warnings(
        lines, {take.rule: take.mask for take in takes if take.mask is not None and take.rule in SITE_RULES}
    )


def _rule_outcome(status, taken: np.ndarray | None) -> RuleOutcome:
    amount = 0 if taken is None else int(taken.sum())
    hit = 0 if taken is None else int(np.count_nonzero(taken))
    return RuleOutcome(
        reason=str(status.rule),
        status=status.status,
        amount=dec(amount),
        lines=hit,
        missing_columns=status.missing_columns,
        unstated_lines=status.unstated_lines,
        note=status.note,
    )


def _sum_by(codes: np.ndarray, amounts: np.ndarray, size: int) -> list[int]:
    """Exact sums of non-negative cents per code.

    ``np.bincount`` adds in float64, which is exact while every partial sum is an integer below
    2^53 cents (90 trillion): checked on the total first, else exact int64 pandas groupby.
    """
    if int(amounts.sum()) < 2**53 and (amounts >= 0).all():
        sums = np.bincount(codes, weights=amounts, minlength=size)
        return [int(v) for v in sums[:size]]
    grouped = pd.Series(amounts).groupby(codes).sum()
    return [int(grouped.get(code, 0)) for code in range(size)]


def _eligibility(
    lines: Lines,
    outcome: _Outcome,
    terms: FacilityTerms,
    rules: tuple[RuleOutcome, ...],
    discounts: tuple[DiscountOutcome, ...],
) -> Eligibility:
    """Totals and reason × category × warehouse groups, summed exactly in int64."""
    n_warehouses = len(lines.warehouse_labels)
    key = lines.category.astype(np.int64) * n_warehouses + lines.warehouse
    size = len(CATEGORIES) * n_warehouses
    columns = [lines.book, outcome.eligible, *outcome.taken]
    table = np.array([_sum_by(key, column, size) for column in columns], dtype=object).T
    present = np.bincount(key, minlength=size) > 0
    groups = []
    for group_key in np.flatnonzero(present):
        row = table[group_key]
        category, warehouse = divmod(int(group_key), n_warehouses)
        reasons = tuple(ReasonAmount(reason, dec(row[2 + i])) for i, reason in enumerate(outcome.reasons) if row[2 + i])
        groups.append(
            GroupAmounts(
                str(CATEGORIES[category]),
                lines.warehouse_labels[warehouse],
                dec(row[0]),
                dec(row[1]),
                reasons,
            )
        )
    by_reason = tuple(
        ReasonAmount(reason, dec(int(part.sum()))) for reason, part in zip(outcome.reasons, outcome.taken, strict=True)
    )
    book_total = int(lines.book.sum())
    eligible_total = int(outcome.eligible.sum())
    return Eligibility(
        method=str(terms.method),
        book_value=dec(book_total),
        eligible=dec(eligible_total),
        ineligible=dec(book_total - eligible_total),
        by_reason=by_reason,
        groups=tuple(groups),
        rules=rules,
        discounts=discounts,
    )


def _liquidation(
    lines: Lines,
    nrv: np.ndarray,
    basis: np.ndarray,
    eligible: np.ndarray,
    eligible_nrv: np.ndarray,
    terms: FacilityTerms,
) -> Liquidation:
    size = len(CATEGORIES)
    book = _sum_by(lines.category, lines.book, size)
    value = _sum_by(lines.category, nrv, size)
    elig = _sum_by(lines.category, eligible, size)
    elig_nrv = _sum_by(lines.category, eligible_nrv, size)
    present = np.bincount(lines.category, minlength=size)
    by_category = []
    for code, category in enumerate(CATEGORIES):
        if not present[code]:
            continue
        setting = terms.category_setting(category)
        by_category.append(
            CategoryLiquidation(
                category=str(category),
                liquidity_class=str(setting.liquidity_class),
                book_value=dec(book[code]),
                liquidation_value=dec(value[code]),
                eligible=dec(elig[code]),
                eligible_liquidation_value=dec(elig_nrv[code]),
                recovery_ratio_pct=share_pct(value[code], book[code]) if book[code] else None,
                appraisal_nolv_pct=setting.nolv_appraisal_pct,
            )
        )
    counts = np.bincount(basis, minlength=len(NRV_BASES))
    return Liquidation(
        liquidation_value=dec(int(nrv.sum())),
        eligible_liquidation_value=dec(int(eligible_nrv.sum())),
        by_category=tuple(by_category),
        lines_without_value=int(counts[NRV_BASES.index(NO_VALUE)]),
        lines_by_basis=tuple((name, int(counts[i])) for i, name in enumerate(NRV_BASES)),
    )


def _sub_category_liquidation(
    lines: Lines,
    assigned: LineSettings,
    nrv: np.ndarray,
    eligible: np.ndarray,
    eligible_nrv: np.ndarray,
    terms: FacilityTerms,
) -> tuple[SubCategoryLiquidation, ...]:
    """Each firm sub-category that values at least one line, with the settings that applied."""
    settings = terms.line_settings()
    size = len(settings)
    present = np.bincount(assigned.index, minlength=size)
    book = _sum_by(assigned.index, lines.book, size)
    value = _sum_by(assigned.index, nrv, size)
    elig = _sum_by(assigned.index, eligible, size)
    elig_nrv = _sum_by(assigned.index, eligible_nrv, size)
    rows = []
    for code in range(len(CATEGORIES), size):
        if not present[code]:
            continue
        setting = settings[code]
        rows.append(
            SubCategoryLiquidation(
                code=setting.code,  # type: ignore[union-attr]
                category=str(setting.category),
                liquidity_class=str(setting.liquidity_class),
                lines=int(present[code]),
                book_value=dec(book[code]),
                liquidation_value=dec(value[code]),
                eligible=dec(elig[code]),
                eligible_liquidation_value=dec(elig_nrv[code]),
                nrv_pct_of_cost=setting.nrv_pct_of_cost,
                commission_pct=setting.commission_pct,
                appraisal_nolv_pct=setting.nolv_appraisal_pct,
                expired_appraisal_pct=setting.expired_appraisal_pct,
            )
        )
    return tuple(rows)


def _sub_category_warnings(assigned: LineSettings, terms: FacilityTerms) -> list[str]:
    warnings = [
        f"{count} {category} line(s) name sub-category {code!r}, which the terms do not define "
        f"under {category}: valued on the {category} settings"
        for category, code, count in assigned.unknown
    ]
    expired = sorted({str(s.category) for s in terms.line_settings() if s.expired_appraisal_pct is not None})
    if expired:
        warnings.append(
            f"the appraisal has expired at the stock date: its NOLV only lowers line estimates ({', '.join(expired)})"
        )
    return warnings


def _financing_warnings(terms: FacilityTerms, financing, liquidation: Liquidation) -> list[str]:
    warnings = []
    oc_warning = over_collateralisation_warning(terms)
    if oc_warning:
        warnings.append(oc_warning)
    warnings += [
        f"site {site} has a rent reserve but no monthly rent: its stock is excluded" for site in unrented_sites(terms)
    ]
    if financing.refusal:
        warnings.append(financing.refusal)
    if financing.over_advance:
        warnings.append(f"over-advance: availability is {financing.availability}")
    if financing.pledge is not None and financing.pledge.replenishment_breached:
        shortfall = financing.pledge.replenishment_shortfall
        warnings.append(f"replenishment clause breached: {shortfall} of stock to restore")
    if financing.ltv.binding:
        before = financing.ltv.financing_before_cap
        warnings.append(
            f"financing capped by the loan-to-value caps at {financing.financing} (structure gives {before})"
        )
    if financing.ltv.exceeded and financing.ltv.ltv_pct is None:
        warnings.append(f"financing {financing.financing} rests on no liquidation value of eligible stock")
    elif financing.ltv.exceeded:
        warnings.append(f"loan-to-value {financing.ltv.ltv_pct} % is above the liquidity cap {financing.ltv.cap_pct} %")
    if liquidation.lines_without_value:
        warnings.append(
            f"{liquidation.lines_without_value} line(s) have no resale price and no "
            "category rate: no liquidation value counted for them"
        )
    return warnings


def _line_frame(
    lines: Lines,
    outcome: _Outcome,
    nrv: np.ndarray,
    eligible_nrv: np.ndarray,
    basis: np.ndarray,
) -> pd.DataFrame:
    """The per-line drill-down, columnar (no Python objects), ready for COPY."""
    data: dict[str, object] = {
        "row": lines.row,
        "category": pd.Categorical.from_codes(lines.category, [str(c) for c in CATEGORIES]),
        "warehouse": pd.Categorical.from_codes(lines.warehouse, list(lines.warehouse_labels)),
        "book_value_cents": lines.book,
        "eligible_cents": outcome.eligible,
        "ineligible_cents": lines.book - outcome.eligible,
        "first_reason": pd.Categorical.from_codes(outcome.first_reason, list(outcome.reasons)),
        "nrv_cents": nrv,
        "eligible_nrv_cents": eligible_nrv,
        "nrv_basis": pd.Categorical.from_codes(basis, list(NRV_BASES)),
    }
    for reason, part in zip(outcome.reasons, outcome.taken, strict=True):
        data[f"ineligible_{reason}_cents"] = part
    return pd.DataFrame(data, copy=False)
