"""The lines behind a figure: a valuation run's per-line results, filtered, sorted, paged, exported.

Reads the run's Parquet ``lines_file`` (row, category, warehouse, book_value_cents, eligible_cents,
ineligible_cents, first_reason, nrv_cents, eligible_nrv_cents, nrv_basis and one
``ineligible_<reason>_cents`` per reason) lazily with polars, so a filter and a page of 50 read
only the columns they need, whatever the file size. The stock file's own text (SKU, description,
quantity, unit cost) is not in the Parquet file: it is fetched from the stored lines for the rows
shown (one query per page), and a text search asks the database for the matching row numbers.

Money stays exact: integer cents in the file, ``Decimal`` with 2 places on the way out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import polars as pl
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common.labels import category_label, reason_label
from valuation.engine.money import to_decimal
from valuation.models import StockLine, ValuationRun
from valuation.pipeline.files import local_path

PAGE_SIZE = 50
EXPORT_CHUNK = 5000
MAX_QUERY = 100

# Sort keys offered to people -> Parquet column. Anything else falls back to the file's order.
SORTS = {
    "row": "row",
    "category": "category",
    "warehouse": "warehouse",
    "book_value": "book_value_cents",
    "eligible": "eligible_cents",
    "ineligible": "ineligible_cents",
    "reason": "first_reason",
    "liquidation_value": "nrv_cents",
}
STATUSES = ("eligible", "ineligible")
TEXT_COLUMNS = ("category", "warehouse", "first_reason", "nrv_basis")
MONEY_COLUMNS = ("book_value_cents", "eligible_cents", "ineligible_cents", "nrv_cents", "eligible_nrv_cents")
# Cells a spreadsheet would read as a formula (CSV/formula injection): such a cell is exported
# with a leading apostrophe, so Excel or LibreOffice show it as text and never evaluate it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def common_params(params: Any, sorts: Any, default_sort: str) -> dict[str, Any]:
    """The query-string values every line table reads, each checked: category, warehouse and
    reason codes (cut to 50 characters), the search text, the sort (``-`` for descending; an
    unknown one falls back to ``default_sort``) and the page (a bad number is page 1)."""
    sort = str(params.get("sort", default_sort) or default_sort)
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in sorts:
        sort, descending = default_sort, False
    try:
        page = max(1, int(params.get("page", 1)))
    except (TypeError, ValueError):
        page = 1
    return {
        "category": str(params.get("category", "") or "")[:50],
        "warehouse": str(params.get("warehouse", "") or "")[:50],
        "reason": str(params.get("reason", "") or "")[:50],
        "query": str(params.get("q", "") or "").strip()[:MAX_QUERY],
        "sort": sort,
        "descending": descending,
        "page": min(page, 10**7),
    }


@dataclass(frozen=True)
class LineFilter:
    """What the reader asked for; built from the query string, every value checked."""

    category: str = ""
    warehouse: str = ""
    reason: str = ""
    status: str = ""
    query: str = ""
    sort: str = "row"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> LineFilter:
        """From request.GET: unknown sorts fall back to row order, bad page numbers to page 1."""
        status = str(params.get("status", "") or "")
        return cls(status=status if status in STATUSES else "", **common_params(params, SORTS, "row"))

    def params(self, **changes: Any) -> dict[str, str]:
        """The query-string parameters that rebuild this filter (with ``changes``)."""
        target = replace(self, **changes)
        values = {
            "category": target.category,
            "warehouse": target.warehouse,
            "reason": target.reason,
            "status": target.status,
            "q": target.query,
            "sort": f"{'-' if target.descending else ''}{target.sort}",
            "page": str(target.page) if target.page > 1 else "",
        }
        if values["sort"] == "row":
            values["sort"] = ""
        return {k: v for k, v in values.items() if v}

    def querystring(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    def sort_querystring(self, key: str) -> str:
        """The link of a column header: sorts by it, or reverses the order when already sorted by it."""
        descending = not self.descending if self.sort == key else key not in ("row", "category", "warehouse", "reason")
        return self.querystring(sort=key, descending=descending, page=1)

    @property
    def is_filtered(self) -> bool:
        return bool(self.category or self.warehouse or self.reason or self.status or self.query)


@dataclass(frozen=True)
class LinePage:
    """One page of lines and the totals of everything the filter matched."""

    rows: list[dict[str, Any]]
    count: int
    number: int
    num_pages: int
    totals: dict[str, Decimal] = field(default_factory=dict)
    available: bool = True

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def start_index(self) -> int:
        return 0 if not self.count else (self.number - 1) * PAGE_SIZE + 1

    @property
    def end_index(self) -> int:
        return min(self.number * PAGE_SIZE, self.count)


def cents(value: int | None) -> Decimal | None:
    """Integer cents to an exact Decimal with two places (the engine's own conversion)."""
    return None if value is None else to_decimal(value)


@contextmanager
def _lines_path(run: ValuationRun) -> Iterator[Path | None]:
    """A local path to the run's Parquet file, whatever the storage (None when there is none)."""
    if not run.lines_file:
        yield None
        return
    with local_path(run.lines_file, suffix=".parquet") as path:
        yield path if path.exists() else None


def _matching_rows(run: ValuationRun, query: str) -> list[int]:
    """Row numbers whose SKU or description contains ``query`` (case-insensitive)."""
    return list(
        StockLine.objects.filter(upload_id=run.upload_id)
        .filter(Q(sku__icontains=query) | Q(description__icontains=query))
        .values_list("row", flat=True)
    )


def _filtered(frame: pl.LazyFrame, run: ValuationRun, line_filter: LineFilter) -> pl.LazyFrame:
    columns = frame.collect_schema().names()
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in TEXT_COLUMNS if c in columns])
    conditions = []
    if line_filter.category:
        conditions.append(pl.col("category") == line_filter.category)
    if line_filter.warehouse:
        conditions.append(pl.col("warehouse") == line_filter.warehouse)
    if line_filter.status == "eligible":
        conditions.append(pl.col("eligible_cents") > 0)
    elif line_filter.status == "ineligible":
        conditions.append(pl.col("ineligible_cents") != 0)
    if line_filter.reason:
        column = f"ineligible_{line_filter.reason}_cents"
        # A reason this run does not know matches nothing (not an error: the link may be old).
        conditions.append(pl.col(column) != 0 if column in columns else pl.lit(False))
    if line_filter.query:
        conditions.append(pl.col("row").is_in(_matching_rows(run, line_filter.query)))
    for condition in conditions:
        frame = frame.filter(condition)
    return frame


