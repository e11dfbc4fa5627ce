"""Currencies in a stock file: each line's currency code, and the check that none differs from
the one the file is valued in.

Lines in another currency would need an exchange-rate table to be converted; until one exists,
a file whose lines are not all in the valuation currency is refused, never summed as one
currency. A blank currency cell means the file's currency (chosen at upload).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .report import Problem, Severity

# Spellings ERPs write for a few currencies -> ISO 4217. An ambiguous sign ("$", "¥", "kr") is
# not guessed: it is reported as written, so a person says which currency it is.
_ALIASES: dict[str, str] = {
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "eur€": "EUR",
    "£": "GBP",
    "us$": "USD",
    "usd$": "USD",
    "dollar us": "USD",
    "rmb": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "人民币元": "CNY",
    "chf.": "CHF",
    "fr.": "CHF",
}
_ISO = re.compile(r"^[A-Za-z]{3}$")


def currency_code(cell: str | None, default: str) -> str:
    """The ISO code a cell names: "eur", " EUR ", "€", "Euros" -> "EUR"; blank -> ``default``;
    anything else as written, trimmed (reported, never converted)."""
    text = " ".join((cell or "").split())
    if not text:
        return default
    alias = _ALIASES.get(text.casefold())
    if alias is not None:
        return alias
    return text.upper() if _ISO.match(text) else text


def line_currencies(counts: Mapping[str | None, int], default: str) -> dict[str, int]:
    """Lines per currency code, from the distinct cells of a currency column and their counts."""
    found: dict[str, int] = {}
    for cell, n in counts.items():
        code = currency_code(cell, default)
        found[code] = found.get(code, 0) + int(n)
    return found


def foreign_currency_problem(found: Mapping[str, int], expected: str, column: str | None) -> Problem | None:
    """The error refusing a file with lines in a currency other than ``expected``, naming every
    currency found with its line count; None when every line is in ``expected``."""
    if set(found) <= {expected}:
        return None
    listed = ", ".join(f"{code} ({n:,} line{'s' if n != 1 else ''})" for code, n in sorted(found.items()))
    return Problem(
        severity=Severity.ERROR,
        kind="foreign_currency",
        column=column,
        field="currency",
        value=", ".join(sorted(found)),
        expected=expected,
        message=(
            f"The file's lines are in {listed}; they are valued in {expected}. Lines in another "
            "currency cannot be converted yet (there is no exchange-rate table), so the file is "
            "refused rather than summed as one currency: export the lines in "
            f"{expected}, or one file per currency."
        ),
    )


def no_rate_problem(currency: str, target: str, day: date, lines: int, column: str | None) -> Problem:
    """The error refusing a file with lines in ``currency`` when no rate converts it into the
    facility's ``target`` on or before the stock date: never valued unconverted."""
    return Problem(
        severity=Severity.ERROR,
        kind="no_rate",
        column=column,
        field="currency",
        value=currency,
        expected=f"a {currency}→{target} rate on or before {day.isoformat()}",
        message=(
            f"No {currency}→{target} rate on or before {day.isoformat()} ({lines:,} "
            f"line{'s' if lines != 1 else ''} in {currency}): add one in the rate table or import "
            "the ECB rates, then process the file again."
        ),
    )


def unknown_currency_problem(found: Mapping[str, int], column: str | None) -> Problem:
    """The error refusing lines whose currency is not an ISO 4217 code ("$", "¥"): which one
    is meant is not guessed, so they cannot be converted."""
    listed = ", ".join(f"{code} ({n:,} line{'s' if n != 1 else ''})" for code, n in sorted(found.items()))
    return Problem(
        severity=Severity.ERROR,
        kind="unknown_currency",
        column=column,
        field="currency",
        value=", ".join(sorted(found)),
        expected="a three-letter ISO 4217 code",
        message=(
            f"The currency of some lines is not an ISO 4217 code: {listed}. Write the code "
            "(USD, CAD, JPY, CNY…) so the lines can be converted at a dated rate."
        ),
    )
