"""Facility terms: every setting the engine reads, as frozen dataclasses, plus their JSON form.

Conventions, so no setting is ever ambiguous:
- a rate or share is a percentage, named ``*_pct``, as a ``Decimal`` (``Decimal("75")`` = 75 %),
  with at most 4 decimal places;
- money is a ``Decimal`` in the facility currency (a reserve's ``amount``, ``facility_limit``…),
  rounded half-up to the cent when used;
- day counts are ``int``; turns are ``Decimal``.
``terms_from_dict`` validates every setting and raises ``TermsError`` naming it; the CLI
(``manage.py valuate --terms TERMS.json``) and the database both go through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from valuation.engine.columns import Category, code_key
from valuation.engine.errors import TermsError


class Structure(StrEnum):
    """Financing structures of docs/domain.md, "Financing structures"."""

    BORROWING_BASE = "borrowing_base"
    PLEDGE_WITH_DISPOSSESSION = "pledge_with_dispossession"
    PLEDGE_WITHOUT_DISPOSSESSION = "pledge_without_dispossession"


class Method(StrEnum):
    """How eligible stock is found: line by line (waterfall) or by portfolio discounts."""

    WATERFALL = "waterfall"
    CRITERIA = "criteria"


class BusinessModel(StrEnum):
    """The borrower's business model, which sets the expected category mix."""

    MAKE_TO_STOCK = "make_to_stock"
    MAKE_TO_ORDER = "make_to_order"
    TRADING = "trading"


class Rule(StrEnum):
    """The ineligibility rules of docs/domain.md, "Ineligible stock: the waterfall"; values are the reason codes."""

    NOT_OWNED = "not_owned"
    RETENTION_OF_TITLE = "retention_of_title"
    REVERSE_FACTORING = "reverse_factoring"
    DEFECTIVE = "defective"
    PERISHABLE = "perishable"
    IN_TRANSIT = "in_transit"
    CUSTOMER_RETURN = "customer_return"
    WIP = "wip"
    OBSOLETE = "obsolete"
    SLOW_MOVING = "slow_moving"
    LOCATION = "location"
    # Site guardrails (docs/domain.md, "Ineligible stock: the waterfall"): at the end of the order so
    # the rules above keep their places; named or not in a facility's list, they stay on.
    UNDECLARED_SITE = "undeclared_site"
    UNINSURED = "uninsured"
    DISPOSSESSION_IMPOSSIBLE = "dispossession_impossible"


class Discount(StrEnum):
    """The criteria-method discounts of docs/domain.md, "The criteria method"."""

    MIX = "mix"
    TURNOVER = "turnover"
    OBSOLESCENCE = "obsolescence"
    RECORD_ACCURACY = "record_accuracy"
    PHYSICAL_CONTROLS = "physical_controls"


DEFAULT_MIN_SHELF_LIFE_DAYS = 30
DEFAULT_NO_MOVEMENT_DAYS = 365
DEFAULT_MIN_TURNS = Decimal(1)


@dataclass(frozen=True)
class RuleSetting:
    """One waterfall rule: on or off, and its threshold where it has one.

    ``min_shelf_life_days`` is read by ``perishable`` only (excluded when the days left before
    ``expiry_date`` are fewer), ``no_movement_days`` by ``obsolete`` only (excluded when the last
    movement is at least that many days before ``as_of``), ``min_turns`` by ``slow_moving`` only
    (excluded when annual_consumption_qty ÷ quantity is below it).
    """

    rule: Rule
    enabled: bool = True
    min_shelf_life_days: int = DEFAULT_MIN_SHELF_LIFE_DAYS
    no_movement_days: int = DEFAULT_NO_MOVEMENT_DAYS
    min_turns: Decimal = DEFAULT_MIN_TURNS


DEFAULT_RULES: tuple[RuleSetting, ...] = tuple(RuleSetting(rule) for rule in Rule)

# Rules a list that does not name them cannot switch off: a terms file written before they existed
# (or one listing only the rules it tightens) must not finance stock at an undeclared, uninsured
# or non-dispossessable site. Listing one with ``"enabled": false`` switches it off, visibly.
SITE_RULES: tuple[Rule, ...] = (Rule.UNDECLARED_SITE, Rule.UNINSURED, Rule.DISPOSSESSION_IMPOSSIBLE)


def rules_in_force(rules: tuple[RuleSetting, ...]) -> tuple[RuleSetting, ...]:
    """The facility's rules in its order, then any site rule it does not name, switched on."""
    named = {setting.rule for setting in rules}
    return rules + tuple(RuleSetting(rule) for rule in SITE_RULES if rule not in named)


