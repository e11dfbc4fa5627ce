"""One SKU holding more than a share of eligible stock: the engine finds the largest SKU (over all
its sites), stores it in the result, and the alert compares its share with the firm's or the
facility's threshold, strictly. Hand-worked figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, days_ago, frame, terms
from tests.workspace.conftest import make_upload
from valuation.engine import alerting as rules
from valuation.engine import valuate
from valuation.engine.concentration import largest_sku
from valuation.engine.result import SkuAmount
from valuation.engine.serialize import result_from_dict, result_to_dict
from valuation.models import Alert, AlertThresholds, RunStatus, ValuationRun
from valuation.pipeline import alerting
from valuation.workspace.alert_labels import alert_summary

# ------------------------------------------------------------------ pure: no database


def test_the_largest_sku_sums_its_lines_over_sites_and_trims_its_code():
    skus = pd.Series(["A-1", "B-2", " A-1 ", "C-3"], dtype="str")
    # 300.00 + 150.00 = 450.00 (two sites, one code written with spaces); B-2 400.00.
    assert largest_sku(skus, np.array([30_000, 40_000, 15_000, 5_000])) == SkuAmount("A-1", D("450.00"))


def test_at_equal_amounts_the_first_code_wins_and_nothing_eligible_is_none():
    skus = pd.Series(["Z9", "A1", "M5"], dtype="str")
    assert largest_sku(skus, np.array([100, 100, 99])) == SkuAmount("A1", D("1.00"))
    assert largest_sku(skus, np.array([0, 0, 0])) is None
    assert largest_sku(pd.Series([], dtype="str"), np.array([], dtype=np.int64)) is None


def test_the_valuation_stores_the_largest_sku_of_eligible_stock():
    # S1 600.00 + S1 200.00 at another site = 800.00 eligible; S2 700.00 is obsolete (not eligible);
    # S3 500.00. Eligible 1 300.00, of which S1 holds 800.00 = 61.5 %.
    lines = frame(
        sku=["S1", "S2", "S1", "S3"],
        category=["raw_material"] * 4,
        quantity=["1"] * 4,
        book_value=["600.00", "700.00", "200.00", "500.00"],
        warehouse=["W01", "W01", "W02", "W01"],
        last_movement_date=[days_ago(10), days_ago(800), days_ago(10), days_ago(10)],
    )
    result = valuate(lines, terms(), as_of=AS_OF)
    assert result.eligibility.eligible == D("1300.00")
    assert result.eligibility.largest_sku == SkuAmount("S1", D("800.00"))
    stored = result_to_dict(result)
    assert stored["eligibility"]["largest_sku"] == {"sku": "S1", "eligible": "800.00"}
    assert result_from_dict(stored).eligibility.largest_sku == SkuAmount("S1", D("800.00"))
    read = rules.figures_from_result(stored, eligible=D("1300.00"), financing=None)
    evaluation = rules.sku_concentration(read, rules.Thresholds(sku_concentration_pct=D("60")))
    assert evaluation.active
    assert evaluation.details["holder"] == "S1" and evaluation.details["share_pct"] == "61.5"
    # A result stored before the field existed loads with none.
    del stored["eligibility"]["largest_sku"]
    assert result_from_dict(stored).eligibility.largest_sku is None


def figures(sku_amount: str, eligible: str) -> rules.RunFigures:
    return rules.RunFigures(
        eligible=D(eligible), financing=None, largest_sku=("S1", D(sku_amount)), sku_basis=D(eligible)
    )


def test_the_sku_alert_is_strictly_above_its_threshold():
    threshold = rules.Thresholds(sku_concentration_pct=D("40"))
    # 400.00 of 1 000.00 is exactly 40 %: no alert; 400.01 is above.
    at = rules.sku_concentration(figures("400.00", "1000.00"), threshold)
    assert not at.active and at.details["share_pct"] == "40.0"
    assert rules.sku_concentration(figures("400.01", "1000.00"), threshold).active
    # A threshold of 100 % never alerts, even for a single SKU holding everything.
    assert not rules.sku_concentration(
        figures("1000.00", "1000.00"), rules.Thresholds(sku_concentration_pct=D("100"))
    ).active


def test_a_result_without_the_largest_sku_decides_nothing():
    old = rules.figures_from_result({"eligibility": {"eligible": "1000.00"}}, eligible=D("1000.00"), financing=None)
    evaluation = rules.sku_concentration(old, rules.Thresholds())
    assert not evaluation.active and evaluation.details["computed"] is False


# ------------------------------------------------------------------ with the database


def result_with_sku(sku: str, amount: str, eligible: str) -> dict:
    return {"eligibility": {"eligible": eligible, "largest_sku": {"sku": sku, "eligible": amount}, "groups": []}}


@pytest.mark.django_db
def test_the_facility_threshold_overrides_the_firms_at_the_boundary(world):
    # SKU "PAL-01" holds 1 800 000.00 of 2 400 000.00 = 75 % exactly.
    upload = make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 11, 30))
    run = ValuationRun.objects.create(
        facility=world.facility_x,
        upload=upload,
        as_of=upload.as_of,
        terms_hash="t-sku",
        status=RunStatus.DONE,
        result=result_with_sku("PAL-01", "1800000.00", "2400000.00"),
        eligible_value=D("2400000.00"),
        financing=D("1200000.00"),
    )
    AlertThresholds.objects.create(firm=world.firm_a, sku_concentration_pct=D("74.9"))
    alerting.evaluate_run(run.pk)
    alert = Alert.objects.get(facility=world.facility_x, kind="sku_concentration", state="open")
    assert alert.details["holder"] == "PAL-01" and alert.details["share_pct"] == "75.0"
    with translation.override("en"):
        assert alert_summary(alert.kind, alert.details) == "SKU PAL-01 holds 75% of eligible stock; alert above 74.9%."

    # The facility's own threshold of exactly 75 %: at the threshold, so the alert resolves.
    AlertThresholds.objects.create(firm=world.firm_a, facility=world.facility_x, sku_concentration_pct=D("75"))
    alerting.evaluate_run(run.pk)
    alert.refresh_from_db()
    assert alert.state == "resolved"


@pytest.mark.django_db
def test_the_thresholds_page_sets_the_sku_share_and_refuses_a_bad_one(world):
    advisor = Client()
    advisor.force_login(world.advisor_a)
    url = reverse("valuation:alert-thresholds")
    page = advisor.get(url).content.decode()
    assert 'name="sku_concentration_pct"' in page and 'value="50' in page  # the default
    fields = {
        "collateral_change_pct": "20",
        "ltv_max_pct": "",
        "rotation_slowdown_days": "15",
        "site_concentration_pct": "60",
        "category_concentration_pct": "70",
        "sku_concentration_pct": "101",
    }
    bad = advisor.post(url, fields)
    assert bad.status_code == 200 and "sku_concentration_pct" in bad.context["form"].errors
    assert not AlertThresholds.objects.exists()
    assert advisor.post(url, {**fields, "sku_concentration_pct": "35"}).status_code == 302
    assert AlertThresholds.objects.get(firm=world.firm_a, facility=None).sku_concentration_pct == D("35")
    assert alerting.thresholds_for(world.facility_x).sku_concentration_pct == D("35")
    f_url = reverse("valuation:facility-alert-thresholds", args=[world.facility_x.pk])
    assert advisor.post(f_url, {**fields, "sku_concentration_pct": "20"}).status_code == 302
    assert alerting.thresholds_for(world.facility_x).sku_concentration_pct == D("20")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", " B", "C ", "D"]), st.integers(min_value=0, max_value=10**9)),
        min_size=1,
        max_size=30,
    )
)
def test_the_largest_sku_is_the_largest_sum_by_trimmed_code(items):
    sums: dict[str, int] = {}
    for code, cents in items:
        sums[code.strip()] = sums.get(code.strip(), 0) + cents
    top = max(sums.values())
    found = largest_sku(pd.Series([c for c, _ in items], dtype="str"), np.array([v for _, v in items]))
    if top == 0:
        assert found is None
    else:
        assert found == SkuAmount(min(c for c, v in sums.items() if v == top), D(top) / 100)


def test_a_sku_column_in_arrow_chunks_is_read_as_one():
    """A column stored in slices comes back as chunked Arrow strings: the codes of every chunk
    are summed together (B: 300.00 + 200.00 across two chunks beats A's 400.00)."""
    import pyarrow as pa

    chunked = pa.chunked_array([["A", "B"], ["B", "C"]], type=pa.large_string())
    skus = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    assert largest_sku(skus, np.array([40_000, 30_000, 20_000, 10_000])) == SkuAmount(sku="B", eligible=D("500.00"))
