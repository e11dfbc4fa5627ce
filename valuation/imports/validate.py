"""From a grid of text cells to the canonical stock-line frame, with a validation report.

All work on the data is done with polars expressions over whole columns; Python only loops
over columns, over the distinct values of the category column and over the (capped) examples
listed in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG, REQUIRED, TEXT, VALUE_COLUMNS

from .categories import NotStock, Resolver
from .cleaning import (
    clean_text_series,
    decimal_evidence,
    integer_digits,
    is_negative,
    parse_date,
    parse_decimal,
    parse_flag,
    shortest_float_text,
)
from .contents import DateOrder, date_order, day_first_columns
from .grouped import (
    GrandTotal,
    exact_sum,
    find_grand_total,
    find_groups,
    matches_total,
    reference_column,
    says_total,
    split_reference,
)
from .mapping import ColumnMapping, propose_grid_mapping
from .report import Problem, Severity, ValidationReport
from .sources import EXTRA_COLUMN, Grid

CLEANING_THREADS = 2
EVIDENCE_ROWS = 100_000
MAX_INTEGER_DIGITS = 12  # above 10^12 per line (quantity, cost or value) is not a stock line
ROW = "row"
RAW = "__raw_"
# Columns this module adds to a grid (never the file's own): "[code] name" split, parent rows,
# categories inherited from a parent row.
DERIVED = "__d_"
REF_SKU, REF_NAME = DERIVED + "sku", DERIVED + "description"
PARENT, INHERITED_CATEGORY = DERIVED + "parent", DERIVED + "category"
GROUPS_SAMPLE_ROWS = 10_000
FULL_CATEGORY_READING = 10_000
NOT_STOCK_EXPECTED = "a stock category: raw materials, work in progress or finished goods"
_CAN_BE_NEGATIVE = frozenset({"quantity", "book_value", "annual_consumption_qty"})
_FUTURE_CHECKED = ("last_movement_date", "receipt_date")

MIXED_DATES_EXPECTED = "dates in one order: all day first, all month first, or as 2026-12-31"

EXPECTED = {
    DECIMAL: "a number such as 1234,56 or 1 234.56",
    DATE: "a date such as 31/12/2026 or 2026-12-31",
    FLAG: "yes/no (oui/non, 1/0, x or empty)",
}


@dataclass(slots=True)
class Columns:
    """Where each canonical column comes from: source header text and grid column name."""

    header: dict[str, str]  # canonical -> source header
    grid: dict[str, str]  # canonical -> grid column (c0, c1...)


def resolve_columns(
    grid: Grid,
    saved: ColumnMapping | None,
    report: ValidationReport,
    category_aliases: Mapping[str, str] | None = None,
) -> tuple[ColumnMapping, Columns]:
    """Map the grid's headers (by their words and a sample of their cells) and report duplicates
    and conflicts; return mapping and sources."""
    mapping, conflicts = propose_grid_mapping(grid, saved, category_aliases=category_aliases)
    seen: dict[str, int] = {}
    header: dict[str, str] = {}
    source: dict[str, str] = {}
    for index, text in enumerate(grid.headers):
        if not text:
            continue
        seen[text] = seen.get(text, 0) + 1
        target = mapping.columns.get(text)
        if seen[text] > 1:
            severity = Severity.ERROR if target else Severity.WARNING
            report.add(
                Problem(
                    severity=severity,
                    kind="duplicate_header",
                    row=grid.header_row,
                    column=text,
                    field=target,
                    message=(
                        f"Row {grid.header_row}: the header “{text}” appears more than once; "
                        + (
                            f"rename one of them so it is clear which one is the {target}."
                            if target
                            else "only the first one is considered."
                        )
                    ),
                )
            )
            continue
        if target:
            header[target] = text
            source[target] = f"c{index}"
    for text in conflicts:
        target = _guess_target(text)
        report.add(
            Problem(
                severity=Severity.WARNING,
                kind="duplicate_column",
                row=grid.header_row,
                column=text,
                field=target,
                message=(
                    f"The column “{text}” also looks like the {target}, which already comes from "
                    f"“{header.get(target or '', '?')}”; it is ignored (change the mapping to use it)."
                ),
            )
        )
    return mapping, Columns(header=header, grid=source)


def _guess_target(text: str) -> str | None:
    from .mapping import guess_column

    return guess_column(text)


def check_required(columns: Columns, report: ValidationReport) -> bool:
    """Report each missing required column; return True when all are present."""
    missing = [name for name in REQUIRED if name not in columns.grid]
    if not any(name in columns.grid for name in VALUE_COLUMNS):
        missing.append("unit_cost or book_value")
    for name in missing:
        report.add(
            Problem(
                severity=Severity.ERROR,
                kind="missing_column",
                field=name,
                expected=name,
                message=(
                    f"No column was recognised as the {name.replace('_', ' ')}: add it to the "
                    "export or map one of the file's columns to it."
                ),
            )
        )
    return not missing


def _decimal_mark(frame: pl.DataFrame, decimal_sources: list[str], default: str) -> str:
    """Decide the file's decimal mark from values only one convention can read."""
    if not decimal_sources:
        return default
    exprs = []
    for index, name in enumerate(decimal_sources):
        comma, dot = decimal_evidence(pl.col(name))
        exprs += [comma.alias(f"comma{index}"), dot.alias(f"dot{index}")]
    # A sample decides: the convention is the file's, not the row's.
    totals = frame.head(EVIDENCE_ROWS).select(exprs).row(0)
    comma_total = sum(totals[0::2])
    dot_total = sum(totals[1::2])
    if comma_total == dot_total:
        return default
    return "," if comma_total > dot_total else "."


