"""Exact money arithmetic: the one place where StockPledge rounds.

Policy (docs/domain.md, "Rounding"): amounts are integer cents; every rounding is half-up, meaning
half away from zero as in ``decimal.ROUND_HALF_UP`` (EU regulation 1103/97 style); each line is
rounded to the cent before anything is summed (that is what makes screen, database and PDF
totals agree: each of them adds the same rounded line amounts). Nothing here ever passes a money
value through a float: floats only *estimate* a quotient that integer arithmetic then corrects
exactly.

Fixed-point scales: a value at scale ``d`` is stored as ``round_half_up(value × 10^d)`` in int64.
Quantities use 3 decimals, unit prices 4, money 2 (``columns.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# int64 holds 9.22e18; keep a margin so sums of a few million lines cannot overflow either.
MAX_SCALED_DIGITS = 18
INT64_SAFE = 2**62

_DECIMAL_TEXT = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_DECIMAL_PARTS = r"^(?P<sign>[+-]?)(?P<int>\d*)\.?(?P<frac>\d*)$"


@dataclass(frozen=True)
class ScaledColumn:
    """A decimal column parsed to fixed point: ``values[i] = round_half_up(x_i × 10^decimals)``.

    ``missing`` marks empty cells (their value is 0); ``invalid`` marks cells that are not decimal
    numbers or whose magnitude would not fit in int64 at this scale (their value is 0 too).
    """

    values: np.ndarray
    missing: np.ndarray
    invalid: np.ndarray


def parse_scaled(series: pd.Series, decimals: int) -> ScaledColumn:
    """Parse a decimal column to int64 at ``decimals`` places, rounding extra digits half-up.

    Accepts normalised decimal text (the canonical form: ``"-12.5"``, no exponent, no thousands
    separator) and, for hand-built frames, integer, float, Decimal or object columns, which are
    turned into text first (floats through their shortest repr, so ``0.1`` reads as ``0.1``).
    Vectorised with Arrow compute: no per-row Python on the text path.
    """
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return _scale_integers(series.to_numpy(dtype=np.int64), decimals)
    text = _as_arrow_text(series)
    return _parse_text(text, decimals)


def _scale_integers(ints: np.ndarray, decimals: int) -> ScaledColumn:
    limit = 10 ** (MAX_SCALED_DIGITS - decimals)
    invalid = np.abs(ints) >= limit
    values = np.where(invalid, 0, ints) * (10**decimals)
    return ScaledColumn(values, np.zeros(len(ints), dtype=bool), invalid)


def _as_arrow_text(series: pd.Series) -> pa.Array:
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return pa.array(series, type=pa.large_string(), from_pandas=True)
    # Hand-built frames (tests, notebooks): a slow but exact path through each value's text.
    texts = [None if _is_missing(v) else _value_text(v) for v in series.tolist()]
    return pa.array(texts, type=pa.large_string())


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _value_text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return np.format_float_positional(value, trim="-")
    return str(value)


def _parse_text(text: pa.Array, decimals: int) -> ScaledColumn:
    fast = _parse_clean_text(text, decimals)
    if fast is not None:
        return fast
    return _parse_any_text(text, decimals)


def _parse_clean_text(text: pa.Array, decimals: int) -> ScaledColumn | None:
    """Arrow's own string → decimal128 cast: ~20× faster than the regex path, exact.

    It refuses the whole column on the first cell it cannot take exactly (blank, spaces, more
    decimals than the scale): then None, and the regex path finds and rounds each cell.
    Exponents, which Arrow would accept, are not canonical: they go to the regex path too.
    """
    if _may_hold_exponent(text):
        return None
    try:
        scaled = pc.cast(text, pa.decimal128(38, decimals))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if isinstance(scaled, pa.ChunkedArray):
        scaled = scaled.combine_chunks()
    # A decimal128 is a 16-byte two's-complement integer of the unscaled value: read its words.
    words = np.frombuffer(
        scaled.buffers()[1], dtype=np.int64, count=2 * len(scaled), offset=scaled.offset * 16
    ).reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    missing = scaled.is_null().to_numpy(zero_copy_only=False)
    limit = 10**MAX_SCALED_DIGITS
    invalid = ~missing & ((high != (low >> 63)) | (np.abs(low) >= limit))
    values = np.where(missing | invalid, 0, low).astype(np.int64)
    return ScaledColumn(values, missing, invalid)


def _may_hold_exponent(text: pa.Array) -> bool:
    """True when any byte of the column's character data is "e" or "E".

    One numpy pass over the raw UTF-8 buffer, ten times cheaper than a string kernel; bytes
    outside a sliced array can only cause a needless slow path, never a wrong value.
    """
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    for chunk in chunks:
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if np.any((raw | 0x20) == ord("e")):
            return True
    return False


def _parse_any_text(text: pa.Array, decimals: int) -> ScaledColumn:
    """Regex path: trims spaces, rounds extra decimals half-up, flags anything else."""
    text = pc.utf8_trim_whitespace(text)
    missing = pc.fill_null(pc.equal(text, ""), True)
    valid = pc.fill_null(pc.match_substring_regex(text, _DECIMAL_TEXT), False)
    safe = pc.if_else(valid, text, "0")
    parts = pc.extract_regex(safe, _DECIMAL_PARTS)
    int_text = pc.struct_field(parts, "int")
    frac_text = pc.struct_field(parts, "frac")
    # Too many integer digits would overflow int64 once scaled: flag it instead of wrapping.
    too_big = pc.greater(pc.utf8_length(pc.utf8_ltrim(int_text, "0")), MAX_SCALED_DIGITS - decimals)
    usable = pc.and_(valid, pc.invert(too_big))
    int_text = pc.if_else(pc.and_(usable, pc.not_equal(int_text, "")), int_text, "0")
    # Keep one digit beyond the scale: half-up only ever depends on the first dropped digit.
    frac_text = pc.utf8_slice_codeunits(pc.utf8_rpad(frac_text, decimals + 1, "0"), 0, decimals + 1)
    frac_text = pc.if_else(usable, frac_text, "0")
    int_part = pc.cast(int_text, pa.int64()).to_numpy(zero_copy_only=False)
    frac_part = pc.cast(frac_text, pa.int64()).to_numpy(zero_copy_only=False)
    magnitude = int_part * (10**decimals) + frac_part // 10 + (frac_part % 10 >= 5)
    negative = pc.equal(pc.struct_field(parts, "sign"), "-").to_numpy(zero_copy_only=False)
    values = np.where(negative, -magnitude, magnitude).astype(np.int64)
    missing_np = missing.to_numpy(zero_copy_only=False).astype(bool)
    invalid_np = ~usable.to_numpy(zero_copy_only=False).astype(bool) & ~missing_np
    values[missing_np | invalid_np] = 0
    return ScaledColumn(values, missing_np, invalid_np)


def mul_div(a: np.ndarray | int, b: np.ndarray | int, c: np.ndarray | int, *, half_up: bool = True) -> np.ndarray:
    """Exact ``a × b ÷ c`` element-wise in int64, rounded half-up (or floored), without overflow.

    ``a × b`` may exceed int64 (it often does: a quantity in thousandths times a price in
    ten-thousandths); the quotient must fit. A float64 estimate of the quotient is corrected with
    the exact remainder, computed in wrapping int64 arithmetic: the remainder is small, so the
    wrap-around cancels out. Requires ``0 < c < 2**61`` (scalar or per line) and
    ``|quotient| < 2**53``.
    """
    c = np.asarray(c, dtype=np.int64)
    a_arr = np.asarray(a, dtype=np.int64)
    b_arr = np.asarray(b, dtype=np.int64)
    sign = np.sign(a_arr) * np.sign(b_arr)
    a_abs = np.abs(a_arr)
    b_abs = np.abs(b_arr)
    estimate = np.floor(a_abs.astype(np.float64) * b_abs.astype(np.float64) / c).astype(np.int64)
    with np.errstate(over="ignore"):
        remainder = a_abs * b_abs - estimate * c
    correction, remainder = np.divmod(remainder, c)
    quotient = estimate + correction
    if half_up:
        quotient = quotient + (2 * remainder >= c)
    return (sign * quotient).astype(np.int64)


def mul_div_remainder(a: int, b: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact floor ``(a × b) // c`` and remainder ``(a × b) % c`` for non-negative operands."""
    b_arr = np.asarray(b, dtype=np.int64)
    estimate = np.floor(float(a) * b_arr.astype(np.float64) / c).astype(np.int64)
    with np.errstate(over="ignore"):
        remainder = np.int64(a) * b_arr - estimate * np.int64(c)
    correction, remainder = np.divmod(remainder, c)
    return estimate + correction, remainder


