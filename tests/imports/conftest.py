"""Builders for small stock exports in every supported format (generated, not stored)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import polars as pl
import pytest

TODAY = date(2026, 12, 31)

# The reference stock: what every export below must read back to.
EXPECTED = pl.DataFrame(
    {
        "sku": ["A-001", "B-002", "C-003"],
        "description": ["Vis M6 inox", "Tube acier Ø20; lot", "Moteur 1,5 kW"],
        "category": ["raw_material", "wip", "finished_good"],
        "warehouse": ["PAR1", "LYO2", "PAR1"],
        "quantity": ["1234.5", "10", "3"],
        "unit_cost": ["0.125", "2.5", "1500"],
        "book_value": ["154.31", "25", "4500"],
        "last_movement_date": [date(2026, 1, 15), date(2025, 12, 31), date(2024, 6, 30)],
    }
)
CANONICAL = list(EXPECTED.columns)

FR_HEADER = [
    "Code article",
    "Désignation",
    "Famille",
    "Dépôt",
    "Qté",
    "PU HT",
    "Valeur stock",
    "Date dernier mouvement",
]
EN_HEADER = ["SKU", "Description", "Category", "Warehouse", "Qty", "Unit cost", "Stock value", "Last movement date"]
ZH_HEADER = ["物料编码", "物料名称", "类别", "仓库", "数量", "单价", "金额", "最后出库日期"]
FR_ROWS = [
    ["A-001", "Vis M6 inox", "MP", "PAR1", "1\u00a0234,5", "0,125", "154,31", "15/01/2026"],
    ["B-002", "Tube acier Ø20; lot", "En-cours", "LYO2", "10", "2,50", "25,00", "31/12/2025"],
    ["C-003", "Moteur 1,5 kW", "PF", "PAR1", "3", "1\u00a0500", "4\u00a0500,00", "30/06/2024"],
]
EN_ROWS = [
    ["A-001", "Vis M6 inox", "Raw material", "PAR1", "1,234.5", "0.125", "154.31", "2026-01-15"],
    ["B-002", "Tube acier Ø20; lot", "WIP", "LYO2", "10", "2.50", "25.00", "2025-12-31"],
    ["C-003", "Moteur 1,5 kW", "Finished goods", "PAR1", "3", "1,500", "4,500.00", "2024-06-30"],
]
ZH_ROWS = [
    ["A-001", "Vis M6 inox", "原材料", "PAR1", "1234.5", "0.125", "154.31", "2026-01-15"],
    ["B-002", "Tube acier Ø20; lot", "在制品", "LYO2", "10", "2.5", "25", "2025/12/31"],
    ["C-003", "Moteur 1,5 kW", "产成品", "PAR1", "3", "1500", "4500", "2024年6月30日"],
]


def csv_text(header: list[str], rows: list[list[str]], sep: str = ";") -> str:
    """Join cells as an ERP would, quoting cells that hold the separator or a quote."""

    def cell(value: str) -> str:
        if sep in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(sep.join(cell(v) for v in row) + "\r\n" for row in [header, *rows])


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def write_xlsx_openpyxl(path: Path, rows: list[list[object]], title_rows: int = 0) -> Path:
    """An XLSX as Excel users make it: typed cells (numbers, real dates), title rows above."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Stock"
    for _ in range(title_rows):
        sheet.append(["Etat du stock au 31/12/2026"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def typed_rows() -> list[list[object]]:
    """The reference stock as spreadsheet cells: floats, ints and datetimes, French headers."""
    return [
        FR_HEADER,
        ["A-001", "Vis M6 inox", "MP", "PAR1", 1234.5, 0.125, 154.31, datetime(2026, 1, 15)],
        ["B-002", "Tube acier Ø20; lot", "En-cours", "LYO2", 10, 2.5, 25, datetime(2025, 12, 31)],
        ["C-003", "Moteur 1,5 kW", "PF", "PAR1", 3, 1500, 4500.0, datetime(2024, 6, 30)],
    ]


def write_ods(path: Path, rows: list[list[object]]) -> Path:
    """A minimal OpenDocument spreadsheet: numbers as floats, dates as date cells."""
    cells_xml = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                iso = value.date().isoformat()
                cells.append(
                    f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
                    f"<text:p>{iso}</text:p></table:table-cell>"
                )
            elif isinstance(value, int | float):
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>"
                )
            else:
                cells.append(
                    f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
                    "</text:p></table:table-cell>"
                )
        cells_xml.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Stock">'
        + "".join(cells_xml)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def canonical(frame) -> pl.DataFrame:
    """The outcome's lines as polars with only the reference columns, for comparison."""
    lines = pl.from_pandas(frame)
    return lines.select(
        [pl.col(c).cast(pl.Date) if c == "last_movement_date" else pl.col(c) for c in CANONICAL]
    ).with_columns(pl.col(c).cast(pl.String) for c in CANONICAL if c != "last_movement_date")


@pytest.fixture
def today() -> date:
    return TODAY
