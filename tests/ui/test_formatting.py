"""Figures and dates per locale, hand-worked: money in the reader's language AND the amount's
currency, half-up to the currency's minor unit; Django's own date filter agrees with ours."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from borrowers.common import formatting

NNBSP, NBSP = "\u202f", "\xa0"


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        # French: groups split by a narrow no-break space, a no-break space before the symbol.
        ("fr", "EUR", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        ("fr", "CNY", f"1{NNBSP}234{NNBSP}567,89{NBSP}CNY"),
        ("en", "EUR", "€1,234,567.89"),
        ("en", "CNY", "CN¥1,234,567.89"),
        ("zh-hans", "CNY", "¥1,234,567.89"),
        ("zh-hans", "EUR", "€1,234,567.89"),
        ("zh-hans", "USD", "US$1,234,567.89"),
    ],
)
def test_money_follows_the_readers_language_and_the_amounts_currency(language, currency, expected):
    assert formatting.money(Decimal("1234567.885"), currency, language) == expected


def test_french_money_reads_as_the_issue_writes_it_once_spaces_are_plain():
    text = formatting.money(Decimal("1234567.89"), "EUR", "fr")
    assert text.replace(NNBSP, " ").replace(NBSP, " ") == "1 234 567,89 €"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("2.345", "€2.35"),  # half-up: Python's default and babel's half-even would give 2.34
        ("2.355", "€2.36"),
        ("-2.345", "-€2.35"),  # half away from zero on the negative side too
        ("0.005", "€0.01"),
        ("0.004999", "€0.00"),
        ("-0.004", "€0.00"),  # rounds to zero: no minus sign on a nil amount
        ("1000000", "€1,000,000.00"),
        (7, "€7.00"),
        ("  12.5 ", "€12.50"),
    ],
)
def test_money_is_rounded_half_up_to_the_cent(amount, expected):
    assert formatting.money(amount, "EUR", "en") == expected


def test_currencies_without_cents_round_half_up_to_the_unit():
    assert formatting.money(Decimal("2.5"), "JPY", "en") == "JP¥3"
    assert formatting.money(Decimal("1234.49"), "JPY", "fr") == f"1{NNBSP}234{NBSP}JPY"


@pytest.mark.parametrize("bad", [None, "", "abc", "NaN", "Infinity", True, object()])
def test_missing_or_non_numeric_values_show_a_dash_not_an_error(bad):
    assert formatting.money(bad, "EUR", "fr") == "—"
    assert formatting.number(bad, "fr") == "—"
    assert formatting.percent(bad, "fr") == "—"
    assert formatting.day(bad, "fr") == "—"


def test_unknown_language_falls_back_to_english():
    assert formatting.money(Decimal("1"), "EUR", "de") == "€1.00"
    assert formatting.money(Decimal("1"), "EUR", None) == "€1.00"


@pytest.mark.parametrize(
    ("language", "places", "expected"),
    [
        ("fr", 2, f"1{NNBSP}234{NNBSP}567,89"),
        ("en", 2, "1,234,567.89"),
        ("zh-hans", 2, "1,234,567.89"),
        ("en", 0, "1,234,568"),
        ("fr", 3, f"1{NNBSP}234{NNBSP}567,885"),
    ],
)
def test_numbers_have_exactly_the_decimals_asked_for(language, places, expected):
    assert formatting.number(Decimal("1234567.885"), language, places) == expected


@pytest.mark.parametrize(
    ("language", "rate", "expected"),
    [
        ("fr", "62.5", f"62,5{NBSP}%"),
        ("en", "62.5", "62.5%"),
        ("zh-hans", "62.5", "62.5%"),
        ("en", "150.000", "150%"),  # no trailing zeros
        ("en", "12.345", "12.35%"),  # half-up
        ("fr", "1234.5", f"1{NNBSP}234,5{NBSP}%"),
    ],
)
def test_rates_are_in_percent_with_the_locales_layout(language, rate, expected):
    assert formatting.percent(Decimal(rate), language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "31/12/2026"), ("en", "31 Dec 2026"), ("zh-hans", "2026年12月31日")],
)
def test_dates_per_locale(language, expected):
    assert formatting.day(dt.date(2026, 12, 31), language) == expected


def test_a_moment_is_shown_in_the_projects_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris (UTC+1 in winter).
    moment = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert formatting.day_time(moment, "fr") == "01/01/2027 00:30"
    assert formatting.day_time(moment, "en") == "1 Jan 2027, 00:30"
    assert formatting.day_time(moment, "zh-hans") == "2027年1月1日 00:30"
    assert formatting.day(moment, "en") == "1 Jan 2027"


RENDER = (
    "{% load figures %}{{ amount|money:currency }}|{{ rate|pct }}|{{ qty|num:0 }}|{{ when|day }}|"
    "{{ when|date }}|{{ when|date:'SHORT_DATE_FORMAT' }}|{{ missing|money:currency }}"
)


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("fr", "EUR", f"1{NNBSP}234,50{NBSP}€|62,5{NBSP}%|1{NNBSP}235|31/12/2026|31/12/2026|31/12/2026|—"),
        ("en", "EUR", "€1,234.50|62.5%|1,235|31 Dec 2026|31 Dec 2026|31/12/2026|—"),
        ("zh-hans", "CNY", "¥1,234.50|62.5%|1,235|2026年12月31日|2026年12月31日|2026/12/31|—"),
    ],
)
def test_template_filters_and_djangos_date_filter_agree_per_language(language, currency, expected):
    context = Context(
        {
            "amount": Decimal("1234.5"),
            "currency": currency,
            "rate": Decimal("62.5"),
            "qty": Decimal("1234.5"),
            "when": dt.date(2026, 12, 31),
            "missing": None,
        }
    )
    with translation.override(language):
        assert Template(RENDER).render(context) == expected


def _parse_back(text: str, language: str) -> Decimal:
    """Read a formatted amount back by hand: drop symbols and group separators, then the decimal
    comma (fr) or point (en, zh) becomes a point."""
    sign = "-" if "-" in text else ""
    decimal_mark = "," if language == "fr" else "."
    digits = re.sub(rf"[^0-9{re.escape(decimal_mark)}]", "", text).replace(decimal_mark, ".")
    return Decimal(sign + digits)


@given(
    amount=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False, allow_infinity=False
    ),
    language=st.sampled_from(["fr", "en", "zh-hans"]),
    currency=st.sampled_from(["EUR", "CNY", "USD"]),
)
def test_formatting_never_changes_the_value_beyond_half_up_rounding(amount, language, currency):
    """Parsed back, the text is exactly the amount quantised half-up to the cent."""
    text = formatting.money(amount, currency, language)
    expected = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _parse_back(text, language) == expected
    if expected == 0:  # "-0.00" would read as a loss
        assert "-" not in text


@given(
    value=st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False),
    places=st.integers(min_value=0, max_value=3),
    language=st.sampled_from(["fr", "en", "zh-hans"]),
)
def test_numbers_parse_back_to_the_half_up_quantised_value(value, places, language):
    text = formatting.number(value, language, places)
    expected = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert _parse_back(text, language) == expected
