"""Display formatting of money, numbers, rates and dates: the one place where figures are rounded
for people.

Amounts are stored and computed exactly; they are rounded half-up (EU regulation 1103/97 style)
only here, on the way to a screen, a PDF or an export, to the currency's minor unit (cents for EUR
and CNY, none for JPY), and laid out the CLDR way for the reader's language (babel), whatever the
currency:

    fr       1 234 567,89 €    (groups split by U+202F narrow no-break space, U+00A0 no-break space
                                before the symbol: CLDR's French, so a figure never wraps)
    en       €1,234,567.89     (English as written in Britain and Europe, en_GB)
    zh-hans  ¥1,234,567.89 for CNY, €1,234,567.89 for EUR

Dates: fr 31/12/2026, en 31 Dec 2026, zh-hans 2026年12月31日; Django's own `date` filter and
`{{ value }}` rendering say the same through borrowers/formats (FORMAT_MODULE_PATH).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_precision
from babel.numbers import parse_pattern as _parse_number_pattern
from django.utils import timezone

BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB", "zh-hans": "zh_Hans_CN"}
CENT = Decimal("0.01")
MISSING = "—"

# One date layout per language (CLDR skeletons, written out so they never drift between babel
# releases); the same layouts are given to Django in borrowers/formats/<lang>/formats.py.
DATE_PATTERNS = {"fr": "dd/MM/y", "en": "d MMM y", "zh-hans": "y年M月d日"}
DATETIME_SEPARATORS = {"fr": " ", "en": ", ", "zh-hans": " "}


def _language(language: str | None) -> str:
    code = (language or "en").lower()
    return code if code in BABEL_LOCALES else "en"


def babel_locale(language: str | None) -> str:
    return BABEL_LOCALES[_language(language)]


def to_decimal(value: object) -> Decimal | None:
    """The exact Decimal of value (int, str, Decimal; floats through their repr), None when absent
    or not a finite number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Half-up to `places` decimals (2 → cents): the display rounding policy. A value that rounds
    to zero loses its sign, so −0.001 € never shows as "-0,00 €"."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent: the display rounding policy."""
    return round_half_up(value, 2)


def currency_places(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 for EUR, USD, CNY; 0 for JPY (ISO 4217, via CLDR)."""
    return get_currency_precision((currency or "EUR").upper())


def money(value: object, currency: str = "EUR", language: str | None = None) -> str:
    """An amount in its currency for a reader of `language`, half-up to the currency's minor unit."""
    amount = to_decimal(value)
    if amount is None:
        return MISSING
    return _money((currency or "EUR").upper(), babel_locale(language), amount)


@functools.lru_cache(maxsize=8192)
def _money(code: str, locale: str, amount: Decimal) -> str:
    # Memoised: a dashboard formats the same few hundred stored figures on every request, and
    # babel's formatting was a quarter of its CPU (bench/web_bench.py). The text depends only on
    # the amount's value (equal Decimals round alike, and a zero loses its sign), the currency
    # and the locale, so a cached answer is the one babel would give.
    # Quantise first, half-up: babel would otherwise round half-even (2.345 → 2.34).
    rounded = round_half_up(amount, currency_places(code))
    return format_currency(rounded, code, locale=locale, decimal_quantization=True)


def number(value: object, language: str | None = None, places: int = 2) -> str:
    """A quantity or a ratio with exactly `places` decimals, half-up, grouped per locale."""
    amount = to_decimal(value)
    if amount is None:
        return MISSING
    return _number(round_half_up(amount, places), places, babel_locale(language))


@functools.lru_cache(maxsize=8192)
def _number(rounded: Decimal, places: int, locale: str) -> str:
    # Memoised like ``_money``: a history table formats the same stored figures on every request.
    return format_decimal(rounded, format=f"#,##0.{'0' * places}" if places else "#,##0", locale=locale)


def percent(value: object, language: str | None = None, places: int = 2) -> str:
    """A rate given in percent (150 means 150 %), half-up to `places` decimals and shown without
    trailing zeros, with the locale's own percent layout (fr 62,5 %, en 62.5%, zh 62.5%)."""
    rate = to_decimal(value)
    if rate is None:
        return MISSING
    return _percent(round_half_up(rate, places), places, babel_locale(language))


@functools.lru_cache(maxsize=8192)
def _percent(rate: Decimal, places: int, locale: str) -> str:
    # Memoised like ``_money`` (parsing the locale's pattern was most of a call's time).
    pattern = _parse_number_pattern(_percent_pattern(locale))
    pattern.frac_prec = (0, places)
    return format_percent(rate / 100, format=pattern, locale=locale, decimal_quantization=True)


def _percent_pattern(locale: str) -> str:
    return Locale.parse(locale).percent_formats[None].pattern


def day(value: object, language: str | None = None) -> str:
    """A calendar date: fr 31/12/2026, en 31 Dec 2026, zh-hans 2026年12月31日. A datetime is
    shown as its date in the project's time zone."""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    if not isinstance(value, dt.date):
        return MISSING
    return _day(value, _language(language))


@functools.lru_cache(maxsize=8192)
def _day(value: dt.date, code: str) -> str:
    # Memoised like ``_money``: a history labels each stock date several times per request.
    return format_date(value, DATE_PATTERNS[code], locale=babel_locale(code))


def day_time(value: object, language: str | None = None) -> str:
    """A moment, in the project's time zone, to the minute: fr 31/12/2026 14:05, en 31 Dec 2026,
    14:05, zh-hans 2026年12月31日 14:05."""
    if not isinstance(value, dt.datetime):
        return day(value, language)
    local = _local(value)
    code = _language(language)
    return day(local.date(), code) + DATETIME_SEPARATORS[code] + format_time(local, "HH:mm", locale=babel_locale(code))


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return timezone.localtime(value)


def plain_percent(value: Decimal) -> str:
    """'150', '62.5': a percent figure for messages, never in scientific notation."""
    text = format(value.normalize(), "f")
    return text


def rate(value: object, language: str | None = None) -> str:
    """An exchange rate with the decimals it was quoted with, trailing zeros dropped (1.0842,
    163.5, 7.8123), laid out per language; never rounded to fewer decimals than it has."""
    amount = to_decimal(value)
    if amount is None:
        return "—"
    exponent = amount.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number(amount, language, min(places, 8))
