"""Validate a canonical stock-line frame and turn it into integer arrays the engine computes on.

Units of the working arrays: quantities in thousandths (3 decimals), unit prices in
ten-thousandths (4 decimals), money in cents, dates in days since 1970-01-01. Book value of a
line = round_half_up(quantity × unit cost) to the cent, unless the file gives it. Every problem is
collected (up to ``MAX_PROBLEMS``) and raised together, so a borrower fixes its file in one pass.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.engine import columns as cols
from valuation.engine.columns import Category
from valuation.engine.errors import MAX_PROBLEMS, EngineInputError, LineProblem
from valuation.engine.money import ScaledColumn, mul_div, parse_scaled

CATEGORIES: tuple[Category, ...] = tuple(Category)
WIP_CODE = CATEGORIES.index(Category.WIP)

# A line above 10^13 currency units is a unit or decimal-separator mistake, not stock; the
# bound also keeps every sum of a few million lines far inside int64.
MAX_LINE_CENTS = 10**15
MAX_TOTAL_CENTS = 2**62
TOTAL_TOO_BIG = "a total book value that fits the engine (< 4.6e16)"

# Scale (decimal places) of each optional decimal column.
OPTIONAL_DECIMALS: dict[str, int] = {
    "annual_consumption_qty": cols.QUANTITY_DECIMALS,
    "unpaid_amount": cols.MONEY_DECIMALS,
    "resale_unit_price": cols.UNIT_COST_DECIMALS,
    "transport_cost": cols.MONEY_DECIMALS,
    "storage_cost": cols.MONEY_DECIMALS,
    "commission_cost": cols.MONEY_DECIMALS,
}
FLAG_COLUMNS = tuple(name for name, kind in cols.COLUMNS.items() if kind == cols.FLAG)
DATE_COLUMNS = tuple(name for name, kind in cols.COLUMNS.items() if kind == cols.DATE)
# Past events cannot be dated after the valuation date; an expiry date can.
PAST_DATE_COLUMNS = ("last_movement_date", "receipt_date")
MISSING_DAY = np.iinfo(np.int64).min

_TRUE_TEXT = {"true", "1", "yes", "y", "oui", "o", "x"}
_FALSE_TEXT = {"false", "0", "no", "n", "non", ""}


@dataclass(frozen=True)
class Optional:
    """An optional column's values and which lines leave it empty."""

    values: np.ndarray
    missing: np.ndarray


@dataclass(frozen=True)
class Lines:
    """The validated lines as arrays (see the module docstring for units)."""

    row: np.ndarray
    category: np.ndarray  # int8 index into CATEGORIES
    warehouse: np.ndarray  # int32 index into warehouse_labels
    warehouse_labels: tuple[str, ...]
    quantity: np.ndarray
    book: np.ndarray
    as_of_day: int
    present: frozenset[str]
    decimals: dict[str, Optional] = field(default_factory=dict)
    flags: dict[str, Optional] = field(default_factory=dict)
    dates: dict[str, Optional] = field(default_factory=dict)
    book_value_tolerance_cents: int = 0  # the tolerance these lines were checked with
    # int32 index into sub_category_labels (each label as first written, one per code_key);
    # None: no sub_category column, every line is "" (no sub-category).
    sub_category: np.ndarray | None = None
    sub_category_labels: tuple[str, ...] = ("",)

    def __len__(self) -> int:
        return len(self.book)

    def flag_true(self, name: str) -> np.ndarray:
        """Lines where the flag is stated true (empty counts as not stated, hence false)."""
        return self.flags[name].values