def _category_table(
    frame: pl.DataFrame, column: str, aliases: Mapping[str, str]
) -> tuple[dict[str, str | None], dict[str, NotStock]]:
    """Map the category column's distinct values to Category values (unknown or not stock ->
    None), and list the values naming something that is not stock (services, non-valuated)."""
    resolve = Resolver(aliases)
    distinct = frame.get_column(column).drop_nulls().unique().to_list()
    table: dict[str, str | None] = {}
    not_stock: dict[str, NotStock] = {}
    for index, value in enumerate(distinct):
        # A column of categories holds a few dozen spellings; past that many, a hostile or
        # mis-mapped column is only read as whole names (the full reading costs ~40 µs each).
        found = resolve(value) if index < FULL_CATEGORY_READING else resolve.exact(value)
        if isinstance(found, NotStock):
            not_stock[value] = found
            found = None
        table[value] = found.value if found is not None else None
    return table, not_stock


def _cents(amount: Decimal) -> Decimal:
    """The amount with at least two decimals (exact: only zeros are added), as money is shown."""
    exponent = amount.as_tuple().exponent
    return amount.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent > -2 else amount


def _reason(not_stock: Mapping[str, NotStock], value: str | None) -> str:
    found = not_stock.get(value or "")
    return found.reason if found is not None else "non-stock code"


def _grid_columns(frame: pl.DataFrame) -> list[str]:
    """The file's own columns (c0, c1...), without the overlong-row catcher or derived ones."""
    return [c for c in frame.columns if c != EXTRA_COLUMN and not c.startswith(DERIVED)]


@dataclass(slots=True)
class _Check:
    mask: pl.Expr
    kind: str
    severity: Severity
    field: str | None
    message: Callable[[int, str | None], str]
    expected: str | None
    value: pl.Expr | None
    cheap: pl.Expr | None


