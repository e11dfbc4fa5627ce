"""Working-capital need and the all-in cost of the financing (docs/domain.md, "Working capital" and "All-in cost").

Money in cents, rounded half-up once per figure; rotation and days are display ratios, rounded
half-up (2 places for rotation, 1 for days). The need is computed from the exact fraction
target ÷ day basis × cost of sales, never from the rounded ratios.
"""

from __future__ import annotations

from decimal import Decimal

from valuation.engine.money import apply_pct, div_half_up, ratio, to_cents
from valuation.engine.money import to_decimal as dec
from valuation.engine.result import FinancingCost, WorkingCapital
from valuation.engine.terms import FacilityTerms


def working_capital(terms: FacilityTerms, book_value: int) -> WorkingCapital:
    """rotation = annual cost of sales ÷ average stock; days of stock = day basis ÷ rotation;
    need for the target days = target ÷ day basis × annual cost of sales.

    Without ``borrower.average_stock`` the current stock file's book value stands in (and the
    result says so).
    """
    facts = terms.borrower
    if facts.average_stock is not None:
        average, source = to_cents(facts.average_stock), "borrower"
    else:
        average, source = book_value, "stock file book value"
    cost_of_sales = None if facts.annual_cost_of_sales is None else to_cents(facts.annual_cost_of_sales)
    rotation = days = need = None
    if cost_of_sales is not None:
        rotation = ratio(cost_of_sales, average, places=2)
        # days = basis ÷ (cost of sales ÷ average) = basis × average ÷ cost of sales, exactly.
        days = ratio(terms.day_basis * average, cost_of_sales, places=1)
        if terms.target_days is not None:
            num, den = terms.target_days.as_integer_ratio()
            need = div_half_up(cost_of_sales * num, den * terms.day_basis)
    return WorkingCapital(
        annual_cost_of_sales=facts.annual_cost_of_sales,
        average_stock=dec(average),
        average_stock_source=source,
        day_basis=terms.day_basis,
        rotation=rotation,
        days_of_stock=days,
        target_days=terms.target_days,
        need_for_target=None if need is None else dec(need),
    )


def financing_cost(terms: FacilityTerms, financing: int) -> FinancingCost:
    """All-in annual cost, in money and as % of the average drawn amount.

    interest = (base rate + margin) × average drawn; commitment fee × undrawn, where undrawn =
    committed − average drawn, committed = facility limit (or the financing without one); plus
    collateral monitoring, field exam and servicing fees. Each product rounded half-up to the
    cent. The average drawn defaults to the outstanding: the cost is of what is drawn, not of
    the financing available (docs/domain.md, "All-in cost").
    """
    cost = terms.cost
    source = "outstanding" if cost.average_drawn is None else "terms"
    drawn = to_cents(terms.outstanding) if cost.average_drawn is None else to_cents(cost.average_drawn)
    committed = financing if terms.facility_limit is None else to_cents(terms.facility_limit)
    committed = max(committed, drawn)
    undrawn = committed - drawn
    interest = apply_pct(drawn, cost.base_rate_pct + cost.margin_pct)
    commitment = apply_pct(undrawn, cost.commitment_fee_pct)
    fees = [
        to_cents(cost.collateral_monitoring_fee),
        to_cents(cost.field_exam_fee),
        to_cents(cost.servicing_fee),
    ]
    total = interest + commitment + sum(fees)
    all_in = None if drawn == 0 else ratio(total * 100, drawn, places=4)
    return FinancingCost(
        average_drawn=dec(drawn),
        committed=dec(committed),
        undrawn=dec(undrawn),
        interest=dec(interest),
        commitment_fee=dec(commitment),
        collateral_monitoring_fee=dec(fees[0]),
        field_exam_fee=dec(fees[1]),
        servicing_fee=dec(fees[2]),
        total=dec(total),
        all_in_pct=all_in if all_in is None else Decimal(all_in),
        average_drawn_source=source,
    )