class _Problems:
    """Collects line problems, keeping the first ``MAX_PROBLEMS`` and counting them all."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.items: list[LineProblem] = []
        self.total = 0

    def structural(self, column: str, expected: str) -> None:
        self.total += 1
        self.items.append(LineProblem(0, column, "", expected))

    def add(self, column: str, mask: np.ndarray, series: pd.Series | None, expected: str) -> None:
        positions = np.flatnonzero(mask)
        self.total += len(positions)
        room = MAX_PROBLEMS - len(self.items)
        for pos in positions[: max(room, 0)]:
            value = "" if series is None else _cell_text(series.iloc[pos])
            self.items.append(LineProblem(int(self.rows[pos]), column, value, expected))

    def raise_if_any(self) -> None:
        if self.total:
            self.items.sort(key=lambda p: (p.row, p.column))
            raise EngineInputError(self.items, self.total)


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def prepare_lines(frame: pd.DataFrame, *, as_of: date, book_value_tolerance_cents: int) -> Lines:
    """Validate ``frame`` (canonical columns) and return its integer working arrays.

    Raises ``EngineInputError`` listing every bad cell (row, column, value, expected), with
    ``row`` from the frame's ``row`` column or else the 1-based position.
    """
    rows = _row_numbers(frame)
    problems = _Problems(rows)
    for name in cols.REQUIRED:
        if name not in frame.columns:
            problems.structural(name, "a required column")
    if not any(name in frame.columns for name in cols.VALUE_COLUMNS):
        problems.structural("unit_cost", "a unit_cost or book_value column")
    problems.raise_if_any()

    as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
    parsed = _parse_columns(frame)
    category = _categories(frame["category"], problems)
    _require_text(frame["sku"], "sku", problems)
    quantity = _non_negative(frame, parsed, "quantity", problems, required=True)
    book = _book_values(frame, parsed, quantity, problems, book_value_tolerance_cents)
    decimals = {
        name: _optional_decimal(frame, parsed, name, problems) for name in OPTIONAL_DECIMALS if name in frame.columns
    }
    if "unit_cost" in parsed:  # checked by _book_values; kept for storage, which writes every column
        decimals["unit_cost"] = Optional(parsed["unit_cost"].values, parsed["unit_cost"].missing)
    flags = {name: _flag(frame[name], name, problems) for name in FLAG_COLUMNS if name in frame}
    dates = {name: _date(frame[name], name, as_of_day, problems) for name in DATE_COLUMNS if name in frame.columns}
    problems.raise_if_any()
    warehouse, labels = _warehouses(frame)
    sub_category, sub_labels = _sub_categories(frame)
    return Lines(
        row=rows,
        category=category,
        warehouse=warehouse,
        warehouse_labels=labels,
        quantity=quantity,
        book=book,
        as_of_day=as_of_day,
        present=frozenset(frame.columns),
        decimals=decimals,
        flags=flags,
        dates=dates,
        book_value_tolerance_cents=book_value_tolerance_cents,
        sub_category=sub_category,
        sub_category_labels=sub_labels,
    )


def concat_lines(parts: list[Lines]) -> Lines:
    """The lines of a file prepared in slices (``prepare_lines`` on each), as one ``Lines``.

    Warehouse labels are merged in order of first appearance, as ``prepare_lines`` numbers
    them for a whole file. Raises ``EngineInputError`` if the whole file's book value no longer
    fits the engine, which no slice alone could tell.
    """
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    labels: dict[str, int] = {}
    warehouse = []
    for part in parts:
        codes = np.array([labels.setdefault(label, len(labels)) for label in part.warehouse_labels], dtype=np.int32)
        warehouse.append(codes[part.warehouse] if len(codes) else part.warehouse)

    def joined(attribute: str) -> dict[str, Optional]:
        return {
            name: Optional(
                np.concatenate([getattr(p, attribute)[name].values for p in parts]),
                np.concatenate([getattr(p, attribute)[name].missing for p in parts]),
            )
            for name in getattr(first, attribute)
        }

    book = np.concatenate([p.book for p in parts])
    if float(book.sum(dtype=np.float64)) >= MAX_TOTAL_CENTS:
        raise EngineInputError([LineProblem(0, "book_value", "", TOTAL_TOO_BIG)])
    sub_category, sub_labels = _joined_sub_categories(parts)
    return Lines(
        row=np.concatenate([p.row for p in parts]),
        category=np.concatenate([p.category for p in parts]),
        warehouse=np.concatenate(warehouse),
        warehouse_labels=tuple(labels),
        quantity=np.concatenate([p.quantity for p in parts]),
        book=book,
        as_of_day=first.as_of_day,
        present=first.present,
        decimals=joined("decimals"),
        flags=joined("flags"),
        dates=joined("dates"),
        book_value_tolerance_cents=first.book_value_tolerance_cents,
        sub_category=sub_category,
        sub_category_labels=sub_labels,
    )


def _joined_sub_categories(parts: list[Lines]) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Sub-category codes of slices merged by ``code_key``, in order of first appearance."""
    if all(p.sub_category is None for p in parts):
        return None, ("",)
    labels: dict[str, tuple[int, str]] = {"": (0, "")}
    codes = []
    for part in parts:
        if part.sub_category is None:
            codes.append(np.zeros(len(part), dtype=np.int32))
            continue
        table = []
        for label in part.sub_category_labels:
            key = cols.code_key(label)
            if key not in labels:
                labels[key] = (len(labels), label)
            table.append(labels[key][0])
        codes.append(np.array(table, dtype=np.int32)[part.sub_category])
    ordered = tuple(label for _index, label in sorted(labels.values()))
    return np.concatenate(codes), ordered


