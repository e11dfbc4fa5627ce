"""Write canonical stock lines as realistic ERP exports (for the benchmark and the tests).

Input: a canonical frame (pandas or polars, as ``bench.synthetic.synthetic_lines`` returns).
Output: a French CSV (``;``, comma decimals, no-break-space thousands, French headers,
Windows-1252), an English CSV, or an XLSX workbook. ``seed`` picks per-file variety (header
synonyms, date form, thousands separator, a title block and a total row) reproducibly.
Everything is vectorised with polars, so a million lines take a couple of seconds.
"""

from __future__ import annotations

import random
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG

FRENCH_HEADERS: dict[str, tuple[str, ...]] = {
    "sku": ("Code article", "Réf. article", "Article"),
    "description": ("Désignation", "Libellé article"),
    "category": ("Famille", "Catégorie"),
    "sub_category": ("Sous-famille",),
    "warehouse": ("Dépôt", "Magasin"),
    "quantity": ("Qté", "Quantité en stock"),
    "unit": ("Unité",),
    "unit_cost": ("PU HT", "CUMP", "Prix unitaire HT"),
    "book_value": ("Valeur stock", "Valeur du stock"),
    "currency": ("Devise",),
    "last_movement_date": ("Date dernier mouvement",),
    "receipt_date": ("Date de réception",),
    "annual_consumption_qty": ("Consommation annuelle",),
    "unpaid_amount": ("Montant impayé",),
    "retention_of_title": ("Réserve de propriété",),
    "supplier_consignment": ("Stock en consignation",),
    "reverse_factoring": ("Affacturage inversé",),
    "defective": ("Défectueux",),
    "expiry_date": ("Date de péremption",),
    "in_transit": ("En transit",),
    "customer_return": ("Retour client",),
    "firm_order": ("Commande ferme",),
    "sellable_as_is": ("Vendable en l'état",),
    "resale_unit_price": ("Prix de vente unitaire",),
    "transport_cost": ("Frais de transport",),
    "storage_cost": ("Frais de stockage",),
    "commission_cost": ("Frais de commission",),
}
ENGLISH_HEADERS: dict[str, tuple[str, ...]] = {
    "sku": ("SKU", "Item code"),
    "description": ("Description",),
    "category": ("Category", "Stock type"),
    "sub_category": ("Sub-category",),
    "warehouse": ("Warehouse", "Location"),
    "quantity": ("Qty", "Quantity on hand"),
    "unit": ("UoM",),
    "unit_cost": ("Unit cost", "Standard cost"),
    "book_value": ("Stock value", "Inventory value"),
    "currency": ("Currency",),
    "last_movement_date": ("Last movement date",),
    "receipt_date": ("Receipt date",),
    "annual_consumption_qty": ("Annual consumption",),
    "unpaid_amount": ("Unpaid amount",),
    "retention_of_title": ("Retention of title",),
    "supplier_consignment": ("Supplier consignment",),
    "reverse_factoring": ("Reverse factoring",),
    "defective": ("Defective",),
    "expiry_date": ("Expiry date",),
    "in_transit": ("In transit",),
    "customer_return": ("Customer return",),
    "firm_order": ("Firm order",),
    "sellable_as_is": ("Sellable as is",),
    "resale_unit_price": ("Resale unit price",),
    "transport_cost": ("Transport cost",),
    "storage_cost": ("Storage cost",),
    "commission_cost": ("Commission",),
}
FRENCH_CATEGORIES = {
    "raw_material": ("MP", "Matières premières"),
    "wip": ("En-cours", "Semi-finis"),
    "finished_good": ("PF", "Produits finis"),
}
ENGLISH_CATEGORIES = {
    "raw_material": ("RM", "Raw material"),
    "wip": ("WIP", "Work in progress"),
    "finished_good": ("FG", "Finished goods"),
}
# Cells an export must not let a spreadsheet read as a formula (CSV/formula injection).
FORMULA_STARTS = r"^[=+\-@\t\r\x00]"
THOUSANDS_FR = ("\u00a0", "\u202f", " ")


@dataclass(frozen=True, slots=True)
class Style:
    """One export's conventions, picked from the seed."""

    headers: dict[str, str]
    categories: dict[str, str]
    decimal: str
    thousands: str
    date_format: str  # strftime format, or "serial" for Excel day numbers
    title: bool
    total_row: bool
    yes: str
    no: str


