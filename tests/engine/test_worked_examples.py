"""The five worked examples of docs/domain.md, checked to the cent against figures computed by hand."""

from __future__ import annotations

from decimal import Decimal

from tests.engine.helpers import AS_OF, days_ago, lines, terms
from valuation.engine import valuate

RM, WIP, FG = "raw_material", "wip", "finished_good"


def example_a_lines():
    # RM 2,000,000 = 1,500,000 clean + 400,000 unpaid under retention of title + 100,000
    # consignment; WIP 1,200,000 = 200,000 behind firm orders + 1,000,000 other;
    # FG 1,800,000 = 1,500,000 moving + 300,000 with no movement for over a year.
    return lines(
        ["1500000", "400000", "100000", "200000", "1000000", "1500000", "300000"],
        [RM, RM, RM, WIP, WIP, FG, FG],
        retention_of_title=[False, True, False, False, False, False, False],
        unpaid_amount=[None, "400000", None, None, None, None, None],
        supplier_consignment=[False, False, True, False, False, False, False],
        firm_order=[False, False, False, True, False, False, False],
        sellable_as_is=[False] * 7,
        last_movement_date=[days_ago(10)] * 6 + [days_ago(400)],
    )


def test_example_a_pledge_mobilisable_guarantee_financing():
    """A: mobilisable 3,200,000; 75 % fungibility → guarantee 2,400,000; 150 % → 1,600,000."""
    # The example's lines carry no resale price: with binding caps nothing would be lent on them
    # (tests/engine/test_ltv_caps.py), so the pledge arithmetic is checked with indicative caps.
    t = terms(
        structure="pledge_without_dispossession",
        ltv_caps_indicative=True,
        pledge={"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    )
    result = valuate(example_a_lines(), t, as_of=AS_OF)
    pledge = result.financing.pledge
    assert result.eligibility.book_value == Decimal("5000000.00")
    assert pledge.mobilisable == Decimal("3200000.00")
    assert pledge.guarantee == Decimal("2400000.00")
    assert result.financing.financing == Decimal("1600000.00")
    by_reason = {r.reason: r.amount for r in result.eligibility.by_reason}
    assert by_reason["not_owned"] == Decimal("100000.00")
    assert by_reason["retention_of_title"] == Decimal("400000.00")
    assert by_reason["wip"] == Decimal("1000000.00")
    assert by_reason["obsolete"] == Decimal("300000.00")
    by_category = {g.category: g.eligible for g in result.eligibility.by_category()}
    assert by_category == {
        RM: Decimal("1500000.00"),
        WIP: Decimal("200000.00"),
        FG: Decimal("1500000.00"),
    }


def test_example_b_borrowing_base_and_availability():
    """B: min(60 % × 8,000,000; 85 % × 5,200,000) − 250,000 = 4,170,000 is the borrowing base, but
    the LTV cap binds (docs/domain.md, "Loan-to-value caps"): the category's class is medium (65 %), so at most
    65 % × 5,200,000 = 3,380,000 is lent; availability 3,380,000 − 3,900,000 = −520,000."""
    t = terms(
        {
            "structure": "borrowing_base",
            "borrowing_base": {
                "cost_advance_rate_pct": "60",
                "nolv_advance_rate_pct": "85",
                "reserves": "250000",
            },
            # NOLV 5,200,000 on 8,000,000 of cost: an appraisal at 65 % of cost.
            "categories": [{"category": RM, "nolv_appraisal_pct": "65"}],
            "facility_limit": "5000000",
            "outstanding": "3900000",
        }
    )
    result = valuate(lines(["8000000"]), t, as_of=AS_OF)
    base = result.financing.borrowing_base
    assert base.eligible_nolv == Decimal("5200000.00")
    assert base.cost_leg == Decimal("4800000.00")
    assert base.nolv_leg == Decimal("4420000.00")
    assert base.binding_leg == "nolv"
    assert base.borrowing_base == Decimal("4170000.00")
    assert result.financing.financing == Decimal("3380000.00")
    assert result.financing.binding == "ltv_cap"
    assert result.financing.ltv.financing_before_cap == Decimal("4170000.00")
    assert result.financing.ltv.ltv_pct == Decimal("65.00")
    assert result.financing.availability == Decimal("-520000.00")
    assert result.financing.over_advance is True


def test_example_b_with_indicative_caps_lends_the_borrowing_base_and_flags_the_cap():
    """Caps marked indicative: 4,170,000 is lent, availability 5,000,000-limit not binding →
    4,170,000 − 3,900,000 = 270,000; LTV 4,170,000 ÷ 5,200,000 = 80.19 % above the 65 % cap."""
    t = terms(
        {
            "structure": "borrowing_base",
            "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "250000"},
            "categories": [{"category": RM, "nolv_appraisal_pct": "65"}],
            "facility_limit": "5000000",
            "outstanding": "3900000",
            "ltv_caps_indicative": True,
        }
    )
    result = valuate(lines(["8000000"]), t, as_of=AS_OF)
    assert result.financing.financing == Decimal("4170000.00")
    assert result.financing.availability == Decimal("270000.00")
    assert result.financing.binding == "nolv_leg"
    assert result.financing.ltv.ltv_pct == Decimal("80.19")
    assert result.financing.ltv.exceeded is True and result.financing.ltv.indicative is True
    assert "loan-to-value 80.19 % is above the liquidity cap 65.00 %" in result.warnings


def test_example_c_grid_gives_forty_percent_at_four_to_one():
    """C: debt 6,000,000 ÷ tangible net worth 1,500,000 = 4:1 → cost advance rate 40 %."""
    t = terms(
        {
            "structure": "borrowing_base",
            "borrowing_base": {"nolv_advance_rate_pct": "100"},
            "borrower": {"total_debt": "6000000", "tangible_net_worth": "1500000"},
            "categories": [{"category": RM, "nolv_appraisal_pct": "100"}],
        }
    )
    result = valuate(lines(["1000000"]), t, as_of=AS_OF)
    base = result.financing.borrowing_base
    assert base.rate_source == "grid"
    assert base.leverage == Decimal("4.0000")
    assert base.cost_advance_rate_pct == Decimal("40")
    assert base.borrowing_base == Decimal("400000.00")


def test_example_d_criteria_discounts():
    """D: mix 600,000 + turnover 150,000 + 400,000 + obsolete 80,000 + count 120,000
    = 1,350,000 of discounts; eligible 2,650,000 of 4,000,000."""
    # RM 800,000 and WIP 800,000 (20 % each), FG 2,400,000 (60 %): 150,000 turning 0.5,
    # 800,000 turning 2, 80,000 obsolete (2 % of total), 1,370,000 turning 10.
    frame = lines(
        ["800000", "800000", "150000", "800000", "80000", "1370000"],
        [RM, WIP, FG, FG, FG, FG],
        annual_consumption_qty=["10", "10", "0.5", "2", "10", "10"],
        last_movement_date=[days_ago(5)] * 4 + [days_ago(500), days_ago(5)],
    )
    t = terms(
        structure="borrowing_base",
        method="criteria",
        pledge=None,
        borrowing_base={"cost_advance_rate_pct": "100", "nolv_advance_rate_pct": "100"},
        criteria={
            "mix_ranges": {
                "make_to_stock": {
                    RM: {"min_pct": "10", "max_pct": "30"},
                    WIP: {"min_pct": "20", "max_pct": "50"},
                    FG: {"min_pct": "20", "max_pct": "45"},
                }
            },
            "count_variance_pct": "3",
            "physical_controls_pct": "0",
        },
    )
    result = valuate(frame, t, as_of=AS_OF)
    discounts = {d.discount: d.amount for d in result.eligibility.discounts}
    assert discounts == {
        "mix": Decimal("600000.00"),
        "turnover": Decimal("550000.00"),
        "obsolescence": Decimal("80000.00"),
        "record_accuracy": Decimal("120000.00"),
        "physical_controls": Decimal("0.00"),
    }
    assert result.eligibility.ineligible == Decimal("1350000.00")
    assert result.eligibility.eligible == Decimal("2650000.00")


def test_example_e_working_capital():
    """E: 7,200,000 ÷ 900,000 = rotation 8, 360 ÷ 8 = 45 days; 60 days need 1,200,000."""
    t = terms(
        borrower={"annual_cost_of_sales": "7200000", "average_stock": "900000"},
        target_days="60",
    )
    wc = valuate(lines(["1"]), t, as_of=AS_OF).working_capital
    assert wc.rotation == Decimal("8.00")
    assert wc.days_of_stock == Decimal("45.0")
    assert wc.need_for_target == Decimal("1200000.00")
