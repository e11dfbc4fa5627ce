"""Financing structures: caps, over-advance, the leverage grid, replenishment and LTV."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate

RM = "raw_material"


def borrowing_base(**overrides):
    data = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "50", "nolv_advance_rate_pct": "80"},
        "categories": [{"category": RM, "nolv_appraisal_pct": "70"}],
    }
    bb_changes = overrides.pop("bb", {})
    data["borrowing_base"] = {**data["borrowing_base"], **bb_changes}
    data.update(overrides)
    return terms(data)


def test_cost_leg_binds_when_lower():
    """1,000,000 eligible: cost 50 % = 500,000 < NOLV 80 % × 700,000 = 560,000."""
    base = valuate(lines(["1000000"]), borrowing_base(), as_of=AS_OF).financing.borrowing_base
    assert (base.cost_leg, base.nolv_leg, base.binding_leg) == (
        Decimal("500000.00"),
        Decimal("560000.00"),
        "cost",
    )
    assert base.borrowing_base == Decimal("500000.00")


def test_facility_limit_caps_the_borrowing_base():
    """500,000 of base under a 400,000 limit gives 400,000, the limit binding."""
    result = valuate(lines(["1000000"]), borrowing_base(facility_limit="400000"), as_of=AS_OF)
    base = result.financing.borrowing_base
    assert base.borrowing_base == Decimal("400000.00")
    assert base.binding_cap == "facility_limit"


def test_receivables_cap_limits_inventory_to_a_share_of_receivables_borrowing():
    """Inventory ≤ 50 % of 600,000 receivables borrowing = 300,000."""
    t = borrowing_base(bb={"receivables_cap_pct": "50"}, borrower={"receivables_borrowing": "600000"})
    base = valuate(lines(["1000000"]), t, as_of=AS_OF).financing.borrowing_base
    assert base.receivables_cap == Decimal("300000.00")
    assert base.borrowing_base == Decimal("300000.00")
    assert base.binding_cap == "receivables"


def test_reserves_are_deducted_and_never_make_the_base_negative():
    """Reserves 600,000 against a 500,000 advance leave a zero base, not a negative one."""
    t = borrowing_base(bb={"reserves": "600000"})
    base = valuate(lines(["1000000"]), t, as_of=AS_OF).financing.borrowing_base
    assert base.after_reserves == Decimal("0.00")


def test_over_advance_is_flagged():
    """Outstanding 520,000 on a 500,000 base: availability −20,000, an over-advance (caps marked
    indicative, so the base alone is lent)."""
    t = borrowing_base(outstanding="520000", ltv_caps_indicative=True)
    result = valuate(lines(["1000000"]), t, as_of=AS_OF)
    assert result.financing.availability == Decimal("-20000.00")
    assert result.financing.over_advance is True
    assert "over-advance: availability is -20000.00" in result.warnings


@pytest.mark.parametrize(
    ("debt", "worth", "rate"),
    [
        ("3000000", "1000000", "50"),
        ("5000000", "1000000", "40"),
        ("5000001", "1000000", "30"),
        ("10000000", "1000000", "20"),
    ],
)
def test_grid_steps_include_their_upper_bound(debt, worth, rate):
    """3:1 → 50 %, exactly 5:1 → 40 %, just above 5:1 → 30 %, exactly 10:1 → 20 %."""
    t = borrowing_base(bb={"cost_advance_rate_pct": None}, borrower={"total_debt": debt, "tangible_net_worth": worth})
    base = valuate(lines(["100"]), t, as_of=AS_OF).financing.borrowing_base
    assert base.cost_advance_rate_pct == Decimal(rate)


def test_grid_refuses_above_ten_to_one():
    """Debt 11 × tangible net worth: no inventory line, zero financing and a clear refusal."""
    t = borrowing_base(
        bb={"cost_advance_rate_pct": None},
        borrower={"total_debt": "11000000", "tangible_net_worth": "1000000"},
    )
    result = valuate(lines(["1000000"]), t, as_of=AS_OF)
    assert result.financing.financing == Decimal("0.00")
    assert result.financing.refusal == ("debt ÷ tangible net worth is 11.0000:1, above 10:1: no inventory line")


def test_grid_refuses_a_non_positive_tangible_net_worth():
    """Negative tangible net worth is unbounded leverage: refusal."""
    t = borrowing_base(
        bb={"cost_advance_rate_pct": None},
        borrower={"total_debt": "100", "tangible_net_worth": "-5"},
    )
    result = valuate(lines(["1000"]), t, as_of=AS_OF)
    assert result.financing.financing == Decimal("0.00")
    assert "no inventory line" in result.financing.refusal


def pledge(**pledge_terms):
    return terms(structure="pledge_with_dispossession", pledge=pledge_terms)


def test_pledge_rounds_the_financing_half_up_to_the_cent():
    """100.00 × 80 % = 80.00 guarantee ÷ 120 % = 66.666… → 66.67."""
    t = pledge(fungibility_share_pct="80", over_collateralisation_pct="120")
    result = valuate(lines(["100"]), t, as_of=AS_OF)
    assert result.financing.pledge.guarantee == Decimal("80.00")
    assert result.financing.financing == Decimal("66.67")
    assert result.financing.pledge.with_dispossession is True


def test_replenishment_breach_when_mobilisable_stock_is_below_the_commitment():
    """Committed guarantee 1,200 against 1,000 of mobilisable stock: 200 to restore."""
    t = pledge(committed_guarantee="1200", fungibility_share_pct="75", over_collateralisation_pct="150")
    result = valuate(lines(["1000"]), t, as_of=AS_OF)
    assert result.financing.pledge.replenishment_breached is True
    assert result.financing.pledge.replenishment_shortfall == Decimal("200.00")


def test_replenishment_met():
    """Mobilisable 1,000 ≥ committed 900: no breach."""
    t = pledge(committed_guarantee="900")
    result = valuate(lines(["1000"]), t, as_of=AS_OF)
    assert result.financing.pledge.replenishment_breached is False
    assert result.financing.pledge.replenishment_shortfall == Decimal("0.00")


def test_over_collateralisation_outside_usual_range_is_a_warning_not_an_error():
    """250 % is allowed (100-300 %) but outside 120-200 %: the result carries a warning."""
    t = pledge(fungibility_share_pct="100", over_collateralisation_pct="250")
    result = valuate(lines(["1000"]), t, as_of=AS_OF)
    assert result.financing.financing == Decimal("400.00")
    assert any("over-collateralisation 250 %" in w for w in result.warnings)


def test_pledge_financing_capped_by_facility_limit():
    """Financing 1,000 under a 600 limit: 600."""
    t = terms(
        structure="pledge_without_dispossession",
        pledge={"fungibility_share_pct": "100", "over_collateralisation_pct": "100"},
        facility_limit="600",
    )
    assert valuate(lines(["1000"]), t, as_of=AS_OF).financing.financing == Decimal("600.00")


def test_ltv_against_liquidity_class_caps():
    """Financing 900 on eligible NRV 1,000 of a high-liquidity class capped at 85 %: exceeded."""
    t = terms(
        structure="pledge_without_dispossession",
        pledge={"fungibility_share_pct": "90", "over_collateralisation_pct": "100"},
        categories=[{"category": RM, "liquidity_class": "high", "nrv_pct_of_cost": "100"}],
    )
    ltv = valuate(lines(["1000"]), t, as_of=AS_OF).financing.ltv
    assert ltv.ltv_pct == Decimal("90.00")
    assert ltv.cap_pct == Decimal("85.00")
    assert ltv.max_financing == Decimal("850.00")
    assert ltv.exceeded is True


def test_ltv_cap_is_weighted_by_class():
    """RM 1,000 NRV at 85 % + FG 1,000 NRV at 65 % → max 1,500, cap 75 %; 1,400 is within."""
    t = terms(
        structure="pledge_without_dispossession",
        pledge={"fungibility_share_pct": "70", "over_collateralisation_pct": "100"},
        categories=[
            {"category": RM, "liquidity_class": "high", "nrv_pct_of_cost": "100"},
            {"category": "finished_good", "liquidity_class": "medium", "nrv_pct_of_cost": "100"},
        ],
    )
    ltv = valuate(lines(["1000", "1000"], [RM, "finished_good"]), t, as_of=AS_OF).financing.ltv
    assert (ltv.max_financing, ltv.cap_pct, ltv.exceeded) == (
        Decimal("1500.00"),
        Decimal("75.00"),
        False,
    )
