"""What a column's cells say it is: evidence from a sample of the file, to weigh with its header.

Headers can be cryptic ("Col4"), misleading ("Type" holding "Inventory Item") or missing; the
values are not. On a sample of the grid (the first ``SAMPLE_ROWS`` rows, so a million-line file
costs no more than a small one), this module measures each column once (``profile``) and finds:
- the numeric triple where quantity × unit cost ≈ value on most rows (``find_triple``);
- how many cells read as dates, numbers and yes/no flags (to confirm or refuse a header guess);
- the columns whose values are known category codes (``category_rates``);
- the mostly unique code-like text column, the SKU when no header names one (``sku_candidate``).
Floats are used here only to compare (never to keep a value); everything is vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG

from .cleaning import decimal_evidence, flag_mapping, parse_date, parse_decimal
from .grouped import TOTAL_PATTERN

SAMPLE_ROWS = 1_000
MAX_TRIPLE_COLUMNS = 24  # numeric columns tried for the triple (24 -> 6,072 comparisons)
MIN_EVIDENCE_ROWS = 3
TRIPLE_SHARE = 0.9  # quantity × unit cost ≈ value on at least this share of the rows
NUMERIC_SHARE = 0.9  # a numeric column: this share of its filled cells are numbers
MAX_CATEGORY_VALUES = 200  # a category column has few distinct values
CATEGORY_SHARE = 0.8
CATEGORY_UNIQUE_SHARE = 0.5  # more distinct values than this share of the cells: not categories
CATEGORY_SMALL_SAMPLE = 20  # ...unless the sample is too small to tell
SKU_UNIQUE_SHARE = 0.8
SKU_FILLED_SHARE = 0.9
SKU_SPACED_SHARE = 0.2  # codes seldom hold spaces; descriptions do
CONTENT_WEIGHT = 0.7  # alone, enough to fill an empty column; not enough to beat a strong header
DATE_WEIGHT = 0.3  # dates confirm a date header, or make a weak hint ("Mvt") enough
WEAK_FACTOR = 0.3  # a weak category header whose values are no categories, when another fits
MISFIT_SHARE = 0.2  # under this share of readable cells, a column is not of the header's kind
FLAG_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """One grid column measured on the sample: ``filled`` cells (not blank), the share of them
    reading as numbers, integers, dates and flags, and how varied and spaced its text is."""

    index: int
    filled: int
    numbers: np.ndarray  # float64 per sample row, NaN where the cell is no number
    number_share: float
    integer_share: float
    date_share: float
    flag_share: float
    unique_share: float
    spaced_share: float
    distinct: dict[str, int]  # trimmed value -> cells, when at most MAX_CATEGORY_VALUES values


@dataclass(frozen=True, slots=True)
class Triple:
    """Grid column indexes where quantity × unit cost ≈ book value on ``share`` of the rows."""

    quantity: int
    unit_cost: int
    book_value: int
    share: float


def content_sample(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """The first ``SAMPLE_ROWS`` rows of a grid's ``c0..c{width-1}`` columns, total rows left out
    (their sums would spoil the quantity × cost test and the uniqueness of the SKU)."""
    names = [f"c{i}" for i in range(width) if f"c{i}" in frame.columns]
    sample = frame.head(SAMPLE_ROWS).select(names)
    labels = names[:3]
    if not labels:
        return sample
    says_total = pl.any_horizontal([pl.col(c).str.contains(TOTAL_PATTERN).fill_null(False) for c in labels])
    return sample.filter(~says_total)


# Cheap shapes, measured on every column in one pass; the exact parsers then only run where a
# shape says they may find something (each parser call costs a few polars queries).
_LOOKS_NUMERIC = r"(?i)^[-+(]?\s*[€$£¥]?\s*\d[\d\s.,'’\u00a0\u202f]*\s*(€|\$|£|¥|eur|usd|cny|rmb|chf)?\s*[)-]?$"
_FLAG_WORDS = list(flag_mapping())
_LOOKS_DATED = r"^\d{1,4}\s*[/.\-年]\s*\d{1,2}"


def profile(sample: pl.DataFrame, default_mark: str, *, dates: set[int] | None = None) -> list[ColumnProfile]:
    """Measure every column of the sample (columns named ``c<index>``).

    Numbers are read with the decimal mark the cells prove ("1 234,5", "12,50": a comma), or
    ``default_mark`` when none does. Dates are parsed exactly only for the columns in ``dates``
    (those a weak header suggests are dates; None: every column); elsewhere ``date_share``
    counts the cells shaped like a date. Flags are the yes/no words ``parse_flag`` reads.
    """
    names = sample.columns
    trimmed = sample.select([pl.col(c).str.strip_chars().replace("", None).alias(c) for c in names])
    shapes = trimmed.select(
        [
            expr
            for c in names
            for expr in (
                pl.col(c).is_not_null().sum().alias(f"filled{c}"),
                pl.col(c).drop_nulls().n_unique().alias(f"unique{c}"),
                pl.col(c).str.contains(r"\s").sum().alias(f"spaced{c}"),
                pl.col(c).str.contains(_LOOKS_NUMERIC).sum().alias(f"numeric{c}"),
                pl.col(c).str.contains(_LOOKS_DATED).sum().alias(f"dated{c}"),
                pl.col(c).str.to_lowercase().is_in(_FLAG_WORDS).sum().alias(f"flagged{c}"),
                *(e.alias(f"{kind}{c}") for kind, e in zip(("comma", "dot"), decimal_evidence(pl.col(c)))),
            )
        ]
    ).row(0, named=True)
    comma = sum(shapes[f"comma{c}"] for c in names)
    dot = sum(shapes[f"dot{c}"] for c in names)
    mark = default_mark if comma == dot else ("," if comma > dot else ".")
    profiles = []
    for name in names:
        index = int(name[1:])
        filled = int(shapes[f"filled{name}"])
        varieties = int(shapes[f"unique{name}"])
        cells = trimmed.get_column(name)
        numbers = np.full(cells.len(), np.nan)
        numeric = integers = 0
        if filled and shapes[f"numeric{name}"] >= MISFIT_SHARE * filled:
            parsed = parse_decimal(cells, mark)
            numbers = parsed.cast(pl.Float64, strict=False).to_numpy().astype(np.float64)
            numeric = int(np.count_nonzero(~np.isnan(numbers)))
            integers = int(parsed.str.contains(r"^-?\d+$").sum())
        text = cells.drop_nulls() if filled else cells.clear()
        dated = int(shapes[f"dated{name}"])
        if filled and (dates is None or index in dates) and numeric < filled:
            # plain numbers are not taken for dates (they would all be Excel serial days)
            dated = parse_date(text).drop_nulls().len()
            if dated < filled:  # 11/28/2026: month first
                dated = max(dated, parse_date(text, day_first=False).drop_nulls().len())
        flagged = int(shapes[f"flagged{name}"])
        distinct: dict[str, int] = {}
        if filled and varieties <= MAX_CATEGORY_VALUES:
            counts = text.value_counts()
            distinct = dict(zip(counts.get_column(name).to_list(), counts.get_column("count").to_list()))
        share = 1 / filled if filled else 0.0
        profiles.append(
            ColumnProfile(
                index=index,
                filled=filled,
                numbers=numbers,
                number_share=numeric * share,
                integer_share=integers * share,
                date_share=dated * share,
                flag_share=flagged * share,
                unique_share=varieties * share,
                spaced_share=int(shapes[f"spaced{name}"]) * share,
                distinct=distinct,
            )
        )
    return profiles


# Day and month of a date written with both before the year (28/11/2026, 11.28.26), as
# ``cleaning.parse_date_expr`` reads them; ISO and Chinese dates put the year first and serial
# numbers have no order, so they prove nothing.
_DAY_MONTH = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](?:\d{4}|\d{2}$)"


@dataclass(frozen=True, slots=True)
class DateOrder:
    """What a date column's cells prove about its order: the position of its first cell that
    only a day-first reading accepts (28/11/2026: no 28th month) and of its first cell only a
    month-first reading accepts (11/28/2026), with those cells; None where no cell does."""

    day_first_at: int | None = None
    day_first_value: str | None = None
    month_first_at: int | None = None
    month_first_value: str | None = None

    @property
    def proven(self) -> bool | None:
        """True when the cells prove day first, False month first, None when they prove
        neither order (every cell reads both ways) or both (``mixed``)."""
        if (self.day_first_at is None) == (self.month_first_at is None):
            return None
        return self.day_first_at is not None

    @property
    def mixed(self) -> bool:
        """True when some cells can only be day first and others only month first."""
        return self.day_first_at is not None and self.month_first_at is not None


def date_order(values: pl.Series) -> DateOrder:
    """The order the cells of a date column prove: a first part over 12 proves the day comes
    first, a second part over 12 that the month does. Each distinct cell is looked at once (a
    million lines hold a few thousand dates), in the order they first appear, so the first
    proving value is the first proving cell and only its position is looked for."""
    distinct = values.drop_nulls().unique(maintain_order=True)
    parts = distinct.to_frame("s").select(
        pl.col("s"), pl.col("s").str.strip_chars().str.extract_groups(_DAY_MONTH).alias("g")
    )
    first = pl.col("g").struct.field("1").cast(pl.Int32, strict=False)
    second = pl.col("g").struct.field("2").cast(pl.Int32, strict=False)
    day = parts.filter(first.is_between(13, 31) & second.is_between(1, 12)).get_column("s")
    month = parts.filter(second.is_between(13, 31) & first.is_between(1, 12)).get_column("s")
    day_at, day_value = _first_of(values, day)
    month_at, month_value = _first_of(values, month)
    return DateOrder(day_at, day_value, month_at, month_value)


def _first_of(values: pl.Series, wanted: pl.Series) -> tuple[int | None, str | None]:
    """The position and text of the first cell of ``values`` holding ``wanted``'s first value."""
    if wanted.is_empty():
        return None, None
    value = wanted[0]
    return int(values.index_of(value)), value


