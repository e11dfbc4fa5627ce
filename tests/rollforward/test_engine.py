"""The roll-forward's arithmetic on hand-worked periods, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from valuation.engine import rollforward as rf

D = Decimal
JAN, FEB, MAR, APR, MAY = (
    dt.date(2024, 1, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 31),
    dt.date(2024, 4, 30),
    dt.date(2024, 5, 31),
)
TOLERANCE = rf.Tolerance(amount=D("100.00"), pct=D("1"))

CLOSINGS = [(JAN, D("10000.00")), (FEB, D("10450.00")), (MAR, D("9800.25")), (APR, D("12000.00"))]
INPUTS = {
    JAN: rf.Inputs(purchases=D("5000.00"), cost_of_goods_sold=D("4000.00")),
    FEB: rf.Inputs(
        purchases=D("3000.00"), production=D("1200.50"), cost_of_goods_sold=D("3700.00"), adjustments=D("-50.00")
    ),
    MAR: rf.Inputs(purchases=D("2000.00"), cost_of_goods_sold=D("2500.00")),
    APR: rf.Inputs(purchases=D("4000.00"), production=D("500.00"), cost_of_goods_sold=D("2300.25")),
}


def periods() -> dict[dt.date, rf.Period]:
    return {p.period_end: p for p in rf.roll_forward(CLOSINGS, INPUTS, TOLERANCE)}


def test_the_first_period_has_no_opening_not_a_zero_one():
    jan = periods()[JAN]
    assert jan.state == rf.NO_OPENING
    assert jan.opening is None and jan.expected is None and jan.unreconciled is None
    assert jan.reported_closing == D("10000.00")


def test_february_opens_at_january_s_book_value_and_is_within_tolerance():
    # 10,000.00 + 3,000.00 + 1,200.50 − 3,700.00 − 50.00 = 10,450.50; reported 10,450.00 → −0.50.
    # Allowed: the larger of 100.00 and 1 % of 10,450.00 (104.50).
    feb = periods()[FEB]
    assert feb.opening == D("10000.00")
    assert feb.expected == D("10450.50")
    assert feb.unreconciled == D("-0.50")
    assert feb.allowed == D("104.50")
    assert feb.state == rf.WITHIN


def test_march_is_beyond_tolerance():
    # 10,450.00 + 2,000.00 − 2,500.00 = 9,950.00; reported 9,800.25 → −149.75. Allowed: 100.00
    # (1 % of 9,800.25 is 98.0025, less).
    mar = periods()[MAR]
    assert mar.opening == D("10450.00")
    assert mar.expected == D("9950.00")
    assert mar.unreconciled == D("-149.75")
    assert mar.allowed == D("100.00")
    assert mar.state == rf.BEYOND and mar.beyond


def test_april_reconciles_to_the_cent():
    # 9,800.25 + 4,000.00 + 500.00 − 2,300.25 = 12,000.00, as reported.
    apr = periods()[APR]
    assert apr.expected == D("12000.00")
    assert apr.unreconciled == D("0")
    assert apr.state == rf.WITHIN


def test_the_latest_reconciled_period_is_april():
    assert rf.latest_reconciled(periods().values()).period_end == APR


def test_inputs_before_their_stock_file_give_an_expected_closing_but_no_unreconciled():
    inputs = {**INPUTS, MAY: rf.Inputs(purchases=D("1.00"))}
    may = {p.period_end: p for p in rf.roll_forward(CLOSINGS, inputs, TOLERANCE)}[MAY]
    assert may.state == rf.NO_CLOSING
    assert may.opening == D("12000.00") and may.expected == D("12001.00")
    assert may.unreconciled is None and may.reported_closing is None


def test_a_stock_date_without_inputs_waits_for_them():
    feb = {p.period_end: p for p in rf.roll_forward(CLOSINGS, {}, TOLERANCE)}[FEB]
    assert feb.state == rf.NO_INPUTS
    assert feb.opening == D("10000.00") and feb.expected is None


def _one(opening: str, reported: str, tolerance: rf.Tolerance) -> rf.Period:
    return rf.reconcile(
        period_end=FEB,
        opening=D(opening),
        inputs=rf.Inputs(purchases=D("200.00"), cost_of_goods_sold=D("100.00")),
        reported_closing=D(reported),
        tolerance=tolerance,
    )


def test_exactly_at_the_amount_tolerance_is_within_one_cent_more_is_beyond():
    # Expected 1,000.00 + 200.00 − 100.00 = 1,100.00.
    amount_only = rf.Tolerance(amount=D("100.00"), pct=D("0"))
    at = _one("1000.00", "1200.00", amount_only)
    assert at.unreconciled == D("100.00") and at.state == rf.WITHIN
    over = _one("1000.00", "1200.01", amount_only)
    assert over.unreconciled == D("100.01") and over.state == rf.BEYOND
    under = _one("1000.00", "1000.00", amount_only)
    assert under.unreconciled == D("-100.00") and under.state == rf.WITHIN


def test_exactly_at_the_percentage_tolerance_is_within():
    # Expected 800.00 + 200.00 − 100.00 = 900.00; reported 1,000.00 → +100.00 = 10 % of 1,000.00.
    pct_only = rf.Tolerance(amount=D("0"), pct=D("10"))
    at = _one("800.00", "1000.00", pct_only)
    assert at.unreconciled == D("100.00") and at.allowed == D("100") and at.state == rf.WITHIN
    # Reported 800.00 → −100.00, but 10 % of 800.00 is only 80.00.
    below = _one("800.00", "800.00", pct_only)
    assert below.unreconciled == D("-100.00") and below.allowed == D("80") and below.state == rf.BEYOND


def test_periods_survive_their_json_form_exactly():
    for period in periods().values():
        assert rf.Period.from_json(period.as_json()) == period


cents = st.integers(min_value=-(10**13), max_value=10**13).map(lambda n: Decimal(n).scaleb(-2))
non_negative = st.integers(min_value=0, max_value=10**13).map(lambda n: Decimal(n).scaleb(-2))


@given(opening=cents, purchases=non_negative, production=non_negative, cogs=non_negative, adjustments=cents)
def test_expected_minus_opening_is_the_movements_and_a_matching_closing_reconciles(
    opening, purchases, production, cogs, adjustments
):
    inputs = rf.Inputs(purchases=purchases, production=production, cost_of_goods_sold=cogs, adjustments=adjustments)
    expected = rf.expected_closing(opening, inputs)
    assert expected - opening == purchases + production - cogs + adjustments
    period = rf.reconcile(
        period_end=FEB, opening=opening, inputs=inputs, reported_closing=expected, tolerance=rf.Tolerance()
    )
    assert period.unreconciled == 0
    assert period.state == rf.WITHIN