def div_half_up(numerator: int, denominator: int) -> int:
    """Python-int division rounded half away from zero; the scalar twin of ``mul_div``."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


def pct_ratio(pct: Decimal) -> tuple[int, int]:
    """A percentage as an exact fraction ``num / den`` of one (``Decimal("37.5")`` → 3/8)."""
    num, den = pct.as_integer_ratio()
    return num, den * 100


def apply_pct(cents: int, pct: Decimal) -> int:
    """``pct`` % of an amount in cents, rounded half-up to the cent (scalar, exact)."""
    num, den = pct_ratio(pct)
    return div_half_up(cents * num, den)


def apply_pct_lines(cents: np.ndarray, pct: Decimal | np.ndarray) -> np.ndarray:
    """``pct`` % of each line's cents, each line rounded half-up to the cent (vectorised).

    ``pct`` is one Decimal or an int64 array of percentages in ten-thousandths of a percent
    (``pct_to_micro``), for per-line rates such as a per-category rate.
    """
    if isinstance(pct, Decimal):
        num, den = pct_ratio(pct)
        return mul_div(cents, num, den)
    return mul_div(cents, pct, 100 * PCT_SCALE)


# Percentages are validated to at most 4 decimal places, so 10^4 × pct is an exact integer.
PCT_SCALE = 10_000


def pct_to_micro(pct: Decimal) -> int:
    """A percentage (≤ 4 decimals) as an integer in ten-thousandths of a percent."""
    return int(pct * PCT_SCALE)


def share_pct(part_cents: int, whole_cents: int, places: int = 2) -> Decimal:
    """``part ÷ whole`` as a percentage, rounded half-up to ``places`` (display only)."""
    if whole_cents == 0:
        return Decimal(0)
    scaled = div_half_up(part_cents * 100 * 10**places, whole_cents)
    return Decimal(scaled).scaleb(-places)


def ratio(numerator: int, denominator: int, places: int = 4) -> Decimal | None:
    """``numerator ÷ denominator`` rounded half-up to ``places``; None when undefined."""
    if denominator == 0:
        return None
    return Decimal(div_half_up(numerator * 10**places, denominator)).scaleb(-places)


def to_decimal(cents: int | np.integer) -> Decimal:
    """Integer cents to a 2-place Decimal: the only way money leaves the engine."""
    return Decimal(int(cents)).scaleb(-2)


def to_cents(amount: Decimal | int | str) -> int:
    """A money amount to integer cents, rounding half-up (terms and hand inputs)."""
    quantised = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(quantised.scaleb(2))


def allocate(amount: int, weights: np.ndarray) -> np.ndarray:
    """Split ``amount`` cents across lines pro rata to ``weights`` (cents), to the cent.

    Largest-remainder method: every line gets the floor of its exact share, and the cents left
    over go one each to the lines with the largest remainders (ties to the earlier line), so the
    parts add up to ``amount`` exactly and no line gets more than its weight when
    ``amount ≤ Σ weights``.
    """
    weights = np.asarray(weights, dtype=np.int64)
    parts = np.zeros(len(weights), dtype=np.int64)
    total = int(weights.sum())
    if amount <= 0 or total <= 0:
        return parts
    if amount >= total:
        return weights.copy()
    parts, remainders = mul_div_remainder(amount, weights, total)
    leftover = amount - int(parts.sum())
    if leftover:
        order = np.argsort(-remainders, kind="stable")[:leftover]
        parts[order] += 1
    return parts
