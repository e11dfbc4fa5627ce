"""Site guardrails: undeclared, uninsured and non-dispossessable sites (docs/domain.md, "Ineligible stock").

Every figure is worked by hand in a comment; each test shows what the unguarded engine would have
financed and that it no longer does.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate

WITH_DISPOSSESSION = {
    "structure": "pledge_with_dispossession",
    "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    # Hand-made lines carry no resale price: caps marked indicative, as in tests.engine.helpers.
    "ltv_caps_indicative": True,
}


def amounts(result) -> dict[str, Decimal]:
    return {r.reason: r.amount for r in result.eligibility.by_reason if r.amount}


def status(result, rule: str):
    return next(r for r in result.eligibility.rules if r.reason == rule)


def test_stock_at_an_undeclared_site_is_ineligible_and_named():
    """LYON declared; PARIS not. Before the rule: eligible 1,000 + 600 = 1,600 and, at 100 %/100 %,
    financing 1,600. Now PARIS's 600 is ineligible as undeclared_site: eligible 1,000, financing
    1,000, and a warning names PARIS with its 1 line and 600.00."""
    df = lines(["1000", "600"], warehouse=["LYON", "PARIS"])
    unguarded = valuate(df, terms(rules=[{"rule": "undeclared_site", "enabled": False}]), as_of=AS_OF)
    assert unguarded.financing.financing == Decimal("1600.00")
    result = valuate(df, terms(declared_locations=["LYON"]), as_of=AS_OF)
    assert amounts(result) == {"undeclared_site": Decimal("600.00")}
    assert result.eligibility.eligible == Decimal("1000.00")
    assert result.financing.financing == Decimal("1000.00")
    assert "stock at undeclared site PARIS: 1 line(s), book value 600.00, not eligible" in result.warnings


def test_a_pledge_financing_falls_by_the_undeclared_stock_worked_by_hand():
    """Pledge 75 % fungibility, 150 % over-collateralisation. Book 2,400,000 at LYON + 600,000 at
    PARIS. Unguarded: 3,000,000 × 75 % ÷ 150 % = 1,500,000. Guarded: 2,400,000 × 75 % = 1,800,000
    ÷ 150 % = 1,200,000."""
    df = lines(["2400000", "600000"], warehouse=["LYON", "PARIS"])
    base = {**WITH_DISPOSSESSION, "structure": "pledge_without_dispossession"}
    before = valuate(df, terms(base), as_of=AS_OF)  # no declaration given: nothing refused
    assert before.financing.financing == Decimal("1500000.00")
    after = valuate(df, terms(base, declared_locations=["LYON"]), as_of=AS_OF)
    assert after.financing.financing == Decimal("1200000.00")


def test_codes_are_compared_exactly_after_trimming_so_a_near_miss_is_undeclared():
    """ " LYON " in the file is LYON (the reader trims); "lyon" is not: 10 is refused, 5 kept."""
    df = lines(["5", "10", "20"], warehouse=[" LYON ", "lyon", None])
    result = valuate(df, terms(declared_locations=[" LYON"]), as_of=AS_OF)
    # The blank cell (20) cannot be shown at a declared site either: 10 + 20 = 30 refused.
    assert amounts(result) == {"undeclared_site": Decimal("30.00")}
    assert "stock at undeclared site (none): 1 line(s), book value 20.00, not eligible" in result.warnings


def test_an_empty_declaration_refuses_every_site():
    """A client with no declared site: all 30 refused, financing 0."""
    result = valuate(lines(["10", "20"], warehouse=["A", "B"]), terms(declared_locations=[]), as_of=AS_OF)
    assert result.eligibility.eligible == Decimal("0.00")
    assert result.financing.financing == Decimal("0.00")


def test_without_a_declaration_the_rule_says_so():
    result = valuate(lines(["10"], warehouse=["A"]), terms(), as_of=AS_OF)
    assert status(result, "undeclared_site").note.startswith("no declared sites given")
    assert result.eligibility.eligible == Decimal("10.00")


def test_without_a_warehouse_column_the_site_rules_are_not_assessed_visibly():
    result = valuate(lines(["10"]), terms(declared_locations=["A"]), as_of=AS_OF)
    assert status(result, "undeclared_site").status == "not_assessed"
    assert "rule undeclared_site not assessed: no warehouse column" in result.warnings


def test_a_rules_list_that_does_not_name_the_site_rules_keeps_them_on():
    """An old terms file listing only obsolescence must not switch the guardrails off."""
    df = lines(["10", "20"], warehouse=["A", "PARIS"])
    result = valuate(df, terms(rules=[{"rule": "obsolete"}], declared_locations=["A"]), as_of=AS_OF)
    assert amounts(result) == {"undeclared_site": Decimal("20.00")}


def test_uninsured_stock_is_not_lent_against():
    """A (insured) 700, B (uninsured) 300. Unguarded eligible 1,000; now 700, uninsured 300."""
    df = lines(["700", "300"], warehouse=["A", "B"])
    unguarded = valuate(
        df,
        terms(
            declared_locations=["A", "B"], rules=[{"rule": "uninsured", "enabled": False}], uninsured_locations=["B"]
        ),
        as_of=AS_OF,
    )
    assert unguarded.eligibility.eligible == Decimal("1000.00")
    result = valuate(df, terms(declared_locations=["A", "B"], uninsured_locations=["B"]), as_of=AS_OF)
    assert amounts(result) == {"uninsured": Decimal("300.00")}
    assert result.financing.financing == Decimal("700.00")
    assert "stock at uninsured site B: 1 line(s), book value 300.00, not eligible" in result.warnings


def test_pledge_with_dispossession_cannot_take_stock_that_cannot_be_dispossessed():
    """With dispossession, 75 %/150 %: A 2,000 (dispossession possible), B 1,000 (impossible).
    Unguarded: 3,000 × 75 % ÷ 150 % = 1,500. Guarded: 2,000 × 75 % ÷ 150 % = 1,000, B flagged."""
    df = lines(["2000", "1000"], warehouse=["A", "B"])
    result = valuate(
        df, terms(WITH_DISPOSSESSION, declared_locations=["A", "B"], no_dispossession_locations=["B"]), as_of=AS_OF
    )
    assert amounts(result) == {"dispossession_impossible": Decimal("1000.00")}
    assert result.financing.financing == Decimal("1000.00")
    assert (
        "pledge with dispossession: dispossession is impossible at site B: 1 line(s), "
        "book value 1000.00, not eligible" in result.warnings
    )


def test_dispossession_does_not_matter_to_a_pledge_without_dispossession():
    df = lines(["2000", "1000"], warehouse=["A", "B"])
    result = valuate(df, terms(declared_locations=["A", "B"], no_dispossession_locations=["B"]), as_of=AS_OF)
    assert result.eligibility.eligible == Decimal("3000.00")
    assert status(result, "dispossession_impossible").note == "applies to pledges with dispossession only"


def test_criteria_method_takes_site_stock_out_before_the_discounts():
    """Criteria, count variance 10 %; no other discount has a basis (no dates, no turns, and all
    finished goods sit inside the trading range of 85-100 %). Book A 900 + PARIS 100.
    Unguarded: 1,000 − 10 % × 1,000 = 900 eligible. Guarded: PARIS's 100 out first, then
    10 % × 900 = 90: eligible 810."""
    df = lines(["900", "100"], ["finished_good", "finished_good"], warehouse=["A", "PARIS"])
    base = {
        "structure": "pledge_without_dispossession",
        "method": "criteria",
        "pledge": {"fungibility_share_pct": "100", "over_collateralisation_pct": "100"},
        "criteria": {"count_variance_pct": "10"},
        "borrower": {"business_model": "trading"},
        "ltv_caps_indicative": True,
    }
    unguarded = valuate(df, terms(base), as_of=AS_OF)
    assert unguarded.eligibility.eligible == Decimal("900.00")
    result = valuate(df, terms(base, declared_locations=["A"]), as_of=AS_OF)
    assert amounts(result) == {"undeclared_site": Decimal("100.00"), "record_accuracy": Decimal("90.00")}
    assert result.eligibility.eligible == Decimal("810.00")
    assert result.financing.financing == Decimal("810.00")
    assert "stock at undeclared site PARIS: 1 line(s), book value 100.00, not eligible" in result.warnings
    lines_frame = result.lines.set_index("row")
    assert set(lines_frame["first_reason"].astype(str)) == {"record_accuracy", "undeclared_site"}


@settings(max_examples=60, deadline=None)
@given(
    books=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    sites=st.lists(st.sampled_from(["A", "B", "C", "PARIS", ""]), min_size=12, max_size=12),
    declared=st.lists(st.sampled_from(["A", "B", "C"]), unique=True),
    method=st.sampled_from(["waterfall", "criteria"]),
)
def test_declaring_fewer_sites_never_raises_eligible_or_financing(books, sites, declared, method):
    """Property: removing a site from the declaration never raises eligible stock or financing,
    and book = eligible + Σ ineligible still holds to the cent."""
    df = lines([str(b) for b in books], warehouse=sites[: len(books)])
    base = {**(WITH_DISPOSSESSION), "method": method}
    wide = valuate(df, terms(base, declared_locations=["A", "B", "C"]), as_of=AS_OF)
    narrow = valuate(df, terms(base, declared_locations=declared), as_of=AS_OF)
    assert narrow.eligibility.eligible <= wide.eligibility.eligible
    assert narrow.financing.financing <= wide.financing.financing
    for result in (wide, narrow):
        total = result.eligibility.eligible + sum((r.amount for r in result.eligibility.by_reason), Decimal(0))
        assert total == result.eligibility.book_value


@settings(max_examples=60, deadline=None)
@given(
    books=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    sites=st.lists(st.sampled_from(["A", "B", "C"]), min_size=12, max_size=12),
    uninsured=st.lists(st.sampled_from(["A", "B", "C"]), unique=True),
    no_dispossession=st.lists(st.sampled_from(["A", "B", "C"]), unique=True),
    method=st.sampled_from(["waterfall", "criteria"]),
)
def test_an_uninsured_or_non_dispossessable_site_never_raises_financing(
    books, sites, uninsured, no_dispossession, method
):
    """Property: marking sites uninsured or without dispossession never raises eligible stock
    or financing of a pledge with dispossession."""
    df = lines([str(b) for b in books], warehouse=sites[: len(books)])
    base = {**WITH_DISPOSSESSION, "method": method, "declared_locations": ["A", "B", "C"]}
    clear = valuate(df, terms(base), as_of=AS_OF)
    marked = valuate(
        df, terms(base, uninsured_locations=uninsured, no_dispossession_locations=no_dispossession), as_of=AS_OF
    )
    assert marked.eligibility.eligible <= clear.eligibility.eligible
    assert marked.financing.financing <= clear.financing.financing