def _style(seed: int, *, french: bool) -> Style:
    rng = random.Random(seed)
    names = FRENCH_HEADERS if french else ENGLISH_HEADERS
    categories = FRENCH_CATEGORIES if french else ENGLISH_CATEGORIES
    return Style(
        headers={k: rng.choice(v) for k, v in names.items()},
        categories={k: rng.choice(v) for k, v in categories.items()},
        decimal="," if french else ".",
        thousands=rng.choice(THOUSANDS_FR) if french else rng.choice((",", "")),
        date_format=rng.choice(("%d/%m/%Y", "%Y-%m-%d")) if french else "%Y-%m-%d",
        title=rng.random() < 0.5,
        total_row=rng.random() < 0.5,
        yes="Oui" if french else "Y",
        no="Non" if french else "N",
    )


def to_polars(lines: Any) -> pl.DataFrame:
    """Return canonical lines as polars with decimals as text, dates as Date, flags as bool."""
    frame = lines if isinstance(lines, pl.DataFrame) else pl.from_pandas(lines)
    casts = []
    for name in frame.columns:
        kind = COLUMNS.get(name)
        dtype = frame.schema[name]
        if kind == DECIMAL and dtype != pl.String:
            casts.append(pl.col(name).cast(pl.String))
        elif kind == DATE and dtype != pl.Date:
            casts.append(pl.col(name).cast(pl.Date))
        elif kind == FLAG and dtype != pl.Boolean:
            casts.append(pl.col(name).cast(pl.Boolean))
    return frame.with_columns(casts) if casts else frame


def group_thousands(plain: pl.Expr, *, separator: str, decimal: str) -> pl.Expr:
    """Format normalised decimal text ("-1234.5") with a thousands separator and decimal mark.

    Vectorised: the integer part is zero-padded to 18 digits, cut in groups of three, joined,
    and the leading zeros and separators stripped again.
    """
    negative = plain.str.starts_with("-")
    body = plain.str.strip_chars_start("-")
    parts = body.str.split_exact(".", 1)
    integer = parts.struct.field("field_0")
    fraction = parts.struct.field("field_1")
    padded = integer.str.zfill(18)
    groups = [padded.str.slice(i, 3) for i in range(0, 18, 3)]
    grouped = pl.concat_str(groups, separator=separator) if separator else padded
    grouped = grouped.str.strip_chars_start("0" + separator)
    grouped = pl.when(grouped == "").then(pl.lit("0")).otherwise(grouped)
    text = pl.when(fraction.is_null()).then(grouped).otherwise(pl.concat_str([grouped, pl.lit(decimal), fraction]))
    return pl.when(negative).then(pl.lit("-") + text).otherwise(text)


def neutralise(text: pl.Expr) -> pl.Expr:
    """Prefix a quote to text that a spreadsheet would take for a formula."""
    return pl.when(text.str.contains(FORMULA_STARTS)).then(pl.lit("'") + text).otherwise(text)


def _formatted(frame: pl.DataFrame, style: Style) -> pl.DataFrame:
    """Every column as the text an ERP would print, headers renamed."""
    exprs = []
    for name in frame.columns:
        kind = COLUMNS.get(name)
        if kind is None:
            continue
        col = pl.col(name)
        if name == "category":
            expr = col.replace_strict(style.categories, default=col)
        elif kind == DECIMAL:
            expr = group_thousands(col, separator=style.thousands, decimal=style.decimal)
        elif kind == DATE:
            if style.date_format == "serial":
                expr = (col - pl.lit(date(1899, 12, 30))).dt.total_days().cast(pl.String)
            else:
                expr = col.dt.strftime(style.date_format)
        elif kind == FLAG:
            expr = pl.when(col).then(pl.lit(style.yes)).when(~col).then(pl.lit(style.no))
        else:
            expr = neutralise(col.cast(pl.String))
        exprs.append(expr.alias(style.headers[name]))
    return frame.select(exprs)


def _write_csv(frame: pl.DataFrame, path: Path, style: Style, *, separator: str, encoding: str, today: str) -> Path:
    table = _formatted(frame, style)
    body = table.write_csv(separator=separator, quote_style="necessary", null_value="")
    if style.title:
        body = (
            f"Etat du stock au {today}\n\n" + body
            if style.decimal == ","
            else (f"Inventory valuation report as of {today}\n\n" + body)
        )
    if style.total_row:
        body += ("Total" if style.decimal == "," else "TOTAL") + separator * (table.width - 1) + "\n"
    path.write_bytes(body.encode(encoding, errors="replace"))
    return path


