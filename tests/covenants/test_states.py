"""The state of a covenant test at and around its threshold, and waivers with their expiry
(valuation.engine.covenants, no database). Figures worked out by hand in each docstring."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuation.engine import covenants as c
from valuation.engine.covenants import State

TODAY = date(2026, 11, 30)


def state(value, threshold, direction, headroom="10", expires=None):
    return c.decide(
        None if value is None else D(value),
        threshold=D(threshold),
        direction=direction,
        headroom_pct=D(headroom),
        waiver_expires_on=expires,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Minimum availability 1,000,000 with 10 % headroom: margin 100,000, at risk below 1,100,000.
        ("999999.99", State.BREACHED),  # a cent short
        ("1000000.00", State.AT_RISK),  # exactly at the threshold complies, with no headroom left
        ("1099999.99", State.AT_RISK),  # inside the headroom
        ("1100000.00", State.MET),  # the full headroom: met
        ("5000000", State.MET),
    ],
)
def test_a_minimum_at_and_around_its_threshold(value, expected):
    assert state(value, "1000000", c.MIN) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Maximum LTV 70 % with 5 % headroom: margin 3.5 points, at risk above 66.5 %.
        ("70.01", State.BREACHED),
        ("70", State.AT_RISK),
        ("66.51", State.AT_RISK),
        ("66.5", State.MET),
        ("10", State.MET),
    ],
)
def test_a_maximum_at_and_around_its_threshold(value, expected):
    assert state(value, "70", c.MAX, headroom="5") == expected


def test_without_headroom_exactly_at_the_threshold_is_met():
    assert state("3", "3", c.MAX, headroom="0") == State.MET
    assert state("3.0001", "3", c.MAX, headroom="0") == State.BREACHED


def test_a_negative_threshold_takes_its_margin_from_its_size():
    """Minimum tangible net worth −100,000 (a tolerated deficit), 20 %: margin 20,000, at risk
    from −100,000 up to −80,000 (excluded)."""
    assert state("-100000.01", "-100000", c.MIN, "20") == State.BREACHED
    assert state("-90000", "-100000", c.MIN, "20") == State.AT_RISK
    assert state("-80000", "-100000", c.MIN, "20") == State.MET


def test_no_figure_is_not_testable_and_a_waiver_does_not_change_that():
    assert state(None, "1", c.MIN) == State.NOT_TESTABLE
    assert state(None, "1", c.MIN, expires=date(2027, 1, 1)) == State.NOT_TESTABLE


def test_a_waiver_waives_up_to_and_including_its_expiry_date_then_no_longer():
    assert state("80", "70", c.MAX, expires=TODAY) == State.WAIVED  # expires today: still in force
    assert state("80", "70", c.MAX, expires=date(2026, 11, 29)) == State.BREACHED  # expired yesterday
    assert state("69", "70", c.MAX, expires=TODAY) == State.WAIVED  # at risk, waived too
    assert state("10", "70", c.MAX, expires=TODAY) == State.MET  # a waiver never turns a met test


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError):
        state("1", "1", "sideways")


# ------------------------------------------------------------------------------ run figures


def test_run_metrics_from_a_stored_result():
    """Pledge cover = mobilisable 2,400,000 ÷ committed guarantee 1,500,000 × 100 = 160 %."""
    result = {
        "financing": {
            "ltv": {"ltv_pct": "66.67"},
            "pledge": {"mobilisable": "2400000.00", "committed_guarantee": "1500000.00"},
        },
        "working_capital": {"days_of_stock": "95.5"},
    }
    assert c.run_metric(c.PLEDGE_COVER, result, availability=None) == D("160")
    assert c.run_metric(c.LTV, result, availability=None) == D("66.67")
    assert c.run_metric(c.DAYS_OF_STOCK, result, availability=None) == D("95.5")
    assert c.run_metric(c.AVAILABILITY, result, availability=D("12.34")) == D("12.34")


def test_pledge_cover_without_a_committed_guarantee_is_not_testable():
    no_clause = {"financing": {"pledge": {"mobilisable": "2400000.00", "committed_guarantee": None}}}
    assert c.run_metric(c.PLEDGE_COVER, no_clause, availability=None) is None
    assert c.run_metric(c.PLEDGE_COVER, {"financing": {"pledge": None}}, availability=None) is None
    assert c.run_metric(c.LTV, {}, availability=None) is None


# ------------------------------------------------------------------------------ the property

amounts = st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False)
headrooms = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@given(
    value=amounts,
    threshold=amounts,
    headroom=headrooms,
    step=st.decimals(min_value=D("0"), max_value=D("1e6"), places=2),
)
def test_moving_away_from_the_threshold_in_the_good_direction_never_worsens_the_state(value, threshold, headroom, step):
    for direction, better in ((c.MIN, value + step), (c.MAX, value - step)):
        before = c.raw_state(value, threshold=threshold, direction=direction, headroom_pct=headroom)
        after = c.raw_state(better, threshold=threshold, direction=direction, headroom_pct=headroom)
        assert c.SEVERITY[after] <= c.SEVERITY[before]


@given(value=amounts, threshold=amounts, headroom=headrooms)
def test_breached_exactly_when_on_the_wrong_side(value, threshold, headroom):
    assert (c.raw_state(value, threshold=threshold, direction=c.MIN, headroom_pct=headroom) == State.BREACHED) == (
        value < threshold
    )
    assert (c.raw_state(value, threshold=threshold, direction=c.MAX, headroom_pct=headroom) == State.BREACHED) == (
        value > threshold
    )