class Checker:
    """Collects problems: checks are queued, counted together in one parallel pass, and only
    the kinds that occur are filtered for their first examples.

    A check may give a ``cheap`` mask that holds wherever ``mask`` does (a superset, such as
    "parsed value is null" for "present but unreadable"): the cheap masks are counted first,
    and the exact mask is only evaluated for checks whose cheap count is not zero, so a clean
    file never pays for stripping and re-testing every cell.
    """

    def __init__(self, frame: pl.DataFrame, columns: Columns, report: ValidationReport) -> None:
        self.frame = frame
        self.columns = columns
        self.report = report
        self.pending: list[_Check] = []

    def check(
        self,
        mask: pl.Expr,
        *,
        kind: str,
        severity: Severity,
        field: str | None,
        message: Callable[[int, str | None], str],
        expected: str | None = None,
        value: pl.Expr | None = None,
        cheap: pl.Expr | None = None,
    ) -> None:
        """Queue a check: rows where ``mask`` holds are problems of ``kind``; ``cheap``, when
        given, must hold on every such row (and may hold on others)."""
        self.pending.append(_Check(mask, kind, severity, field, message, expected, value, cheap))

    def run(self) -> None:
        """Count every queued check exactly and list examples while the report has room."""
        if not self.pending:
            return
        first = self._counts([c.cheap if c.cheap is not None else c.mask for c in self.pending])
        exact = [c for c, n in zip(self.pending, first) if n and c.cheap is not None]
        exact_counts = dict(zip(map(id, exact), self._counts([c.mask for c in exact])))
        for check, count in zip(self.pending, first):
            if count and check.cheap is not None:
                count = exact_counts[id(check)]
            if count:
                self._record(check, int(count))
        self.pending = []

    def _counts(self, masks: list[pl.Expr]) -> list[int]:
        if not masks:
            return []
        return list(self.frame.select([m.fill_null(False).sum().alias(f"k{i}") for i, m in enumerate(masks)]).row(0))

    def _record(self, check: _Check, count: int) -> None:
        field = check.field
        value_expr = check.value
        if value_expr is None:
            raw_name = RAW + field if field else ""
            value_expr = pl.col(raw_name) if raw_name in self.frame.columns else pl.lit(None)
        room = max(self.report.max_listed - len(self.report.problems), 0)
        examples: list[Problem] = []
        if room:
            rows = (
                self.frame.filter(check.mask.fill_null(False))
                .head(room)
                .select(pl.col(ROW), value_expr.cast(pl.String).alias("value"))
                .rows()
            )
            column = self.columns.header.get(field) if field else None
            examples = [
                Problem(
                    severity=check.severity,
                    kind=check.kind,
                    row=row,
                    column=column,
                    field=field,
                    value=raw,
                    expected=check.expected,
                    message=check.message(row, raw),
                )
                for row, raw in rows
            ]
        self.report.add_many(check.kind, check.severity, count, examples)


def _where(columns: Columns, field: str) -> str:
    return f"column “{columns.header[field]}” ({field.replace('_', ' ')})"


def build_lines(
    grid: Grid,
    saved: ColumnMapping | None,
    *,
    category_aliases: Mapping[str, str] | None,
    today: date,
    report: ValidationReport,
) -> tuple[pl.DataFrame | None, ColumnMapping]:
    """Validate the grid and return (canonical polars frame or None, mapping used).

    The frame is None when a required column is missing; line-level errors still return the
    frame (the caller decides from ``report.accepted``).
    """
    builder = LineBuilder(grid, saved, category_aliases=category_aliases, today=today, report=report)
    if not builder.complete:
        return None, builder.mapping
    frames = list(builder.chunks())
    return (frames[0] if len(frames) == 1 else pl.concat(frames)), builder.mapping


