"""Named reserves (docs/domain.md, "Financing structures", borrowing base) and the all-in cost on the
average drawn amount. Every figure is worked by hand in the test's docstring or comment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate
from valuation.engine.errors import TermsError
from valuation.engine.terms import CARRIED_OVER_REASON, ReserveKind, terms_from_dict, terms_to_dict

# Eligible 8,000,000 at three sites; NOLV appraised at 65 % of cost → 5,200,000.
# Cost leg 60 % × 8,000,000 = 4,800,000; NOLV leg 85 % × 5,200,000 = 4,420,000 (binds).
BOOKS = ["6000000", "1000000", "1000000"]
SITES = ["LYO", "MAR", "TOU"]


def _stock():
    return lines(BOOKS, warehouse=SITES)


def _bb(reserves, **changes):
    data = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": reserves},
        "categories": [{"category": "raw_material", "nolv_appraisal_pct": "65"}],
    }
    data.update(changes)
    return terms_from_dict(data)


RESERVES = [
    {"kind": "shrink", "pct": "2"},
    {"kind": "rent", "site": "MAR", "monthly_rent": "12500", "months": 3},
    {"kind": "rent", "site": "TOU", "monthly_rent": "12500"},  # months default to 3
    {"kind": "priority_payables", "amount": "40000"},
    {"kind": "other", "amount": "10000", "reason": "field exam finding: stock of a disputed supplier"},
]


def test_named_reserves_each_with_its_basis_and_their_sum_subtracted():
    """Shrink 2 % × 8,000,000 = 160,000; rent 2 sites × 12,500 × 3 = 75,000; priority payables
    40,000; other 10,000 → Σ 285,000; borrowing base = min(4,800,000; 4,420,000) − 285,000 =
    4,135,000."""
    base = valuate(_stock(), _bb(RESERVES), as_of=AS_OF).financing.borrowing_base
    amounts = [(r.kind, r.site, r.amount) for r in base.named_reserves]
    assert amounts == [
        ("shrink", "", Decimal("160000.00")),
        ("rent", "MAR", Decimal("37500.00")),
        ("rent", "TOU", Decimal("37500.00")),
        ("priority_payables", "", Decimal("40000.00")),
        ("other", "", Decimal("10000.00")),
    ]
    shrink, rent = base.named_reserves[0], base.named_reserves[1]
    assert (shrink.pct, shrink.basis_amount) == (Decimal("2"), Decimal("8000000.00"))
    assert (rent.months, rent.basis_amount, rent.site_excluded) == (3, Decimal("12500"), False)
    assert base.named_reserves[4].reason.startswith("field exam finding")
    assert base.reserves == Decimal("285000.00")
    assert base.nolv_leg == Decimal("4420000.00")
    assert base.after_reserves == Decimal("4135000.00")
    assert base.borrowing_base == Decimal("4135000.00")


def test_shrink_is_rounded_half_up_to_the_cent():
    """2.5 % of 1,000.10 = 25.0025 → 25.00; 2.5 % of 1,000.30 = 25.0075 → 25.01 (half-up)."""
    for book, expected in (("1000.10", "25.00"), ("1000.30", "25.01")):
        t = _bb([{"kind": "shrink", "pct": "2.5"}])
        base = valuate(lines([book]), t, as_of=AS_OF).financing.borrowing_base
        assert base.named_reserves[0].amount == Decimal(expected)


def test_a_rent_reserve_without_a_rent_excludes_the_site_instead_of_financing_it():
    """MAR's rent is unknown. Unguarded, MAR's 1,000,000 would be financed behind a zero reserve:
    min(4,800,000; 4,420,000) − (160,000 + 37,500 + 40,000 + 10,000) = 4,172,500. Guarded, MAR is
    excluded: eligible 7,000,000, NOLV 65 % → 4,550,000; legs 4,200,000 and 3,867,500; reserves
    shrink 2 % × 7,000,000 = 140,000 + TOU 37,500 + 40,000 + 10,000 = 227,500 → 3,640,000."""
    reserves = [dict(r) for r in RESERVES]
    reserves[1] = {"kind": "rent", "site": "MAR"}
    result = valuate(_stock(), _bb(reserves), as_of=AS_OF)
    base = result.financing.borrowing_base
    assert result.eligibility.eligible == Decimal("7000000.00")
    location = next(r for r in result.eligibility.by_reason if r.reason == "location")
    assert location.amount == Decimal("1000000.00")
    mar = base.named_reserves[1]
    assert (mar.site, mar.amount, mar.site_excluded) == ("MAR", Decimal("0.00"), True)
    assert base.reserves == Decimal("227500.00")
    assert base.borrowing_base == Decimal("3640000.00")
    assert base.borrowing_base < Decimal("4172500.00")
    assert "site MAR has a rent reserve but no monthly rent: its stock is excluded" in result.warnings


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"method": "criteria"}, "borrowing_base.reserves[0].monthly_rent"),
        ({"rules": [{"rule": "location", "enabled": False}]}, "borrowing_base.reserves[0].monthly_rent"),
    ],
)
def test_an_unknown_rent_is_refused_where_the_site_cannot_be_excluded(changes, setting):
    """Under the criteria method, or with the location rule off, the site's stock could not be
    excluded: the terms are refused, naming the reserve, rather than financing it unreserved."""
    with pytest.raises(TermsError) as caught:
        _bb([{"kind": "rent", "site": "MAR"}], **changes)
    assert caught.value.setting == setting
    assert "MAR" in caught.value.message


@pytest.mark.parametrize(
    ("reserve", "setting"),
    [
        ({"kind": "other", "amount": "10000"}, "borrowing_base.reserves[0].reason"),
        ({"kind": "other", "amount": "10000", "reason": "   "}, "borrowing_base.reserves[0].reason"),
        ({"kind": "shrink"}, "borrowing_base.reserves[0].pct"),
        ({"kind": "shrink", "pct": "120"}, "borrowing_base.reserves[0].pct"),
        ({"kind": "shrink", "pct": "2", "amount": "100"}, "borrowing_base.reserves[0].amount"),
        ({"kind": "rent", "site": "MAR", "pct": "2"}, "borrowing_base.reserves[0].pct"),
        ({"kind": "rent", "monthly_rent": "1000"}, "borrowing_base.reserves[0].site"),
        ({"kind": "rent", "site": "MAR", "monthly_rent": "1000", "months": 0}, "borrowing_base.reserves[0].months"),
        ({"kind": "rent", "site": "MAR", "monthly_rent": "-1"}, "borrowing_base.reserves[0].monthly_rent"),
        ({"kind": "priority_payables"}, "borrowing_base.reserves[0].amount"),
        ({"kind": "dilution", "amount": "-5"}, "borrowing_base.reserves[0].amount"),
        ({"kind": "landlord", "amount": "5"}, "borrowing_base.reserves[0].kind"),
        ({"kind": "dilution", "amount": "5", "basis": "x"}, "borrowing_base.reserves[0].basis"),
        ({"amount": "5"}, "borrowing_base.reserves[0]"),
    ],
)
def test_a_reserve_that_could_be_misread_is_refused_naming_it(reserve, setting):
    """Nothing about a reserve is silently ignored: a missing input, an input of another kind, an
    unknown key or kind, a negative amount."""
    with pytest.raises(TermsError) as caught:
        _bb([reserve])
    assert caught.value.setting == setting


def test_a_site_with_two_rent_reserves_is_refused():
    with pytest.raises(TermsError) as caught:
        _bb(
            [{"kind": "rent", "site": "MAR", "monthly_rent": "1"}, {"kind": "rent", "site": "MAR", "monthly_rent": "2"}]
        )
    assert caught.value.setting == "borrowing_base.reserves[1].site"


def test_the_old_single_reserves_figure_is_read_as_one_other_reserve_carried_over():
    """Example B with the old shape "reserves": "250000": min(4,800,000; 4,420,000) − 250,000 =
    4,170,000, the reserve named "other" with a reason saying it was carried over."""
    t = _bb("250000")
    assert [(r.kind, r.amount, r.reason) for r in t.borrowing_base.reserves] == [
        (ReserveKind.OTHER, Decimal("250000"), CARRIED_OVER_REASON)
    ]
    base = valuate(lines(["8000000"]), t, as_of=AS_OF).financing.borrowing_base
    assert base.borrowing_base == Decimal("4170000.00")
    assert _bb("0").borrowing_base.reserves == ()


def test_named_reserves_survive_the_terms_dict_round_trip():
    t = _bb(RESERVES)
    assert terms_from_dict(terms_to_dict(t)) == t


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=5_000_000), min_size=1, max_size=4),
    extra=st.integers(min_value=1, max_value=5_000_000),
    shrink=st.decimals(min_value=0, max_value=100, places=2),
)
def test_a_reserve_never_raises_the_borrowing_base(amounts, extra, shrink):
    """Σ reserves is subtracted: adding a reserve or raising the shrink % lowers the base or
    leaves it at zero, and the base is max(lower leg − Σ reserves, 0)."""
    reserves = [{"kind": "priority_payables", "amount": str(a)} for a in amounts]
    before = valuate(_stock(), _bb([*reserves, {"kind": "shrink", "pct": str(shrink)}]), as_of=AS_OF)
    more = [*reserves, {"kind": "dilution", "amount": str(extra)}, {"kind": "shrink", "pct": str(shrink)}]
    after = valuate(_stock(), _bb(more), as_of=AS_OF)
    b, a = before.financing.borrowing_base, after.financing.borrowing_base
    assert a.borrowing_base <= b.borrowing_base
    assert a.reserves == sum((r.amount for r in a.named_reserves), Decimal(0))
    assert a.after_reserves == max(min(a.cost_leg, a.nolv_leg) - a.reserves, Decimal("0.00"))


# ------------------------------------------------------------------------- cost on the drawn amount

COST = {"base_rate_pct": "3.5", "margin_pct": "2", "commitment_fee_pct": "0.5"}


def test_cost_is_charged_on_the_outstanding_when_no_average_drawn_is_given():
    """Financing 1,000,000 (2,000,000 of stock capped by the 1,000,000 limit), outstanding
    600,000. Interest 5.5 % × 600,000 = 33,000; commitment 0.5 % × (1,000,000 − 600,000) = 2,000
    → 35,000 = 5.8333 % of 600,000. Charged on the financing it would have been 55,000."""
    t = terms(facility_limit="1000000", outstanding="600000", cost=COST)
    cost = valuate(lines(["2000000"]), t, as_of=AS_OF).financing_cost
    assert (cost.average_drawn, cost.average_drawn_source) == (Decimal("600000.00"), "outstanding")
    assert (cost.interest, cost.undrawn, cost.commitment_fee) == (
        Decimal("33000.00"),
        Decimal("400000.00"),
        Decimal("2000.00"),
    )
    assert cost.total == Decimal("35000.00")
    assert cost.all_in_pct == Decimal("5.8333")


def test_without_a_limit_the_undrawn_part_is_the_financing_less_the_drawn():
    """No limit: committed = financing 2,000,000; average drawn 500,000 → undrawn 1,500,000,
    fee 0.5 % = 7,500; interest 5.5 % × 500,000 = 27,500; total 35,000 = 7 % of 500,000."""
    t = terms(outstanding="900000", cost={**COST, "average_drawn": "500000"})
    cost = valuate(lines(["2000000"]), t, as_of=AS_OF).financing_cost
    assert (cost.average_drawn_source, cost.committed, cost.undrawn) == (
        "terms",
        Decimal("2000000.00"),
        Decimal("1500000.00"),
    )
    assert (cost.interest, cost.commitment_fee, cost.total) == (
        Decimal("27500.00"),
        Decimal("7500.00"),
        Decimal("35000.00"),
    )
    assert cost.all_in_pct == Decimal("7.0000")


def test_the_undrawn_part_is_never_negative():
    """Average drawn 1,200,000 above the 1,000,000 limit: undrawn 0, no negative fee; interest
    5.5 % × 1,200,000 = 66,000."""
    t = terms(facility_limit="1000000", cost={**COST, "average_drawn": "1200000"})
    cost = valuate(lines(["2000000"]), t, as_of=AS_OF).financing_cost
    assert (cost.undrawn, cost.commitment_fee, cost.interest) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("66000.00"),
    )


@settings(max_examples=60, deadline=None)
@given(
    books=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    sites=st.lists(st.sampled_from(["A", "B", "C"]), min_size=8, max_size=8),
    unrented=st.sets(st.sampled_from(["A", "B", "C"])),
)
def test_no_stock_at_a_site_without_rent_is_ever_eligible(books, sites, unrented):
    """Whatever the stock and whichever sites lack a rent, eligible = book of the other sites, and
    each site without rent is named in a warning."""
    rents = [
        {"kind": "rent", "site": s} if s in unrented else {"kind": "rent", "site": s, "monthly_rent": "100"}
        for s in ("A", "B", "C")
    ]
    frame = lines([str(b) for b in books], warehouse=sites[: len(books)])
    result = valuate(frame, _bb(rents), as_of=AS_OF)
    kept = sum(b for b, s in zip(books, sites, strict=False) if s not in unrented)
    assert result.eligibility.eligible == Decimal(kept).quantize(Decimal("0.01"))
    for site in unrented:
        assert f"site {site} has a rent reserve but no monthly rent: its stock is excluded" in result.warnings
