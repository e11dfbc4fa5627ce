"""Alerts follow each completed valuation of a real upload (the hook in ``_save_run``).

The shared world's run of 2026-10-31 has eligible 3 200 000.00 and book 5 000 000.00; the
pipeline's GOOD_CSV (conftest) values at eligible 7 515 813.30 and book 7 522 813.20:
  - collateral change: 7 515 813.30 vs 3 200 000.00 is +134.9 % > 20 %;
  - book value jump: 7 522 813.20 vs 5 000 000.00 is +50.5 % > the firm's 25 %;
  - site W01 holds 15 438.17 + 7 500 375.00 + 0.13 = all of eligible (W02's line is obsolete): 100 % > 60 %;
  - category: finished goods 7 500 375.00 of 7 515 813.30 = 99.8 % > 70 %;
  - SKU: the one line of 7 500 375.00 is also 99.8 % of eligible > the default 50 %;
  - LTV: the file has no resale price, so no liquidation value: the caps allow 0 and the financing
    of 3 757 906.65 exceeds them (the engine's ``exceeded``; facility_x's caps are indicative,
    which does not make the excess any smaller).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pipeline.conftest import GOOD_CSV
from valuation.models import Alert, AlertEvent

pytestmark = pytest.mark.django_db


def _unresolved(world) -> dict[str, Alert]:
    return {a.kind: a for a in Alert.objects.filter(facility=world.facility_x).exclude(state="resolved")}


def test_an_upload_opens_alerts_and_the_next_one_resolves_what_went_away(world, upload_csv):
    upload_csv(world)
    opened = _unresolved(world)
    assert set(opened) == {
        "collateral_change",
        "book_value_jump",
        "site_concentration",
        "category_concentration",
        "sku_concentration",
        "ltv_above_cap",
    }
    assert opened["ltv_above_cap"].details["cap_exceeded"] is True
    change = opened["collateral_change"].details["eligible"]
    assert change == {"previous": "3200000.00", "current": "7515813.30", "change_pct": "134.9", "beyond": True}
    assert opened["site_concentration"].details["holder"] == "W01"
    assert opened["site_concentration"].details["share_pct"] == "100.0"
    assert opened["category_concentration"].details["share_pct"] == "99.8"
    assert opened["sku_concentration"].details["share_pct"] == "99.8"
    assert opened["collateral_change"].run.as_of == dt.date(2026, 11, 15)

    # The same stock a few days later (a different file: one more blank line): nothing moved.
    upload_csv(world, GOOD_CSV + b"\n", as_of=dt.date(2026, 11, 20), name="etat-stock-20.csv")
    still = _unresolved(world)
    assert set(still) == {"site_concentration", "category_concentration", "sku_concentration", "ltv_above_cap"}
    assert still["site_concentration"].pk == opened["site_concentration"].pk  # the same alert carries on
    resolved = Alert.objects.get(pk=opened["collateral_change"].pk)
    assert resolved.state == "resolved" and resolved.resolved_by is None
    events = list(AlertEvent.objects.filter(alert=resolved).values_list("from_state", "to_state", "by"))
    assert events == [("", "open", None), ("open", "resolved", None)]
