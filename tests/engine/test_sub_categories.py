"""Firm sub-categories value their own lines; an expired appraisal never raises a figure."""

from __future__ import annotations

from decimal import Decimal

import hypothesis.strategies as st
from hypothesis import given, settings

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate
from valuation.engine.columns import code_key
from valuation.engine.errors import TermsError
from valuation.imports.headers import normalise

FG = "finished_good"


def two_finished_goods(**base):
    """Two firm categories under finished goods: FG-LUX recovers 60 %, FG-OUT 20 %."""
    return terms(
        categories=[{"category": FG, "nrv_pct_of_cost": "20", **base}],
        sub_categories=[
            {"code": "FG-LUX", "category": FG, "nrv_pct_of_cost": "60", "liquidity_class": "high"},
            {"code": "FG-OUT", "category": FG, "nrv_pct_of_cost": "20", "liquidity_class": "low"},
        ],
    )


def test_each_sub_category_values_its_own_lines():
    """Before, every finished good took the first category's 60 %: 60 % × 2,000 = 1,200.
    Now FG-LUX 1,000 × 60 % = 600 and FG-OUT 1,000 × 20 % = 200: 800."""
    df = lines(["1000", "1000"], [FG, FG], sub_category=["FG-LUX", "FG-OUT"])
    result = valuate(df, two_finished_goods(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("800.00")
    subs = {s.code: s for s in result.liquidation.by_sub_category}
    assert subs["FG-LUX"].liquidation_value == Decimal("600.00")
    assert subs["FG-OUT"].liquidation_value == Decimal("200.00")
    assert subs["FG-OUT"].liquidity_class == "low"


def test_codes_match_as_the_readers_normalise_them():
    """ "fg lux" and "Fg_Lux" are the code FG-LUX: 2 × 100 × 60 % = 120."""
    df = lines(["100", "100"], [FG, FG], sub_category=["fg lux", "Fg_Lux"])
    assert valuate(df, two_finished_goods(), as_of=AS_OF).liquidation.liquidation_value == Decimal("120.00")


def test_an_unknown_code_is_flagged_and_valued_on_the_base_setting():
    """FG-NEW is no firm category: 3 lines of 100 at the base 20 % = 60, and a warning names it."""
    df = lines(["100"] * 3, [FG] * 3, sub_category=["FG-NEW"] * 3)
    result = valuate(df, two_finished_goods(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("60.00")
    assert any("3 finished_good line(s)" in w and "'FG-NEW'" in w for w in result.warnings)


def test_a_code_of_another_base_category_is_not_borrowed():
    """A raw material naming FG-LUX does not take the finished good's 60 %: no RM rate → 0."""
    df = lines(["100"], ["raw_material"], sub_category=["FG-LUX"])
    result = valuate(df, two_finished_goods(), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("0.00")
    assert any("'FG-LUX'" in w for w in result.warnings)


def test_sub_category_liquidity_class_sets_its_ltv_cap():
    """Eligible NRV: FG-LUX 600 (high, cap 85 % → 510), FG-OUT 200 (low, 40 % → 80): the
    LTV allows 590. Valued as one medium class (65 % × 800 = 520) it would read otherwise."""
    df = lines(["1000", "1000"], [FG, FG], sub_category=["FG-LUX", "FG-OUT"])
    result = valuate(df, two_finished_goods(), as_of=AS_OF)
    assert result.financing.ltv.max_financing == Decimal("590.00")


def test_a_sub_category_takes_the_base_appraisal_unless_it_has_its_own():
    """Appraisal FG 30 %: FG-LUX (no rate of its own) 1,000 × 30 % = 300; with FG-OUT's own
    10 %: 1,000 × 10 % = 100; total 400 (the line estimates 60 % / 20 % are replaced)."""
    t = terms(
        categories=[{"category": FG, "nolv_appraisal_pct": "30"}],
        sub_categories=[
            {"code": "FG-LUX", "category": FG, "nrv_pct_of_cost": "60"},
            {"code": "FG-OUT", "category": FG, "nrv_pct_of_cost": "20", "nolv_appraisal_pct": "10"},
        ],
    )
    df = lines(["1000", "1000"], [FG, FG], sub_category=["FG-LUX", "FG-OUT"])
    assert valuate(df, t, as_of=AS_OF).liquidation.liquidation_value == Decimal("400.00")


def test_an_expired_appraisal_only_lowers():
    """Expired NOLV 50 %. FG-LUX line estimate 60 % × 1,000 = 600 → min(600, 500) = 500;
    FG-OUT estimate 20 % = 200 → min(200, 500) = 200 (an in-force 50 % would give 500);
    total 700, not the 1,000 an expired appraisal applied as if in force would give."""
    df = lines(["1000", "1000"], [FG, FG], sub_category=["FG-LUX", "FG-OUT"])
    result = valuate(df, two_finished_goods(expired_appraisal_pct="50"), as_of=AS_OF)
    assert result.liquidation.liquidation_value == Decimal("700.00")
    assert any("appraisal has expired" in w for w in result.warnings)


def test_duplicate_codes_are_refused():
    try:
        terms(sub_categories=[{"code": "A-1", "category": FG}, {"code": "a 1", "category": FG}])
    except TermsError as error:
        assert error.setting == "sub_categories[1].code"
    else:  # pragma: no cover
        raise AssertionError("duplicate code accepted")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_code_key_is_the_readers_normalisation(text):
    assert code_key(text) == normalise(text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
)
def test_an_expired_appraisal_never_raises_value(books, estimate, expired):
    """Whatever the rates, valuing with an expired appraisal gives at most the line estimate."""
    df = lines([str(b) for b in books], [FG] * len(books))
    plain = terms(categories=[{"category": FG, "nrv_pct_of_cost": str(estimate)}])
    capped = terms(
        categories=[{"category": FG, "nrv_pct_of_cost": str(estimate), "expired_appraisal_pct": str(expired)}]
    )
    a = valuate(df, plain, as_of=AS_OF).liquidation.liquidation_value
    b = valuate(df, capped, as_of=AS_OF).liquidation.liquidation_value
    assert b <= a
