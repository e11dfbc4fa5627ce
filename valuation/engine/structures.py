"""Financing under each structure (docs/domain.md, "Financing structures"), in integer cents.

Every percentage is applied once, half-up to the cent (``money.apply_pct``); minimums and caps
are taken on those cents. Inputs are the eligible stock at cost and its liquidation value, so the
same functions serve the valuation and the levers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from valuation.engine.money import apply_pct, div_half_up, pct_ratio, ratio, share_pct, to_cents
from valuation.engine.money import to_decimal as dec
from valuation.engine.result import BorrowingBase, Financing, LoanToValue, Pledge, ReserveAmount
from valuation.engine.terms import FacilityTerms, LiquidityClass, Reserve, ReserveKind, Structure


@dataclass(frozen=True)
class AdvanceRate:
    """The cost advance rate and where it came from; ``refusal`` set when the grid says no."""

    pct: Decimal
    source: str
    leverage: Decimal | None = None
    refusal: str | None = None


def cost_advance_rate(terms: FacilityTerms) -> AdvanceRate:
    """The rate from the terms, else from the debt ÷ tangible-net-worth grid.

    Leverage is compared exactly (as a fraction), so 5,000,000 ÷ 1,000,000 = 5:1 falls in the
    "≤ 5:1" step. A tangible net worth of zero or less means unbounded leverage: refusal.
    """
    bb = terms.borrowing_base
    assert bb is not None
    if bb.cost_advance_rate_pct is not None:
        return AdvanceRate(bb.cost_advance_rate_pct, "terms")
    debt = terms.borrower.total_debt
    worth = terms.borrower.tangible_net_worth
    assert debt is not None and worth is not None  # validate_terms guarantees it
    if worth <= 0:
        return AdvanceRate(Decimal(0), "grid", None, "tangible net worth is not positive: no inventory line")
    leverage = Fraction(debt) / Fraction(worth)
    shown = ratio(to_cents(debt), to_cents(worth), places=4)
    for step in bb.leverage_grid:
        if leverage <= Fraction(step.max_leverage):
            return AdvanceRate(step.cost_advance_rate_pct, "grid", shown)
    top = bb.leverage_grid[-1].max_leverage
    refusal = f"debt ÷ tangible net worth is {shown}:1, above {top}:1: no inventory line"
    return AdvanceRate(Decimal(0), "grid", shown, refusal)


def reserve_cents(reserve: Reserve, eligible: int) -> int:
    """One named reserve in cents: rent = months × monthly rent (0 when the rent is unknown: the
    site's stock is excluded instead); shrink = pct × eligible cost, half-up; else its amount."""
    if reserve.kind == ReserveKind.RENT:
        return 0 if reserve.monthly_rent is None else to_cents(reserve.monthly_rent) * reserve.months
    if reserve.kind == ReserveKind.SHRINK:
        assert reserve.pct is not None  # validate_terms guarantees it
        return apply_pct(eligible, reserve.pct)
    assert reserve.amount is not None
    return to_cents(reserve.amount)


def named_reserves(eligible: int, terms: FacilityTerms) -> tuple[ReserveAmount, ...]:
    """Each reserve of the terms with its amount and the inputs of its basis (eligible in cents)."""
    bb = terms.borrowing_base
    assert bb is not None
    return tuple(
        ReserveAmount(
            kind=str(r.kind),
            amount=dec(reserve_cents(r, eligible)),
            basis_amount=dec(eligible) if r.kind == ReserveKind.SHRINK else r.monthly_rent,
            pct=r.pct,
            site=r.site,
            months=r.months if r.kind == ReserveKind.RENT else None,
            reason=r.reason,
            site_excluded=r.kind == ReserveKind.RENT and r.monthly_rent is None,
        )
        for r in bb.reserves
    )


def borrowing_base(eligible: int, eligible_nrv: int, terms: FacilityTerms) -> BorrowingBase:
    """min(cost rate × eligible cost, NOLV rate × eligible NOLV) − reserves (floored at zero),
    then capped by the facility limit and the receivables cap; all in cents, half-up."""
    bb = terms.borrowing_base
    assert bb is not None
    rate = cost_advance_rate(terms)
    cost_leg = apply_pct(eligible, rate.pct)
    nolv_leg = apply_pct(eligible_nrv, bb.nolv_advance_rate_pct)
    binding_leg = "cost" if cost_leg <= nolv_leg else "nolv"
    reserves = sum(reserve_cents(r, eligible) for r in bb.reserves)
    # Reserves larger than the advance leave nothing to lend, not a negative base.
    after_reserves = max(min(cost_leg, nolv_leg) - reserves, 0)
    base, binding_cap = after_reserves, ""
    limit = None if terms.facility_limit is None else to_cents(terms.facility_limit)
    if limit is not None and limit < base:
        base, binding_cap = limit, "facility_limit"
    receivables_cap = None
    if bb.receivables_cap_pct is not None:
        receivables = to_cents(terms.borrower.receivables_borrowing or Decimal(0))
        receivables_cap = apply_pct(receivables, bb.receivables_cap_pct)
        if receivables_cap < base:
            base, binding_cap = receivables_cap, "receivables"
    return BorrowingBase(
        cost_advance_rate_pct=rate.pct,
        rate_source=rate.source,
        leverage=rate.leverage,
        eligible_cost=dec(eligible),
        cost_leg=dec(cost_leg),
        nolv_advance_rate_pct=bb.nolv_advance_rate_pct,
        eligible_nolv=dec(eligible_nrv),
        nolv_leg=dec(nolv_leg),
        binding_leg=binding_leg,
        reserves=dec(reserves),
        after_reserves=dec(after_reserves),
        facility_limit=None if limit is None else dec(limit),
        receivables_cap=None if receivables_cap is None else dec(receivables_cap),
        binding_cap=binding_cap,
        borrowing_base=dec(base),
        named_reserves=named_reserves(eligible, terms),
    )


def pledge(mobilisable: int, terms: FacilityTerms) -> Pledge:
    """guarantee = fungibility share × mobilisable; financing = guarantee ÷ over-collateralisation
    (half-up to the cent), capped by the facility limit when there is one."""
    terms_pledge = terms.pledge
    assert terms_pledge is not None
    guarantee = apply_pct(mobilisable, terms_pledge.fungibility_share_pct)
    num, den = pct_ratio(terms_pledge.over_collateralisation_pct)
    financing = div_half_up(guarantee * den, num)
    limit = None if terms.facility_limit is None else to_cents(terms.facility_limit)
    committed = terms_pledge.committed_guarantee
    shortfall = 0 if committed is None else max(to_cents(committed) - mobilisable, 0)
    return Pledge(
        with_dispossession=terms.structure == Structure.PLEDGE_WITH_DISPOSSESSION,
        mobilisable=dec(mobilisable),
        fungibility_share_pct=terms_pledge.fungibility_share_pct,
        guarantee=dec(guarantee),
        over_collateralisation_pct=terms_pledge.over_collateralisation_pct,
        financing_before_limit=dec(financing),
        facility_limit=None if limit is None else dec(limit),
        committed_guarantee=committed,
        replenishment_shortfall=dec(shortfall),
        replenishment_breached=shortfall > 0,
    )


def structure_cents(eligible: int, eligible_nrv: int, terms: FacilityTerms) -> int:
    """What the structure's own formula lends, in cents, before the loan-to-value caps."""
    if terms.structure == Structure.BORROWING_BASE:
        return to_cents(borrowing_base(eligible, eligible_nrv, terms).borrowing_base)
    result = pledge(eligible, terms)
    amount = to_cents(result.financing_before_limit)
    if terms.facility_limit is not None:
        amount = min(amount, to_cents(terms.facility_limit))
    return amount


def ltv_max_cents(nrv_by_class: dict[LiquidityClass, int], terms: FacilityTerms) -> int:
    """Σ (LTV cap of the class × eligible liquidation value of the class), each product half-up
    to the cent; a class the terms give no cap lends nothing (fail safe)."""
    return sum(apply_pct(amount, terms.ltv_caps.get(klass, Decimal(0))) for klass, amount in nrv_by_class.items())


def financing_cents(
    eligible: int, eligible_nrv: int, terms: FacilityTerms, nrv_by_class: dict[LiquidityClass, int]
) -> int:
    """The amount lent, in cents (the figure levers compare): the structure's figure, bound by the
    loan-to-value caps unless the facility marks them indicative (docs/domain.md, "Loan-to-value caps")."""
    amount = structure_cents(eligible, eligible_nrv, terms)
    if terms.ltv_caps_indicative:
        return amount
    return min(amount, ltv_max_cents(nrv_by_class, terms))


def loan_to_value(
    financing: int,
    nrv_by_class: dict[LiquidityClass, int],
    terms: FacilityTerms,
    *,
    before_cap: int | None = None,
) -> LoanToValue:
    """LTV = financing ÷ eligible liquidation value, against the liquidity-class caps.

    ``before_cap``: the structure's figure before the caps (cents), to say whether they bound it.
    """
    value = sum(nrv_by_class.values())
    max_financing = ltv_max_cents(nrv_by_class, terms)
    before = financing if before_cap is None else before_cap
    return LoanToValue(
        financing=dec(financing),
        liquidation_value=dec(value),
        ltv_pct=share_pct(financing, value) if value else None,
        cap_pct=share_pct(max_financing, value) if value else None,
        max_financing=dec(max_financing),
        exceeded=financing > max_financing,
        indicative=terms.ltv_caps_indicative,
        binding=financing < before,
        financing_before_cap=dec(before),
    )


def binding_constraint(base: BorrowingBase | None, pledged: Pledge | None, ltv: LoanToValue) -> str:
    """Which limit sets the financing: "ltv_cap" when the caps bound it, else for a borrowing base
    the cap that bound ("facility_limit", "receivables_cap") or the smaller leg ("cost_leg",
    "nolv_leg"), for a pledge "facility_limit" or "guarantee" (guarantee ÷ over-collateralisation).
    """
    if ltv.binding:
        return "ltv_cap"
    if base is not None:
        if base.binding_cap == "receivables":
            return "receivables_cap"
        if base.binding_cap:
            return base.binding_cap
        return "cost_leg" if base.binding_leg == "cost" else "nolv_leg"
    limit = None if pledged is None else pledged.facility_limit
    if pledged is not None and limit is not None and limit < pledged.financing_before_limit:
        return "facility_limit"
    return "guarantee"


def compute_financing(
    eligible: int,
    eligible_nrv: int,
    nrv_by_class: dict[LiquidityClass, int],
    terms: FacilityTerms,
) -> Financing:
    """The structure's financing bound by the LTV caps, availability (financing − outstanding),
    LTV, and which constraint binds."""
    outstanding = to_cents(terms.outstanding)
    base = pledged = None
    refusal = None
    if terms.structure == Structure.BORROWING_BASE:
        base = borrowing_base(eligible, eligible_nrv, terms)
        refusal = cost_advance_rate(terms).refusal
    else:
        pledged = pledge(eligible, terms)
    before_cap = structure_cents(eligible, eligible_nrv, terms)
    amount = financing_cents(eligible, eligible_nrv, terms, nrv_by_class)
    availability = amount - outstanding
    ltv = loan_to_value(amount, nrv_by_class, terms, before_cap=before_cap)
    return Financing(
        structure=str(terms.structure),
        financing=dec(amount),
        outstanding=dec(outstanding),
        availability=dec(availability),
        over_advance=availability < 0,
        ltv=ltv,
        borrowing_base=base,
        pledge=pledged,
        refusal=refusal,
        binding=binding_constraint(base, pledged, ltv),
    )