def day_first_columns(orders: Mapping[str, DateOrder]) -> dict[str, bool]:
    """Whether each date column is read day first. A column reads as its cells prove; one they
    leave ambiguous (01/02/2026 reads both ways) reads month first only when every other date
    column that proves an order proves month first (a US export writes all its dates one way),
    else day first, as European exports do. A mixed column gets day first here: the caller
    reports it rather than reading it."""
    proven = {order.proven for order in orders.values() if order.proven is not None}
    ambiguous = proven != {False}
    return {name: ambiguous if order.proven is None else order.proven for name, order in orders.items()}


def day_first(values: pl.Series) -> bool:
    """Whether a date column alone is read day first (31/12/2026) rather than month first
    (12/31/2026, US exports): month first only when its cells prove it and no cell proves the
    day first."""
    return date_order(values).proven is not False


def find_triple(profiles: Sequence[ColumnProfile], header_scores: Mapping[int, Mapping[str, float]]) -> Triple | None:
    """The three numeric columns where quantity × unit cost ≈ value (within a cent plus 0.5 %)
    on at least ``TRIPLE_SHARE`` of the rows holding all three, a value other than zero and
    factors other than one (a line of one unit proves nothing: its value is its cost).

    Which factor is the quantity comes from the headers, else from the columns' contents (a
    quantity is more often a whole number), else from their order (quantity first).
    When several triples hold, the one the headers support best wins.
    """

    def relevance(p: ColumnProfile) -> float:
        found = header_scores.get(p.index, {})
        return max(found.get("quantity", 0.0), found.get("unit_cost", 0.0), found.get("book_value", 0.0))

    numeric = [p for p in profiles if p.filled >= MIN_EVIDENCE_ROWS and p.number_share >= NUMERIC_SHARE]
    numeric = sorted(numeric, key=lambda p: (-relevance(p), p.index))[:MAX_TRIPLE_COLUMNS]
    if len(numeric) < 3:
        return None
    matrix = np.column_stack([p.numbers for p in numeric])
    best: tuple[tuple[float, float, int], Triple] | None = None
    with np.errstate(invalid="ignore"):
        for a in range(len(numeric)):
            for b in range(a + 1, len(numeric)):
                product = matrix[:, a] * matrix[:, b]
                found = _targets(matrix, product, a, b)
                for v, share in found:
                    triple = _roles(numeric[a], numeric[b], numeric[v], share, header_scores)
                    support = (
                        header_scores.get(triple.quantity, {}).get("quantity", 0.0)
                        + header_scores.get(triple.unit_cost, {}).get("unit_cost", 0.0)
                        + header_scores.get(triple.book_value, {}).get("book_value", 0.0)
                    )
                    key = (support, share, -(numeric[a].index + numeric[b].index + numeric[v].index))
                    if best is None or key > best[0]:
                        best = (key, triple)
    return best[1] if best else None


