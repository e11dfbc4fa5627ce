"""The pure alert evaluation at and around each threshold (hand-worked, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from valuation.engine import alerting as a

T = a.Thresholds(
    collateral_change_pct=D("20"),
    ltv_max_pct=D("55"),
    rotation_slowdown_days=D("15"),
    site_concentration_pct=D("60"),
    category_concentration_pct=D("70"),
)


def figs(**kw) -> a.RunFigures:
    base = {"eligible": D("1000.00"), "financing": D("500.00")}
    base.update(kw)
    return a.RunFigures(**base)


def test_collateral_change_is_strictly_beyond_the_threshold():
    previous = figs(as_of="2026-10-31")
    # +200.00 on 1 000.00 is exactly 20 %: not beyond. One cent more is.
    assert not a.collateral_change(figs(eligible=D("1200.00")), previous, T).active
    assert a.collateral_change(figs(eligible=D("1200.01")), previous, T).active
    # Downwards the same: -200.00 is at the threshold, -200.01 beyond.
    assert not a.collateral_change(figs(eligible=D("800.00")), previous, T).active
    assert a.collateral_change(figs(eligible=D("799.99")), previous, T).active
    # Financing alone moving: 500.00 -> 600.01 is +20.002 %.
    moved = a.collateral_change(figs(financing=D("600.01")), previous, T)
    assert moved.active
    assert moved.details["financing"] == {
        "previous": "500.00",
        "current": "600.01",
        "change_pct": "20.0",
        "beyond": True,
    }
    assert moved.details["threshold_pct"] == "20"
    assert moved.details["previous_as_of"] == "2026-10-31"


def test_collateral_change_needs_a_previous_run():
    assert not a.collateral_change(figs(eligible=D("5000")), None, T).active


def test_collateral_from_zero_is_a_change():
    assert a.collateral_change(figs(eligible=D("0.01")), figs(eligible=D("0")), T).active
    assert not a.collateral_change(figs(eligible=D("0")), figs(eligible=D("0")), T).active


def test_ltv_above_the_firm_maximum_or_the_cap():
    assert not a.ltv_above_cap(figs(ltv_pct=D("55")), T).active  # at the maximum
    assert a.ltv_above_cap(figs(ltv_pct=D("55.001")), T).active
    # No firm maximum: only the facility's cap (the engine's "exceeded") raises it.
    none = a.Thresholds(ltv_max_pct=None)
    assert not a.ltv_above_cap(figs(ltv_pct=D("90"), ltv_cap_pct=D("95")), none).active
    exceeded = a.ltv_above_cap(figs(ltv_pct=D("96"), ltv_cap_pct=D("95"), ltv_exceeded=True), none)
    assert exceeded.active
    assert exceeded.details["ltv_pct"] == "96" and exceeded.details["cap_pct"] == "95"


def test_rotation_slowdown_in_days():
    previous = figs(days_of_stock=D("60"))
    assert not a.rotation_slowdown(figs(days_of_stock=D("75")), previous, T).active  # +15 = threshold
    slowed = a.rotation_slowdown(figs(days_of_stock=D("75.1")), previous, T)
    assert slowed.active and slowed.details["increase_days"] == "15.1"
    assert not a.rotation_slowdown(figs(days_of_stock=D("40")), previous, T).active  # faster
    assert not a.rotation_slowdown(figs(days_of_stock=D("200")), None, T).active
    assert not a.rotation_slowdown(figs(days_of_stock=None), previous, T).active


def test_site_concentration_at_and_above():
    at = figs(eligible_by_site={"W01": D("600"), "W02": D("400")})
    assert not a.site_concentration(at, T).active  # 60 % exactly
    above = a.site_concentration(figs(eligible_by_site={"W01": D("600.01"), "W02": D("399.99")}), T)
    assert above.active
    assert above.details["holder"] == "W01" and above.details["share_pct"] == "60.0"
    assert not a.site_concentration(figs(eligible_by_site={}), T).active
    assert not a.site_concentration(figs(eligible_by_site={"W01": D("0")}), T).active


def test_category_concentration_from_the_stored_groups():
    result = {
        "eligibility": {
            "groups": [
                {"category": "raw_material", "warehouse": "W01", "eligible": "300.00"},
                {"category": "finished_goods", "warehouse": "W01", "eligible": "500.00"},
                {"category": "finished_goods", "warehouse": "W02", "eligible": "200.00"},
            ]
        },
        "financing": {"ltv": {"ltv_pct": "41.5", "cap_pct": None, "exceeded": False}},
        "working_capital": {"days_of_stock": "88.2"},
    }
    current = a.figures_from_result(result, eligible=D("1000.00"), financing=D("400.00"))
    assert current.eligible_by_category == {"raw_material": D("300.00"), "finished_goods": D("700.00")}
    assert current.eligible_by_site == {"W01": D("800.00"), "W02": D("200.00")}
    assert current.ltv_pct == D("41.5") and current.days_of_stock == D("88.2")
    assert not a.category_concentration(current, T).active  # 700 / 1000 = 70 % exactly
    lower = a.Thresholds(category_concentration_pct=D("69.999"))
    assert a.category_concentration(current, lower).active
    # Sites: W01 holds 80 % > 60 %.
    assert a.site_concentration(current, T).active


def test_jumps_and_appraisal():
    jump = {"metric": "book_value", "previous": "100", "current": "200", "change_pct": "100.0"}
    assert a.book_value_jump(figs(jumps=(jump,)), D("25")).active
    assert not a.book_value_jump(figs(), D("25")).active
    today = dt.date(2026, 12, 2)
    assert not a.expired_appraisal(today, today).active  # valid on its last day
    assert a.expired_appraisal(dt.date(2026, 12, 1), today).active
    assert not a.expired_appraisal(None, today).active


def test_evaluate_answers_every_run_kind_in_order():
    out = a.evaluate(current=figs(), previous=None, thresholds=T, appraisal_expiry=None, today=dt.date(2026, 12, 2))
    assert [e.kind for e in out] == list(a.RUN_KINDS)
    assert not any(e.active for e in out)
    assert a.LATE_DELIVERABLE not in a.RUN_KINDS and a.LATE_DELIVERABLE in a.KINDS
