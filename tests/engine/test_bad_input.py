"""Bad lines and bad terms: a clear error naming row and field (or setting), no result."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest

from tests.engine.helpers import AS_OF, PLEDGE, days_ago, frame, lines, terms
from valuation.engine import EngineInputError, TermsError, terms_from_dict, terms_to_dict, valuate
from valuation.engine.errors import MAX_PROBLEMS


def problems(df: pd.DataFrame) -> list[tuple[int, str]]:
    with pytest.raises(EngineInputError) as caught:
        valuate(df, terms(), as_of=AS_OF)
    return [(p.row, p.column) for p in caught.value.problems]


def test_unknown_category_names_row_and_field():
    """Row 2's category "gadgets" is refused; the message names row and column."""
    df = lines(["1", "2"], ["raw_material", "gadgets"])
    with pytest.raises(EngineInputError, match=r"row 2, category: 'gadgets'"):
        valuate(df, terms(), as_of=AS_OF)


def test_negative_quantity_and_cost_are_refused_together():
    """All line problems come in one error: negative quantity on row 1, cost on row 2."""
    df = frame(sku=["A", "B"], category=["wip", "wip"], quantity=["-1", "2"], unit_cost=["3", "-0.5"])
    assert problems(df) == [(1, "quantity"), (2, "unit_cost")]


def test_the_row_column_numbers_the_problems():
    """With a row column (source rows 10, 11), the error names row 11."""
    df = lines(["1", "abc"])
    df.insert(0, "row", pd.array([10, 11], dtype="int64"))
    assert problems(df) == [(11, "book_value")]


def test_text_that_is_not_a_number_is_refused():
    """ "1,5" (comma decimal) is not canonical decimal text."""
    df = frame(sku=["A"], category=["wip"], quantity=["1,5"], unit_cost=["1"])
    assert problems(df) == [(1, "quantity")]


def test_inconsistent_book_value_is_refused():
    """2 × 10.0000 = 20.00 but the file says 25.00: refused, naming the expected figure."""
    df = frame(sku=["A"], category=["wip"], quantity=["2"], unit_cost=["10"], book_value=["25"])
    with pytest.raises(EngineInputError, match=r"row 1, book_value: '25' \(quantity × unit"):
        valuate(df, terms(), as_of=AS_OF)


def test_book_value_within_the_unit_cost_rounding_allowance_is_accepted():
    """1,000 × 1.23456 rounds to a cost of 1.2346: a book of 1,234.56 is within tolerance."""
    df = frame(sku=["A"], category=["wip"], quantity=["1000"], unit_cost=["1.2346"], book_value=["1234.56"])
    result = valuate(df, terms(rules=[]), as_of=AS_OF)
    assert result.eligibility.book_value == Decimal("1234.56")


def test_dates_after_the_valuation_date_are_refused():
    """A last movement tomorrow is impossible; an expiry date tomorrow is fine."""
    df = lines(["1", "1"], last_movement_date=[days_ago(-1), days_ago(1)], expiry_date=[days_ago(-1), days_ago(-1)])
    assert problems(df) == [(1, "last_movement_date")]


def test_missing_required_column_is_refused():
    """A frame without a category column cannot be valued."""
    df = frame(sku=["A"], quantity=["1"], unit_cost=["1"])
    assert problems(df) == [(0, "category")]


def test_missing_value_columns_are_refused():
    """Neither unit_cost nor book_value: refused."""
    df = frame(sku=["A"], category=["wip"], quantity=["1"])
    assert problems(df) == [(0, "unit_cost")]


def test_absurd_magnitudes_are_refused_not_overflowed():
    """10^12 units at 10^9 a unit would overflow cents in int64: refused on unit_cost."""
    df = frame(sku=["A"], category=["wip"], quantity=["1000000000000"], unit_cost=["1000000000"])
    assert problems(df) == [(1, "unit_cost")]


def test_problems_are_capped_but_counted():
    """2,000 bad rows: 1,000 listed, 2,000 counted."""
    df = lines(["-1"] * 2000)
    with pytest.raises(EngineInputError) as caught:
        valuate(df, terms(), as_of=AS_OF)
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert caught.value.total == 2000


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"pledge": {"over_collateralisation_pct": "99"}}, "pledge.over_collateralisation_pct"),
        ({"pledge": {"over_collateralisation_pct": "301"}}, "pledge.over_collateralisation_pct"),
        ({"pledge": {"fungibility_share_pct": "101"}}, "pledge.fungibility_share_pct"),
        ({"pledge": {"fungibility_share_pct": "-1"}}, "pledge.fungibility_share_pct"),
        ({"day_basis": 300}, "day_basis"),
        ({"outstanding": "-5"}, "outstanding"),
        ({"surprise": 1}, "surprise"),
        ({"pledge": {"fungibility_share_pct": 0.75}}, "pledge.fungibility_share_pct"),
        ({"rules": [{"rule": "telepathy"}]}, "rules[0].rule"),
        ({"criteria": {"physical_controls_pct": "5"}}, "criteria.physical_controls_reason"),
        ({"pledge": None}, "pledge"),
    ],
)
def test_bad_terms_name_the_setting(changes, setting):
    """Each bad setting raises TermsError naming it."""
    data = {**PLEDGE, **changes}
    with pytest.raises(TermsError) as caught:
        terms_from_dict(data)
    assert caught.value.setting == setting


def test_advance_rate_above_100_is_refused():
    """A cost advance rate of 120 % is not a rate."""
    with pytest.raises(TermsError, match=r"borrowing_base.cost_advance_rate_pct"):
        terms_from_dict(
            {
                "structure": "borrowing_base",
                "borrowing_base": {"cost_advance_rate_pct": "120", "nolv_advance_rate_pct": "80"},
            }
        )


def test_grid_needs_borrower_figures():
    """No cost rate and no debt figures: the grid cannot be read."""
    with pytest.raises(TermsError) as caught:
        terms_from_dict({"structure": "borrowing_base", "borrowing_base": {"nolv_advance_rate_pct": "80"}})
    assert caught.value.setting == "borrower.total_debt"


def test_terms_survive_a_json_round_trip():
    """terms_to_dict → JSON → terms_from_dict gives the same terms."""
    t = terms(
        {
            "structure": "borrowing_base",
            "borrowing_base": {"nolv_advance_rate_pct": "85", "reserves": "250000", "receivables_cap_pct": "50"},
            "borrower": {"total_debt": "6000000", "tangible_net_worth": "1500000", "receivables_borrowing": "1000000"},
            "accepted_locations": ["W01"],
            "criteria": {"mix_ranges": {"trading": {"finished_good": {"min_pct": "80", "max_pct": "100"}}}},
        }
    )
    assert terms_from_dict(json.loads(json.dumps(terms_to_dict(t)))) == t
