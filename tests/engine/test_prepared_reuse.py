"""Valuing one file under several facilities prepares its lines once, with the same figures."""

from datetime import date

import pandas as pd

from valuation.engine.lines import prepare_lines
from valuation.engine.run import valuate
from valuation.engine.serialize import result_to_dict
from valuation.engine.terms import terms_from_dict

LINES = pd.DataFrame(
    {
        "sku": ["A", "B", "C"],
        "category": ["raw_material", "wip", "finished_good"],
        "quantity": ["10", "5", "2.5"],
        "unit_cost": ["12.3456", "100", "40"],
    }
)
TERMS = terms_from_dict(
    {
        "structure": "pledge_without_dispossession",
        "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    }
)


def test_prepared_lines_give_the_same_result():
    prepared = prepare_lines(LINES, as_of=date(2026, 10, 31), book_value_tolerance_cents=1)
    reused = valuate(LINES, TERMS, as_of=date(2026, 10, 31), prepared=prepared)
    fresh = valuate(LINES, TERMS, as_of=date(2026, 10, 31))
    assert result_to_dict(reused) == result_to_dict(fresh)
    # 10 × 12.3456 = 123.456 → 123.46 (half-up); eligible RM 123.46 + FG 100.00 (WIP excluded)
    assert str(fresh.eligibility.eligible) == "223.46"


def test_lines_prepared_for_another_date_are_not_reused():
    """Lines prepared as of another date would judge obsolescence wrongly: they are prepared again."""
    stale = prepare_lines(LINES.iloc[:1], as_of=date(2020, 1, 1), book_value_tolerance_cents=1)
    result = valuate(LINES, TERMS, as_of=date(2026, 10, 31), prepared=stale)
    assert result.line_count == 3 and str(result.eligibility.book_value) == "723.46"  # 123.46 + 500.00 + 100.00
