"""Liquidation value per line: resale less costs, category rates, appraisal, eligible share."""

from __future__ import annotations

from decimal import Decimal

from tests.engine.helpers import AS_OF, frame, lines, terms
from valuation.engine import valuate

RM, FG = "raw_material", "finished_good"


def priced(**extra):
    # 10 units at cost 8 (book 80.00), resale 12 → resale value 120.00
    return frame(sku=["A"], category=[FG], quantity=["10"], unit_cost=["8"], resale_unit_price=["12"], **extra)


def test_costs_given_per_line_are_deducted():
    """120.00 − transport 5.00 − storage 3.50 − commission 6.25 = 105.25."""
    df = priced(transport_cost=["5"], storage_cost=["3.5"], commission_cost=["6.25"])
    result = valuate(df, terms(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("105.25")
    assert result.lines["nrv_basis"].iloc[0] == "resale_estimate"


def test_costs_as_category_percentages_of_resale_value():
    """120.00 less 5 % + 2.5 % + 10 % of 120.00 (6.00 + 3.00 + 12.00) = 99.00."""
    t = terms(categories=[{"category": FG, "transport_pct": "5", "storage_pct": "2.5", "commission_pct": "10"}])
    assert valuate(priced(), t, as_of=AS_OF).liquidation.liquidation_value == Decimal("99.00")


def test_an_empty_cost_cell_falls_back_on_the_category_rate():
    """Transport given (1.00), storage blank → 10 % of 120.00 = 12.00: 120 − 13 = 107.00."""
    t = terms(categories=[{"category": FG, "storage_pct": "10"}])
    df = priced(transport_cost=["1"], storage_cost=[None])
    assert valuate(df, t, as_of=AS_OF).liquidation.liquidation_value == Decimal("107.00")


def test_net_realisable_value_is_floored_at_zero():
    """Costs of 150.00 on 120.00 of resale value: NRV 0, not −30."""
    df = priced(transport_cost=["150"])
    assert valuate(df, terms(), as_of=AS_OF).liquidation.liquidation_value == Decimal("0.00")


def test_appraisal_replaces_the_line_estimate():
    """An appraisal at 55 % of cost: 80.00 × 55 % = 44.00, whatever the resale price."""
    t = terms(categories=[{"category": FG, "nolv_appraisal_pct": "55"}])
    result = valuate(priced(), t, as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("44.00")
    assert result.lines["nrv_basis"].iloc[0] == "appraisal"
    assert result.liquidation.by_category[0].appraisal_nolv_pct == Decimal("55")


def test_line_without_price_uses_the_category_rate_of_cost_or_counts_as_unvalued():
    """RM with a 60 % of cost rate: 100 → 60.00; FG with no rate: nothing, and a warning."""
    t = terms(categories=[{"category": RM, "nrv_pct_of_cost": "60"}])
    result = valuate(lines(["100", "50"], [RM, FG]), t, as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("60.00")
    assert result.liquidation.lines_without_value == 1
    assert any("no resale price" in w for w in result.warnings)


def test_recovery_ratio_per_category():
    """NRV 105.25 on book 80.00: recovery 131.56 %."""
    df = priced(transport_cost=["5"], storage_cost=["3.5"], commission_cost=["6.25"])
    category = valuate(df, terms(), as_of=AS_OF).liquidation.by_category[0]
    assert category.recovery_ratio_pct == Decimal("131.56")


def test_eligible_liquidation_value_is_pro_rata_for_partly_eligible_lines():
    """Book 80.00 with 20.00 unpaid: eligible 60.00, so 3/4 of NRV 99.99 = 74.9925 → 74.99."""
    df = priced(transport_cost=["20.01"], retention_of_title=[True], unpaid_amount=["20"])
    result = valuate(df, terms(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("99.99")
    assert result.liquidation.eligible_liquidation_value == Decimal("74.99")


def test_ineligible_zero_cost_stock_brings_no_liquidation_value():
    """Consigned samples at zero cost with a resale price add nothing to eligible NRV."""
    df = frame(
        sku=["A"], category=[FG], quantity=["10"], unit_cost=["0"], resale_unit_price=["5"], supplier_consignment=[True]
    )
    result = valuate(df, terms(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("50.00")
    assert result.liquidation.eligible_liquidation_value == Decimal("0.00")
