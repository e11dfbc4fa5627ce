"""The dashboard's alert rules, worked by hand (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from valuation.workspace import alerts
from valuation.workspace.dashboard import parse_sort

D = Decimal
TODAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("availability", "expected"),
    [(D("-0.01"), True), (D("-270000"), True), (D("0"), False), (D("270000.00"), False), (None, False)],
)
def test_over_advance_is_negative_availability(availability, expected):
    """Example B's availability is 270,000 (fine); one cent below zero is already an over-advance."""
    assert alerts.over_advance(availability) is expected


def test_replenishment_breach_below_the_committed_guarantee():
    """Example A: mobilisable 3,200,000 against a committed 2,400,000 is fine; 2,399,999.99 breaches;
    exactly the committed level does not; no clause, nothing to breach."""
    assert not alerts.replenishment_breached(mobilisable=D("3200000"), committed_guarantee=D("2400000"))
    assert alerts.replenishment_breached(mobilisable=D("2399999.99"), committed_guarantee=D("2400000"))
    assert not alerts.replenishment_breached(mobilisable=D("2400000"), committed_guarantee=D("2400000"))
    assert not alerts.replenishment_breached(mobilisable=D("1"), committed_guarantee=None)
    assert not alerts.replenishment_breached(mobilisable=None, committed_guarantee=D("1"))


def test_pledge_cover_is_mobilisable_over_committed_half_up():
    # 3,200,000 / 2,400,000 = 1.3333… → 133.3 %
    assert alerts.pledge_cover_pct(mobilisable=D("3200000"), committed_guarantee=D("2400000")) == D("133.3")
    # 2,001 / 2,000 = 100.05 % → 100.1 half-up (half-even would say 100.0)
    assert alerts.pledge_cover_pct(mobilisable=D("2001"), committed_guarantee=D("2000")) == D("100.1")
    assert alerts.pledge_cover_pct(mobilisable=D("2000000"), committed_guarantee=D("2400000")) == D("83.3")
    assert alerts.pledge_cover_pct(mobilisable=D("5"), committed_guarantee=None) is None
    assert alerts.pledge_cover_pct(mobilisable=D("5"), committed_guarantee=D("0")) is None


@pytest.mark.parametrize(
    ("last", "period", "stale"),
    [
        (dt.date(2026, 10, 17), None, False),  # 35 days old: still current
        (dt.date(2026, 10, 16), None, True),  # 36 days
        (dt.date(2026, 10, 22), 30, False),  # 30 days against a 30-day period
        (dt.date(2026, 10, 21), 30, True),  # 31 days
        (dt.date(2026, 8, 23), 90, False),  # 90 days against a quarterly period
        (None, None, False),  # reported as "no stock file yet" instead
    ],
)
def test_stale_stock_file_against_reporting_period(last, period, stale):
    assert alerts.stale_stock_file(last_stock_date=last, today=TODAY, period_days=period) is stale


@pytest.mark.parametrize(
    ("status", "failed"),
    [("failed", True), ("rejected", True), ("accepted", False), ("queued", False), ("running", False), (None, False)],
)
def test_failed_last_upload(status, failed):
    assert alerts.failed_last_upload(status) is failed


def test_client_alerts_combine_and_weigh():
    codes = [
        a.code
        for a in alerts.client_alerts(
            today=TODAY, period_days=None, last_stock_date=dt.date(2026, 9, 30), last_upload_status="rejected"
        )
    ]
    assert codes == [alerts.FAILED_UPLOAD, alerts.STALE_STOCK_FILE]
    none = alerts.client_alerts(today=TODAY, period_days=None, last_stock_date=None, last_upload_status=None)
    assert [a.code for a in none] == [alerts.NO_STOCK_FILE]
    fine = alerts.client_alerts(
        today=TODAY, period_days=None, last_stock_date=dt.date(2026, 11, 1), last_upload_status="accepted"
    )
    assert fine == []
    facility = alerts.facility_alerts(
        facility_id=7, is_pledge=True, availability=D("-1"), mobilisable=D("10"), committed_guarantee=D("11")
    )
    assert [(a.code, a.facility_id) for a in facility] == [(alerts.OVER_ADVANCE, 7), (alerts.REPLENISHMENT_BREACH, 7)]
    # 4 + 4 for the facility; a borrowing base is never checked for replenishment.
    assert alerts.alert_weight(facility) == 8
    assert (
        alerts.facility_alerts(
            facility_id=7, is_pledge=False, availability=D("1"), mobilisable=D("10"), committed_guarantee=D("11")
        )
        == []
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("financing", ("financing", False)),
        ("-financing", ("financing", True)),
        ("-alerts", ("alerts", True)),
        ("legal_name; drop table", ("client", False)),
        ("--financing", ("financing", True)),
        ("", ("client", False)),
        (None, ("client", False)),
    ],
)
def test_sort_keys_are_whitelisted(value, expected):
    assert parse_sort(value) == expected


def test_alert_rules_import_no_django():
    """The rules are pure: they can be reasoned about (and tested) without a database."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(alerts))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in {"django", "borrowers", "facilities", "reports"}}
