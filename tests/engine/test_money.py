"""Exact money arithmetic: parsing, half-up rounding, overflow-safe products, allocation."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from valuation.engine.money import allocate, apply_pct, mul_div, parse_scaled, to_cents, to_decimal


def test_parse_rounds_extra_decimals_half_up_away_from_zero():
    """At 2 places: 1.005 → 1.01, -1.005 → -1.01, 1.004 → 1.00; blanks are missing."""
    parsed = parse_scaled(pd.Series(["1.005", "-1.005", "1.004", None, " 7 "], dtype="str"), 2)
    assert parsed.values.tolist() == [101, -101, 100, 0, 700]
    assert parsed.missing.tolist() == [False, False, False, True, False]
    assert not parsed.invalid.any()


def test_parse_flags_non_numbers_and_exponents():
    """ "abc", "1e3" and "1,5" are not canonical decimal text."""
    parsed = parse_scaled(pd.Series(["abc", "1e3", "1,5", "2"], dtype="str"), 3)
    assert parsed.invalid.tolist() == [True, True, True, False]


def test_parse_accepts_ints_floats_and_decimals_for_hand_built_frames():
    """Integers scale exactly; floats read through their shortest repr (0.1 → 0.1)."""
    assert parse_scaled(pd.Series([1, 2]), 4).values.tolist() == [10_000, 20_000]
    assert parse_scaled(pd.Series([0.1, None]), 2).values.tolist() == [10, 0]
    objects = pd.Series([Decimal("2.675"), None], dtype=object)
    assert parse_scaled(objects, 2).values.tolist() == [268, 0]


def test_mul_div_is_exact_beyond_int64_products():
    """(10^12 × 9×10^8) ÷ 10^5 overflows int64 in the product, not in the quotient."""
    a = np.array([10**12, 3], dtype=np.int64)
    b = np.array([9 * 10**8, 5], dtype=np.int64)
    assert mul_div(a, b, 10**5).tolist() == [9 * 10**15, 0]


@given(
    st.integers(0, 10**15),
    st.integers(0, 10**9),
    st.integers(1, 10**9),
)
def test_mul_div_matches_python_integers(a, b, c):
    """mul_div agrees with Python's exact arithmetic, half-up, whenever the quotient fits."""
    exact = (2 * a * b + c) // (2 * c)
    if exact < 2**53:
        assert int(mul_div(np.array([a]), np.array([b]), c)[0]) == exact


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**12), min_size=1, max_size=30))
def test_allocate_adds_up_and_never_exceeds_a_weight(amount, weights):
    """Parts sum to min(amount, Σ weights) and no part exceeds its weight."""
    parts = allocate(amount, np.array(weights, dtype=np.int64))
    assert int(parts.sum()) == min(amount, sum(weights))
    assert (parts <= np.array(weights)).all()
    assert (parts >= 0).all()


def test_scalar_helpers_round_half_up():
    """2.5 % of 0.10 = 0.0025 → 0.00; of 0.20 = 0.005 → 0.01; to_decimal keeps 2 places."""
    assert apply_pct(10, Decimal("2.5")) == 0
    assert apply_pct(20, Decimal("2.5")) == 1
    assert to_cents(Decimal("2.345")) == 235
    assert str(to_decimal(0)) == "0.00"
    assert str(to_decimal(-1234)) == "-12.34"