def _row_numbers(frame: pd.DataFrame) -> np.ndarray:
    if "row" in frame.columns and pd.api.types.is_integer_dtype(frame["row"].dtype) and not frame["row"].isna().any():
        return frame["row"].to_numpy(dtype=np.int64)
    return np.arange(1, len(frame) + 1, dtype=np.int64)


def _arrow_text(series: pd.Series) -> pa.Array:
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return pa.array(series, type=pa.large_string(), from_pandas=True)
    return pa.array(series.astype("string"), type=pa.large_string(), from_pandas=True)


def _categories(series: pd.Series, problems: _Problems) -> np.ndarray:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_text(series)))
    codes = pc.index_in(text, value_set=pa.array([c.value for c in CATEGORIES], pa.large_string()))
    codes_np = codes.to_numpy(zero_copy_only=False)
    unknown = np.isnan(codes_np) if codes_np.dtype.kind == "f" else codes_np < 0
    if unknown.any():
        allowed = ", ".join(c.value for c in CATEGORIES)
        problems.add("category", unknown, series, f"one of {allowed}")
    return np.nan_to_num(codes_np, nan=0).astype(np.int8)


def _require_text(series: pd.Series, name: str, problems: _Problems) -> None:
    text = pc.utf8_trim_whitespace(_arrow_text(series))
    empty = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    if empty.any():
        problems.add(name, empty, series, "a non-empty value")


SCALES: dict[str, int] = {
    "quantity": cols.QUANTITY_DECIMALS,
    "unit_cost": cols.UNIT_COST_DECIMALS,
    "book_value": cols.MONEY_DECIMALS,
    **OPTIONAL_DECIMALS,
}


def _parse_columns(frame: pd.DataFrame) -> dict[str, ScaledColumn]:
    """Parse every decimal column present, in threads: Arrow's cast releases the GIL, and the
    decimal columns are most of the engine's time on a large file."""
    names = [name for name in SCALES if name in frame.columns]
    workers = min(len(names), os.cpu_count() or 1, 4)
    if workers <= 1 or len(frame) < 50_000:
        return {name: parse_scaled(frame[name], SCALES[name]) for name in names}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(parse_scaled, frame[name], SCALES[name]) for name in names}
        return {name: future.result() for name, future in futures.items()}


def _parse(frame: pd.DataFrame, parsed: dict[str, ScaledColumn], name: str, problems: _Problems) -> ScaledColumn:
    column = parsed[name]
    if column.invalid.any():
        problems.add(name, column.invalid, frame[name], "a decimal number of plausible size")
    return column


def _non_negative(
    frame: pd.DataFrame,
    parsed_columns: dict[str, ScaledColumn],
    name: str,
    problems: _Problems,
    *,
    required: bool,
) -> np.ndarray:
    parsed = _parse(frame, parsed_columns, name, problems)
    if required and parsed.missing.any():
        problems.add(name, parsed.missing, frame[name], "a value")
    negative = parsed.values < 0
    if negative.any():
        problems.add(name, negative, frame[name], "zero or more")
    return parsed.values


def _optional_decimal(
    frame: pd.DataFrame, parsed_columns: dict[str, ScaledColumn], name: str, problems: _Problems
) -> Optional:
    parsed = _parse(frame, parsed_columns, name, problems)
    negative = parsed.values < 0
    if negative.any():
        problems.add(name, negative, frame[name], "zero or more")
    return Optional(parsed.values, parsed.missing)


def _book_values(
    frame: pd.DataFrame,
    parsed: dict[str, ScaledColumn],
    quantity: np.ndarray,
    problems: _Problems,
    tolerance_cents: int,
) -> np.ndarray:
    """Book value in cents: the file's figure, else round_half_up(quantity × unit cost)."""
    n = len(frame)
    computed = np.zeros(n, dtype=np.int64)
    cost_known = np.zeros(n, dtype=bool)
    reported = np.zeros(n, dtype=bool)  # unreadable cells already reported once
    if "unit_cost" in frame.columns:
        cost = _parse(frame, parsed, "unit_cost", problems)
        negative = cost.values < 0
        if negative.any():
            problems.add("unit_cost", negative, frame["unit_cost"], "zero or more")
        cost_known = ~cost.missing & ~cost.invalid
        reported = cost.invalid
        too_big = quantity.astype(np.float64) * cost.values.astype(np.float64) / 1e5
        absurd = cost_known & (too_big >= MAX_LINE_CENTS)
        if absurd.any():
            problems.add("unit_cost", absurd, frame["unit_cost"], "quantity × unit cost < 10^13")
        safe_cost = np.where(absurd, 0, cost.values)
        # quantity has 3 decimals, unit cost 4: the product has 7, cents have 2.
        computed = mul_div(quantity, safe_cost, 10**5)
    if "book_value" not in frame.columns:
        _require_cost(cost_known | reported, frame, problems)
        return computed
    given = _parse(frame, parsed, "book_value", problems)
    negative = given.values < 0
    if negative.any():
        problems.add("book_value", negative, frame["book_value"], "zero or more")
    too_big = given.values >= MAX_LINE_CENTS
    if too_big.any():
        problems.add("book_value", too_big, frame["book_value"], "below 10^13")
    has_given = ~given.missing & ~given.invalid
    # An unreadable book value is already reported; do not report the line twice.
    _require_cost(cost_known | has_given | given.invalid | reported, frame, problems)
    # A unit cost rounded to 4 decimals is off by up to 0.00005 per unit: allow for it.
    allowance = tolerance_cents + (quantity * 5 + 999_999) // 1_000_000
    inconsistent = has_given & cost_known & (np.abs(given.values - computed) > allowance)
    if inconsistent.any():
        expected = [f"quantity × unit cost = {c / 100:.2f}" for c in computed[inconsistent][:MAX_PROBLEMS]]
        _add_each(problems, "book_value", inconsistent, frame["book_value"], expected)
    book = np.where(has_given, given.values, computed)
    if float(book.sum(dtype=np.float64)) >= MAX_TOTAL_CENTS:
        problems.structural("book_value", TOTAL_TOO_BIG)
    return book