def _targets(matrix: np.ndarray, product: np.ndarray, a: int, b: int) -> list[tuple[int, float]]:
    """Columns (other than ``a`` and ``b``) equal to ``product`` on enough rows, with the share."""
    values = matrix
    valid = ~np.isnan(product)[:, None] & ~np.isnan(values) & (values != 0)
    # Rows where a factor is one (the value is then the other factor) carry no evidence.
    informative = valid & (matrix[:, [a]] != 1) & (matrix[:, [b]] != 1)
    close = np.abs(product[:, None] - values) <= 0.01 + 0.005 * np.abs(values)
    rows = informative.sum(axis=0)
    hits = (informative & close).sum(axis=0)
    out = []
    for v in range(matrix.shape[1]):
        if v in (a, b) or rows[v] < MIN_EVIDENCE_ROWS:
            continue
        share = hits[v] / rows[v]
        if share >= TRIPLE_SHARE:
            out.append((v, float(share)))
    return out


def _roles(
    first: ColumnProfile,
    second: ColumnProfile,
    value: ColumnProfile,
    share: float,
    header_scores: Mapping[int, Mapping[str, float]],
) -> Triple:
    def support(quantity: ColumnProfile, cost: ColumnProfile) -> float:
        return header_scores.get(quantity.index, {}).get("quantity", 0.0) + header_scores.get(cost.index, {}).get(
            "unit_cost", 0.0
        )

    straight, swapped = support(first, second), support(second, first)
    if straight == swapped:
        straight, swapped = first.integer_share, second.integer_share
    quantity, cost = (second, first) if swapped > straight else (first, second)
    return Triple(quantity=quantity.index, unit_cost=cost.index, book_value=value.index, share=share)


