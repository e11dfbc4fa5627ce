"""The reporting calendar's dates (facilities/calendar.py), without a database. Every expected
date is worked out by hand from a calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilities import calendar
from facilities.calendar import Status

# ------------------------------------------------------------------------------ month ends


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [
        (2026, 1, 31),
        (2026, 2, 28),
        (2028, 2, 29),  # leap year
        (2000, 2, 29),  # divisible by 400: leap
        (2100, 2, 28),  # divisible by 100, not by 400: not leap
        (2026, 4, 30),
        (2026, 6, 30),
        (2026, 9, 30),
        (2026, 11, 30),
        (2026, 12, 31),
    ],
)
def test_month_end(year, month, last):
    assert calendar.month_end(year, month) == date(year, month, last)


# ------------------------------------------------------------------------------ period ends


def test_monthly_ends_across_28_30_and_31_day_months():
    assert calendar.period_ends("monthly", date(2026, 1, 15), date(2026, 4, 30)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_monthly_ends_stop_before_a_period_not_yet_ended():
    assert calendar.period_ends("monthly", date(2026, 1, 15), date(2026, 4, 29)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]


def test_monthly_ends_in_a_leap_year_include_29_february():
    assert calendar.period_ends("monthly", date(2028, 1, 1), date(2028, 3, 31)) == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]


def test_monthly_ends_across_the_year_boundary():
    assert calendar.period_ends("monthly", date(2026, 11, 30), date(2027, 2, 1)) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]


def test_quarterly_ends_are_march_june_september_december():
    assert calendar.period_ends("quarterly", date(2026, 2, 10), date(2027, 3, 31)) == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
        date(2027, 3, 31),
    ]


def test_half_yearly_ends_are_june_and_december():
    assert calendar.period_ends("half_yearly", date(2026, 7, 1), date(2027, 12, 31)) == [
        date(2026, 12, 31),
        date(2027, 6, 30),
        date(2027, 12, 31),
    ]


def test_yearly_ends_are_31_december():
    assert calendar.period_ends("yearly", date(2026, 12, 31), date(2028, 6, 1)) == [
        date(2026, 12, 31),
        date(2027, 12, 31),
    ]


def test_nothing_ends_before_the_start():
    assert calendar.period_ends("monthly", date(2026, 5, 1), date(2026, 4, 30)) == []


def test_next_period_ends_after_a_date():
    assert calendar.next_period_ends("monthly", date(2026, 1, 1), date(2026, 3, 31), 3) == [
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    # Mid-month, the current month's end comes first.
    assert calendar.next_period_ends("monthly", date(2026, 1, 1), date(2026, 3, 15), 2) == [
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    # A deliverable that starts later begins with its own first period.
    assert calendar.next_period_ends("quarterly", date(2026, 6, 10), date(2026, 1, 1), 2) == [
        date(2026, 6, 30),
        date(2026, 9, 30),
    ]
    assert calendar.next_period_ends("monthly", date(2026, 1, 1), date(2026, 1, 1), 0) == []


@pytest.mark.parametrize(
    ("frequency", "day", "end"),
    [
        ("monthly", date(2028, 2, 29), date(2028, 2, 29)),
        ("monthly", date(2028, 2, 1), date(2028, 2, 29)),
        ("monthly", date(2028, 3, 1), date(2028, 3, 31)),
        ("quarterly", date(2026, 3, 31), date(2026, 3, 31)),
        ("quarterly", date(2026, 4, 1), date(2026, 6, 30)),
        ("quarterly", date(2026, 1, 1), date(2026, 3, 31)),
        ("half_yearly", date(2026, 6, 30), date(2026, 6, 30)),
        ("half_yearly", date(2026, 7, 1), date(2026, 12, 31)),
        ("yearly", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_the_period_covering_a_date(frequency, day, end):
    """A period covers (previous end, end]: a stock file dated on the period end is in it."""
    assert calendar.period_covering(frequency, day) == end


def test_previous_period_end():
    assert calendar.previous_period_end("quarterly", date(2026, 3, 31)) == date(2025, 12, 31)
    assert calendar.previous_period_end("monthly", date(2028, 3, 31)) == date(2028, 2, 29)
    assert calendar.previous_period_end("yearly", date(2027, 12, 31)) == date(2026, 12, 31)


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError, match="weekly"):
        calendar.period_ends("weekly", date(2026, 1, 1), date(2026, 12, 31))


# ------------------------------------------------------------------------------ due dates


def test_due_date_is_the_period_end_plus_the_due_days():
    assert calendar.due_date(date(2026, 1, 31), 20) == date(2026, 2, 20)
    assert calendar.due_date(date(2028, 2, 29), 20) == date(2028, 3, 20)
    assert calendar.due_date(date(2026, 12, 31), 20) == date(2027, 1, 20)
    assert calendar.due_date(date(2027, 2, 28), 1) == date(2027, 3, 1)
    assert calendar.due_date(date(2026, 3, 31), 0) == date(2026, 3, 31)
    assert calendar.deadline(date(2026, 1, 31), 20, 5) == date(2026, 2, 25)


# ------------------------------------------------------------------------------ statuses

DUE = date(2026, 2, 20)


def status(**kwargs):
    fields = {"due": DUE, "grace_days": 5, "received_on": None, "waived": False, **kwargs}
    return calendar.period_status(**fields)


def test_due_until_the_last_day_of_grace_included():
    assert status(today=date(2026, 2, 1)).status == Status.DUE
    assert status(today=DUE).status == Status.DUE
    assert status(today=date(2026, 2, 25)) == calendar.PeriodStatus(Status.DUE, 0)  # due + 5: the last day


def test_late_from_the_day_after_the_grace():
    assert status(today=date(2026, 2, 26)) == calendar.PeriodStatus(Status.LATE, 1)
    # 25 February → 10 April: 3 days of February, 31 of March, 10 of April.
    assert status(today=date(2026, 4, 10)) == calendar.PeriodStatus(Status.LATE, 44)


def test_without_grace_late_the_day_after_the_due_date():
    assert status(grace_days=0, today=DUE).status == Status.DUE
    assert status(grace_days=0, today=date(2026, 2, 21)) == calendar.PeriodStatus(Status.LATE, 1)


def test_received_on_the_last_day_of_grace_is_on_time():
    received = status(received_on=date(2026, 2, 25), today=date(2026, 6, 1))
    assert received == calendar.PeriodStatus(Status.RECEIVED, 0)
    assert not received.received_late


def test_received_after_the_grace_stays_received_but_flagged_late():
    received = status(received_on=date(2026, 2, 27), today=date(2026, 6, 1))
    assert received == calendar.PeriodStatus(Status.RECEIVED, 2)
    assert received.received_late


def test_waived_is_never_late_and_received_wins_over_waived():
    assert status(waived=True, today=date(2027, 1, 1)) == calendar.PeriodStatus(Status.WAIVED, 0)
    assert status(waived=True, received_on=date(2026, 2, 1), today=date(2027, 1, 1)).status == Status.RECEIVED


# ------------------------------------------------------------------------------ properties

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(start=days, length=st.integers(min_value=0, max_value=4000))
def test_monthly_ends_are_consecutive_month_ends(start, length):
    until = start + timedelta(days=length)
    ends = calendar.period_ends("monthly", start, until)
    assert all(earlier < later for earlier, later in zip(ends, ends[1:], strict=False))
    for end in ends:
        assert (end + timedelta(days=1)).day == 1  # the last day of its month
        assert end <= until
    for earlier, later in zip(ends, ends[1:], strict=False):
        assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
    # One end per month from the start's month to until's, the last only once it has ended.
    months = (until.year * 12 + until.month) - (start.year * 12 + start.month)
    ended = (until + timedelta(days=1)).day == 1
    assert len(ends) == months + (1 if ended else 0)
    if ends:
        assert ends[0].year == start.year and ends[0].month == start.month


@given(
    frequency=st.sampled_from(["quarterly", "half_yearly", "yearly"]),
    start=days,
    length=st.integers(min_value=0, max_value=4000),
)
def test_longer_periods_end_on_their_months(frequency, start, length):
    months = {"quarterly": {3, 6, 9, 12}, "half_yearly": {6, 12}, "yearly": {12}}[frequency]
    ends = calendar.period_ends(frequency, start, start + timedelta(days=length))
    for end in ends:
        assert end.month in months
        assert (end + timedelta(days=1)).day == 1
    assert all(earlier < later for earlier, later in zip(ends, ends[1:], strict=False))


@given(frequency=st.sampled_from(["monthly", "quarterly", "half_yearly", "yearly"]), day=days)
def test_a_date_falls_in_exactly_one_period(frequency, day):
    end = calendar.period_covering(frequency, day)
    assert calendar.previous_period_end(frequency, end) < day <= end
