"""Currency conversion of stock lines into the facility's currency (docs/domain.md, "Currencies and rates").

Pure: no Django. A line's value counts only in the facility's currency, so every line in another
currency is converted at a dated rate from the firm's rate table, or the valuation is refused:
an unconverted amount is never summed as if it were the facility's currency.

Rates are quoted as the ECB does: ``1 base = rate quote`` (1 EUR = 1.0842 USD). The rate for a
stock date is the latest one dated on or before it. A pair is found directly (USD→EUR from a
EUR/USD or a USD/EUR quote, inverted exactly) or, when only EUR-based rates exist, across EUR
(USD→CNY = EUR→CNY ÷ EUR→USD). The effective rate is kept as an exact fraction; each converted
money cell is rounded half-up once, to its own scale (cents for money, ten-thousandths for unit
prices), never rounded again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from valuation.engine.lines import MAX_LINE_CENTS, Lines, Optional, prepare_lines
from valuation.engine.money import div_half_up, mul_div, to_cents, to_decimal
from valuation.engine.result import ValuationResult
from valuation.engine.run import valuate
from valuation.engine.terms import FacilityTerms

PIVOT = "EUR"
# Money columns of ``Lines.decimals`` that are amounts in the line's currency (quantities are not).
MONEY_DECIMALS = (
    "unit_cost",
    "unpaid_amount",
    "resale_unit_price",
    "transport_cost",
    "storage_cost",
    "commission_cost",
)
# mul_div needs a quotient below 2^53: a converted cell above the engine's line bound is refused.
_FLOAT_SAFE = 2**53


@dataclass(frozen=True)
class Rate:
    """One quote of the rate table: ``1 base = rate quote`` on ``day``, from ``source``."""

    base: str
    quote: str
    rate: Decimal
    day: date
    source: str = ""


@dataclass(frozen=True)
class Quote:
    """How one currency converts to another: the exact factor and the quotes behind it."""

    source_currency: str
    target_currency: str
    factor: Fraction  # amount in target = amount in source × factor
    legs: tuple[Rate, ...]

    @property
    def day(self) -> date:
        """The date the conversion rests on: the oldest of its quotes."""
        return min(leg.day for leg in self.legs)


@dataclass(frozen=True)
class Conversion:
    """What converting one currency's lines did (stored with the run, shown on the dossier)."""

    currency: str
    target: str
    lines: int
    amount_before: Decimal  # book value in ``currency``
    amount_after: Decimal  # book value in ``target``, each line rounded half-up to the cent
    factor: str  # the exact factor, "num/den"
    legs: tuple[Rate, ...]
    rate_day: date
    age_days: int
    stale: bool

    def to_dict(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["amount_before"] = str(self.amount_before)
        data["amount_after"] = str(self.amount_after)
        data["rate_day"] = self.rate_day.isoformat()
        data["legs"] = [
            {
                "base": leg.base,
                "quote": leg.quote,
                "rate": str(leg.rate),
                "day": leg.day.isoformat(),
                "source": leg.source,
            }
            for leg in self.legs
        ]
        return data


class NoRateError(Exception):
    """No rate converts ``currency`` to ``target`` on or before ``day``."""

    def __init__(self, currency: str, target: str, day: date, lines: int = 0) -> None:
        self.currency = currency
        self.target = target
        self.day = day
        self.lines = lines
        super().__init__(
            f"No {currency}→{target} rate on or before {day.isoformat()}: add one in the rate table "
            "or import the ECB rates."
        )


class ConvertedTooLarge(Exception):
    """A converted line would exceed the engine's bound for one line (a wrong rate, surely)."""

    def __init__(self, currency: str, target: str, row: int) -> None:
        self.currency, self.target, self.row = currency, target, row
        super().__init__(f"Row {row}: its value converted from {currency} to {target} is too large for one line.")


class RateTable:
    """The rate table's quotes, indexed by pair, for lookups on or before a date."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._by_pair: dict[tuple[str, str], list[Rate]] = {}
        for rate in rates:
            if rate.rate <= 0:
                continue  # never a factor; the model refuses them anyway
            self._by_pair.setdefault((rate.base, rate.quote), []).append(rate)
        for quotes in self._by_pair.values():
            quotes.sort(key=lambda r: r.day)

    def _latest(self, base: str, quote: str, day: date) -> Rate | None:
        best = None
        for rate in self._by_pair.get((base, quote), ()):
            if rate.day > day:
                break
            best = rate
        return best

    def _direct(self, source: str, target: str, day: date) -> tuple[Fraction, Rate] | None:
        """source→target from a source/target quote, or a target/source quote inverted; the
        more recent of the two when both exist."""
        forward = self._latest(source, target, day)
        backward = self._latest(target, source, day)
        if forward is not None and (backward is None or forward.day >= backward.day):
            return Fraction(forward.rate), forward
        if backward is not None:
            return 1 / Fraction(backward.rate), backward
        return None

    def quote(self, source: str, target: str, day: date) -> Quote | None:
        """The factor converting ``source`` into ``target`` at ``day``; None without a rate."""
        if source == target:
            return Quote(source, target, Fraction(1), ())
        direct = self._direct(source, target, day)
        if direct is not None:
            return Quote(source, target, direct[0], (direct[1],))
        if PIVOT in (source, target):
            return None
        # Across EUR: source→EUR × EUR→target (USD→CNY = EUR→CNY ÷ EUR→USD), exact.
        first = self._direct(source, PIVOT, day)
        second = self._direct(PIVOT, target, day)
        if first is None or second is None:
            return None
        return Quote(source, target, first[0] * second[0], (first[1], second[1]))


def convert_lines(
    prepared: Lines,
    currencies: pd.Series | None,
    *,
    default_currency: str,
    target: str,
    table: RateTable,
    as_of: date,
    max_age_days: int = 7,
) -> tuple[Lines, tuple[Conversion, ...]]:
    """The lines with every money cell in ``target``, and a record per converted currency.

    ``currencies``: each line's ISO code (same order as ``prepared``; blank or missing means
    ``default_currency``), or None when the file has no currency column. Lines already in
    ``target`` are left exactly as they are. Units: book value and per-line costs in cents, unit
    prices in ten-thousandths; each cell is ``round_half_up(value × factor)`` at its own scale.
    Raises ``NoRateError`` (the first currency without a rate, in code order) or
    ``ConvertedTooLarge``; there is no partial conversion.
    """
    codes = _line_codes(currencies, len(prepared), default_currency)
    found = sorted(set(codes.tolist())) if len(codes) else [default_currency]
    foreign = [c for c in found if c != target]
    if not foreign:
        return prepared, ()
    quotes: dict[str, Quote] = {}
    for code in foreign:
        quote = table.quote(code, target, as_of)
        if quote is None:
            raise NoRateError(code, target, as_of, int(np.count_nonzero(codes == code)))
        quotes[code] = quote
    book = prepared.book.copy()
    decimals = {name: Optional(opt.values.copy(), opt.missing) for name, opt in prepared.decimals.items()}
    conversions = []
    for code in foreign:
        mask = codes == code
        quote = quotes[code]
        num, den = quote.factor.numerator, quote.factor.denominator
        before = int(prepared.book[mask].sum())
        book[mask] = _scaled(prepared.book[mask], num, den, prepared.row[mask], code, target)
        for name in MONEY_DECIMALS:
            if name in decimals:
                column = decimals[name].values
                column[mask] = _scaled(column[mask], num, den, prepared.row[mask], code, target)
        age = (as_of - quote.day).days
        conversions.append(
            Conversion(
                currency=code,
                target=target,
                lines=int(np.count_nonzero(mask)),
                amount_before=to_decimal(before),
                amount_after=to_decimal(int(book[mask].sum())),
                factor=f"{num}/{den}",
                legs=quote.legs,
                rate_day=quote.day,
                age_days=age,
                stale=age > max_age_days,
            )
        )
    return dataclasses.replace(prepared, book=book, decimals=decimals), tuple(conversions)


def _line_codes(currencies: pd.Series | None, n: int, default: str) -> np.ndarray:
    if currencies is None:
        return np.full(n, default, dtype=object)
    values = currencies.astype("string").str.strip().str.upper().fillna("")
    values = values.mask(values == "", default)
    return values.to_numpy(dtype=object)


def _scaled(values: np.ndarray, num: int, den: int, rows: np.ndarray, code: str, target: str) -> np.ndarray:
    """``round_half_up(values × num ÷ den)`` exactly; refused above the engine's per-line bound."""
    if not len(values):
        return values
    # A float estimate is enough to refuse what is far too large; mul_div is exact below it.
    estimate = np.abs(values.astype(np.float64)) * (num / den)
    too_big = estimate >= min(MAX_LINE_CENTS * 10**2, _FLOAT_SAFE / 2)
    if too_big.any():
        raise ConvertedTooLarge(code, target, int(rows[np.flatnonzero(too_big)[0]]))
    big = max(num, den)
    if big >= 2**61:
        # An absurdly precise rate: reduce it to 18 significant digits before the integer maths.
        scale = big // 10**18 + 1
        num, den = max(1, num // scale), max(1, den // scale)
    return mul_div(values, num, den)


def rates_used(conversions: Sequence[Conversion]) -> list[dict[str, object]]:
    """The conversions as JSON for the run's stored result."""
    return [c.to_dict() for c in conversions]


def valuate_converted(
    lines: pd.DataFrame,
    terms: FacilityTerms,
    *,
    as_of: date,
    target: str,
    default_currency: str,
    table: RateTable,
    prepared: Lines | None = None,
    max_age_days: int = 7,
) -> tuple[ValuationResult, tuple[Conversion, ...]]:
    """``valuate`` with every line first converted into ``target`` (the facility's currency).

    The one way a stored or uploaded file is valued: the lines are prepared here under the terms'
    own book-value tolerance (so ``valuate`` always uses the converted arrays and never prepares
    the unconverted frame again), then converted; raises ``NoRateError`` without a rate.
    """
    tolerance = to_cents(terms.book_value_tolerance)
    as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
    if (
        prepared is None
        or prepared.as_of_day != as_of_day
        or prepared.book_value_tolerance_cents != tolerance
        or len(prepared) != len(lines)
    ):
        prepared = prepare_lines(lines, as_of=as_of, book_value_tolerance_cents=tolerance)
    currencies = lines["currency"] if "currency" in lines.columns else None
    converted, conversions = convert_lines(
        prepared,
        currencies,
        default_currency=default_currency,
        target=target,
        table=table,
        as_of=as_of,
        max_age_days=max_age_days,
    )
    return valuate(lines, terms, as_of=as_of, prepared=converted), conversions


def convert_amount(amount: Decimal, quote: Quote) -> Decimal:
    """One amount converted by ``quote``: the exact product, rounded half-up to the cent once
    (a figure already summed per line, such as a run's financing, for reporting only)."""
    exact = Fraction(amount) * 100 * quote.factor
    return to_decimal(div_half_up(exact.numerator, exact.denominator))
