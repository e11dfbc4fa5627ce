"""Jumps (issue 12, item 10): a new file whose book value, eligible stock or line count moves more
than the firm's threshold (25 % by default) from the facility's previous accepted file is flagged
on the upload page and the dashboard before anyone relies on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from borrowers.models import Firm
from tests.pipeline.conftest import GOOD_ROWS, HEADER
from valuation.engine.jumps import find_jumps
from valuation.models import ValuationRun

D = Decimal


def _book(previous: Decimal, current: Decimal) -> list:
    return find_jumps(
        previous={"book_value": previous}, current={"book_value": current}, threshold_pct=D(25), previous_as_of="x"
    )


def test_a_move_of_exactly_the_threshold_is_not_a_jump_and_one_cent_more_is():
    """100.00 → 125.00 is +25 % exactly: not a jump. 100.00 → 125.01 is: +25.0 % shown."""
    same = find_jumps(
        previous={"book_value": D("100.00")},
        current={"book_value": D("125.00")},
        threshold_pct=D(25),
        previous_as_of="x",
    )
    assert same == []
    (jump,) = find_jumps(
        previous={"book_value": D("100.00")},
        current={"book_value": D("125.01")},
        threshold_pct=D(25),
        previous_as_of="x",
    )
    assert (jump.metric, jump.change_pct) == ("book_value", D("25.0"))
    (fall,) = find_jumps(previous={"line_count": 5}, current={"line_count": 2}, threshold_pct=D(25), previous_as_of="x")
    assert fall.change_pct == D("-60.0")  # (2 − 5) ÷ 5


def test_after_a_zero_any_figure_is_a_jump_and_a_missing_figure_is_not_compared():
    (jump,) = find_jumps(
        previous={"eligible_value": D(0), "book_value": None},
        current={"eligible_value": D("0.01"), "book_value": D(5)},
        threshold_pct=D(25),
        previous_as_of="x",
    )
    assert jump.metric == "eligible_value" and jump.change_pct is None


@given(
    previous=st.decimals(min_value=D("0.01"), max_value=D("1e9"), places=2),
    current=st.decimals(min_value=D(0), max_value=D("1e9"), places=2),
    threshold=st.decimals(min_value=D("0.001"), max_value=D(1000), places=3),
)
def test_a_jump_is_exactly_a_move_beyond_the_threshold(previous, current, threshold):
    jumps = find_jumps(
        previous={"book_value": previous}, current={"book_value": current}, threshold_pct=threshold, previous_as_of="x"
    )
    assert bool(jumps) == (abs(current - previous) / previous * 100 > threshold)


@pytest.mark.django_db
def test_a_file_with_two_of_five_lines_is_flagged_on_the_upload_page_and_the_dashboard(world, upload_csv):
    """First file: book 7,522,813.20, 5 lines. Second (a day later): rows 2 and 3 only, book
    15,438.17 + 6,000.00 = 21,438.17: −99.7 %; eligible 15,438.17 against 7,515,813.30: −99.8 %;
    lines 2 against 5: −60.0 %. All beyond 25 %."""
    upload_csv(world)
    partial = ("\n".join((HEADER, GOOD_ROWS[0], GOOD_ROWS[1])) + "\n").encode()
    second = upload_csv(world, partial, as_of=dt.date(2026, 11, 16), name="partial.csv")
    run = ValuationRun.objects.get(upload=second, facility=world.facility_x)
    by_metric = {j["metric"]: j for j in run.jumps}
    assert set(by_metric) == {"book_value", "eligible_value", "line_count"}
    assert (by_metric["book_value"]["previous"], by_metric["book_value"]["current"]) == ("7522813.20", "21438.17")
    assert by_metric["book_value"]["change_pct"] == "-99.7"
    assert by_metric["line_count"]["change_pct"] == "-60.0"

    advisor = Client()
    advisor.force_login(world.advisor_a)
    page = advisor.get(reverse("valuation:upload-detail", args=[second.pk])).content.decode()
    assert "move far from the previous file" in page
    assert "-99.7" in page or "−99.7" in page
    dashboard = advisor.get(reverse("valuation:dashboard")).content.decode()
    assert "Figures jumped from the previous file" in dashboard


@pytest.mark.django_db
def test_the_firm_sets_the_threshold(world, upload_csv):
    """At 100 %, a fall of 60 % in the line count is no jump; the falls of 99.7 % still are."""
    Firm.objects.filter(pk=world.firm_a.pk).update(jump_threshold_pct=D(100))
    upload_csv(world)
    partial = ("\n".join((HEADER, GOOD_ROWS[0], GOOD_ROWS[1])) + "\n").encode()
    second = upload_csv(world, partial, as_of=dt.date(2026, 11, 16), name="partial.csv")
    run = ValuationRun.objects.get(upload=second, facility=world.facility_x)
    assert run.jumps == []  # −99.7 % is not more than 100 % either: nothing flagged
