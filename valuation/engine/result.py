"""The valuation result: frozen dataclasses with Decimal amounts (2 places, currency units).

Amounts are exact: each is a sum of per-line cents, converted once with ``money.to_decimal``.
Percentages are Decimals named ``*_pct``; ratios (rotation, leverage) are Decimals rounded half-up
to the places their docstring states. The per-line drill-down is a DataFrame on
``ValuationResult.lines`` (see ``run.LINE_COLUMNS``), kept out of equality and repr.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ReasonAmount:
    """An ineligible amount attributed to one reason (a rule or a criteria discount)."""

    reason: str
    amount: Decimal


@dataclass(frozen=True)
class GroupAmounts:
    """Book, eligible and ineligible value of one group; book = eligible + Σ ineligible."""

    category: str
    warehouse: str
    book_value: Decimal
    eligible: Decimal
    ineligible: tuple[ReasonAmount, ...]

    @property
    def ineligible_total(self) -> Decimal:
        """Σ of the ineligible amounts of the group."""
        return sum((r.amount for r in self.ineligible), ZERO)


@dataclass(frozen=True)
class RuleOutcome:
    """A waterfall rule: status (applied / disabled / not_assessed), amount taken, lines hit."""

    reason: str
    status: str
    amount: Decimal
    lines: int
    missing_columns: tuple[str, ...] = ()
    unstated_lines: int = 0
    note: str = ""


@dataclass(frozen=True)
class DiscountOutcome:
    """A criteria discount with its basis; ``computed`` before and ``amount`` after the cap."""

    discount: str
    status: str
    basis: str
    computed: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SkuAmount:
    """One SKU's eligible stock, summed over its lines and sites (``concentration.largest_sku``)."""

    sku: str
    eligible: Decimal


@dataclass(frozen=True)
class Eligibility:
    """Eligible and ineligible stock, by reason × category × warehouse (``groups``)."""

    method: str
    book_value: Decimal
    eligible: Decimal
    ineligible: Decimal
    by_reason: tuple[ReasonAmount, ...]
    groups: tuple[GroupAmounts, ...]
    rules: tuple[RuleOutcome, ...] = ()
    discounts: tuple[DiscountOutcome, ...] = ()
    # The SKU holding the most eligible stock (None: nothing eligible, or a result stored before
    # it was computed).
    largest_sku: SkuAmount | None = None

    def by_category(self) -> tuple[GroupAmounts, ...]:
        """The groups summed over warehouses (warehouse ``"*"``)."""
        return _regroup(self.groups, lambda g: (g.category, "*"))

    def by_warehouse(self) -> tuple[GroupAmounts, ...]:
        """The groups summed over categories (category ``"*"``)."""
        return _regroup(self.groups, lambda g: ("*", g.warehouse))


def _regroup(groups: tuple[GroupAmounts, ...], key) -> tuple[GroupAmounts, ...]:
    book: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    eligible: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    reasons: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for group in groups:
        k = key(group)
        book[k] += group.book_value
        eligible[k] += group.eligible
        for item in group.ineligible:
            reasons[k][item.reason] = reasons[k].get(item.reason, ZERO) + item.amount
    return tuple(
        GroupAmounts(
            k[0],
            k[1],
            book[k],
            eligible[k],
            tuple(ReasonAmount(r, a) for r, a in reasons[k].items()),
        )
        for k in book
    )


@dataclass(frozen=True)
class CategoryLiquidation:
    """Liquidation value of one category, in total and on its eligible stock.

    ``recovery_ratio_pct`` = liquidation value ÷ book value × 100, half-up to 2 places.
    """

    category: str
    liquidity_class: str
    book_value: Decimal
    liquidation_value: Decimal
    eligible: Decimal
    eligible_liquidation_value: Decimal
    recovery_ratio_pct: Decimal | None
    appraisal_nolv_pct: Decimal | None


@dataclass(frozen=True)
class SubCategoryLiquidation:
    """A firm sub-category whose own settings valued its lines: the settings that applied
    (percentages as given; None: not set) and the amounts of its lines."""

    code: str
    category: str
    liquidity_class: str
    lines: int
    book_value: Decimal
    liquidation_value: Decimal
    eligible: Decimal
    eligible_liquidation_value: Decimal
    nrv_pct_of_cost: Decimal | None
    commission_pct: Decimal | None
    appraisal_nolv_pct: Decimal | None
    expired_appraisal_pct: Decimal | None


@dataclass(frozen=True)
class Liquidation:
    """Net realisable (or appraised NOLV) value, total and of eligible stock.

    ``by_category`` covers every line of a base category, its sub-categories' included;
    ``by_sub_category`` repeats the lines valued on a firm sub-category's own settings.
    """

    liquidation_value: Decimal
    eligible_liquidation_value: Decimal
    by_category: tuple[CategoryLiquidation, ...]
    lines_without_value: int
    lines_by_basis: tuple[tuple[str, int], ...]
    by_sub_category: tuple[SubCategoryLiquidation, ...] = ()


@dataclass(frozen=True)
class ReserveAmount:
    """A named reserve with its basis (``terms.Reserve``), in currency units.

    ``basis_amount`` is the eligible stock at cost for a shrink reserve (amount = ``pct`` ×
    it, half-up) and the monthly rent for a rent reserve (amount = ``months`` × it);
    ``site_excluded``: a rent reserve whose rent is unknown, so the site's stock was excluded.
    """

    kind: str
    amount: Decimal
    basis_amount: Decimal | None = None
    pct: Decimal | None = None
    site: str = ""
    months: int | None = None
    reason: str = ""
    site_excluded: bool = False