class LiquidityClass(StrEnum):
    """How easily a category sells; each class has its own loan-to-value cap."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class CategorySetting:
    """Per-category settings for liquidation value and loan-to-value.

    - ``liquidity_class``: selects the LTV cap;
    - ``nrv_pct_of_cost``: net realisable value as % of book value for lines with no resale price
      (None: such lines have no liquidation value, which is the conservative reading);
    - ``transport_pct`` / ``storage_pct`` / ``commission_pct``: sale costs as % of resale value,
      used for lines whose own cost cell is absent or empty;
    - ``nolv_appraisal_pct``: an appraiser's NOLV as % of cost; when set it replaces the line
      estimate for the whole category;
    - ``expired_appraisal_pct``: the NOLV % of an appraisal that has expired at the stock date:
      it may lower a line's estimate (min of the two), never raise it, so a stale appraisal can
      never add value (docs/domain.md, "Appraisals").
    """

    category: Category
    liquidity_class: LiquidityClass = LiquidityClass.MEDIUM
    nrv_pct_of_cost: Decimal | None = None
    transport_pct: Decimal = Decimal(0)
    storage_pct: Decimal = Decimal(0)
    commission_pct: Decimal = Decimal(0)
    nolv_appraisal_pct: Decimal | None = None
    expired_appraisal_pct: Decimal | None = None


@dataclass(frozen=True)
class SubCategorySetting:
    """A firm's own sub-category under a base ``category``: its lines (those whose
    ``sub_category`` matches ``code`` by ``columns.code_key``) are valued on these settings
    instead of the base category's. Same fields and meaning as ``CategorySetting``, except
    that ``nolv_appraisal_pct`` / ``expired_appraisal_pct`` left None fall back on the base
    category's appraisal (an appraisal of finished goods covers every kind of finished good).
    Lines naming a code no sub-category has are valued on the base category's settings and
    reported in the warnings."""

    code: str
    category: Category
    liquidity_class: LiquidityClass = LiquidityClass.MEDIUM
    nrv_pct_of_cost: Decimal | None = None
    transport_pct: Decimal = Decimal(0)
    storage_pct: Decimal = Decimal(0)
    commission_pct: Decimal = Decimal(0)
    nolv_appraisal_pct: Decimal | None = None
    expired_appraisal_pct: Decimal | None = None


DEFAULT_CATEGORIES: tuple[CategorySetting, ...] = (
    CategorySetting(Category.RAW_MATERIAL, LiquidityClass.HIGH),
    CategorySetting(Category.WIP, LiquidityClass.LOW),
    CategorySetting(Category.FINISHED_GOOD, LiquidityClass.MEDIUM),
)

# Lenders go up to 80-90 % for the most liquid raw materials (docs/domain.md, "Loan-to-value caps").
DEFAULT_LTV_CAPS: dict[LiquidityClass, Decimal] = {
    LiquidityClass.HIGH: Decimal(85),
    LiquidityClass.MEDIUM: Decimal(65),
    LiquidityClass.LOW: Decimal(40),
}


@dataclass(frozen=True)
class GridStep:
    """A row of the debt ÷ tangible-net-worth grid: leverage up to ``max_leverage`` → rate."""

    max_leverage: Decimal
    cost_advance_rate_pct: Decimal


DEFAULT_LEVERAGE_GRID: tuple[GridStep, ...] = (
    GridStep(Decimal(3), Decimal(50)),
    GridStep(Decimal(5), Decimal(40)),
    GridStep(Decimal(8), Decimal(30)),
    GridStep(Decimal(10), Decimal(20)),
)


class ReserveKind(StrEnum):
    """The named reserves of docs/domain.md, "Financing structures": each has its basis."""

    RENT = "rent"
    SHRINK = "shrink"
    PRIORITY_PAYABLES = "priority_payables"
    DILUTION = "dilution"
    OTHER = "other"


DEFAULT_RENT_RESERVE_MONTHS = 3
MAX_RENT_RESERVE_MONTHS = 60
# The reason an old single ``reserves`` figure is read with (terms files, facilities migrated).
CARRIED_OVER_REASON = "carried over from the former single reserves figure"


@dataclass(frozen=True)
class Reserve:
    """One named reserve the borrowing base subtracts, with the inputs of its basis.

    - ``rent`` (a leased site without landlord waiver): ``months`` × ``monthly_rent`` for the
      warehouse code ``site``; ``monthly_rent`` None means the rent is unknown, and then the site's
      stock is excluded (location rule) instead of financed behind a zero reserve;
    - ``shrink``: ``pct`` % of the eligible stock at cost, half-up to the cent;
    - ``priority_payables`` (taxes, wages ranking before the bank) and ``dilution`` (credit notes,
      returns and discounts the lender expects to erode the collateral): an ``amount``;
    - ``other``: an ``amount`` with a written ``reason`` (required).
    A setting that does not belong to the kind is refused, never ignored.
    """

    kind: ReserveKind
    amount: Decimal | None = None
    pct: Decimal | None = None
    site: str = ""
    monthly_rent: Decimal | None = None
    months: int = DEFAULT_RENT_RESERVE_MONTHS
    reason: str = ""


# What each kind reads; anything else given for it is an error.
RESERVE_INPUTS: dict[ReserveKind, frozenset[str]] = {
    ReserveKind.RENT: frozenset({"site", "monthly_rent", "months", "reason"}),
    ReserveKind.SHRINK: frozenset({"pct", "reason"}),
    ReserveKind.PRIORITY_PAYABLES: frozenset({"amount", "reason"}),
    ReserveKind.DILUTION: frozenset({"amount", "reason"}),
    ReserveKind.OTHER: frozenset({"amount", "reason"}),
}


def unrented_sites(terms: FacilityTerms) -> tuple[str, ...]:
    """Sites under a rent reserve whose monthly rent is unknown: their stock is excluded."""
    if terms.structure != Structure.BORROWING_BASE or terms.borrowing_base is None:
        return ()
    return tuple(r.site for r in terms.borrowing_base.reserves if r.kind == ReserveKind.RENT and r.monthly_rent is None)


@dataclass(frozen=True)
class BorrowingBaseTerms:
    """Asset-based revolving line.

    ``cost_advance_rate_pct`` None means "take it from ``leverage_grid``" with the borrower's
    debt ÷ tangible net worth; above the last step there is no inventory line.
    ``receivables_cap_pct``: the inventory advance may not exceed this % of the receivables
    borrowing (``BorrowerFacts.receivables_borrowing``); None: no such cap.
    ``reserves``: the named reserves (``Reserve``); their sum is what the formula subtracts.
    """

    nolv_advance_rate_pct: Decimal
    cost_advance_rate_pct: Decimal | None = None
    leverage_grid: tuple[GridStep, ...] = DEFAULT_LEVERAGE_GRID
    reserves: tuple[Reserve, ...] = ()
    receivables_cap_pct: Decimal | None = None


@dataclass(frozen=True)
class PledgeTerms:
    """Stock pledge (gage sur stocks), with or without dispossession.

    ``committed_guarantee``: the guarantee level the borrower committed to keep (replenishment
    clause); None: no clause to check.
    """

    fungibility_share_pct: Decimal = Decimal(75)
    over_collateralisation_pct: Decimal = Decimal(120)
    committed_guarantee: Decimal | None = None


@dataclass(frozen=True)
class MixRange:
    """Expected share of one category in total stock, in %."""

    min_pct: Decimal
    max_pct: Decimal


# docs/domain.md gives make-to-stock; the others follow the same logic: a make-to-order firm holds
# materials and work for orders and ships on completion (little finished stock); a trader holds
# merchandise, i.e. finished goods.
DEFAULT_MIX_RANGES: dict[BusinessModel, dict[Category, MixRange]] = {
    BusinessModel.MAKE_TO_STOCK: {
        Category.RAW_MATERIAL: MixRange(Decimal(10), Decimal(30)),
        Category.WIP: MixRange(Decimal(20), Decimal(50)),
        Category.FINISHED_GOOD: MixRange(Decimal(20), Decimal(50)),
    },
    BusinessModel.MAKE_TO_ORDER: {
        Category.RAW_MATERIAL: MixRange(Decimal(20), Decimal(50)),
        Category.WIP: MixRange(Decimal(20), Decimal(60)),
        Category.FINISHED_GOOD: MixRange(Decimal(0), Decimal(20)),
    },
    BusinessModel.TRADING: {
        Category.RAW_MATERIAL: MixRange(Decimal(0), Decimal(10)),
        Category.WIP: MixRange(Decimal(0), Decimal(5)),
        Category.FINISHED_GOOD: MixRange(Decimal(85), Decimal(100)),
    },
}


@dataclass(frozen=True)
class TurnoverBand:
    """Lines turning at most ``max_turns`` (or below it when not ``inclusive``) lose ``discount_pct``.

    Bands are read in order; the first that matches wins; ``max_turns`` None matches everything.
    """

    max_turns: Decimal | None
    discount_pct: Decimal
    inclusive: bool = True


DEFAULT_TURNOVER_BANDS: tuple[TurnoverBand, ...] = (
    TurnoverBand(Decimal(1), Decimal(100)),
    TurnoverBand(Decimal(2), Decimal(50)),
    TurnoverBand(Decimal(6), Decimal(25), inclusive=False),
    TurnoverBand(None, Decimal(0)),
)


@dataclass(frozen=True)
class CriteriaTerms:
    """Criteria-method settings (portfolio discounts).

    ``mix_ranges`` None means ``DEFAULT_MIX_RANGES``; ``count_variance_pct`` is the stock
    controller's test-count variance; ``physical_controls_pct`` needs a written
    ``physical_controls_reason``. ``count_variance_source`` names the accepted field exam that
    measured the count variance (empty: the figure was typed); the discount's basis shows it.
    """

    mix_ranges: dict[BusinessModel, dict[Category, MixRange]] | None = None
    turnover_bands: tuple[TurnoverBand, ...] = DEFAULT_TURNOVER_BANDS
    obsolete_after_days: int = DEFAULT_NO_MOVEMENT_DAYS
    count_variance_pct: Decimal = Decimal(0)
    physical_controls_pct: Decimal = Decimal(0)
    physical_controls_reason: str = ""
    count_variance_source: str = ""

    def ranges_for(self, model: BusinessModel) -> dict[Category, MixRange]:
        """The mix ranges for a business model, falling back on the defaults."""
        ranges = self.mix_ranges or DEFAULT_MIX_RANGES
        return ranges.get(model, DEFAULT_MIX_RANGES[model])


@dataclass(frozen=True)
class BorrowerFacts:
    """Figures about the borrower that are not in the stock file (money in currency units)."""

    business_model: BusinessModel = BusinessModel.MAKE_TO_STOCK
    annual_cost_of_sales: Decimal | None = None
    average_stock: Decimal | None = None
    total_debt: Decimal | None = None
    tangible_net_worth: Decimal | None = None
    receivables_borrowing: Decimal | None = None


@dataclass(frozen=True)
class CostTerms:
    """Inputs of the all-in annual cost of the financing.

    Interest = (base rate + margin) × average drawn; commitment fee × (committed − average
    drawn, never negative), where committed is the facility limit or, without one, the financing;
    fees are annual amounts. ``average_drawn`` None: the outstanding is taken as the average drawn
    amount (the cost is never charged on the financing merely because it is available).
    """

    base_rate_pct: Decimal = Decimal(0)
    margin_pct: Decimal = Decimal(0)
    commitment_fee_pct: Decimal = Decimal(0)
    collateral_monitoring_fee: Decimal = Decimal(0)
    field_exam_fee: Decimal = Decimal(0)
    servicing_fee: Decimal = Decimal(0)
    average_drawn: Decimal | None = None


@dataclass(frozen=True)
class LineExclusion:
    """A stock line an advisor excluded after a field exam (docs/domain.md, "Field exams"): every
    line of a file with this ``sku`` at this ``site`` (warehouse code; empty: at any site) is
    ineligible under the reason ``field_exam_finding`` (``valuation.engine.exclusions``).

    ``finding`` (the finding's id), ``exam`` (its reference, "FE-12"), ``counted_on`` and
    ``accepted_on`` (ISO dates) say which decision took the stock out; the engine only repeats them.
    """

    sku: str
    site: str = ""
    finding: int = 0
    exam: str = ""
    counted_on: str = ""
    accepted_on: str = ""


@dataclass(frozen=True)
class FacilityTerms:
    """Everything a valuation needs besides the stock lines and the date."""

    structure: Structure
    method: Method = Method.WATERFALL
    rules: tuple[RuleSetting, ...] = DEFAULT_RULES
    accepted_locations: tuple[str, ...] | None = None
    excluded_locations: tuple[str, ...] = ()
    categories: tuple[CategorySetting, ...] = DEFAULT_CATEGORIES
    sub_categories: tuple[SubCategorySetting, ...] = ()
    ltv_caps: dict[LiquidityClass, Decimal] = field(default_factory=lambda: dict(DEFAULT_LTV_CAPS))
    ltv_caps_indicative: bool = False
    borrowing_base: BorrowingBaseTerms | None = None
    pledge: PledgeTerms | None = None
    criteria: CriteriaTerms = CriteriaTerms()
    borrower: BorrowerFacts = BorrowerFacts()
    cost: CostTerms = CostTerms()
    facility_limit: Decimal | None = None
    outstanding: Decimal = Decimal(0)
    day_basis: int = 360
    target_days: Decimal | None = None
    book_value_tolerance: Decimal = Decimal("0.01")
    # The sites the borrower declared (codes as the stock file writes them, trimmed; compared
    # exactly, so a code that differs in case or spelling is undeclared: the safe side). None: no
    # declaration was given (a terms file), so the "undeclared_site" rule is not assessed.
    declared_locations: tuple[str, ...] | None = None
    # Declared sites whose stock is not insured, and where the stock cannot be put under a
    # custodian (read by "dispossession_impossible", for pledges with dispossession only).
    uninsured_locations: tuple[str, ...] = ()
    no_dispossession_locations: tuple[str, ...] = ()
    # Field exams: the lines an advisor excluded after a finding, taken out before every rule.
    line_exclusions: tuple[LineExclusion, ...] = ()

    def __post_init__(self) -> None:
        validate_terms(self)

    def category_setting(self, category: Category) -> CategorySetting:
        """The settings of a category; a category the terms do not list gets the defaults."""
        for setting in self.categories + DEFAULT_CATEGORIES:
            if setting.category == category:
                return setting
        return CategorySetting(category)

    def line_settings(self) -> tuple[CategorySetting | SubCategorySetting, ...]:
        """The settings lines are valued on: the base categories in ``lines.CATEGORIES``
        order, then each sub-category (indexes ``len(CATEGORIES) + i``), each sub-category's
        appraisal filled in from its base category where it has none of its own."""
        bases = tuple(self.category_setting(c) for c in Category)
        subs = []
        for sub in self.sub_categories:
            base = self.category_setting(sub.category)
            if sub.nolv_appraisal_pct is None and sub.expired_appraisal_pct is None:
                sub = replace(
                    sub,
                    nolv_appraisal_pct=base.nolv_appraisal_pct,
                    expired_appraisal_pct=base.expired_appraisal_pct,
                )
            subs.append(sub)
        return bases + tuple(subs)

    def with_changes(self, **changes: Any) -> FacilityTerms:
        """A copy with some top-level settings changed (validated again)."""
        return replace(self, **changes)


# ----------------------------------------------------------------------------------- validation

OVER_COLLATERALISATION_RANGE = (Decimal(100), Decimal(300))
OVER_COLLATERALISATION_USUAL = (Decimal(120), Decimal(200))


def _check_pct(name: str, value: Decimal | None, low: Decimal, high: Decimal) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TermsError(name, f"must be a decimal percentage, got {value!r}")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise TermsError(name, f"at most 4 decimal places, got {value}")
    if not low <= value <= high:
        raise TermsError(name, f"must be between {low} % and {high} %, got {value} %")


def _check_money(name: str, value: Decimal | None) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TermsError(name, f"must be a decimal amount, got {value!r}")
    if value < 0:
        raise TermsError(name, f"must not be negative, got {value}")
    if abs(value) >= Decimal(10) ** 15:
        raise TermsError(name, f"is not a plausible amount: {value}")


ZERO, HUNDRED = Decimal(0), Decimal(100)


def validate_terms(terms: FacilityTerms) -> None:
    """Raise ``TermsError`` naming the first setting that is out of range or inconsistent."""
    _validate_choice("structure", terms.structure, Structure)
    _validate_choice("method", terms.method, Method)
    _validate_rules(terms.rules)
    for i, setting in enumerate(terms.categories):
        _validate_category(f"categories[{i}]", setting)
    _validate_sub_categories(terms.sub_categories)
    for klass, cap in terms.ltv_caps.items():
        _validate_choice("ltv_caps", klass, LiquidityClass)
        _check_pct(f"ltv_caps.{klass}", cap, ZERO, HUNDRED)
    if not isinstance(terms.ltv_caps_indicative, bool):
        raise TermsError("ltv_caps_indicative", "must be true or false")
    if terms.structure == Structure.BORROWING_BASE:
        if terms.borrowing_base is None:
            raise TermsError("borrowing_base", "required for the borrowing_base structure")
        _validate_borrowing_base(terms.borrowing_base)
        _validate_borrowing_base_facts(terms.borrowing_base, terms.borrower)
        _validate_unrented_sites(terms)
    elif terms.pledge is None:
        raise TermsError("pledge", f"required for the {terms.structure} structure")
    if terms.pledge is not None:
        _validate_pledge(terms.pledge)
    _validate_criteria(terms.criteria)
    _validate_borrower(terms.borrower)
    _validate_cost(terms.cost)
    _check_money("facility_limit", terms.facility_limit)
    _check_money("outstanding", terms.outstanding)
    _check_money("book_value_tolerance", terms.book_value_tolerance)
    if terms.day_basis not in (360, 365):
        raise TermsError("day_basis", f"must be 360 or 365, got {terms.day_basis!r}")
    if terms.target_days is not None and not (ZERO <= terms.target_days <= Decimal(3650)):
        raise TermsError("target_days", f"must be between 0 and 3650, got {terms.target_days}")
    _validate_line_exclusions(terms.line_exclusions)


def _validate_line_exclusions(exclusions: tuple[LineExclusion, ...]) -> None:
    if not isinstance(exclusions, tuple):
        raise TermsError("line_exclusions", "must be a list of excluded lines")
    for i, exclusion in enumerate(exclusions):
        name = f"line_exclusions[{i}]"
        if not isinstance(exclusion, LineExclusion):
            raise TermsError(name, "must be an excluded line")
        if not isinstance(exclusion.sku, str) or not exclusion.sku.strip():
            raise TermsError(f"{name}.sku", "an excluded line names its SKU")
        for text in ("site", "exam", "counted_on", "accepted_on"):
            if not isinstance(getattr(exclusion, text), str):
                raise TermsError(f"{name}.{text}", "must be text")


def _validate_choice(name: str, value: object, choices: type[StrEnum]) -> None:
    if value not in set(choices):
        allowed = ", ".join(c.value for c in choices)
        raise TermsError(name, f"must be one of {allowed}, got {value!r}")


def _validate_rules(rules: tuple[RuleSetting, ...]) -> None:
    seen: set[str] = set()
    for i, setting in enumerate(rules):
        name = f"rules[{i}]"
        _validate_choice(f"{name}.rule", setting.rule, Rule)
        if setting.rule in seen:
            raise TermsError(f"{name}.rule", f"{setting.rule} is listed twice")
        seen.add(setting.rule)
        if not isinstance(setting.enabled, bool):
            raise TermsError(f"{name}.enabled", "must be true or false")
        for days_name in ("min_shelf_life_days", "no_movement_days"):
            days = getattr(setting, days_name)
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 36500:
                raise TermsError(f"{name}.{days_name}", f"must be 0-36500 days, got {days!r}")
        turns = setting.min_turns
        if not isinstance(turns, Decimal) or not ZERO <= turns <= Decimal(1000):
            raise TermsError(f"{name}.min_turns", f"must be 0-1000 turns, got {turns!r}")
        if turns.as_tuple().exponent < -4:  # type: ignore[operator]
            raise TermsError(f"{name}.min_turns", "at most 4 decimal places")


def _validate_category(name: str, setting: CategorySetting) -> None:
    _validate_choice(f"{name}.category", setting.category, Category)
    _validate_choice(f"{name}.liquidity_class", setting.liquidity_class, LiquidityClass)
    for pct_name in (
        "nrv_pct_of_cost",
        "transport_pct",
        "storage_pct",
        "commission_pct",
        "nolv_appraisal_pct",
        "expired_appraisal_pct",
    ):
        _check_pct(f"{name}.{pct_name}", getattr(setting, pct_name), ZERO, Decimal(200))


def _validate_sub_categories(settings: tuple[SubCategorySetting, ...]) -> None:
    seen: dict[str, str] = {}
    for i, setting in enumerate(settings):
        name = f"sub_categories[{i}]"
        if not isinstance(setting.code, str) or not code_key(setting.code):
            raise TermsError(f"{name}.code", "a sub-category needs a code")
        key = code_key(setting.code)
        if key in seen:
            raise TermsError(f"{name}.code", f"{setting.code!r} is listed twice (as {seen[key]!r})")
        seen[key] = setting.code
        _validate_category(name, setting)  # type: ignore[arg-type]


def _validate_borrowing_base(terms: BorrowingBaseTerms) -> None:
    _check_pct("borrowing_base.nolv_advance_rate_pct", terms.nolv_advance_rate_pct, ZERO, HUNDRED)
    _check_pct("borrowing_base.cost_advance_rate_pct", terms.cost_advance_rate_pct, ZERO, HUNDRED)
    _check_pct("borrowing_base.receivables_cap_pct", terms.receivables_cap_pct, ZERO, HUNDRED)
    _validate_reserves(terms.reserves)
    previous = Decimal(-1)
    for i, step in enumerate(terms.leverage_grid):
        name = f"borrowing_base.leverage_grid[{i}]"
        _check_pct(f"{name}.cost_advance_rate_pct", step.cost_advance_rate_pct, ZERO, HUNDRED)
        if not isinstance(step.max_leverage, Decimal) or step.max_leverage <= previous:
            raise TermsError(f"{name}.max_leverage", "steps must have increasing max_leverage")
        previous = step.max_leverage
    if terms.cost_advance_rate_pct is None and not terms.leverage_grid:
        raise TermsError("borrowing_base.cost_advance_rate_pct", "required when there is no leverage grid")


def _validate_reserves(reserves: tuple[Reserve, ...]) -> None:
    if not isinstance(reserves, tuple):
        raise TermsError("borrowing_base.reserves", "must be a list of named reserves")
    sites: set[str] = set()
    for i, reserve in enumerate(reserves):
        name = f"borrowing_base.reserves[{i}]"
        if not isinstance(reserve, Reserve):
            raise TermsError(name, "must be a named reserve")
        _validate_choice(f"{name}.kind", reserve.kind, ReserveKind)
        given = {f.name for f in fields(reserve) if f.name != "kind" and getattr(reserve, f.name) != f.default}
        for extra in sorted(given - RESERVE_INPUTS[reserve.kind]):
            raise TermsError(f"{name}.{extra}", f"is not a setting of a {reserve.kind} reserve")
        if not isinstance(reserve.reason, str) or not isinstance(reserve.site, str):
            raise TermsError(name, "site and reason must be text")
        if reserve.kind == ReserveKind.RENT:
            if not reserve.site.strip():
                raise TermsError(f"{name}.site", "a rent reserve names its site (warehouse code)")
            if reserve.site in sites:
                raise TermsError(f"{name}.site", f"site {reserve.site} has two rent reserves")
            sites.add(reserve.site)
            _check_money(f"{name}.monthly_rent", reserve.monthly_rent)
            months = reserve.months
            if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_RENT_RESERVE_MONTHS:
                raise TermsError(f"{name}.months", f"must be 1-{MAX_RENT_RESERVE_MONTHS} months, got {months!r}")
        elif reserve.kind == ReserveKind.SHRINK:
            if reserve.pct is None:
                raise TermsError(f"{name}.pct", "a shrink reserve is a % of eligible stock")
            _check_pct(f"{name}.pct", reserve.pct, ZERO, HUNDRED)
        else:
            if reserve.amount is None:
                raise TermsError(f"{name}.amount", f"a {reserve.kind} reserve needs an amount")
            _check_money(f"{name}.amount", reserve.amount)
            if reserve.kind == ReserveKind.OTHER and not reserve.reason.strip():
                raise TermsError(f"{name}.reason", "an other reserve must come with a written reason")


def _validate_unrented_sites(terms: FacilityTerms) -> None:
    """A site under a rent reserve with no rent must have its stock excluded; where the location
    rule cannot exclude it (switched off, or the criteria method), the terms are refused."""
    sites = unrented_sites(terms)
    if not sites:
        return
    index = next(i for i, r in enumerate(terms.borrowing_base.reserves) if r.site == sites[0])  # type: ignore[union-attr]
    location = next((s for s in terms.rules if s.rule == Rule.LOCATION), None)
    if terms.method == Method.CRITERIA or location is None or not location.enabled:
        raise TermsError(
            f"borrowing_base.reserves[{index}].monthly_rent",
            f"site {sites[0]} has no monthly rent, and its stock cannot be excluded instead "
            "(location rule off or criteria method): enter the rent",
        )


def _validate_borrowing_base_facts(terms: BorrowingBaseTerms, facts: BorrowerFacts) -> None:
    if terms.cost_advance_rate_pct is None:
        for name in ("total_debt", "tangible_net_worth"):
            if getattr(facts, name) is None:
                raise TermsError(
                    f"borrower.{name}",
                    "needed for the leverage grid when cost_advance_rate_pct is not set",
                )
    if terms.receivables_cap_pct is not None and facts.receivables_borrowing is None:
        raise TermsError("borrower.receivables_borrowing", "needed when receivables_cap_pct is set")


def _validate_pledge(terms: PledgeTerms) -> None:
    _check_pct("pledge.fungibility_share_pct", terms.fungibility_share_pct, ZERO, HUNDRED)
    low, high = OVER_COLLATERALISATION_RANGE
    _check_pct("pledge.over_collateralisation_pct", terms.over_collateralisation_pct, low, high)
    _check_money("pledge.committed_guarantee", terms.committed_guarantee)


def _validate_criteria(terms: CriteriaTerms) -> None:
    for model, ranges in (terms.mix_ranges or {}).items():
        _validate_choice("criteria.mix_ranges", model, BusinessModel)
        for category, mix in ranges.items():
            name = f"criteria.mix_ranges.{model}.{category}"
            _validate_choice(name, category, Category)
            _check_pct(f"{name}.min_pct", mix.min_pct, ZERO, HUNDRED)
            _check_pct(f"{name}.max_pct", mix.max_pct, ZERO, HUNDRED)
            if mix.min_pct > mix.max_pct:
                raise TermsError(name, "min_pct is above max_pct")
    if not terms.turnover_bands or terms.turnover_bands[-1].max_turns is not None:
        raise TermsError("criteria.turnover_bands", "the last band must have max_turns null")
    previous = Decimal(-1)
    for i, band in enumerate(terms.turnover_bands):
        name = f"criteria.turnover_bands[{i}]"
        _check_pct(f"{name}.discount_pct", band.discount_pct, ZERO, HUNDRED)
        if band.max_turns is not None:
            if band.max_turns < previous:
                raise TermsError(f"{name}.max_turns", "bands must have increasing max_turns")
            previous = band.max_turns
    if not isinstance(terms.obsolete_after_days, int) or terms.obsolete_after_days < 0:
        raise TermsError("criteria.obsolete_after_days", "must be a non-negative number of days")
    _check_pct("criteria.count_variance_pct", terms.count_variance_pct, ZERO, HUNDRED)
    _check_pct("criteria.physical_controls_pct", terms.physical_controls_pct, ZERO, HUNDRED)
    if terms.physical_controls_pct > 0 and not terms.physical_controls_reason.strip():
        raise TermsError(
            "criteria.physical_controls_reason",
            "a physical-controls discount must come with a written reason",
        )


def _validate_borrower(facts: BorrowerFacts) -> None:
    _validate_choice("borrower.business_model", facts.business_model, BusinessModel)
    for name in ("annual_cost_of_sales", "average_stock", "total_debt", "receivables_borrowing"):
        _check_money(f"borrower.{name}", getattr(facts, name))
    tnw = facts.tangible_net_worth
    # Tangible net worth may be negative (a balance sheet under water); it is money all the same.
    if tnw is not None and (not isinstance(tnw, Decimal) or not tnw.is_finite()):
        raise TermsError("borrower.tangible_net_worth", f"must be a decimal amount, got {tnw!r}")


def _validate_cost(cost: CostTerms) -> None:
    for name in ("base_rate_pct", "margin_pct", "commitment_fee_pct"):
        # A negative base rate (EURIBOR 2015-2022) is real.
        _check_pct(f"cost.{name}", getattr(cost, name), Decimal(-10), Decimal(50))
    for name in ("collateral_monitoring_fee", "field_exam_fee", "servicing_fee", "average_drawn"):
        _check_money(f"cost.{name}", getattr(cost, name))


def over_collateralisation_warning(terms: FacilityTerms) -> str | None:
    """A warning when the over-collateralisation rate is outside the usual 120-200 % range."""
    if terms.pledge is None or terms.structure == Structure.BORROWING_BASE:
        return None
    rate = terms.pledge.over_collateralisation_pct
    low, high = OVER_COLLATERALISATION_USUAL
    if low <= rate <= high:
        return None
    return (
        f"over-collateralisation {rate} % is outside the usual {low}-{high} % "
        "(about 120 % for a healthy borrower, 150-200 % in turnaround)"
    )


# --------------------------------------------------------------------------------- dict <-> terms


def terms_to_dict(terms: FacilityTerms) -> dict[str, Any]:
    """The JSON-able form of the terms: Decimals as strings, enums as their values."""
    return _dump(terms)


def _dump(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {_dump(k): _dump(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _dump(getattr(value, f.name)) for f in fields(value)}
    return value


def terms_from_dict(data: Mapping[str, Any]) -> FacilityTerms:
    """Build and validate terms from their dict form; unknown keys are errors, not ignored."""
    if not isinstance(data, Mapping):
        raise TermsError("terms", "must be a JSON object")
    _reject_unknown("", data, FacilityTerms)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        kwargs[key] = _load_top(key, value)
    if "structure" not in kwargs:
        raise TermsError("structure", "is required")
    return FacilityTerms(**kwargs)


_DECIMAL_FIELDS = {
    "facility_limit",
    "outstanding",
    "target_days",
    "book_value_tolerance",
}


def _load_top(key: str, value: Any) -> Any:
    loaders = {
        "structure": lambda v: _enum(key, v, Structure),
        "method": lambda v: _enum(key, v, Method),
        "rules": lambda v: merge_rules(tuple(_load_rule(f"rules[{i}]", r) for i, r in enumerate(_list(key, v)))),
        "accepted_locations": lambda v: None if v is None else _strings(key, v),
        "excluded_locations": lambda v: _strings(key, v),
        "declared_locations": lambda v: None if v is None else _strings(key, v),
        "uninsured_locations": lambda v: _strings(key, v),
        "no_dispossession_locations": lambda v: _strings(key, v),
        "categories": lambda v: tuple(
            _load_dataclass(f"categories[{i}]", c, CategorySetting) for i, c in enumerate(_list(key, v))
        ),
        "sub_categories": lambda v: tuple(
            _load_dataclass(f"sub_categories[{i}]", c, SubCategorySetting) for i, c in enumerate(_list(key, v))
        ),
        "ltv_caps": lambda v: {
            **DEFAULT_LTV_CAPS,
            **{_enum(f"{key}.{k}", k, LiquidityClass): _decimal(f"{key}.{k}", c) for k, c in _map(key, v).items()},
        },
        "ltv_caps_indicative": lambda v: _bool(key, v),
        "borrowing_base": lambda v: None if v is None else _load_borrowing_base(v),
        "pledge": lambda v: None if v is None else _load_dataclass(key, v, PledgeTerms),
        "criteria": _load_criteria,
        "borrower": lambda v: _load_dataclass(key, v, BorrowerFacts),
        "cost": lambda v: _load_dataclass(key, v, CostTerms),
        "day_basis": lambda v: _int(key, v),
        "line_exclusions": lambda v: tuple(
            _load_dataclass(f"line_exclusions[{i}]", e, LineExclusion) for i, e in enumerate(_list(key, v))
        ),
    }
    if key in loaders:
        return loaders[key](value)
    if key in _DECIMAL_FIELDS:
        return None if value is None else _decimal(key, value)
    raise TermsError(key, "unknown setting")


def _reject_unknown(prefix: str, data: Mapping[str, Any], cls: type) -> None:
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            raise TermsError(f"{prefix}{key}", "unknown setting")


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TermsError(name, "must be a list")
    return list(value)


def _map(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TermsError(name, "must be an object")
    return value


def _strings(name: str, value: Any) -> tuple[str, ...]:
    items = _list(name, value)
    if not all(isinstance(v, str) for v in items):
        raise TermsError(name, "must be a list of strings")
    return tuple(items)


def _enum(name: str, value: Any, choices: type[StrEnum]) -> Any:
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(c.value for c in choices)
        raise TermsError(name, f"must be one of {allowed}, got {value!r}") from None


def _decimal(name: str, value: Any) -> Decimal:
    # Floats are refused: 0.1 in a JSON file must be written "0.1" to mean exactly 0.1.
    if isinstance(value, bool | float):
        raise TermsError(name, f"write decimals as strings or integers, got {value!r}")
    try:
        number = Decimal(str(value)) if isinstance(value, int | str) else value
    except InvalidOperation:
        raise TermsError(name, f"is not a decimal number: {value!r}") from None
    if not isinstance(number, Decimal) or not number.is_finite():
        raise TermsError(name, f"is not a decimal number: {value!r}")
    return number


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TermsError(name, "must be true or false")
    return value


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TermsError(name, f"must be a whole number, got {value!r}")
    return value


_FIELD_KINDS: dict[str, str] = {
    "enabled": "bool",
    "min_shelf_life_days": "int",
    "no_movement_days": "int",
    "obsolete_after_days": "int",
    "physical_controls_reason": "str",
    "count_variance_source": "str",
    "code": "str",
    "inclusive": "bool",
    "months": "int",
    "site": "str",
    "reason": "str",
    # field exams' line exclusions
    "sku": "str",
    "finding": "int",
    "exam": "str",
    "counted_on": "str",
    "accepted_on": "str",
}


def _load_dataclass(name: str, data: Any, cls: type) -> Any:
    data = _map(name, data)
    _reject_unknown(f"{name}.", data, cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        kwargs[key] = _load_field(f"{name}.{key}", key, value)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise TermsError(name, f"missing a required setting ({exc})") from None


def _load_field(name: str, key: str, value: Any) -> Any:
    kind = _FIELD_KINDS.get(key)
    enums: dict[str, type[StrEnum]] = {
        "rule": Rule,
        "category": Category,
        "liquidity_class": LiquidityClass,
        "business_model": BusinessModel,
        "kind": ReserveKind,
    }
    if value is None:
        return None
    if key in enums:
        return _enum(name, value, enums[key])
    if kind == "bool":
        if not isinstance(value, bool):
            raise TermsError(name, "must be true or false")
        return value
    if kind == "int":
        return _int(name, value)
    if kind == "str":
        if not isinstance(value, str):
            raise TermsError(name, "must be text")
        return value
    return _decimal(name, value)


def _load_rule(name: str, data: Any) -> RuleSetting:
    return _load_dataclass(name, data, RuleSetting)


def merge_rules(given: tuple[RuleSetting, ...]) -> tuple[RuleSetting, ...]:
    """The full rule list: the rules given, in their order and with their settings, and every rule
    they do not name at its default (on, default threshold), so a partial list never switches a
    rule off by leaving it out.

    An unnamed rule goes right after the nearest rule that precedes it in ``DEFAULT_RULES`` (or
    first when none does): ``[obsolete]`` alone gives the order of docs/domain.md with ``obsolete`` tightened.
    """
    merged = list(given)
    named = {setting.rule for setting in given}
    for default_position, default in enumerate(DEFAULT_RULES):
        if default.rule in named:
            continue
        earlier = {d.rule for d in DEFAULT_RULES[:default_position]}
        after = max((i for i, s in enumerate(merged) if s.rule in earlier), default=-1)
        merged.insert(after + 1, default)
    return tuple(merged)


def _load_borrowing_base(data: Any) -> BorrowingBaseTerms:
    data = dict(_map("borrowing_base", data))
    grid = data.pop("leverage_grid", None)
    reserves = _load_reserves(data.pop("reserves", None))
    terms = replace(_load_dataclass("borrowing_base", data, BorrowingBaseTerms), reserves=reserves)
    if grid is not None:
        steps = tuple(
            _load_dataclass(f"borrowing_base.leverage_grid[{i}]", s, GridStep)
            for i, s in enumerate(_list("borrowing_base.leverage_grid", grid))
        )
        terms = replace(terms, leverage_grid=steps)
    return terms


def _load_reserves(value: Any) -> tuple[Reserve, ...]:
    """A list of named reserves; or, as old terms files wrote it, one amount, read as a single
    "other" reserve carried over (zero: no reserve)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        amount = _decimal("borrowing_base.reserves", value)
        if amount == 0:
            return ()
        return (Reserve(ReserveKind.OTHER, amount=amount, reason=CARRIED_OVER_REASON),)
    reserves = []
    for i, item in enumerate(value):
        name = f"borrowing_base.reserves[{i}]"
        if not isinstance(item, Mapping) or "kind" not in item:
            raise TermsError(name, "must be an object with a kind")
        reserves.append(_load_dataclass(name, item, Reserve))
    return tuple(reserves)


def _load_criteria(data: Any) -> CriteriaTerms:
    data = dict(_map("criteria", data))
    ranges = data.pop("mix_ranges", None)
    bands = data.pop("turnover_bands", None)
    terms = _load_dataclass("criteria", data, CriteriaTerms)
    changes: dict[str, Any] = {}
    if ranges is not None:
        # A partial set keeps the defaults of what it does not name: a business model or a
        # category left out keeps the default range rather than escaping the mix discount.
        loaded = {
            _enum(f"criteria.mix_ranges.{model}", model, BusinessModel): {
                _enum(f"criteria.mix_ranges.{model}.{cat}", cat, Category): _load_dataclass(
                    f"criteria.mix_ranges.{model}.{cat}", mix, MixRange
                )
                for cat, mix in _map(f"criteria.mix_ranges.{model}", by_cat).items()
            }
            for model, by_cat in _map("criteria.mix_ranges", ranges).items()
        }
        changes["mix_ranges"] = {
            model: {**defaults, **loaded.get(model, {})} for model, defaults in DEFAULT_MIX_RANGES.items()
        }
    if bands is not None:
        changes["turnover_bands"] = tuple(
            _load_dataclass(f"criteria.turnover_bands[{i}]", b, TurnoverBand)
            for i, b in enumerate(_list("criteria.turnover_bands", bands))
        )
    return replace(terms, **changes) if changes else terms
