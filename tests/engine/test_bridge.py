"""Why financing moved (valuation.engine.bridge): hand-worked chains and the property that the
parts always add up to the change, to the cent, whatever the stock, the structure and the caps."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, terms
from tests.engine.test_properties import PROPERTY_SETTINGS, build, stock
from valuation.engine import valuate
from valuation.engine.bridge import (
    CURRENCY,
    RATES_AND_TERMS,
    REASON,
    RESERVES,
    STOCK_LEVEL,
    BridgeError,
    Snapshot,
    bridge,
    snapshot,
)
from valuation.engine.serialize import result_to_dict
from valuation.engine.terms import LiquidityClass

HIGH = LiquidityClass.HIGH
PLEDGE_75_150 = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    "ltv_caps_indicative": True,
}


def shot(book, ineligible, nrv, financing, t, *, outstanding=0, reserves=0, conversions=None) -> Snapshot:
    """A snapshot in cents, eligible = book − Σ ineligible."""
    return Snapshot(
        currency="EUR",
        book=book,
        ineligible=ineligible,
        eligible=book - sum(ineligible.values()),
        nrv_by_class={HIGH: nrv},
        terms=t,
        financing=financing,
        outstanding=outstanding,
        reserves=reserves,
        conversions=conversions or {},
    )


def parts(result):
    return [(p.kind, p.reason, p.change) for p in result.parts]


def test_a_pledge_split_into_stock_level_and_each_reason_hand_worked():
    """Pledge 75 % ÷ 150 % (financing = eligible ÷ 2).
    Earlier: book 10,000.00, obsolete 1,000.00, WIP 500.00 → eligible 8,500.00 → 4,250.00.
    Later:   book 12,000.00, obsolete 1,500.00, WIP 300.00 → eligible 10,200.00 → 5,100.00.
    Stock level: eligible 8,500 + 2,000 = 10,500 → 5,250 (+1,000.00); obsolete +500 excluded →
    10,000 → 5,000 (−250.00); WIP −200 excluded → 10,200 → 5,100 (+100.00). Σ = +850.00."""
    t = terms(PLEDGE_75_150)
    earlier = shot(1_000_000, {"obsolete": 100_000, "wip": 50_000}, 0, 425_000, t, outstanding=400_000)
    later = shot(1_200_000, {"obsolete": 150_000, "wip": 30_000}, 0, 510_000, t, outstanding=450_000)
    result = bridge(earlier, later)
    assert parts(result) == [
        (STOCK_LEVEL, "", 100_000),
        (REASON, "obsolete", -25_000),
        (REASON, "wip", 10_000),
        (RATES_AND_TERMS, "", 0),
        (RESERVES, "", 0),
        (CURRENCY, "", 0),
    ]
    assert result.change == 85_000 == sum(p.change for p in result.parts)
    assert [p.input_change for p in result.parts[:3]] == [200_000, 50_000, -20_000]
    # Availability: +850.00 of financing, 500.00 more drawn → +350.00.
    assert result.availability_change == 35_000


def test_a_borrowing_base_splits_advance_rates_from_reserves_hand_worked():
    """Same stock (eligible 8,000.00, eligible NOLV 6,000.00). Earlier: 50 % of cost (4,000.00)
    below 80 % of NOLV (4,800.00), less 100.00 of reserves → 3,900.00. Later: 60 % of cost
    (4,800.00), NOLV leg 4,800.00, less 300.00 → 4,500.00.
    Rates and terms (60 %, earlier reserves 100.00): 4,800.00 − 100.00 = 4,700.00 (+800.00);
    reserves: 4,500.00 (−200.00). Σ = +600.00."""
    base = {"nolv_advance_rate_pct": "80", "reserves": "100"}
    earlier_terms = terms(
        {
            "structure": "borrowing_base",
            "ltv_caps_indicative": True,
            "borrowing_base": {**base, "cost_advance_rate_pct": "50"},
        }
    )
    later_terms = terms(
        {
            "structure": "borrowing_base",
            "ltv_caps_indicative": True,
            "borrowing_base": {**base, "cost_advance_rate_pct": "60", "reserves": "300"},
        }
    )
    earlier = shot(1_000_000, {"obsolete": 200_000}, 600_000, 390_000, earlier_terms, reserves=10_000)
    later = shot(1_000_000, {"obsolete": 200_000}, 600_000, 450_000, later_terms, reserves=30_000)
    result = bridge(earlier, later)
    assert parts(result) == [
        (STOCK_LEVEL, "", 0),
        (REASON, "obsolete", 0),
        (RATES_AND_TERMS, "", 80_000),
        (RESERVES, "", -20_000),
        (CURRENCY, "", 0),
    ]
    assert result.parts[3].input_change == 20_000


def test_a_weaker_dollar_is_the_currency_part_not_stock_level_hand_worked():
    """A EUR pledge at 100 % / 100 % on 1,000.00 USD of stock: 0.90 EUR per USD earlier
    (900.00 EUR), 0.80 later (800.00 EUR). At the earlier rate the later file is worth 900.00:
    no change of stock; the currency part is −100.00."""
    t = terms()
    earlier = shot(90_000, {}, 0, 90_000, t, conversions={"USD": (100_000, Fraction(9, 10))})
    later = shot(80_000, {}, 0, 80_000, t, conversions={"USD": (100_000, Fraction(8, 10))})
    result = bridge(earlier, later)
    assert parts(result) == [
        (STOCK_LEVEL, "", 0),
        (RATES_AND_TERMS, "", 0),
        (RESERVES, "", 0),
        (CURRENCY, "", -10_000),
    ]


def test_a_limit_that_binds_absorbs_the_stock_increase():
    """Pledge 100 % / 100 % with a 5,000.00 limit: 4,000.00 → 9,000.00 of eligible stock lends
    4,000.00 → 5,000.00; the stock level part is the +1,000.00 the limit lets through."""
    t = terms(facility_limit="5000")
    result = bridge(shot(400_000, {}, 0, 400_000, t), shot(900_000, {}, 0, 500_000, t))
    assert parts(result)[0] == (STOCK_LEVEL, "", 100_000)
    assert result.change == 100_000


def test_figures_that_do_not_follow_from_their_inputs_are_refused():
    t = terms()
    with pytest.raises(BridgeError) as refused:
        bridge(shot(100_000, {}, 0, 100_000, t), shot(100_000, {}, 0, 123_456, t))
    assert refused.value.code == "not_reproducible"
    other = shot(100_000, {}, 0, 100_000, t)
    with pytest.raises(BridgeError):
        bridge(other, Snapshot(**{**other.__dict__, "currency": "CNY"}))


# ------------------------------------------------------------------------ properties, real engine

TERMS = [
    {
        "structure": "pledge_without_dispossession",
        "pledge": {"fungibility_share_pct": "80", "over_collateralisation_pct": "130"},
    },
    {**PLEDGE_75_150, "facility_limit": "20000"},
    {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "100"},
    },
    {
        "structure": "borrowing_base",
        "facility_limit": "50000",
        "ltv_caps_indicative": True,
        "borrowing_base": {"cost_advance_rate_pct": "45", "nolv_advance_rate_pct": "70", "reserves": "0"},
    },
]


def valued(items, terms_dict, method):
    result = valuate(build(items), terms(terms_dict, method=method), as_of=AS_OF)
    return snapshot(result_to_dict(result), terms(terms_dict, method=method), currency="EUR")


@PROPERTY_SETTINGS
@given(stock, stock, st.sampled_from(TERMS), st.sampled_from(TERMS), st.sampled_from(["waterfall", "criteria"]))
def test_the_parts_add_up_to_the_change_in_financing_to_the_cent(items_a, items_b, terms_a, terms_b, method):
    earlier, later = valued(items_a, terms_a, method), valued(items_b, terms_b, method)
    result = bridge(earlier, later)
    assert sum(p.change for p in result.parts) == later.financing - earlier.financing
    assert result.parts[-1].financing_after == later.financing
    assert {p.reason for p in result.parts if p.kind == REASON} == set(earlier.ineligible) | set(later.ineligible)


@PROPERTY_SETTINGS
@given(stock, st.sampled_from(TERMS), st.sampled_from(["waterfall", "criteria"]))
def test_the_same_file_under_the_same_terms_moves_nothing(items, terms_dict, method):
    same = valued(items, terms_dict, method)
    assert all(p.change == 0 for p in bridge(same, same).parts)


@PROPERTY_SETTINGS
@given(stock, stock, st.sampled_from(TERMS))
def test_more_stock_excluded_for_a_reason_never_adds_financing(items_a, items_b, terms_dict):
    result = bridge(valued(items_a, terms_dict, "waterfall"), valued(items_b, terms_dict, "waterfall"))
    for part in result.parts:
        if part.kind == REASON and part.input_change > 0:
            assert part.change <= 0
        if part.kind == REASON and part.input_change < 0:
            assert part.change >= 0
