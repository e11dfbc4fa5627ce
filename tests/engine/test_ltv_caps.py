"""Loan-to-value caps bind (docs/domain.md, "Loan-to-value caps"), and terms files cannot switch rules off by omission.

Each test shows a case where the unguarded engine would have lent more than the caps allow, or
where a partial / misspelt terms file would have raised the financing, and that it no longer does.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, days_ago, lines
from valuation.engine.errors import TermsError
from valuation.engine.run import valuate
from valuation.engine.terms import DEFAULT_RULES, Rule, terms_from_dict

RM, WIP, FG = "raw_material", "wip", "finished_good"

PLEDGE_100 = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "100", "over_collateralisation_pct": "100"},
}


def _bb(**changes):
    data = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "250000"},
        "categories": [{"category": RM, "nolv_appraisal_pct": "65"}],
        "facility_limit": "5000000",
        "outstanding": "3900000",
    }
    data.update(changes)
    return terms_from_dict(data)


def test_example_b_ltv_cap_binds_at_65_percent_of_nolv():
    """docs/domain.md example B: 8,000,000 cost, NOLV 65 % = 5,200,000; min(60 % × 8,000,000 = 4,800,000;
    85 % × 5,200,000 = 4,420,000) − 250,000 = 4,170,000 = 80.19 % of NOLV. The class is medium,
    cap 65 %: 65 % × 5,200,000 = 3,380,000 is lent, not 4,170,000 (790,000 less)."""
    result = valuate(lines(["8000000"]), _bb(), as_of=AS_OF)
    financing = result.financing
    assert financing.borrowing_base.borrowing_base == Decimal("4170000.00")
    assert financing.financing == Decimal("3380000.00")
    assert financing.ltv.max_financing == Decimal("3380000.00")
    assert financing.ltv.binding is True and financing.ltv.exceeded is False
    assert financing.binding == "ltv_cap"
    # availability follows the bound figure: 3,380,000 − 3,900,000 = −520,000
    assert financing.availability == Decimal("-520000.00")
    assert financing.over_advance is True
    # and so does the all-in cost's basis: the financing drawn is the bound one
    assert "financing capped by the loan-to-value caps at 3380000.00 (structure gives 4170000.00)" in result.warnings


def test_indicative_caps_do_not_bind_and_say_so():
    """Same terms, caps indicative: 4,170,000 lent, 270,000 available, the 80.19 % LTV flagged."""
    financing = valuate(lines(["8000000"]), _bb(ltv_caps_indicative=True), as_of=AS_OF).financing
    assert financing.financing == Decimal("4170000.00")
    assert financing.availability == Decimal("270000.00")
    assert financing.ltv.indicative is True and financing.ltv.exceeded is True
    assert financing.ltv.binding is False
    assert financing.binding == "nolv_leg"


def test_pledge_bound_by_cap_per_class():
    """RM 1,000 (high, 85 %) + FG 1,000 (medium, 65 %), NRV 100 % of cost, pledge 100 %/100 %:
    the pledge gives 2,000; Σ caps = 850 + 650 = 1,500 is lent."""
    terms = terms_from_dict(
        {
            **PLEDGE_100,
            "categories": [
                {"category": RM, "liquidity_class": "high", "nrv_pct_of_cost": "100"},
                {"category": FG, "liquidity_class": "medium", "nrv_pct_of_cost": "100"},
            ],
        }
    )
    financing = valuate(lines(["1000", "1000"], [RM, FG]), terms, as_of=AS_OF).financing
    assert financing.pledge.financing_before_limit == Decimal("2000.00")
    assert financing.financing == Decimal("1500.00")
    assert financing.binding == "ltv_cap"


def test_pledge_without_any_liquidation_value_lends_nothing():
    """No resale price and no category rate: liquidation value 0, so Σ cap × 0 = 0 is lent
    (the unguarded pledge lent 1,000 on it)."""
    financing = valuate(lines(["1000"]), terms_from_dict(PLEDGE_100), as_of=AS_OF).financing
    assert financing.pledge.financing_before_limit == Decimal("1000.00")
    assert financing.financing == Decimal("0.00")


def test_binding_constraint_names_the_leg_or_limit():
    """Cost leg 60 % × 8,000,000 = 4,800,000 < NOLV leg 85 % × 6,400,000 (80 % appraisal, high
    class cap 85 % → 5,440,000 max) → "cost_leg"; a 1,000,000 limit → "facility_limit"."""
    categories = [{"category": RM, "liquidity_class": "high", "nolv_appraisal_pct": "80"}]
    cost = valuate(
        lines(["8000000"]),
        _bb(categories=categories, borrowing_base={"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85"}),
        as_of=AS_OF,
    ).financing
    assert cost.financing == Decimal("4800000.00") and cost.binding == "cost_leg"
    limited = valuate(
        lines(["8000000"]),
        _bb(
            categories=categories,
            borrowing_base={"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85"},
            facility_limit="1000000",
        ),
        as_of=AS_OF,
    ).financing
    assert limited.financing == Decimal("1000000.00") and limited.binding == "facility_limit"


def test_levers_follow_the_bound_figure():
    """RM 1,000 eligible + RM 1,000 defective, NRV 100 % of cost, class high (85 %), pledge
    100 %/100 %. Today 850 is lent (85 % × 1,000); clearing "defective" makes 2,000 eligible, the
    pledge 2,000, the cap 85 % × 2,000 = 1,700: the lever gains 850, not the unbound 1,000."""
    terms = terms_from_dict(
        {**PLEDGE_100, "categories": [{"category": RM, "liquidity_class": "high", "nrv_pct_of_cost": "100"}]}
    )
    result = valuate(lines(["1000", "1000"], defective=[False, True]), terms, as_of=AS_OF)
    assert result.financing.financing == Decimal("850.00")
    lever = next(lever for lever in result.levers if lever.reason == "defective")
    assert lever.amount_made_eligible == Decimal("1000.00")
    assert lever.financing_gain == Decimal("850.00")


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.integers(1, 10**9), min_size=1, max_size=6),
    st.sampled_from(["high", "medium", "low"]),
    st.integers(0, 100),
    st.integers(0, 200),
)
def test_financing_never_exceeds_the_caps(books_cents, klass, cap, nrv_pct):
    """For any stock and any cap, financing ≤ Σ cap × eligible liquidation value."""
    terms = terms_from_dict(
        {
            **PLEDGE_100,
            "categories": [{"category": RM, "liquidity_class": klass, "nrv_pct_of_cost": str(nrv_pct)}],
            "ltv_caps": {klass: str(cap)},
        }
    )
    books = [str(Decimal(c).scaleb(-2)) for c in books_cents]
    financing = valuate(lines(books), terms, as_of=AS_OF).financing
    assert financing.financing <= financing.ltv.max_financing
    assert financing.financing <= financing.ltv.liquidation_value * cap / 100 + Decimal("0.01")


# ----------------------------------------------------------------------------- terms files


def test_readme_one_rule_example_no_longer_switches_the_others_off():
    """The README once showed tightening obsolescence as {"rules": [{"rule": "obsolete", ...}]}:
    read literally, every other rule was off. Stock: 1,000 clean + 400 defective + 300 in transit
    + 200 not owned, all moving; obsolete at 180 days takes nothing. Eligible must be 1,000, not
    1,900: unnamed rules keep their defaults (on)."""
    data = {**PLEDGE_100, "ltv_caps_indicative": True, "rules": [{"rule": "obsolete", "no_movement_days": 180}]}
    terms = terms_from_dict(data)
    assert {s.rule for s in terms.rules} == set(Rule)
    assert all(s.enabled for s in terms.rules)
    assert next(s for s in terms.rules if s.rule == Rule.OBSOLETE).no_movement_days == 180
    # unnamed rules sit at their place in docs/domain.md around the one named
    assert [s.rule for s in terms.rules] == [d.rule for d in DEFAULT_RULES]
    df = lines(
        ["1000", "400", "300", "200"],
        defective=[False, True, False, False],
        in_transit=[False, False, True, False],
        supplier_consignment=[False, False, False, True],
        last_movement_date=[days_ago(10)] * 4,
    )
    result = valuate(df, terms, as_of=AS_OF)
    assert result.eligibility.eligible == Decimal("1000.00")
    assert result.financing.financing == Decimal("1000.00")


def test_a_named_rule_can_still_be_switched_off_and_reordered():
    """Naming a rule with enabled false switches that rule, and only it, off; the order given is
    kept and the rules not named slot in after their default predecessor."""
    terms = terms_from_dict({**PLEDGE_100, "rules": [{"rule": "wip"}, {"rule": "defective", "enabled": False}]})
    order = [str(s.rule) for s in terms.rules]
    assert order.index("wip") < order.index("defective")
    assert [str(s.rule) for s in terms.rules if not s.enabled] == ["defective"]
    assert len(order) == len(Rule)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"rules": [{"rule": "obsolete_stock"}]}, "obsolete_stock"),
        ({"rules": [{"rule": "obsolete", "no_movement": 90}]}, "rules[0].no_movement"),
        ({"obsolete": {"no_movement_days": 90}}, "obsolete"),
        ({"ltv_caps": {"very_high": "95"}}, "very_high"),
        (
            {"criteria": {"mix_ranges": {"make_to_stock": {"Raw materials": {"min_pct": "0", "max_pct": "70"}}}}},
            "Raw materials",
        ),
        ({"criteria": {"count_variance": "3"}}, "criteria.count_variance"),
        ({"ltv_caps_indicative": "yes"}, "ltv_caps_indicative"),
    ],
)
def test_unknown_keys_rules_and_categories_are_refused_by_name(data, named):
    with pytest.raises(TermsError) as raised:
        terms_from_dict({**PLEDGE_100, **data})
    assert named in str(raised.value)


def test_partial_caps_and_mix_ranges_keep_the_defaults_of_what_they_do_not_name():
    """{"ltv_caps": {"high": "80"}} leaves medium 65 % and low 40 % (not 0 % nor unbounded); a
    mix range for finished goods alone keeps the other categories' default ranges."""
    terms = terms_from_dict(
        {
            **PLEDGE_100,
            "ltv_caps": {"high": "80"},
            "criteria": {"mix_ranges": {"make_to_stock": {FG: {"min_pct": "20", "max_pct": "45"}}}},
        }
    )
    assert {str(k): v for k, v in terms.ltv_caps.items()} == {
        "high": Decimal("80"),
        "medium": Decimal("65"),
        "low": Decimal("40"),
    }
    ranges = terms.criteria.ranges_for(terms.borrower.business_model)
    assert ranges[FG].max_pct == Decimal("45")
    assert ranges[WIP].max_pct == Decimal("50") and ranges[RM].max_pct == Decimal("30")