def _sorted(frame: pl.LazyFrame, line_filter: LineFilter) -> pl.LazyFrame:
    column = SORTS[line_filter.sort]
    if column == "row":
        return frame.sort("row", descending=line_filter.descending)
    return frame.sort([column, "row"], descending=[line_filter.descending, False], nulls_last=True)


def _stock_text(run: ValuationRun, rows: list[int]) -> dict[int, dict[str, Any]]:
    """The stock file's own fields for these rows: one query."""
    fields = ("row", "sku", "description", "quantity", "unit", "unit_cost")
    return {
        item["row"]: item
        for item in StockLine.objects.filter(upload_id=run.upload_id, row__in=rows).values(*fields).order_by()
    }


def _present(record: dict[str, Any], text: dict[str, Any] | None) -> dict[str, Any]:
    text = text or {}
    reason = record.get("first_reason") or ""
    return {
        "row": record["row"],
        "sku": text.get("sku", ""),
        "description": text.get("description", ""),
        "quantity": text.get("quantity"),
        "unit": text.get("unit", ""),
        "unit_cost": text.get("unit_cost"),
        "category": record.get("category") or "",
        "category_label": category_label(record.get("category") or ""),
        "warehouse": record.get("warehouse") or "",
        "book_value": cents(record.get("book_value_cents")),
        "eligible": cents(record.get("eligible_cents")),
        "ineligible": cents(record.get("ineligible_cents")),
        "reason": reason if record.get("ineligible_cents") else "",
        "reason_label": reason_label(reason) if reason and record.get("ineligible_cents") else "",
        "liquidation_value": cents(record.get("nrv_cents")),
        "eligible_liquidation_value": cents(record.get("eligible_nrv_cents")),
        "nrv_basis": record.get("nrv_basis") or "",
    }


def line_count(run: ValuationRun, line_filter: LineFilter) -> int:
    """How many lines the filter matches (0 when the run has no lines file)."""
    with _lines_path(run) as path:
        if path is None:
            return 0
        return int(_filtered(pl.scan_parquet(path), run, line_filter).select(pl.len()).collect().item())


