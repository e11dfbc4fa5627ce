"""Converting lines into the facility's currency: hand-worked figures, the latest-rate rule,
cross rates via EUR, and the guardrail (no rate, no valuation; never a sum of two currencies)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate
from valuation.engine.fx import NoRateError, Rate, RateTable, convert_lines
from valuation.engine.lines import prepare_lines

ECB = [
    Rate("EUR", "USD", Decimal("1.25"), date(2026, 11, 20), "ECB"),
    Rate("EUR", "CNY", Decimal("8"), date(2026, 11, 20), "ECB"),
]


def prep(df: pd.DataFrame):
    return prepare_lines(df, as_of=AS_OF, book_value_tolerance_cents=1)


def test_eur_usd_cny_lines_for_a_eur_facility_hand_worked():
    """EUR 500.00 stays; USD 1,000.00 at 1 EUR = 1.25 USD → 1,000 ÷ 1.25 = 800.00 EUR;
    CNY 1,000.00 at 1 EUR = 8 CNY → 125.00 EUR. Book in EUR = 500 + 800 + 125 = 1,425.00.
    Summed as one currency the book would be 2,500.00: 1,075.00 too high."""
    df = lines(["500", "1000", "1000"], currency=["EUR", "USD", "CNY"])
    converted, conversions = convert_lines(
        prep(df), df["currency"], default_currency="EUR", target="EUR", table=RateTable(ECB), as_of=AS_OF
    )
    assert list(converted.book) == [50_000, 80_000, 12_500]
    by_code = {c.currency: c for c in conversions}
    assert by_code["USD"].amount_before == Decimal("1000.00")
    assert by_code["USD"].amount_after == Decimal("800.00")
    assert by_code["USD"].rate_day == date(2026, 11, 20)
    assert by_code["USD"].legs[0].source == "ECB"
    assert by_code["CNY"].amount_after == Decimal("125.00")
    # Financing at 100 % / 100 % pledge = eligible = 1,425.00, not the 2,500.00 of the old sum.
    result = valuate(df, terms(), as_of=AS_OF, prepared=converted)
    assert result.financing.financing == Decimal("1425.00")
    unguarded = valuate(df, terms(), as_of=AS_OF)
    assert unguarded.financing.financing == Decimal("2500.00") > result.financing.financing


def test_missing_rate_is_refused_naming_currency_and_date():
    df = lines(["100", "100"], currency=["EUR", "GBP"])
    with pytest.raises(NoRateError) as caught:
        convert_lines(prep(df), df["currency"], default_currency="EUR", target="EUR", table=RateTable(ECB), as_of=AS_OF)
    assert caught.value.currency == "GBP"
    assert "No GBP→EUR rate on or before 2026-11-21" in str(caught.value)


def test_latest_rate_on_or_before_the_stock_date_wins_and_age_is_flagged():
    """Rates of 10 and 20 Nov and 30 Nov (after the stock date, 21 Nov): the 20 Nov one serves.
    1 EUR = 2 USD on 20 Nov: 300.00 USD → 150.00 EUR."""
    table = RateTable(
        [
            Rate("EUR", "USD", Decimal("4"), date(2026, 11, 10)),
            Rate("EUR", "USD", Decimal("2"), date(2026, 11, 20)),
            Rate("EUR", "USD", Decimal("1"), date(2026, 11, 30)),
        ]
    )
    df = lines(["300"], currency=["USD"])
    converted, (conv,) = convert_lines(
        prep(df), df["currency"], default_currency="EUR", target="EUR", table=table, as_of=AS_OF
    )
    assert int(converted.book[0]) == 15_000
    assert conv.rate_day == date(2026, 11, 20) and conv.age_days == 1 and not conv.stale
    # With only the 10 Nov rate: 11 days old, flagged stale at the 7-day default.
    old = RateTable([Rate("EUR", "USD", Decimal("4"), date(2026, 11, 10))])
    _, (conv,) = convert_lines(prep(df), df["currency"], default_currency="EUR", target="EUR", table=old, as_of=AS_OF)
    assert conv.stale and conv.age_days == 11
    # Only a rate after the stock date: no rate.
    later = RateTable([Rate("EUR", "USD", Decimal("1"), date(2026, 11, 30))])
    with pytest.raises(NoRateError):
        convert_lines(prep(df), df["currency"], default_currency="EUR", target="EUR", table=later, as_of=AS_OF)


def test_cross_rate_via_eur_is_exact_then_rounded_once():
    """USD→CNY = EUR→CNY ÷ EUR→USD = 7.8123 ÷ 1.0842 (exact fraction 78123/10842).
    100.00 USD × 78123/10842 = 720.5589374... → 720.56 CNY (half-up once). Rounding the cross
    rate first to 7.2056 would give 720.56 too, but 1,000,000.00 USD gives 7,205,589.37 exactly
    against 7,205,600.00 with the rounded rate."""
    table = RateTable(
        [
            Rate("EUR", "USD", Decimal("1.0842"), date(2026, 11, 20), "ECB"),
            Rate("EUR", "CNY", Decimal("7.8123"), date(2026, 11, 19), "ECB"),
        ]
    )
    df = lines(["100", "1000000"], currency=["USD", "USD"])
    converted, (conv,) = convert_lines(
        prep(df), df["currency"], default_currency="CNY", target="CNY", table=table, as_of=AS_OF
    )
    assert list(converted.book) == [72_056, 720_558_937]
    assert Fraction(conv.factor) == Fraction(78123, 10842)
    assert conv.rate_day == date(2026, 11, 19)  # the older of the two legs
    assert [(leg.base, leg.quote) for leg in conv.legs] == [("EUR", "USD"), ("EUR", "CNY")]


def test_inverse_quote_and_money_columns_converted():
    """A facility in USD, lines in EUR (default currency), 1 EUR = 1.25 USD:
    book 80.00 EUR → 100.00 USD; unpaid 40.00 → 50.00; unit cost 0.8 → 1.0000 (ten-thousandths)."""
    df = lines(["80"], unit_cost=["80"], unpaid_amount=["40"], retention_of_title=[True])
    converted, (conv,) = convert_lines(
        prep(df), None, default_currency="EUR", target="USD", table=RateTable(ECB), as_of=AS_OF
    )
    assert int(converted.book[0]) == 10_000
    assert int(converted.decimals["unpaid_amount"].values[0]) == 5_000
    assert int(converted.decimals["unit_cost"].values[0]) == 1_000_000
    assert conv.currency == "EUR" and conv.target == "USD"


def test_same_currency_is_left_untouched():
    df = lines(["123.45"])
    prepared = prep(df)
    converted, conversions = convert_lines(
        prepared, None, default_currency="EUR", target="EUR", table=RateTable([]), as_of=AS_OF
    )
    assert converted is prepared and conversions == ()


@settings(deadline=None)  # each example prepares a frame: slow on a loaded machine, never wrong
@given(
    cents=st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=20),
    rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=4),
)
def test_each_line_is_its_exact_value_rounded_half_up(cents, rate):
    """Property: each converted line = round_half_up(cents ÷ rate), by exact Fraction arithmetic."""
    df = lines([str(Decimal(c).scaleb(-2)) for c in cents], currency=["USD"] * len(cents))
    table = RateTable([Rate("EUR", "USD", rate, date(2026, 11, 20))])
    converted, _ = convert_lines(
        prep(df), df["currency"], default_currency="EUR", target="EUR", table=table, as_of=AS_OF
    )
    for before, after in zip(cents, converted.book, strict=True):
        exact = Fraction(before) / Fraction(rate)
        expected = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert int(after) == expected


def test_convert_amount_half_up_once():
    """962.50 EUR into USD at 1.25: 1,203.125 → 1,203.13; -10.00 USD into EUR: -8.00;
    0.01 USD at 1.25 → 0.008 → 0.01 (half-up)."""
    from valuation.engine.fx import convert_amount

    table = RateTable(ECB)
    assert convert_amount(Decimal("962.50"), table.quote("EUR", "USD", AS_OF)) == Decimal("1203.13")
    assert convert_amount(Decimal("-10.00"), table.quote("USD", "EUR", AS_OF)) == Decimal("-8.00")
    assert convert_amount(Decimal("0.01"), table.quote("USD", "EUR", AS_OF)) == Decimal("0.01")
