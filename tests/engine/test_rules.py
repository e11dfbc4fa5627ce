"""The ineligibles waterfall, rule by rule, with amounts worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from tests.engine.helpers import AS_OF, days_ago, frame, lines, terms
from valuation.engine import valuate


def amounts(result) -> dict[str, Decimal]:
    return {r.reason: r.amount for r in result.eligibility.by_reason if r.amount}


def status(result, rule: str):
    return next(r for r in result.eligibility.rules if r.reason == rule)


def test_retention_of_title_takes_only_the_unpaid_share():
    """A 1,000.00 line with 300.00 unpaid: 300.00 ineligible, 700.00 eligible."""
    df = lines(["1000"], retention_of_title=[True], unpaid_amount=["300"])
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"retention_of_title": Decimal("300.00")}
    assert result.eligibility.eligible == Decimal("700.00")


def test_retention_share_then_a_later_rule_takes_the_rest():
    """Unpaid 250.00 of a 1,000.00 defective line: 250.00 to retention, 750.00 to defective."""
    df = lines(["1000"], retention_of_title=[True], unpaid_amount=["250"], defective=[True])
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {
        "retention_of_title": Decimal("250.00"),
        "defective": Decimal("750.00"),
    }
    line = result.lines.iloc[0]
    assert line["first_reason"] == "retention_of_title"
    assert line["ineligible_retention_of_title_cents"] == 25_000
    assert line["ineligible_defective_cents"] == 75_000
    assert line["eligible_cents"] == 0


def test_unpaid_amount_above_the_line_is_capped_at_the_line():
    """An unpaid amount larger than the line cannot exclude more than the line."""
    df = lines(["100", "50"], retention_of_title=[True, False], unpaid_amount=["400", "50"])
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"retention_of_title": Decimal("100.00")}
    assert result.eligibility.eligible == Decimal("50.00")


def test_retention_flag_without_unpaid_amount_takes_the_whole_line():
    """Flagged under retention of title with no unpaid figure: the whole line is excluded."""
    df = lines(["80", "20"], retention_of_title=[True, False])
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"retention_of_title": Decimal("80.00")}
    assert status(result, "retention_of_title").missing_columns == ("unpaid_amount",)


def test_first_rule_in_the_order_gets_the_line():
    """A consigned, defective line is attributed to not_owned, which comes first by default."""
    df = lines(["500"], supplier_consignment=[True], defective=[True])
    assert amounts(valuate(df, terms(), as_of=AS_OF)) == {"not_owned": Decimal("500.00")}


def test_the_order_is_configurable():
    """With defective listed first, the same line is attributed to defective."""
    order = [{"rule": "defective"}, {"rule": "not_owned"}]
    df = lines(["500"], supplier_consignment=[True], defective=[True])
    result = valuate(df, terms(rules=order), as_of=AS_OF)
    assert amounts(result) == {"defective": Decimal("500.00")}


def test_a_disabled_rule_excludes_nothing_and_says_so():
    """Switching defective off leaves defective stock eligible, with status disabled."""
    df = lines(["500"], defective=[True])
    result = valuate(df, terms(rules=[{"rule": "defective", "enabled": False}]), as_of=AS_OF)
    assert result.eligibility.eligible == Decimal("500.00")
    assert status(result, "defective").status == "disabled"


def test_each_flag_rule_excludes_its_lines():
    """Reverse factoring, in transit and customer returns each take their own line."""
    df = lines(
        ["10", "20", "30", "40"],
        reverse_factoring=[True, False, False, False],
        in_transit=[False, True, False, False],
        customer_return=[False, False, True, False],
    )
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {
        "reverse_factoring": Decimal("10.00"),
        "in_transit": Decimal("20.00"),
        "customer_return": Decimal("30.00"),
    }
    assert result.eligibility.eligible == Decimal("40.00")


def test_perishables_with_too_little_shelf_life_are_excluded():
    """With 30 days required: 29 days left and expired are out; exactly 30 and no date stay in."""
    df = lines(
        ["1", "2", "4", "8"],
        expiry_date=[days_ago(-29), days_ago(5), days_ago(-30), None],
    )
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"perishable": Decimal("3.00")}
    assert status(result, "perishable").unstated_lines == 1


def test_perishable_threshold_is_a_setting():
    """With 60 days required, 45 days left is too little."""
    df = lines(["7"], expiry_date=[days_ago(-45)])
    rules = [{"rule": "perishable", "min_shelf_life_days": 60}]
    assert amounts(valuate(df, terms(rules=rules), as_of=AS_OF)) == {"perishable": Decimal("7.00")}


def test_wip_outside_the_two_exceptions_is_excluded():
    """WIP behind a firm order or sellable as is stays; other WIP goes; RM is untouched."""
    df = lines(
        ["100", "200", "400", "800"],
        ["wip", "wip", "wip", "raw_material"],
        firm_order=[True, False, False, False],
        sellable_as_is=[False, True, None, False],
    )
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"wip": Decimal("400.00")}


def test_wip_without_exception_columns_is_all_excluded():
    """No exception can be shown without its columns: all WIP is excluded, and reported."""
    df = lines(["100", "5"], ["wip", "finished_good"])
    result = valuate(df, terms(), as_of=AS_OF)
    assert amounts(result) == {"wip": Decimal("100.00")}
    assert status(result, "wip").missing_columns == ("firm_order", "sellable_as_is")


def test_obsolete_after_no_movement_for_the_set_days():
    """365 days: a line idle 365 days is obsolete, one idle 364 days is not."""
    df = lines(["1", "2"], last_movement_date=[days_ago(365), days_ago(364)])
    assert amounts(valuate(df, terms(), as_of=AS_OF)) == {"obsolete": Decimal("1.00")}


def test_slow_moving_below_the_turns_floor():
    """Floor 1.5 turns: 100 units consuming 149 (1.49) are out, 150 (exactly 1.5) stay in."""
    df = frame(
        sku=["A", "B", "C"],
        category=["finished_good"] * 3,
        quantity=["100", "100", "100"],
        unit_cost=["1", "2", "4"],
        annual_consumption_qty=["149", "150", None],
    )
    rules = [{"rule": "slow_moving", "min_turns": "1.5"}]
    result = valuate(df, terms(rules=rules), as_of=AS_OF)
    assert amounts(result) == {"slow_moving": Decimal("100.00")}
    assert status(result, "slow_moving").unstated_lines == 1


def test_locations_not_accepted_are_excluded():
    """Accepted W01 and W02 but W02 excluded: W02, W03 and a blank warehouse are out."""
    df = lines(["1", "2", "4", "8"], warehouse=["W01", "W02", "W03", None])
    t = terms(accepted_locations=["W01", "W02"], excluded_locations=["W02"])
    result = valuate(df, t, as_of=AS_OF)
    assert amounts(result) == {"location": Decimal("14.00")}
    assert {g.warehouse: g.eligible for g in result.eligibility.by_warehouse()}["W01"] == Decimal("1.00")


def test_a_rule_whose_column_is_absent_is_not_assessed():
    """No defective column: the rule is reported not assessed and a warning says so."""
    result = valuate(lines(["10"]), terms(), as_of=AS_OF)
    outcome = status(result, "defective")
    assert outcome.status == "not_assessed"
    assert outcome.missing_columns == ("defective",)
    assert "rule defective not assessed: no defective column" in result.warnings


def test_empty_flag_cells_are_counted_not_silently_passed():
    """Blank defective cells keep the line eligible but are counted as unstated."""
    df = lines(["10", "20"], defective=[None, False])
    result = valuate(df, terms(), as_of=AS_OF)
    assert status(result, "defective").unstated_lines == 1
    assert result.eligibility.eligible == Decimal("30.00")


def test_groups_by_reason_category_and_warehouse():
    """Each (category, warehouse) group reconciles book = eligible + Σ ineligible."""
    df = lines(
        ["100", "50", "25"],
        ["raw_material", "raw_material", "finished_good"],
        warehouse=["W01", "W01", "W02"],
        defective=[False, True, True],
    )
    result = valuate(df, terms(), as_of=AS_OF)
    groups = {(g.category, g.warehouse): g for g in result.eligibility.groups}
    rm = groups[("raw_material", "W01")]
    assert (rm.book_value, rm.eligible, rm.ineligible_total) == (
        Decimal("150.00"),
        Decimal("100.00"),
        Decimal("50.00"),
    )
    assert groups[("finished_good", "W02")].ineligible[0].reason == "defective"


def test_book_value_is_quantity_times_unit_cost_rounded_half_up():
    """3 × 0.0050 = 0.015 → 0.02 (half-up), and 2.5 × 1.2345 = 3.08625 → 3.09."""
    df = frame(
        sku=["A", "B"],
        category=["raw_material"] * 2,
        quantity=["3", "2.5"],
        unit_cost=["0.005", "1.2345"],
    )
    result = valuate(df, terms(), as_of=AS_OF)
    assert result.lines["book_value_cents"].tolist() == [2, 309]
