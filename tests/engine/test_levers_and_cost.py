"""Levers (what clearing a reason brings), working capital and the all-in cost."""

from __future__ import annotations

from decimal import Decimal

from tests.engine.helpers import AS_OF, days_ago, lines, terms
from valuation.engine import valuate

RM, FG = "raw_material", "finished_good"


def test_levers_are_ranked_by_financing_gain():
    """Pledge at 75 % / 150 % (financing = half of eligible): defective 600 → +300,
    in transit 400 → +200, consignment 100 → +50."""
    df = lines(
        ["600", "400", "100", "1000"],
        defective=[True, False, False, False],
        in_transit=[False, True, False, False],
        supplier_consignment=[False, False, True, False],
    )
    t = terms(
        structure="pledge_without_dispossession",
        pledge={"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    )
    levers = valuate(df, t, as_of=AS_OF).levers
    assert [(lv.reason, lv.amount_made_eligible, lv.financing_gain) for lv in levers] == [
        ("defective", Decimal("600.00"), Decimal("300.00")),
        ("in_transit", Decimal("400.00"), Decimal("200.00")),
        ("not_owned", Decimal("100.00"), Decimal("50.00")),
    ]


def test_clearing_a_reason_leaves_lines_a_later_rule_also_excludes():
    """A consigned line that is also defective gains nothing when consignment is cleared."""
    df = lines(["100", "50"], supplier_consignment=[True, True], defective=[True, False])
    levers = {lv.reason: lv for lv in valuate(df, terms(), as_of=AS_OF).levers}
    assert levers["not_owned"].amount_made_eligible == Decimal("50.00")
    assert levers["not_owned"].financing_gain == Decimal("50.00")


def test_levers_respect_the_facility_limit():
    """Already at its 1,000 limit, clearing 500 of defective stock brings nothing."""
    df = lines(["2000", "500"], defective=[False, True])
    t = terms(
        {
            "structure": "borrowing_base",
            "borrowing_base": {"cost_advance_rate_pct": "50", "nolv_advance_rate_pct": "100"},
            "categories": [{"category": RM, "nolv_appraisal_pct": "100"}],
            "facility_limit": "1000",
        }
    )
    levers = valuate(df, t, as_of=AS_OF).levers
    assert levers[0].amount_made_eligible == Decimal("500.00")
    assert levers[0].financing_gain == Decimal("0.00")


def test_criteria_levers_make_each_discount_eligible():
    """Obsolete 100 (in full) and count variance 10 % of 1,000 = 100 → each +100 at 100 %."""
    df = lines(
        ["900", "100"],
        [FG, FG],
        last_movement_date=[days_ago(1), days_ago(400)],
    )
    t = terms(
        method="criteria",
        criteria={
            "count_variance_pct": "10",
            "mix_ranges": {"make_to_stock": {FG: {"min_pct": "0", "max_pct": "100"}}},
        },
    )
    result = valuate(df, t, as_of=AS_OF)
    assert result.eligibility.eligible == Decimal("800.00")
    gains = {lv.reason: lv.financing_gain for lv in result.levers}
    assert gains == {"obsolescence": Decimal("100.00"), "record_accuracy": Decimal("100.00")}


def test_criteria_physical_controls_needs_and_shows_its_reason():
    """5 % physical-controls discount of 2,000 = 100, with its written reason in the basis."""
    t = terms(
        method="criteria",
        criteria={
            "physical_controls_pct": "5",
            "physical_controls_reason": "no stock controller report for Q3",
            "mix_ranges": {"make_to_stock": {}},
        },
    )
    result = valuate(lines(["2000"]), t, as_of=AS_OF)
    physical = next(d for d in result.eligibility.discounts if d.discount == "physical_controls")
    assert physical.amount == Decimal("100.00")
    assert "no stock controller report for Q3" in physical.basis


def test_criteria_discounts_are_capped_at_the_stock_value():
    """Obsolete 100 % + count variance 60 % of 1,000: computed 1,600, applied 1,000."""
    df = lines(["1000"], [FG], last_movement_date=[days_ago(999)])
    t = terms(method="criteria", criteria={"count_variance_pct": "60"})
    result = valuate(df, t, as_of=AS_OF)
    record = next(d for d in result.eligibility.discounts if d.discount == "record_accuracy")
    assert (record.computed, record.amount) == (Decimal("600.00"), Decimal("0.00"))
    assert result.eligibility.eligible == Decimal("0.00")


def test_criteria_turnover_from_borrower_figures_without_consumption_column():
    """No consumption column: borrower turns 1.5 (≤ 2) → 50 % of 1,000 = 500."""
    t = terms(
        method="criteria",
        borrower={"annual_cost_of_sales": "1500", "average_stock": "1000"},
        criteria={"mix_ranges": {"make_to_stock": {}}},
    )
    result = valuate(lines(["1000"]), t, as_of=AS_OF)
    turnover = next(d for d in result.eligibility.discounts if d.discount == "turnover")
    assert turnover.amount == Decimal("500.00")


def test_working_capital_on_a_365_day_basis():
    """Cost of sales 7,300,000, average stock 1,000,000: rotation 7.30, 50.0 days;
    30 target days need 30 ÷ 365 × 7,300,000 = 600,000."""
    t = terms(
        borrower={"annual_cost_of_sales": "7300000", "average_stock": "1000000"},
        day_basis=365,
        target_days="30",
    )
    wc = valuate(lines(["1"]), t, as_of=AS_OF).working_capital
    assert (wc.rotation, wc.days_of_stock, wc.need_for_target) == (
        Decimal("7.30"),
        Decimal("50.0"),
        Decimal("600000.00"),
    )


def test_all_in_cost_of_the_financing():
    """Drawn 800,000 at 3.5 % + 2 % = 44,000; commitment 0.5 % on 200,000 undrawn = 1,000;
    fees 6,000 + 4,000 + 2,000 → 57,000 a year = 7.125 % of the drawn amount."""
    t = terms(
        facility_limit="1000000",
        cost={
            "base_rate_pct": "3.5",
            "margin_pct": "2",
            "commitment_fee_pct": "0.5",
            "collateral_monitoring_fee": "6000",
            "field_exam_fee": "4000",
            "servicing_fee": "2000",
            "average_drawn": "800000",
        },
    )
    cost = valuate(lines(["2000000"]), t, as_of=AS_OF).financing_cost
    assert (cost.interest, cost.commitment_fee, cost.undrawn) == (
        Decimal("44000.00"),
        Decimal("1000.00"),
        Decimal("200000.00"),
    )
    assert cost.total == Decimal("57000.00")
    assert cost.all_in_pct == Decimal("7.1250")