def _add_each(problems: _Problems, column: str, mask: np.ndarray, series: pd.Series, expected: list[str]) -> None:
    positions = np.flatnonzero(mask)
    problems.total += len(positions)
    room = max(MAX_PROBLEMS - len(problems.items), 0)
    for pos, text in zip(positions[:room], expected, strict=False):
        row = int(problems.rows[pos])
        problems.items.append(LineProblem(row, column, _cell_text(series.iloc[pos]), text))


def _require_cost(known: np.ndarray, frame: pd.DataFrame, problems: _Problems) -> None:
    if not known.all():
        column = "unit_cost" if "unit_cost" in frame.columns else "book_value"
        problems.add(column, ~known, frame[column], "a unit cost or a book value")


def _flag(series: pd.Series, name: str, problems: _Problems) -> Optional:
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=bool, na_value=False)
        return Optional(values, missing)
    # Hand-built or loosely typed frames: accept the usual spellings of yes and no.
    text = series.astype("string").str.strip().str.lower()
    truthy = text.isin(_TRUE_TEXT).to_numpy(dtype=bool, na_value=False)
    falsy = text.isin(_FALSE_TEXT).to_numpy(dtype=bool, na_value=False)
    bad = ~missing & ~truthy & ~falsy
    if bad.any():
        problems.add(name, bad, series, "true or false")
    empty = (text == "").to_numpy(dtype=bool, na_value=True)
    return Optional(truthy, missing | empty)


def _date(series: pd.Series, name: str, as_of_day: int, problems: _Problems) -> Optional:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = series
    else:
        parsed = pd.to_datetime(series, errors="coerce")
        bad = parsed.isna().to_numpy() & ~series.isna().to_numpy()
        if bad.any():
            problems.add(name, bad, series, "a date")
    missing = parsed.isna().to_numpy()
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    days = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    days = np.where(missing, MISSING_DAY, days)
    if name in PAST_DATE_COLUMNS:
        future = ~missing & (days > as_of_day)
        if future.any():
            problems.add(name, future, series, "a date on or before the valuation date")
    return Optional(days, missing)


def _warehouses(frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Warehouse codes; lines without one (or a file without the column) get the label ""."""
    if "warehouse" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int32), ("",)
    text = pc.fill_null(pc.utf8_trim_whitespace(_arrow_text(frame["warehouse"])), "")
    encoded = pc.dictionary_encode(text)
    labels = tuple(str(v) for v in encoded.dictionary.to_pylist())
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, labels


def _sub_categories(frame: pd.DataFrame) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Sub-category codes, one label per ``code_key`` (as first written); index 0 is "" (none).

    Codes are matched the way the readers normalise them ("FG-Lux" and "fg lux" are one code).
    """
    if "sub_category" not in frame.columns:
        return None, ("",)
    text = pc.fill_null(pc.utf8_trim_whitespace(_arrow_text(frame["sub_category"])), "")
    encoded = pc.dictionary_encode(text)
    labels: dict[str, tuple[int, str]] = {"": (0, "")}
    table = []
    for value in encoded.dictionary.to_pylist():
        key = cols.code_key(value)
        if key not in labels:
            labels[key] = (len(labels), str(value))
        table.append(labels[key][0])
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.array(table, dtype=np.int32)[indices] if table else np.zeros(len(frame), dtype=np.int32)
    return codes.astype(np.int32), tuple(label for _index, label in sorted(labels.values()))