class LineBuilder:
    """Validates a grid into canonical lines, whole or in slices of rows, into one report.

    The header is mapped and checked once (``complete`` tells whether every required column is
    there); ``chunks(rows)`` then yields the canonical frame of each slice as soon as it is
    validated, so a pipeline can store one slice while the next is checked. Problems, counts and
    skipped rows add up in the one report; the file's decimal mark is decided on the first slice
    (from its first ``EVIDENCE_ROWS`` lines, as for a whole file); "no stock line" is judged
    after the last slice.
    """

    def __init__(
        self,
        grid: Grid,
        saved: ColumnMapping | None,
        *,
        category_aliases: Mapping[str, str] | None,
        today: date,
        report: ValidationReport,
    ) -> None:
        self.grid = grid
        self.report = report
        self.today = today
        self.category_aliases = category_aliases
        self.mapping, self.columns = resolve_columns(grid, saved, report, category_aliases)
        report.rows_read = grid.frame.height
        report.rows_skipped = 0
        report.lines = 0
        self._split_references()
        self._read_groups()
        self._day_first, self._unread_dates = self._date_orders()
        self.complete = check_required(self.columns, report)
        self._mark: str | None = None
        self._grand_total = self._find_grand_total() if self.complete else None
        self._lines_sum = Decimal(0)
        self._sum_complete = True  # False once a line has a quantity but no book value
        self._last_line_row = 0

    def _split_references(self) -> None:
        """Odoo's "[FURN_7800] Desk Combination" product cells: the code is the SKU, the rest
        the description. Looked for in the SKU column when it holds such cells, otherwise (no
        SKU column) in the description column, then in the columns no header names."""
        columns, frame = self.columns, self.grid.frame
        if "sku" in columns.grid:
            candidates = [columns.grid["sku"]]
        else:
            mapped = set(columns.grid.values())
            described = [columns.grid["description"]] if "description" in columns.grid else []
            candidates = described + [c for c in _grid_columns(frame) if c not in mapped]
        source = reference_column(frame, candidates)
        if source is None:
            return
        header = self.grid.headers[int(source[1:])] or source
        sku, description = split_reference(source)
        self.grid.frame = frame.with_columns(sku.alias(REF_SKU), description.alias(REF_NAME))
        columns.grid["sku"], columns.header["sku"] = REF_SKU, header
        if columns.grid.get("description", source) == source:
            columns.grid["description"], columns.header["description"] = REF_NAME, header
        self.report.detected["reference_split"] = header

    def _read_groups(self) -> None:
        """Parent rows of a grouped report: marked (they are not lines), and the category their
        name gives passed on to the lines below them that have none."""
        frame, columns = self.grid.frame, self.columns
        quantity = columns.grid.get("quantity")
        if quantity is None or frame.height == 0:
            return
        sku = columns.grid.get("sku")
        # Parents and most totals leave the quantity or the SKU empty: in a plain list, where
        # no row does, nothing more is looked at. Totals that do state a quantity ("Total Raw
        # Materials" in the SKU column) are looked for in the first rows only, which is enough
        # to tell a grouped report (it has subtotals all along).
        empty = pl.col(quantity).is_null() | (pl.col(sku).is_null() if sku else pl.lit(True))
        if frame.select(empty.any()).item() is not True:
            return
        maybe = empty | (pl.int_range(pl.len()) < GROUPS_SAMPLE_ROWS)
        originals = _grid_columns(frame)
        labels = list(dict.fromkeys([originals[0]] + self._label_sources()))
        wanted = list(dict.fromkeys(originals + labels + ([sku] if sku else [])))
        rows = frame.select(wanted).with_row_index("__i").filter(maybe)
        groups = find_groups(
            rows,
            frame.height,
            originals,
            sku_column=sku,
            label_columns=labels,
            aliases=_aliases(self.mapping, self.category_aliases),
        )
        if groups is None:
            return
        added = [groups.parent.alias(PARENT)]
        if groups.heading.null_count() < frame.height:
            own = columns.grid.get("category")
            if own is None:
                inherited = pl.lit(groups.heading)
                columns.header["category"] = self.grid.headers[0] or "category"
            else:
                cell = pl.col(own).str.strip_chars()
                inherited = pl.when(cell.fill_null("") == "").then(pl.lit(groups.heading)).otherwise(pl.col(own))
            added.append(inherited.alias(INHERITED_CATEGORY))
            columns.grid["category"] = INHERITED_CATEGORY
        self.grid.frame = frame.with_columns(added)

    def _date_orders(self) -> tuple[dict[str, bool], set[str]]:
        """Day or month first for each date column, decided from the whole file before any
        slice is read (a slice holding only ambiguous dates must read as the rest of the file
        does); a column whose cells prove both orders is reported and left unread, never
        guessed. Returns the order per column and the columns left unread."""
        frame, columns = self.grid.frame, self.columns
        orders = {
            name: date_order(frame.get_column(source))
            for name, source in columns.grid.items()
            if COLUMNS[name] == DATE and source in frame.columns
        }
        mixed = {name for name, order in orders.items() if order.mixed}
        for name in sorted(mixed, key=list(COLUMNS).index):
            self._report_mixed_dates(name, orders[name])
        return day_first_columns(orders), mixed

    def _report_mixed_dates(self, name: str, order: DateOrder) -> None:
        day_row = self.grid.first_row + (order.day_first_at or 0)
        month_row = self.grid.first_row + (order.month_first_at or 0)
        day_value = (order.day_first_value or "").strip()
        month_value = (order.month_first_value or "").strip()
        # The problem sits where the second order shows up; the message names both rows.
        row, value = (month_row, month_value) if month_row > day_row else (day_row, day_value)
        self.report.add(
            Problem(
                severity=Severity.ERROR,
                kind="mixed_date_order",
                row=row,
                column=self.columns.header.get(name),
                field=name,
                value=value,
                expected=MIXED_DATES_EXPECTED,
                message=(
                    f"The {_where(self.columns, name)} mixes two date orders: row {day_row} holds "
                    f"“{day_value}”, which can only be day first, and row {month_row} “{month_value}”, "
                    "which can only be month first; none of its dates is read. Export the dates in one "
                    "order, or as 2026-12-31."
                ),
            )
        )

    def _label_sources(self) -> list[str]:
        """Grid columns a total row may write its label in."""
        wanted = ("sku", "description", "category", "warehouse")
        return [self.columns.grid[c] for c in wanted if c in self.columns.grid and self.columns.grid[c] != PARENT]

    def _find_grand_total(self) -> GrandTotal | None:
        value = self.columns.grid.get("book_value")
        if value is None:
            return None
        frame = self.grid.frame
        originals = _grid_columns(frame)
        return find_grand_total(
            frame,
            self.grid.first_row,
            sku_column=self.columns.grid.get("sku"),
            label_columns=list(dict.fromkeys([originals[0]] + self._label_sources())),
            value_column=value,
        )

    def chunks(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The canonical frame of each slice of ``rows`` grid rows (default: all in one)."""
        if not self.complete:
            return
        # The grid's rows now live in ``remaining`` only, which lets go of each slice's cells once
        # it is built (a slice of a polars frame shares its chunks: nothing is copied).
        remaining = self.grid.frame
        self.grid.frame = remaining.clear()
        step = max(rows or remaining.height, 1)
        start = 0
        while True:
            # A last few rows (a total row, say) go with the slice before rather than alone.
            take = remaining.height if remaining.height < step + step // 4 else step
            piece, remaining = remaining.head(take), remaining.slice(take)
            yield self._build(piece, start)
            start += piece.height
            del piece
            if remaining.height == 0:
                break
        if self.report.lines == 0:
            self.report.add(
                Problem(
                    severity=Severity.ERROR,
                    kind="no_lines",
                    message="The file has a header but no stock line below it.",
                )
            )
        else:
            self._check_grand_total()

    def _check_grand_total(self) -> None:
        """Warn when the lines do not add up to the grand total the file states (exactly, at the
        total's own precision). Not judged when the total is not below the last line or some
        line gives no book value (the file's sum then rests on figures the file does not show)."""
        total = self._grand_total
        if total is None or total.row < self._last_line_row or not self._sum_complete:
            return
        written = pl.Series("total", [total.value], dtype=pl.String)
        if self.grid.detected.get("format") != "csv":
            written = shortest_float_text(written)
        stated_text = parse_decimal(written, self._mark or ".")[0]
        if stated_text is None:
            return
        stated, computed = Decimal(stated_text), _cents(self._lines_sum)
        if matches_total(computed, stated):
            return
        gap = computed - stated
        self.report.add(
            Problem(
                severity=Severity.WARNING,
                kind="total_mismatch",
                row=total.row,
                column=self.columns.header.get("book_value"),
                field="book_value",
                value=f"{_cents(stated):f}",  # as a figure, beside the computed one (the label names the row)
                expected=f"{computed:f}",
                message=(
                    f"Row {total.row}: the file's total “{total.label}” states {_cents(stated):f}, but its "
                    f"lines add up to {computed:f} ({abs(gap):f} {'more' if gap > 0 else 'less'}): check "
                    "that the export holds every line."
                ),
            )
        )

    def _build(self, frame: pl.DataFrame, start: int) -> pl.DataFrame:
        """The canonical lines of ``frame``, the grid's rows from ``start`` (0-based)."""
        grid, columns, report = self.grid, self.columns, self.report
        n = frame.height
        first_row = grid.first_row + start
        grid_cols = _grid_columns(frame)
        parent = pl.col(PARENT) if PARENT in frame.columns else pl.lit(False)
        raw = frame.select(
            pl.int_range(first_row, first_row + n, dtype=pl.Int64).alias(ROW),
            *[pl.col(src).alias(RAW + name) for name, src in columns.grid.items()],
            _blank_rows(frame, grid_cols).alias("__blank"),
            (pl.col(EXTRA_COLUMN).is_not_null() if EXTRA_COLUMN in frame.columns else pl.lit(False)).alias("__extra"),
            pl.col(grid_cols[0]).alias("__first"),
            parent.alias("__parent"),
        )
        # Totals: a row whose SKU is empty or itself says "Total", with a "Total"-like label.
        label_cols = ["__first"] + [
            RAW + c for c in ("sku", "description", "category", "warehouse") if c in columns.grid
        ]
        total = says_total(label_cols, RAW + "sku") & ~pl.col("__parent")
        value_fields = [RAW + c for c in ("sku", "quantity", *VALUE_COLUMNS) if c in columns.grid]
        empty_line = pl.all_horizontal([pl.col(c).str.strip_chars().fill_null("") == "" for c in value_fields])
        raw = raw.with_columns(
            total.alias("__total"),
            (empty_line & ~pl.col("__blank") & ~pl.col("__parent")).alias("__note"),
        )
        checker = Checker(raw, columns, report)
        checker.check(
            pl.col("__note") & ~pl.col("__total"),
            kind="row_ignored",
            severity=Severity.WARNING,
            field=None,
            # The mapped cells of the row (the grid's own columns are not in `raw`).
            value=pl.concat_str([pl.col(RAW + name).fill_null("") for name in columns.grid], separator=" ")
            .str.replace_all(r"\s+", " ")
            .str.strip_chars(),
            message=lambda row, value: (
                f"Row {row} has no SKU, quantity or value and was ignored: “{(value or '')[:80]}”."
            ),
        )
        not_a_line = pl.col("__blank") | pl.col("__total") | pl.col("__note") | pl.col("__parent")
        skipped = raw.select(not_a_line.sum()).item()
        report.rows_skipped += int(skipped)
        # Filtering copies every column: only when some row goes.
        data = raw.filter(~not_a_line) if skipped else raw
        checker.run()
        checker = Checker(data, columns, report)
        checker.check(
            pl.col("__extra"),
            kind="too_many_values",
            severity=Severity.ERROR,
            field=None,
            message=lambda row, _v: (
                f"Row {row} has more values than the header has columns: a separator inside an "
                "unquoted text (such as a description) probably split it."
            ),
        )

        checker.run()
        # An overlong row's cells are shifted: checking them would only add misleading errors.
        if data.select(pl.col("__extra").any()).item():
            data = data.filter(~pl.col("__extra"))
        if self._mark is None:
            default_mark = "," if report.detected.get("separator") in (";", "tab", "|") else "."
            decimals = [c for c in columns.grid if COLUMNS[c] == DECIMAL]
            self._mark = _decimal_mark(data, [RAW + c for c in decimals], default_mark)
            report.detected["decimal"] = self._mark
        mark = self._mark

        category_table: dict[str, str | None] = {}
        not_stock: dict[str, NotStock] = {}
        if "category" in columns.grid:
            category_table, not_stock = _category_table(
                data, RAW + "category", _aliases(self.mapping, self.category_aliases)
            )

        from_spreadsheet = grid.detected.get("format") != "csv"

        def clean(name: str) -> pl.Series:
            source = data.get_column(RAW + name).rename(name)
            kind = COLUMNS[name]
            if name == "category":
                return source.replace_strict(category_table, default=None, return_dtype=pl.String)
            if kind == TEXT:
                return clean_text_series(source)
            if kind == DECIMAL:
                if from_spreadsheet:
                    source = shortest_float_text(source)
                return parse_decimal(source, mark)
            if kind == DATE:
                if name in self._unread_dates:  # reported as mixing two orders: no guess
                    return pl.repeat(None, source.len(), dtype=pl.Date, eager=True).alias(name)
                return parse_date(source, day_first=self._day_first.get(name, True))
            return parse_flag(source)

        # Columns are independent and polars releases the GIL: clean them on both cores.
        wanted = [name for name in COLUMNS if name in columns.grid]
        with ThreadPoolExecutor(max_workers=CLEANING_THREADS) as pool:
            cleaned = list(pool.map(clean, wanted))
        data = data.with_columns(cleaned)
        self._add_to_sum(data)
        if not_stock:
            data = self._leave_out_not_stock(data, not_stock)
        checker = Checker(data, columns, report)
        _check_cells(checker, columns, category_table, self._unread_dates)
        _check_values(checker, columns, self.today)
        checker.run()
        lines = data.select([ROW, *[c for c in COLUMNS if c in columns.grid]])
        report.lines += lines.height
        return lines

    def _add_to_sum(self, data: pl.DataFrame) -> None:
        """Add the slice's book values to the sum the grand total is checked against (every row
        read as a line, not-stock ones included: the file's total counts them too)."""
        if self._grand_total is None or data.height == 0:
            return
        self._last_line_row = max(self._last_line_row, int(data.get_column(ROW).max()))
        values = data.get_column("book_value")
        added = exact_sum(values)
        if values.null_count() or added is None:
            self._sum_complete = False
            return
        self._lines_sum += added

    def _leave_out_not_stock(self, data: pl.DataFrame, not_stock: dict[str, NotStock]) -> pl.DataFrame:
        """Lines whose category names services or non-stock items: each reported, none kept."""
        source = pl.col(RAW + "category")
        mask = source.is_in(list(not_stock))
        where = _where(self.columns, "category")
        checker = Checker(data, self.columns, self.report)
        checker.check(
            mask,
            kind="not_stock",
            severity=Severity.WARNING,
            field="category",
            expected=NOT_STOCK_EXPECTED,
            message=lambda row, value, where=where: (
                f"Row {row}, {where}: “{value}” stands for {_reason(not_stock, value)}, which is not stock; "
                "the line is left out of the valuation."
            ),
        )
        checker.run()
        dropped = int(data.select(mask.sum()).item())
        self.report.rows_skipped += dropped
        return data.filter(~mask) if dropped else data


def _blank_rows(frame: pl.DataFrame, grid_cols: list[str]) -> pl.Series:
    """True for rows whose every cell is empty or spaces.

    A filled first cell settles almost every row with one column's work; only the others are
    looked at across all columns (trimming every cell of a million rows costs ~0.5 s).
    """

    def blank(cols: list[str]) -> pl.Expr:
        return pl.all_horizontal(pl.col(cols).str.strip_chars().fill_null("") == "")

    maybe = frame.select(blank(grid_cols[:1])).to_series()
    if len(grid_cols) == 1 or not maybe.any():
        return maybe
    candidates = maybe.arg_true()
    return maybe.scatter(candidates, frame[candidates].select(blank(grid_cols[1:])).to_series())


def _aliases(mapping: ColumnMapping, firm: Mapping[str, str] | None) -> dict[str, str]:
    """Firm-wide aliases, overridden by the client's own (saved with its mapping)."""
    merged = dict(firm or {})
    merged.update(mapping.category_aliases)
    return merged


def _check_cells(checker: Checker, columns: Columns, category_table: dict[str, str | None], unread: set[str]) -> None:
    """Report unreadable cells (present in the file, null once parsed) and missing required;
    the ``unread`` columns, already reported as a whole, are not checked cell by cell."""
    for name in columns.grid:
        kind = COLUMNS[name]
        raw = pl.col(RAW + name)
        present = raw.str.strip_chars().fill_null("") != ""
        where = _where(columns, name)
        if name == "category":
            unknown = sorted(k for k, v in category_table.items() if v is None)[:10]
            known = "raw materials (MP, RM), work in progress (WIP, en-cours) or finished goods (PF, FG)"
            checker.check(
                present & pl.col(name).is_null(),
                cheap=raw.is_not_null() & pl.col(name).is_null(),
                kind="unknown_category",
                severity=Severity.ERROR,
                field=name,
                expected=known,
                message=lambda row, value, where=where, known=known: (
                    f"Row {row}, {where}: “{value}” is not a known category; expected {known}, "
                    "or add it as a category alias."
                ),
            )
            del unknown
        elif kind in (DECIMAL, DATE, FLAG) and name not in unread:
            what = {DECIMAL: "a number", DATE: "a date", FLAG: "a yes/no value"}[kind]
            checker.check(
                present & pl.col(name).is_null(),
                cheap=raw.is_not_null() & pl.col(name).is_null(),
                kind={DECIMAL: "not_a_number", DATE: "bad_date", FLAG: "bad_flag"}[kind],
                severity=Severity.ERROR,
                field=name,
                expected=EXPECTED[kind],
                message=lambda row, value, where=where, what=what, kind=kind: (
                    f"Row {row}, {where}: “{value}” is not {what}; expected {EXPECTED[kind]}."
                ),
            )
        if name in REQUIRED:
            checker.check(
                ~present,
                # A blank cell never parses (text keeps a cell of exotic spaces: checked exactly).
                cheap=pl.col(name).is_null() if kind != TEXT else None,
                kind="missing_value",
                severity=Severity.ERROR,
                field=name,
                expected=name.replace("_", " "),
                message=lambda row, _v, where=where: f"Row {row}, {where}: the value is missing.",
            )
    present_values = [c for c in VALUE_COLUMNS if c in columns.grid]
    if present_values:
        names = " or ".join(f"“{columns.header[c]}”" for c in present_values)
        checker.check(
            pl.all_horizontal([pl.col(RAW + c).str.strip_chars().fill_null("") == "" for c in present_values]),
            cheap=pl.all_horizontal([pl.col(c).is_null() for c in present_values]),
            kind="missing_value",
            severity=Severity.ERROR,
            field=present_values[0],
            expected="unit cost or book value",
            message=lambda row, _v: f"Row {row}: no cost or value is given (column {names}).",
        )


def _check_values(checker: Checker, columns: Columns, today: date) -> None:
    """Report values that parse but make no sense: negative, absurd, inconsistent, future."""
    for name in columns.grid:
        kind = COLUMNS[name]
        where = _where(columns, name)
        if kind == DECIMAL:
            value = pl.col(name)
            checker.check(
                integer_digits(value) > MAX_INTEGER_DIGITS,
                cheap=value.str.len_bytes() > MAX_INTEGER_DIGITS,
                kind="absurd_value",
                severity=Severity.ERROR,
                field=name,
                expected="less than 1,000,000,000,000",
                message=lambda row, v, where=where: (
                    f"Row {row}, {where}: {v} is implausibly large (over 10^12 for one line)."
                ),
            )
            negative_severity = Severity.WARNING if name in _CAN_BE_NEGATIVE else Severity.ERROR
            checker.check(
                is_negative(value),
                kind="negative_stock" if name in _CAN_BE_NEGATIVE else "negative_value",
                severity=negative_severity,
                field=name,
                expected="zero or more",
                message=lambda row, v, where=where, s=negative_severity: (
                    f"Row {row}, {where}: {v} is negative"
                    + (" (negative stock: check the ERP)." if s is Severity.WARNING else "; expected zero or more.")
                ),
            )
        elif kind == DATE and name in _FUTURE_CHECKED:
            checker.check(
                pl.col(name) > pl.lit(today),
                kind="future_date",
                severity=Severity.WARNING,
                field=name,
                expected=f"on or before {today:%d/%m/%Y}",
                message=lambda row, v, where=where: f"Row {row}, {where}: {v} is in the future.",
            )
    if all(c in columns.grid for c in ("quantity", "unit_cost", "book_value")):
        _check_book_value(checker, columns)


def _check_book_value(checker: Checker, columns: Columns) -> None:
    """Warn when book value differs from quantity × unit cost beyond rounding.

    Floats are used only for this comparison (never for the values kept): the tolerance is the
    unit cost's own rounding (half its last decimal, times the quantity) plus one cent.
    """
    qty = pl.col("quantity").cast(pl.Float64)
    cost = pl.col("unit_cost").cast(pl.Float64)
    value = pl.col("book_value").cast(pl.Float64)
    point = pl.col("unit_cost").str.find(".", literal=True)
    cost_decimals = pl.when(point.is_not_null()).then(pl.col("unit_cost").str.len_bytes() - point - 1).otherwise(0)
    tolerance = qty.abs() * pl.lit(10.0).pow(-cost_decimals.cast(pl.Float64)) / 2 + 0.01 + value.abs() * 1e-9
    computed = (qty * cost).round(2)
    checker.check(
        (computed - value).abs() > tolerance,
        kind="inconsistent_book_value",
        severity=Severity.WARNING,
        field="book_value",
        value=pl.format(
            "{} (quantity {} × unit cost {})",
            pl.col("book_value"),
            pl.col("quantity"),
            pl.col("unit_cost"),
        ),
        expected="quantity × unit cost",
        message=lambda row, v: f"Row {row}: book value {v} does not match quantity × unit cost.",
    )
