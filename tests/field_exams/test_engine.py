"""The pure field-exam computation (valuation.engine.field_exam): sampling and variance, worked
by hand, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuation.engine.field_exam import (
    CountedLine,
    RecordedLine,
    SampleError,
    counted_value,
    line_variance,
    sample_by_value,
    sample_chosen,
    sample_random,
    variance,
)

D = Decimal
# Total 1,000.00: row 1 = 50 %, row 2 = 30 %, row 3 = 15 %, row 4 = 5 %.
FILE = [RecordedLine(3, D("150")), RecordedLine(1, D("500")), RecordedLine(4, D("50")), RecordedLine(2, D("300"))]


def test_value_coverage_takes_the_fewest_largest_lines_reaching_the_share():
    """70 % of 1,000 is 700: 500 is short, 500 + 300 = 800 reaches it; 80 % is reached exactly by
    the same two lines; 81 % needs the third."""
    assert sample_by_value(FILE, coverage_pct=D("70")) == (1, 2)
    assert sample_by_value(FILE, coverage_pct=D("80")) == (1, 2)
    assert sample_by_value(FILE, coverage_pct=D("81")) == (1, 2, 3)
    assert sample_by_value(FILE, coverage_pct=D("100")) == (1, 2, 3, 4)


def test_top_n_takes_the_largest_lines_lower_row_first_on_ties():
    lines = [*FILE, RecordedLine(9, D("300"))]
    assert sample_by_value(lines, top_n=3) == (1, 2, 9)
    assert sample_by_value(FILE, top_n=10) == (1, 2, 3, 4)


def test_zero_and_negative_lines_never_cover_value():
    lines = [RecordedLine(1, D("100")), RecordedLine(2, D("0")), RecordedLine(3, D("-40"))]
    assert sample_by_value(lines, coverage_pct=D("100")) == (1,)


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({}, "method"),
        ({"coverage_pct": D("50"), "top_n": 2}, "method"),
        ({"coverage_pct": D("0")}, "coverage_pct"),
        ({"coverage_pct": D("100.5")}, "coverage_pct"),
        ({"top_n": 0}, "top_n"),
    ],
)
def test_value_sample_refuses_bad_settings_by_name(kwargs, setting):
    with pytest.raises(SampleError) as caught:
        sample_by_value(FILE, **kwargs)
    assert caught.value.setting == setting


def test_random_sample_is_reproducible_from_its_seed_whatever_the_line_order():
    lines = [RecordedLine(row, D(row)) for row in range(1, 101)]
    first = sample_random(lines, size=10, seed=20261203)
    assert len(first) == 10 and len(set(first)) == 10
    assert set(first) <= set(range(1, 101))
    assert first == tuple(sorted(first))
    assert sample_random(list(reversed(lines)), size=10, seed=20261203) == first
    assert sample_random(lines, size=10, seed=20261204) != first


def test_random_sample_larger_than_the_file_takes_every_line():
    assert sample_random(FILE, size=9, seed=1) == (1, 2, 3, 4)
    with pytest.raises(SampleError):
        sample_random(FILE, size=0, seed=1)


def test_chosen_rows_keep_their_order_once_each_and_refuse_unknown_rows():
    assert sample_chosen(FILE, rows=[4, 1, 4]) == (4, 1)
    with pytest.raises(SampleError, match="row 7"):
        sample_chosen(FILE, rows=[1, 7])
    with pytest.raises(SampleError):
        sample_chosen(FILE, rows=[])


def test_variance_is_gross_absolute_variance_over_sampled_value():
    """Line 1: 100 recorded at 5.00 = 500.00, 98 counted = 490.00 (−10). Line 2: 30 recorded worth
    300.00, no unit cost so 10.00 each, 31 counted = 310.00 (+10). Net 0, gross 20 of 800 = 2.5 %:
    the surplus does not hide the shortage."""
    result = variance(
        [
            CountedLine(D("100"), D("500.00"), D("98"), unit_cost=D("5")),
            CountedLine(D("30"), D("300.00"), D("31")),
        ]
    )
    assert result.lines == 2
    assert result.sampled_value == D("800.00")
    assert result.counted_value == D("800.00")
    assert result.net_variance == D("0.00")
    assert result.gross_variance == D("20.00")
    assert result.pct == D("2.500")


def test_variance_rounds_up_to_a_thousandth_and_caps_at_100():
    """1 of 3 is 33.333…%: rounded up, 33.334 %. 1,000 counted against 10 recorded: capped at 100 %."""
    assert variance([CountedLine(D("3"), D("3.00"), D("2"), unit_cost=D("1"))]).pct == D("33.334")
    assert variance([CountedLine(D("1"), D("10.00"), D("100"), unit_cost=D("10"))]).pct == D("100")


def test_the_variance_values_the_difference_half_up_to_the_cent():
    """3 more than recorded at 0.3350 = 1.005 → 1.01, on top of the recorded 2.00."""
    line = CountedLine(D("5"), D("2.00"), D("8"), unit_cost=D("0.3350"))
    assert line_variance(line) == D("1.01")
    assert counted_value(line) == D("3.01")


def test_a_count_equal_to_the_record_has_no_variance_even_when_the_book_value_was_rounded():
    """0.001 × 5.0000 = 0.005, which the file booked as 0.00: counted as recorded, nothing differs."""
    assert line_variance(CountedLine(D("0.001"), D("0.00"), D("0.001"), unit_cost=D("5"))) == 0


def test_nothing_recorded_gives_no_percentage():
    assert variance([]).pct is None
    assert variance([CountedLine(D("0"), D("0.00"), D("4"))]).pct is None


quantities = st.decimals(min_value=0, max_value=100000, places=3, allow_nan=False, allow_infinity=False)
costs = st.decimals(min_value=D("0.0001"), max_value=10000, places=4, allow_nan=False, allow_infinity=False)


def _recorded(quantity: Decimal, cost: Decimal) -> Decimal:
    # Deliberately rounded half-even, unlike the engine: a file's own rounding must not show as variance.
    return (quantity * cost).quantize(D("0.01"))


@given(st.lists(st.tuples(quantities, costs), min_size=1, max_size=20))
def test_counts_equal_to_the_records_give_no_variance(pairs):
    lines = [CountedLine(q, _recorded(q, c), q, unit_cost=c) for q, c in pairs]
    result = variance(lines)
    assert result.gross_variance == 0
    assert result.pct in (None, D("0.000"))


@given(st.lists(st.tuples(quantities, costs, quantities), min_size=1, max_size=20))
def test_variance_is_never_negative_nor_above_100(triples):
    lines = [CountedLine(q, _recorded(q, c), counted, unit_cost=c) for q, c, counted in triples]
    result = variance(lines)
    assert result.gross_variance >= 0
    assert result.pct is None or D(0) <= result.pct <= 100
