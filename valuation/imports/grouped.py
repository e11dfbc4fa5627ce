"""Grouped reports and product cells: rows that are not stock lines, and what they tell.

Accounting packages (QuickBooks, Sage, Kingdee...) print a valuation as a tree: a parent row
holding a name only ("Raw Materials"), the lines under it, a "Total Raw Materials" row, and a
grand total at the end. Parent and total rows are not lines; a parent naming a known category
gives that category to the lines under it that have none; a grand total states what the lines
must add up to. Odoo writes a product as "[FURN_7800] Desk Combination": the code in brackets
is the SKU. Everything here works on whole polars columns (a million-row file is one pass);
Python only loops over a grouped report's parent rows, which are few.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from valuation.engine.columns import MONEY_DECIMALS

from .categories import Resolver

# A row label saying "total" in one of the six languages (plus Dutch, common in exports).
TOTAL_PATTERN = (
    r"(?i)^\s*(sous[- ]?|sub[- ]?|grand[- ]?|zwischen)?(totale?s?|totaux|totaal|summe)\b"
    r"|^\s*(gesamt|insgesamt|endsumme|subtotale|totale generale)"
    r"|^\s*(合\s*计|总\s*计|小\s*计|總\s*計|合\s*計|小\s*計|共\s*计)"
    r"|^\s*\*+\s*$"  # SAP list output: "*" a subtotal, "**" the level above
)
# A label naming the whole file's total, not a section's: "TOTAL", "Total général", "合计".
GRAND_TOTAL_PATTERN = (
    r"(?i)^\s*(grand[- ]?total|totale?s?|totaux|totaal|gesamt(summe|total)?|insgesamt|summe|endsumme"
    r"|合\s*计|总\s*计|總\s*計|合\s*計|共\s*计)"
    r"(\s+(g[ée]n[ée]rale?|generale?|global|overall|stock|stocks|inventory|inventaire|inventario|magazzino))?"
    r"\s*[:：.]?\s*$"
    r"|^\s*\*+\s*$"  # SAP list output: the last asterisk row, at the end, is the overall total
)
# "[FURN_7800] Desk Combination": a bracketed code, then the name (Odoo's display name).
REFERENCE_PATTERN = r"^\s*\[([^\[\]]{1,64})\]\s*(.*?)\s*$"
REFERENCE_SAMPLE = 1_000
REFERENCE_SHARE = 0.8  # "mostly": a few products without a reference are normal
GRAND_TOTAL_TAIL = 100  # the grand total sits in the file's last rows
SUM_SCALE = 18  # decimals kept when summing line values (cleaning's widest scale)


def _empty(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().fill_null("") == ""


def says_total(label_columns: list[str], sku_column: str | None) -> pl.Expr:
    """Rows whose label says "Total" and whose SKU is empty or says "Total" itself."""
    labelled = pl.any_horizontal([pl.col(c).str.contains(TOTAL_PATTERN) for c in label_columns])
    if sku_column is None:
        return labelled.fill_null(False)
    sku = pl.col(sku_column)
    return (labelled & (_empty(sku_column) | sku.str.contains(TOTAL_PATTERN))).fill_null(False)


def only_first_cell(grid_columns: list[str]) -> pl.Expr:
    """Rows whose first cell holds text and every other cell is empty (a parent's name)."""
    first, others = grid_columns[0], grid_columns[1:]
    filled = ~_empty(first)
    if not others:
        return filled
    return filled & pl.all_horizontal([_empty(c) for c in others])


@dataclass(frozen=True, slots=True)
class Groups:
    """What a grouped report's structure says, row by row over the whole grid.

    ``parent`` marks parent rows (not lines); ``heading`` holds, on every row, the name of the
    parent giving it a category (null where none does).
    """

    parent: pl.Series
    heading: pl.Series


def find_groups(
    rows: pl.DataFrame,
    height: int,
    grid_columns: list[str],
    *,
    sku_column: str | None,
    label_columns: list[str],
    aliases: Mapping[str, str] | None,
) -> Groups | None:
    """Find parent rows and the category they give; None when the file has no parent row.

    Rules drawn across a printed list ("-----" alone in the first cell) are marked with the
    parents: they are not lines either, and say nothing.

    A row holding a name in its first cell only is a parent when the file is a grouped report
    (it has "Total" rows, or such a row names a known category or non-stock code): a lone name
    in a plain list is left to the other checks, which report it. A parent naming a
    category gives it to the rows below, until the next such parent or a total row closing a
    category or the file ("Total Raw Materials", "TOTAL"); a parent the firm has not named a
    category (a sub-group such as "Textile" under "Finished goods") leaves it as it is.

    ``rows`` holds the candidate rows of a grid of ``height`` rows, their 0-based position in
    column ``__i`` (rows that cannot be parents or totals may be left out beforehand).
    """
    shaped = rows.filter(only_first_cell(grid_columns) | says_total(label_columns, sku_column))
    if shaped.height == 0:
        return None
    shaped = shaped.with_columns(
        says_total(label_columns, sku_column).alias("__total"),
        pl.col(grid_columns[0]).str.strip_chars().alias("__name"),
    )
    # A rule drawn under a printed list's header or group ("-----", "====="): no text at all.
    rules = shaped.filter(~pl.col("__total") & ~pl.col("__name").str.contains(r"[\p{L}\p{N}]"))
    shaped = shaped.filter(pl.col("__total") | pl.col("__name").str.contains(r"[\p{L}\p{N}]"))
    names = shaped.filter(~pl.col("__total")).get_column("__name").unique().to_list()
    resolve = Resolver(aliases)
    known = {name: resolve(name) for name in names}
    # A grouped report: it has total rows, or a parent row naming a category.
    grouped = bool(shaped.get_column("__total").any()) or any(r is not None for r in known.values())
    parents = shaped.filter(~pl.col("__total")) if grouped else shaped.clear()
    if parents.height == 0 and rules.height == 0:
        return None
    closing = shaped.filter(pl.col("__total") & _closes_category(shaped, label_columns, resolve))
    # Events in row order: a heading's name, or "" for a total that closes the category.
    events = pl.concat(
        [
            parents.filter(pl.col("__name").is_in([n for n, r in known.items() if r is not None])).select(
                "__i", pl.col("__name").alias("heading")
            ),
            closing.select("__i", pl.lit("").alias("heading")),
        ]
    ).sort("__i")
    heading = pl.repeat(None, height, dtype=pl.String, eager=True)
    if events.height:
        heading = heading.scatter(events.get_column("__i"), events.get_column("heading")).forward_fill()
        heading = pl.select(pl.when(heading == "").then(None).otherwise(heading)).to_series()
    not_lines = pl.concat([parents.get_column("__i"), rules.get_column("__i")])
    parent = pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(not_lines, True)
    return Groups(parent=parent, heading=heading.rename("heading"))


def _total_label(label_columns: list[str]) -> pl.Expr:
    """The first cell of the row that says "Total"."""
    return pl.coalesce([pl.when(pl.col(c).str.contains(TOTAL_PATTERN)).then(pl.col(c)) for c in label_columns])


def _closes_category(shaped: pl.DataFrame, label_columns: list[str], resolve: Resolver) -> pl.Expr:
    """Total rows after which lines no longer belong to the category above: a grand or bare
    total ("TOTAL", "小计"), or "Total <a known category>" (a sub-group's total, "Total Chairs",
    keeps the enclosing category open)."""
    label = _total_label([c for c in label_columns if c in shaped.columns])
    rest = label.str.replace(TOTAL_PATTERN, "").str.strip_chars(" :：-–")
    totals = shaped.filter(pl.col("__total")).select(rest.alias("rest")).get_column("rest").unique().to_list()
    categories = [r for r in totals if r and resolve(r) is not None]
    return rest.is_in(categories) | rest.fill_null("").eq("") | label.str.contains(GRAND_TOTAL_PATTERN).fill_null(False)


@dataclass(frozen=True, slots=True)
class GrandTotal:
    """The file's grand total: its row, its label and the value cell as written."""

    row: int
    label: str
    value: str


def find_grand_total(
    frame: pl.DataFrame,
    first_row: int,
    *,
    sku_column: str | None,
    label_columns: list[str],
    value_column: str,
) -> GrandTotal | None:
    """The last grand-total row with a value among the file's last ``GRAND_TOTAL_TAIL`` rows.

    Only a label naming the whole file counts ("TOTAL", "Total général", "合计"): "Total Raw
    Materials" closes a section, whose sum is not the file's. ``first_row`` is the 1-based
    file row of ``frame``'s first row.
    """
    start = max(frame.height - GRAND_TOTAL_TAIL, 0)
    tail = frame.slice(start).with_row_index("__i")
    label = _total_label(label_columns)
    found = tail.filter(
        says_total(label_columns, sku_column)
        & label.str.contains(GRAND_TOTAL_PATTERN).fill_null(False)
        & ~_empty(value_column)
    ).select("__i", label.str.strip_chars().alias("label"), pl.col(value_column).str.strip_chars().alias("value"))
    if found.height == 0:
        return None
    index, text, value = found.row(-1)
    return GrandTotal(row=first_row + start + index, label=text, value=value)


def exact_sum(values: pl.Series) -> Decimal | None:
    """The exact sum of normalised decimal text (nulls count as nothing), as a Decimal; None
    when a value does not fit 128-bit fixed point at 18 decimals (it is then already an error).

    No float, no digit lost: a line value is below 10^12 and has at most 18 decimals.
    """
    fixed = values.cast(pl.Decimal(38, SUM_SCALE), strict=False)
    if fixed.null_count() != values.null_count():
        return None
    total = fixed.sum()
    return Decimal(total).normalize() if total is not None else Decimal(0)


def matches_total(computed: Decimal, stated: Decimal) -> bool:
    """True when the lines add up to the stated total, compared exactly at the total's precision.

    An ERP prints a total rounded to the decimals it shows: the exact sum is rounded half-up to
    the stated figure's decimals, but never to fewer than the cent (a total printed as "350"
    does not excuse lines adding up to 349.99), and must then be equal.
    """
    exponent = stated.as_tuple().exponent
    places = max(-exponent if isinstance(exponent, int) else 0, MONEY_DECIMALS)
    return computed.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) == stated


def reference_column(frame: pl.DataFrame, candidates: list[str]) -> str | None:
    """The first of ``candidates`` whose filled cells are mostly "[code] name" (Odoo's display
    name), judged on its first ``REFERENCE_SAMPLE`` filled cells; None if none is."""
    for column in candidates:
        sample = frame.get_column(column).drop_nulls().head(REFERENCE_SAMPLE)
        if sample.len() == 0:
            continue
        share = sample.str.contains(REFERENCE_PATTERN).sum() / sample.len()
        if share >= REFERENCE_SHARE:
            return column
    return None


def split_reference(column: str) -> tuple[pl.Expr, pl.Expr]:
    """The SKU and the description of "[code] name" cells; a cell without a bracketed code keeps
    its whole text as both (a product without an internal reference is still a line)."""
    cell = pl.col(column)
    code = cell.str.extract(REFERENCE_PATTERN, 1).str.strip_chars()
    name = cell.str.extract(REFERENCE_PATTERN, 2)
    sku = pl.when(code.is_not_null() & (code != "")).then(code).otherwise(cell)
    description = pl.when(code.is_not_null() & (name != "")).then(name).otherwise(cell)
    return sku, description