@dataclass(frozen=True)
class BorrowingBase:
    """min(cost advance rate × eligible cost, NOLV rate × eligible NOLV) − reserves, then caps.

    ``leverage`` is debt ÷ tangible net worth (4 places) when the grid set the rate;
    ``binding_leg`` is "cost" or "nolv"; ``binding_cap`` is "facility_limit",
    "receivables" or "" (none binds). ``reserves`` = Σ ``named_reserves`` (each with its basis).
    """

    cost_advance_rate_pct: Decimal
    rate_source: str
    leverage: Decimal | None
    eligible_cost: Decimal
    cost_leg: Decimal
    nolv_advance_rate_pct: Decimal
    eligible_nolv: Decimal
    nolv_leg: Decimal
    binding_leg: str
    reserves: Decimal
    after_reserves: Decimal
    facility_limit: Decimal | None
    receivables_cap: Decimal | None
    binding_cap: str
    borrowing_base: Decimal
    named_reserves: tuple[ReserveAmount, ...] = ()


@dataclass(frozen=True)
class Pledge:
    """Stock pledge: mobilisable → guarantee (fungibility) → financing (over-collateralisation).

    Replenishment: the committed guarantee is checked against the current mobilisable stock;
    ``replenishment_shortfall`` is what the borrower must restore (0 when compliant).
    """

    with_dispossession: bool
    mobilisable: Decimal
    fungibility_share_pct: Decimal
    guarantee: Decimal
    over_collateralisation_pct: Decimal
    financing_before_limit: Decimal
    facility_limit: Decimal | None
    committed_guarantee: Decimal | None
    replenishment_shortfall: Decimal
    replenishment_breached: bool


@dataclass(frozen=True)
class LoanToValue:
    """LTV = financing ÷ liquidation value of eligible stock (in %, 2 places).

    ``cap_pct`` is the eligible-liquidation-value-weighted cap of the liquidity classes;
    ``max_financing`` = Σ class cap × class eligible liquidation value. The caps bind: financing
    is at most ``max_financing`` (``binding`` when they lowered it from ``financing_before_cap``),
    unless the facility marks them ``indicative``: then ``exceeded`` flags financing above them.
    """

    financing: Decimal
    liquidation_value: Decimal
    ltv_pct: Decimal | None
    cap_pct: Decimal | None
    max_financing: Decimal
    exceeded: bool
    indicative: bool = False
    binding: bool = False
    financing_before_cap: Decimal | None = None


@dataclass(frozen=True)
class Financing:
    """What the structure lends and what is left to draw.

    ``availability`` = financing − outstanding; negative is an over-advance (``over_advance``).
    ``refusal`` explains a structure that gives no line at all (e.g. leverage above the grid).
    ``binding`` names the limit that sets the financing: "cost_leg", "nolv_leg", "ltv_cap",
    "facility_limit", "receivables_cap" or, for a pledge, "guarantee" (guarantee ÷
    over-collateralisation); "" in results stored before it was recorded.
    """

    structure: str
    financing: Decimal
    outstanding: Decimal
    availability: Decimal
    over_advance: bool
    ltv: LoanToValue
    borrowing_base: BorrowingBase | None = None
    pledge: Pledge | None = None
    refusal: str | None = None
    binding: str = ""


@dataclass(frozen=True)
class WorkingCapital:
    """rotation = annual cost of sales ÷ average stock (2 places); days = day basis ÷ rotation
    (1 place); need for target days = target ÷ day basis × annual cost of sales (cents)."""

    annual_cost_of_sales: Decimal | None
    average_stock: Decimal
    average_stock_source: str
    day_basis: int
    rotation: Decimal | None
    days_of_stock: Decimal | None
    target_days: Decimal | None
    need_for_target: Decimal | None


@dataclass(frozen=True)
class FinancingCost:
    """All-in annual cost: interest on drawn + commitment fee on undrawn + fees.

    ``all_in_pct`` = total ÷ average drawn × 100, half-up to 4 places (None when nothing drawn).
    ``average_drawn_source``: "terms" (the facility's average drawn amount) or "outstanding".
    """

    average_drawn: Decimal
    committed: Decimal
    undrawn: Decimal
    interest: Decimal
    commitment_fee: Decimal
    collateral_monitoring_fee: Decimal
    field_exam_fee: Decimal
    servicing_fee: Decimal
    total: Decimal
    all_in_pct: Decimal | None
    average_drawn_source: str = "terms"


@dataclass(frozen=True)
class Lever:
    """How much more financing clearing one reason would bring (``kind`` "rule" or "discount").

    ``amount_made_eligible`` is what becomes eligible once the reason is cleared (a line also
    caught by a later rule stays out); ``financing_gain`` respects every min and cap.
    """

    kind: str
    reason: str
    amount_made_eligible: Decimal
    financing_gain: Decimal


@dataclass(frozen=True)
class ValuationResult:
    """Everything one valuation produces; ``lines`` is the per-line drill-down frame."""

    as_of: date
    structure: str
    method: str
    line_count: int
    eligibility: Eligibility
    liquidation: Liquidation
    financing: Financing
    working_capital: WorkingCapital
    financing_cost: FinancingCost
    levers: tuple[Lever, ...]
    warnings: tuple[str, ...]
    lines: pd.DataFrame = field(compare=False, repr=False)