def category_rates(
    profiles: Sequence[ColumnProfile],
    is_category: Callable[[str], bool],
    header_scores: Mapping[int, Mapping[str, float]],
) -> dict[int, float]:
    """Column index -> share of its filled cells holding a known category name or code, for the
    columns with few distinct values. A numeric column is only looked at when its header
    already hints at a category or an account (numbers such as 31 or 355 are also PCG stock
    accounts, and a quantity column is full of such numbers)."""
    rates: dict[int, float] = {}
    for p in profiles:
        if not p.distinct or p.filled < 2:
            continue
        if p.unique_share > CATEGORY_UNIQUE_SHARE and p.filled > CATEGORY_SMALL_SAMPLE:
            continue  # a name or code per line (descriptions may contain "Packaging / ...")
        if p.number_share >= NUMERIC_SHARE and header_scores.get(p.index, {}).get("category", 0.0) <= 0:
            continue
        known = sum(count for value, count in p.distinct.items() if is_category(value))
        rates[p.index] = known / p.filled
    return rates


def sku_candidate(profiles: Sequence[ColumnProfile], claimed: set[int]) -> int | None:
    """The column most likely to hold SKUs when no header names one: filled on nearly every
    row, mostly unique, code-like (few values with spaces), not decimal numbers nor dates, and
    not claimed by another column's header. Ties go to the leftmost column."""
    best: tuple[tuple[float, float, int], int] | None = None
    for p in profiles:
        if p.index in claimed or p.filled == 0:
            continue
        rows = len(p.numbers)
        if p.filled < SKU_FILLED_SHARE * rows or p.unique_share < SKU_UNIQUE_SHARE:
            continue
        if p.spaced_share > SKU_SPACED_SHARE or p.date_share >= 0.5:
            continue
        if p.number_share >= NUMERIC_SHARE and p.integer_share < p.number_share:
            continue  # decimal numbers: amounts, not codes
        key = (p.unique_share, -p.spaced_share, -p.index)
        if best is None or key > best[0]:
            best = (key, p.index)
    return best[1] if best else None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the contents decided: the triple, the category and SKU columns found by their
    values (grid column indexes), and the (column, canonical) guesses the cells refuted."""

    triple: Triple | None = None
    category: int | None = None
    sku: int | None = None
    refuted: tuple[tuple[int, str], ...] = ()


def weigh(
    header_scores: Sequence[Mapping[str, float]],
    profiles: Sequence[ColumnProfile],
    *,
    open_columns: set[int],
    open_targets: set[str],
    is_category: Callable[[str], bool],
    accept: float,
    strong: float,
) -> tuple[list[dict[str, float]], Evidence]:
    """Add the contents' evidence to the header scores (one dict per grid column) and return
    the new scores with what was found. Only ``open_columns`` (not fixed by a saved mapping)
    and ``open_targets`` (canonical columns no saved header feeds) are touched.

    A header at least ``strong`` keeps its column unless its cells are numbers where yes/no
    flags are expected; weaker ones are dropped when their cells do not read as the column's
    kind. The triple, dates and categories add to the columns they support; the SKU column
    is found by its values only when no header names one (``accept``).
    """
    by_index = {p.index: p for p in profiles}
    weights = [dict(found) for found in header_scores]
    refuted: list[tuple[int, str]] = []
    for index in sorted(open_columns):
        p = by_index.get(index)
        if p is None or p.filled < MIN_EVIDENCE_ROWS:
            continue
        found = weights[index]
        for column, value in list(found.items()):
            kind = COLUMNS[column]
            misfit = (
                (kind == DECIMAL and p.number_share < MISFIT_SHARE and value < strong)
                or (kind == DATE and p.date_share < MISFIT_SHARE and value < strong)
                or (kind == FLAG and p.flag_share < FLAG_SHARE and (p.number_share >= CATEGORY_SHARE or value < strong))
            )
            if misfit:
                del found[column]
                refuted.append((index, column))
            elif kind == DATE and p.date_share >= CATEGORY_SHARE:
                found[column] = value + DATE_WEIGHT
    open_profiles = [p for p in profiles if p.index in open_columns]
    scores_by_index = {i: weights[i] for i in open_columns}
    triple = find_triple(open_profiles, scores_by_index)
    if triple is not None:
        for index, column in (
            (triple.quantity, "quantity"),
            (triple.unit_cost, "unit_cost"),
            (triple.book_value, "book_value"),
        ):
            if column in open_targets:
                weights[index][column] = weights[index].get(column, 0.0) + CONTENT_WEIGHT
    category = None
    if "category" in open_targets:
        rates = category_rates(open_profiles, is_category, scores_by_index)
        fitting = [i for i, rate in rates.items() if rate >= CATEGORY_SHARE]
        if fitting:
            category = max(fitting, key=lambda i: (rates[i], weights[i].get("category", 0.0), -i))
            weights[category]["category"] = weights[category].get("category", 0.0) + CONTENT_WEIGHT * rates[category]
            for index, rate in rates.items():
                value = weights[index].get("category", 0.0)
                if index != category and rate < MISFIT_SHARE and accept <= value < strong:
                    weights[index]["category"] = value * WEAK_FACTOR
                    refuted.append((index, "category"))
    sku = None
    if "sku" in open_targets and not any(weights[i].get("sku", 0.0) >= accept for i in open_columns):
        # A column is claimed when it is the best candidate for some canonical column ("Name"
        # scoring for the description is not claimed when a "Description" column is there).
        # A weak description ("Name") does not claim its column: the SKU is required, the
        # description is not, and a column of unique codes is more likely NetSuite's item name.
        claimed = set(range(len(weights))) - open_columns
        for target in {c for found in weights for c in found}:
            candidates = [i for i in open_columns if weights[i].get(target, 0.0) >= accept]
            if candidates:
                best = max(candidates, key=lambda i: (weights[i][target], -i))
                if target != "description" or weights[best][target] >= strong:
                    claimed.add(best)
        sku = sku_candidate(open_profiles, claimed)
        if sku is not None:
            weights[sku]["sku"] = weights[sku].get("sku", 0.0) + CONTENT_WEIGHT
            if weights[sku].pop("description", None) is not None:
                refuted.append((sku, "description"))
    return weights, Evidence(triple=triple, category=category, sku=sku, refuted=tuple(refuted))