def line_page(run: ValuationRun, line_filter: LineFilter) -> LinePage:
    """The page of lines ``line_filter`` asks for, with the count and totals of all it matches."""
    with _lines_path(run) as path:
        if path is None:
            return LinePage(rows=[], count=0, number=1, num_pages=1, available=False)
        lazy = _filtered(pl.scan_parquet(path), run, line_filter)
        totals = lazy.select(pl.len().alias("count"), *[pl.col(c).sum() for c in MONEY_COLUMNS])
        summary = totals.collect().row(0, named=True)
        count = int(summary["count"])
        num_pages = max(1, -(-count // PAGE_SIZE))
        number = min(line_filter.page, num_pages)
        records = _sorted(lazy, line_filter).slice((number - 1) * PAGE_SIZE, PAGE_SIZE).collect().to_dicts()
    texts = _stock_text(run, [r["row"] for r in records]) if records else {}
    return LinePage(
        rows=[_present(r, texts.get(r["row"])) for r in records],
        count=count,
        number=number,
        num_pages=num_pages,
        totals={c.removesuffix("_cents"): cents(summary[c] or 0) for c in MONEY_COLUMNS},
    )


# ------------------------------------------------------------------------------------ exports

# Export columns: (key, header). Money keys end in "_value"/"eligible"/"ineligible" (see MONEY_EXPORT).
EXPORT_COLUMNS = (
    ("row", gettext_lazy("Row")),
    ("sku", gettext_lazy("SKU")),
    ("description", gettext_lazy("Description")),
    ("category", gettext_lazy("Category")),
    ("warehouse", gettext_lazy("Warehouse")),
    ("quantity", gettext_lazy("Quantity")),
    ("unit", gettext_lazy("Unit")),
    ("unit_cost", gettext_lazy("Unit cost")),
    ("book_value", gettext_lazy("Book value")),
    ("eligible", gettext_lazy("Eligible")),
    ("ineligible", gettext_lazy("Ineligible")),
    ("reason", gettext_lazy("Reason")),
    ("liquidation_value", gettext_lazy("Liquidation value")),
    ("eligible_liquidation_value", gettext_lazy("Liquidation value of eligible stock")),
    ("nrv_basis", gettext_lazy("Liquidation basis")),
)
MONEY_EXPORT = {
    "book_value": "book_value_cents",
    "eligible": "eligible_cents",
    "ineligible": "ineligible_cents",
    "liquidation_value": "nrv_cents",
    "eligible_liquidation_value": "eligible_nrv_cents",
}
DECIMAL_EXPORT = ("quantity", "unit_cost")
TEXT_EXPORT = ("sku", "description", "category", "warehouse", "unit", "reason", "nrv_basis")
STOCK_TEXT = ("sku", "description", "quantity", "unit", "unit_cost")
# Past this many lines the stock file's text is read in one pass (COPY) rather than by row numbers.
BULK_TEXT_FROM = 20_000
CSV_BATCH = 50_000
# openpyxl writes about 2,000 lines a second on the benchmark machine: beyond this an XLSX
# export would hold a web worker for minutes, so larger selections go to CSV (1M lines in ~9 s).
XLSX_MAX_LINES = 50_000


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would take for a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralised(column: pl.Expr) -> pl.Expr:
    return pl.when(column.str.contains(r"^[=+\-@\t\r\x00]")).then(pl.lit("'") + column).otherwise(column)


def _money_text(cents_column: str) -> pl.Expr:
    """Integer cents as exact decimal text with two places ("-1234.05"), no float on the way."""
    cents_expr = pl.col(cents_column)
    size = cents_expr.abs()
    return pl.concat_str(
        [
            pl.when(cents_expr < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (size // 100).cast(pl.String),
            pl.lit("."),
            (size % 100).cast(pl.String).str.zfill(2),
        ]
    )


def export_header() -> list[str]:
    return [str(header) for _key, header in EXPORT_COLUMNS]


def _stock_text_frame(run: ValuationRun, rows: pl.Series) -> pl.DataFrame:
    """The stock file's own text for these rows, as strings (decimals exactly as stored)."""
    schema = {"row": pl.Int64, **{name: pl.String for name in STOCK_TEXT}}
    if rows.len() == 0:
        return pl.DataFrame(schema=schema)
    if rows.len() < BULK_TEXT_FROM:
        records = []
        wanted = rows.to_list()
        for start in range(0, len(wanted), EXPORT_CHUNK):
            records.extend(
                StockLine.objects.filter(upload_id=run.upload_id, row__in=wanted[start : start + EXPORT_CHUNK])
                .order_by()
                .values_list("row", *STOCK_TEXT)
            )
        data = [[r[0], *[None if v is None else str(v) for v in r[1:]]] for r in records]
        return pl.DataFrame(data, schema=schema, orient="row")
    from valuation.pipeline.frames import lines_frame

    lines = pl.from_pandas(lines_frame(run.upload))
    missing = [pl.lit(None, pl.String).alias(name) for name in STOCK_TEXT if name not in lines.columns]
    present = [pl.col(name).cast(pl.String) for name in STOCK_TEXT if name in lines.columns]
    return lines.select(pl.col("row").cast(pl.Int64), *present, *missing).select(list(schema))


def export_frame(run: ValuationRun, line_filter: LineFilter) -> pl.DataFrame:
    """Every line the filter matches, in its order, one text column per export column: money as
    exact decimal text, readable labels, and text a spreadsheet could run as a formula defused."""
    with _lines_path(run) as path:
        if path is None:
            return pl.DataFrame(schema={key: pl.String for key, _header in EXPORT_COLUMNS})
        frame = _sorted(_filtered(pl.scan_parquet(path), run, line_filter), line_filter).collect()
    frame = frame.with_columns(pl.col("row").cast(pl.Int64))
    text = _stock_text_frame(run, frame["row"])
    frame = frame.join(text, on="row", how="left", maintain_order="left")
    categories = {code: category_label(code) for code in frame["category"].unique().drop_nulls().to_list()}
    reasons = {code: reason_label(code) for code in frame["first_reason"].unique().drop_nulls().to_list()}
    columns = {
        "row": pl.col("row").cast(pl.String),
        "category": pl.col("category").replace_strict(categories, default=pl.col("category"), return_dtype=pl.String),
        "warehouse": pl.col("warehouse"),
        "reason": pl.when(pl.col("ineligible_cents") != 0)
        .then(pl.col("first_reason").replace_strict(reasons, default=pl.col("first_reason"), return_dtype=pl.String))
        .otherwise(pl.lit("")),
        "nrv_basis": pl.col("nrv_basis"),
        **{name: pl.col(name) for name in STOCK_TEXT},
        **{key: _money_text(source) for key, source in MONEY_EXPORT.items()},
    }
    out = frame.select([columns[key].cast(pl.String).alias(key) for key, _header in EXPORT_COLUMNS])
    return out.with_columns([_neutralised(pl.col(name).fill_null("")).alias(name) for name in TEXT_EXPORT])


def export_rows(run: ValuationRun, line_filter: LineFilter) -> Iterator[list[Any]]:
    """The export as cells: text (neutralised), money and quantities as exact Decimals."""
    frame = export_frame(run, line_filter)
    keys = [key for key, _header in EXPORT_COLUMNS]
    numeric = {*MONEY_EXPORT, *DECIMAL_EXPORT}
    for values in frame.iter_rows():
        cells: list[Any] = []
        for key, value in zip(keys, values, strict=True):
            if key == "row":
                cells.append(int(value))
            elif key in numeric:
                cells.append(Decimal(value) if value else None)
            else:
                cells.append(value)
        yield cells


def csv_chunks(run: ValuationRun, line_filter: LineFilter) -> Iterator[str]:
    """The export as CSV text in batches (UTF-8 with BOM so spreadsheets guess the encoding)."""
    header = io.StringIO()
    csv.writer(header).writerow(export_header())
    yield "\ufeff" + header.getvalue()
    frame = export_frame(run, line_filter)
    for offset in range(0, frame.height, CSV_BATCH):
        yield frame.slice(offset, CSV_BATCH).write_csv(include_header=False, quote_style="necessary")


def xlsx_bytes(run: ValuationRun, line_filter: LineFilter) -> bytes:
    """The export as an XLSX workbook (openpyxl write-only: constant memory per row). Text cells
    are typed as text, so nothing is ever read as a formula; money is written as exact decimals."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Lines"))[:31])
    sheet.append(export_header())
    money_columns = {i for i, (key, _header) in enumerate(EXPORT_COLUMNS) if key in MONEY_EXPORT}
    for cells in export_rows(run, line_filter):
        row = []
        for index, value in enumerate(cells):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif index in money_columns and value is not None:
                cell.number_format = "#,##0.00"
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
