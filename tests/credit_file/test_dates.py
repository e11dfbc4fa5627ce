"""The credit file's dates (facilities/credit_dates.py), pure: hand-worked, leap years included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilities.credit_dates import (
    DocumentStatus,
    add_years,
    document_state,
    lapse_date,
    registration_lapses_on,
    warning_starts_on,
)


@pytest.mark.parametrize(
    ("registered", "lapses"),
    [
        (date(2023, 3, 1), date(2028, 3, 1)),
        (date(2024, 2, 29), date(2029, 2, 28)),  # 2029 has no 29 February: the earlier day
        (date(2027, 2, 28), date(2032, 2, 28)),  # 2032 is a leap year: 28 February stays
        (date(2028, 2, 29), date(2033, 2, 28)),
        (date(2021, 12, 31), date(2026, 12, 31)),
    ],
)
def test_a_registration_lapses_five_years_after_its_date(registered, lapses):
    assert registration_lapses_on(registered) == lapses


def test_a_leap_day_carried_to_a_leap_year_stays_the_leap_day():
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


def test_an_expiry_date_is_the_last_day_the_document_holds():
    assert lapse_date(expires_on=date(2026, 12, 31)) == date(2027, 1, 1)
    assert lapse_date(expires_on=date(2028, 2, 28)) == date(2028, 2, 29)  # 2028 is a leap year
    assert lapse_date(expires_on=date(2027, 2, 28)) == date(2027, 3, 1)


def test_a_registration_date_decides_over_an_expiry_and_no_date_means_no_lapse():
    assert lapse_date(registered_on=date(2024, 2, 29), expires_on=date(2025, 1, 1)) == date(2029, 2, 28)
    assert lapse_date() is None


@pytest.mark.parametrize(
    ("on", "status", "days_left"),
    [
        (date(2026, 2, 28), DocumentStatus.VALID, 61),
        (date(2026, 3, 1), DocumentStatus.EXPIRING, 60),  # 30 days of March + 30 of April
        (date(2026, 4, 29), DocumentStatus.EXPIRING, 1),
        (date(2026, 4, 30), DocumentStatus.LAPSED, 0),  # lapsed on its lapse date
        (date(2026, 5, 1), DocumentStatus.LAPSED, -1),
    ],
)
def test_status_around_a_lapse_on_30_april_with_60_days_of_warning(on, status, days_left):
    state = document_state(date(2026, 4, 30), on, 60)
    assert (state.status, state.days_left) == (status, days_left)


def test_the_warning_starts_60_days_before_across_february():
    # 2029 (common year): 30 December 2028 -> 28 February 2029 is 1 + 31 + 28 = 60 days.
    assert warning_starts_on(date(2029, 2, 28), 60) == date(2028, 12, 30)
    # 2028 (leap year): 1 January -> 1 March is 31 + 29 = 60 days.
    assert warning_starts_on(date(2028, 3, 1), 60) == date(2028, 1, 1)
    assert document_state(date(2028, 3, 1), date(2027, 12, 31), 60).status == DocumentStatus.VALID
    assert document_state(date(2028, 3, 1), date(2028, 1, 1), 60).status == DocumentStatus.EXPIRING


def test_a_document_without_a_lapse_date_is_valid_and_negative_warnings_are_refused():
    state = document_state(None, date(2026, 1, 1))
    assert state.status == DocumentStatus.VALID and state.days_left is None
    with pytest.raises(ValueError):
        document_state(date(2026, 1, 1), date(2026, 1, 1), -1)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 20))
def test_add_years_keeps_the_month_and_never_a_later_day(day, years):
    later = add_years(day, years)
    assert (later.year, later.month) == (day.year + years, day.month)
    assert later.day == day.day or (day.month, day.day, later.day) == (2, 29, 28)


ORDER = {DocumentStatus.VALID: 0, DocumentStatus.EXPIRING: 1, DocumentStatus.LAPSED: 2}


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(-400, 400),
    st.integers(0, 400),
    st.integers(0, 120),
)
def test_status_never_goes_back_as_days_pass(lapses_on, offset, step, warning):
    on = lapses_on + timedelta(days=offset)
    before = document_state(lapses_on, on, warning)
    after = document_state(lapses_on, on + timedelta(days=step), warning)
    assert ORDER[after.status] >= ORDER[before.status]
    assert before.days_left - after.days_left == step
