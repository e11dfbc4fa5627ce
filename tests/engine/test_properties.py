"""Properties that must hold for any stock file: reconciliation and monotonic financing."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, days_ago, frame, terms
from valuation.engine import valuate

CATEGORIES = ["raw_material", "wip", "finished_good"]
FLAGS = ["supplier_consignment", "defective", "in_transit", "firm_order", "retention_of_title"]

line = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "warehouse": st.sampled_from(["W01", "W02", "W03"]),
        "quantity": st.integers(0, 10**7),  # thousandths
        "unit_cost": st.integers(0, 10**8),  # ten-thousandths
        "unpaid": st.integers(0, 10**9),  # cents
        "idle_days": st.integers(0, 800),
        "consumption": st.integers(0, 10**8),
        "price": st.integers(0, 10**8),
        **{flag: st.booleans() for flag in FLAGS},
    }
)
stock = st.lists(line, min_size=1, max_size=25)


def build(items: list[dict]) -> pd.DataFrame:
    def dec(value: int, places: int) -> str:
        return str(Decimal(value).scaleb(-places))

    return frame(
        sku=[f"S{i}" for i in range(len(items))],
        category=[i["category"] for i in items],
        warehouse=[i["warehouse"] for i in items],
        quantity=[dec(i["quantity"], 3) for i in items],
        unit_cost=[dec(i["unit_cost"], 4) for i in items],
        unpaid_amount=[dec(i["unpaid"], 2) for i in items],
        last_movement_date=[days_ago(i["idle_days"]) for i in items],
        annual_consumption_qty=[dec(i["consumption"], 3) for i in items],
        resale_unit_price=[dec(i["price"], 4) for i in items],
        **{flag: [i[flag] for i in items] for flag in FLAGS},
    )


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BB = {
    "structure": "borrowing_base",
    "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "100"},
    "outstanding": "5000",
}


@PROPERTY_SETTINGS
@given(stock, st.sampled_from(["waterfall", "criteria"]))
def test_book_equals_eligible_plus_ineligibles_at_every_grouping(items, method):
    """To the cent: per line, per group, per category, per warehouse, per reason, in total."""
    result = valuate(build(items), terms(method=method), as_of=AS_OF)
    lines = result.lines
    reason_columns = [c for c in lines.columns if c.startswith("ineligible_") and c != "ineligible_cents"]
    assert (lines["book_value_cents"] == lines["eligible_cents"] + lines[reason_columns].sum(axis=1)).all()
    eligibility = result.eligibility
    for group in eligibility.groups + eligibility.by_category() + eligibility.by_warehouse():
        assert group.book_value == group.eligible + group.ineligible_total
    assert eligibility.book_value == eligibility.eligible + sum(r.amount for r in eligibility.by_reason)
    assert eligibility.book_value == Decimal(int(lines["book_value_cents"].sum())).scaleb(-2)


@PROPERTY_SETTINGS
@given(stock, st.sampled_from(FLAGS[:3]), st.data())
def test_marking_more_stock_ineligible_never_raises_financing(items, flag, data):
    """Setting one more exclusion flag on one line cannot increase the financing."""
    index = data.draw(st.integers(0, len(items) - 1))
    worse = [dict(i) for i in items]
    worse[index][flag] = True
    for base in (BB, None):
        t = terms(base)
        before = valuate(build(items), t, as_of=AS_OF).financing.financing
        after = valuate(build(worse), t, as_of=AS_OF).financing.financing
        assert after <= before


@PROPERTY_SETTINGS
@given(stock, st.integers(100, 299), st.integers(0, 99))
def test_higher_over_collateralisation_or_lower_rate_never_raises_financing(items, oc, rate):
    """Financing falls (weakly) as over-collateralisation rises or an advance rate falls."""
    df = build(items)

    def pledge(oc_pct: int) -> Decimal:
        t = terms(pledge={"fungibility_share_pct": "80", "over_collateralisation_pct": str(oc_pct)})
        return valuate(df, t, as_of=AS_OF).financing.financing

    def base(cost_rate: int) -> Decimal:
        bb = {**BB, "borrowing_base": {**BB["borrowing_base"], "cost_advance_rate_pct": str(cost_rate)}}
        return valuate(df, terms(bb), as_of=AS_OF).financing.financing

    assert pledge(oc + 1) <= pledge(oc)
    assert base(rate) <= base(rate + 1)


@PROPERTY_SETTINGS
@given(stock, st.integers(0, 10**9))
def test_availability_is_borrowing_base_minus_outstanding(items, outstanding_cents):
    """availability = financing − outstanding, over-advance exactly when negative; the financing is
    the borrowing base bound by the LTV caps: min(borrowing base, Σ cap × class NOLV)."""
    outstanding = Decimal(outstanding_cents).scaleb(-2)
    financing = valuate(build(items), terms({**BB, "outstanding": str(outstanding)}), as_of=AS_OF).financing
    assert financing.financing == min(financing.borrowing_base.borrowing_base, financing.ltv.max_financing)
    assert financing.availability == financing.financing - outstanding
    assert financing.over_advance == (financing.availability < 0)
