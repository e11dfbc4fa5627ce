"""Display formatting of money and rates: the one place where figures are rounded for people.

Amounts are stored and computed exactly; they are rounded half-up (EU regulation 1103/97 style)
only here, on the way to a screen, a PDF or an export, and formatted for the reader's locale:
1 234 567,89 € in French, €1,234,567.89 in English, ¥1,234,567.89 in Chinese.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal, format_percent

BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB", "zh-hans": "zh_Hans_CN"}
CENT = Decimal("0.01")


def babel_locale(language: str | None) -> str:
    return BABEL_LOCALES.get((language or "en").lower(), "en_GB")


def to_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent: the display rounding policy."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: object, currency: str = "EUR", language: str | None = None) -> str:
    amount = to_decimal(value)
    if amount is None:
        return "—"
    return format_currency(
        round_cents(amount), currency or "EUR", locale=babel_locale(language), decimal_quantization=True
    )


def number(value: object, language: str | None = None, places: int = 2) -> str:
    amount = to_decimal(value)
    if amount is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return format_decimal(
        amount.quantize(quantum, rounding=ROUND_HALF_UP),
        format=f"#,##0.{'0' * places}" if places else "#,##0",
        locale=babel_locale(language),
    )


def percent(value: object, language: str | None = None, places: int = 2) -> str:
    """A rate given in percent (150 means 150 %), shown without trailing zeros."""
    rate = to_decimal(value)
    if rate is None:
        return "—"
    rate = rate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "#,##0." + "#" * places + " %" if places else "#,##0 %"
    return format_percent(rate / 100, format=pattern, locale=babel_locale(language))


def plain_percent(value: Decimal) -> str:
    """'150', '62.5': a percent figure for messages, never in scientific notation."""
    text = format(value.normalize(), "f")
    return text