def write_french_csv(lines: Any, path: Path, *, seed: int = 0, encoding: str = "cp1252") -> Path:
    """Write a French ERP export: ``;``, comma decimals, no-break-space thousands, French
    headers and category names, dates as 31/12/2026 or ISO, Windows-1252 by default."""
    style = _style(seed, french=True)
    if encoding.lower().replace("-", "") in ("cp1252", "windows1252", "latin1"):
        # U+202F does not exist in Windows-1252: a real export would print a no-break space.
        style = Style(**{**_asdict(style), "thousands": "\u00a0"})
    return _write_csv(to_polars(lines), path, style, separator=";", encoding=encoding, today="31/12/2026")


def write_english_csv(lines: Any, path: Path, *, seed: int = 0) -> Path:
    """Write an English ERP export: ``,`` separator, dot decimals, UTF-8, ISO dates."""
    style = _style(seed, french=False)
    return _write_csv(to_polars(lines), path, style, separator=",", encoding="utf_8", today="2026-12-31")


def _asdict(style: Style) -> dict[str, Any]:
    return {name: getattr(style, name) for name in Style.__slots__}


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_escape(text: pl.Expr) -> pl.Expr:
    return (
        text.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "")
    )


_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
# Style 1 = a date format (built-in 14), so readers see real date cells.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def write_xlsx(
    lines: Any,
    path: Path,
    *,
    seed: int = 0,
    french: bool = True,
    sheet_name: str = "Stock",
    extra_sheet_xml: str = "",
) -> Path:
    """Write an XLSX workbook: numbers and dates as real cells, text as inline strings.

    The sheet XML is assembled with polars string expressions (no per-cell Python), which is
    ~50× faster than openpyxl. Title and total rows follow the seed like the CSV writers.
    ``extra_sheet_xml`` is appended inside ``<sheetData>`` (tests use it for hostile cells).
    """
    style = _style(seed, french=french)
    frame = to_polars(lines)
    names = [n for n in frame.columns if n in COLUMNS]
    offset = 3 if style.title else 1  # sheet row of the header
    cells = []
    for index, name in enumerate(names):
        ref = pl.lit(_column_letters(index)) + pl.col("__r").cast(pl.String)
        kind = COLUMNS[name]
        col = pl.col(name)
        if kind == DECIMAL:
            cell = pl.concat_str([pl.lit('<c r="'), ref, pl.lit('"><v>'), col, pl.lit("</v></c>")])
        elif kind == DATE:
            serial = (col - pl.lit(date(1899, 12, 30))).dt.total_days().cast(pl.String)
            cell = pl.concat_str([pl.lit('<c r="'), ref, pl.lit('" s="1"><v>'), serial, pl.lit("</v></c>")])
        else:
            if name == "category":
                text = col.replace_strict(style.categories, default=col)
            elif kind == FLAG:
                text = pl.when(col).then(pl.lit(style.yes)).when(~col).then(pl.lit(style.no))
            else:
                text = col.cast(pl.String)
            cell = pl.concat_str(
                [
                    pl.lit('<c r="'),
                    ref,
                    pl.lit('" t="inlineStr"><is><t>'),
                    _xml_escape(text),
                    pl.lit("</t></is></c>"),
                ]
            )
        cells.append(cell.fill_null(""))
    rows = frame.with_columns(pl.int_range(offset + 1, offset + 1 + frame.height).alias("__r")).select(
        pl.concat_str(
            [
                pl.lit('<row r="'),
                pl.col("__r").cast(pl.String),
                pl.lit('">'),
                *cells,
                pl.lit("</row>"),
            ]
        ).alias("xml")
    )
    header = "".join(
        f'<c r="{_column_letters(i)}{offset}" t="inlineStr"><is><t>{style.headers[n]}</t></is></c>'
        for i, n in enumerate(names)
    )
    title = '<row r="1"><c r="A1" t="inlineStr"><is><t>Etat du stock</t></is></c></row>' if style.title else ""
    last = offset + frame.height + 1
    total = f'<row r="{last}"><c r="A{last}" t="inlineStr"><is><t>Total</t></is></c></row>' if style.total_row else ""
    sheet = "".join(
        [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:{_column_letters(len(names) - 1)}{last}"/><sheetData>',
            title,
            f'<row r="{offset}">{header}</row>',
            rows.select(pl.col("xml").str.join("")).item() if frame.height else "",
            total,
            extra_sheet_xml,
            "</sheetData></worksheet>",
        ]
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(name=sheet_name))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def sample_lines(n: int, seed: int = 0) -> pl.DataFrame:
    """Canonical lines for benchmarks when ``bench.synthetic`` is not available: seeded,
    vectorised (numpy), with every kind of column (text, decimal text, dates, flags)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    qty_milli = rng.integers(0, 5_000_000, n)
    cost_ten_thousandths = rng.integers(1, 50_000_000, n)
    frame = pl.DataFrame(
        {
            "sku": pl.Series(rng.integers(0, 10**9, n)).cast(pl.String),
            "description": pl.Series(
                rng.choice(
                    [
                        "Vis M6 inox",
                        "Tube acier Ø20",
                        "Carton 40x30",
                        "Moteur 1,5 kW",
                        "Résine époxy",
                    ],
                    n,
                )
            ),
            "category": pl.Series(rng.choice(["raw_material", "wip", "finished_good"], n)),
            "warehouse": pl.Series(rng.choice(["PAR1", "LYO2", "SH01", "TRANSIT"], n)),
            "qty_m": qty_milli,
            "cost_t": cost_ten_thousandths,
            "last_movement_date": pl.Series(rng.integers(18_000, 20_800, n)).cast(pl.Date),
            "defective": rng.random(n) < 0.02,
        }
    )

    def scaled(column: str, decimals: int) -> pl.Expr:
        whole = (pl.col(column) // 10**decimals).cast(pl.String)
        part = (pl.col(column) % 10**decimals).cast(pl.String).str.zfill(decimals)
        text = pl.concat_str([whole, pl.lit("."), part]).str.strip_chars_end("0")
        return text.str.strip_chars_end(".")

    book = (pl.col("qty_m") * pl.col("cost_t") + 50_000) // 100_000  # cents, half-up
    return frame.with_columns(
        quantity=scaled("qty_m", 3),
        unit_cost=scaled("cost_t", 4),
        book_value=pl.concat_str(
            [(book // 100).cast(pl.String), pl.lit("."), (book % 100).cast(pl.String).str.zfill(2)]
        )
        .str.strip_chars_end("0")
        .str.strip_chars_end("."),
    ).select(
        "sku",
        "description",
        "category",
        "warehouse",
        "quantity",
        "unit_cost",
        "book_value",
        "last_movement_date",
        "defective",
    )


def _lines(n: int, seed: int) -> Any:
    try:
        from bench.synthetic import synthetic_lines  # written by another engineer
    except ImportError:
        return sample_lines(n, seed)
    return synthetic_lines(n, seed)


def main() -> None:
    """Measure export writing and reading: ``python -m bench.exports [lines] [xlsx lines] [sample]``."""
    import resource
    import sys
    import tempfile
    import time

    from valuation.imports import ImportLimits, read_stock_file

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_xlsx = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    # "sample" as third argument: the 9-column sample_lines instead of bench.synthetic (27 columns).
    lines = sample_lines(n, 1) if sys.argv[3:] == ["sample"] else _lines(n, 1)
    with tempfile.TemporaryDirectory() as folder:
        for label, writer, count in (
            ("French CSV", write_french_csv, n),
            ("English CSV", write_english_csv, n),
            ("XLSX", write_xlsx, n_xlsx),
        ):
            path = Path(folder) / f"stock.{'xlsx' if writer is write_xlsx else 'csv'}"
            subset = to_polars(lines).head(count)
            started = time.perf_counter()
            writer(subset, path, seed=3)
            written = time.perf_counter() - started
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                outcome = read_stock_file(path, limits=ImportLimits(max_bytes=2**30))
                timings.append(time.perf_counter() - started)
            assert outcome.accepted, outcome.report.to_json()["problems"][:3]
            size = path.stat().st_size / 1e6
            print(
                f"{label}: {count:,} lines, {size:,.0f} MB, written in {written:.2f} s, "
                f"read+validated median {sorted(timings)[1]:.2f} s "
                f"(lines={outcome.report.lines:,})"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
