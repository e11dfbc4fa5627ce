"""Excel's biggest sheets are legitimate: the parser's memory allowance follows the sheet's size,
and a big sheet read in slices of rows gives exactly the table a whole read gives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import polars.testing
import pytest

from bench.exports import CONTENT_TYPES, ROOT_RELS, STYLES, WORKBOOK, WORKBOOK_RELS, write_xlsx
from tests.imports.conftest import EXPECTED, TODAY
from valuation.imports import FileFormat, ImportLimits, ImportRejected, _sheet_worker, read_stock_file
from valuation.imports.limits import MB
from valuation.imports.spreadsheet import read_spreadsheet_grid
from valuation.imports.zipsafety import check_zip_spreadsheet

# Small enough that a sheet of a few dozen rows is cut into several slices.
SLICED = ImportLimits(sheet_slice_bytes=512)


def _book(path: Path, rows_xml: str, dimension: str = "") -> Path:
    """A one-sheet workbook whose <sheetData> is ``rows_xml``, optionally with a dimension."""
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{head}<sheetData>{rows_xml}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(name="Stock"))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _row(number: int, cells: str, numbered: bool = True) -> str:
    return f'<row r="{number}">{cells}</row>' if numbered else f"<row>{cells}</row>"


def _stock_rows(numbers: list[int], numbered: bool = True) -> str:
    """A title in B1, the header in row 3 (columns B to E, column A empty), lines below."""
    rows = [_row(1, _text("B1", "Etat du stock"), numbered)]
    header = "".join(
        _text(f"{c}3", h) for c, h in zip("BCDE", ("Code article", "Famille", "Qté", "PU HT"), strict=True)
    )
    rows.append(_row(3, header, numbered))
    for n in numbers:
        cells = _text(f"B{n}", f"SKU{n}") + _text(f"C{n}", "MP") + f'<c r="D{n}"><v>{n}.5</v></c>'
        if n % 7:  # some lines leave the last column empty
            cells += f'<c r="E{n}"><v>{n % 13}.25</v></c>'
        rows.append(_row(n, cells, numbered))
    return "".join(rows)


def _grid(path: Path, limits: ImportLimits):
    return read_spreadsheet_grid(path, FileFormat.XLSX, sheet=None, limits=limits)


def test_allowance_follows_the_sheet_by_hand():
    limits = ImportLimits()
    # The bench's 1M-line, 27-column export: its sheet inflates to 1,122,145,777 bytes and
    # declares A1:AA1000004. 1,536 MiB = 1,610,612,736; twice the sheet = 2,244,291,554;
    # 27 x 1,000,004 cells x 32 bytes = 864,003,456. Sum: 4,718,907,746 bytes.
    assert limits.child_memory_for(1_122_145_777, 27 * 1_000_004) == 4_718_907_746
    # A small sheet gets the floor, an absurd one the ceiling.
    assert limits.child_memory_for(5_000, 40) == 2_048 * MB
    assert limits.child_memory_for(3_000_000_000, 0) == 6_144 * MB
    assert ImportLimits(child_memory_bytes=MB).child_memory_for(0, 0) == 1_536 * MB


def test_footprint_is_the_inflated_sheet_and_its_declared_range(tmp_path):
    path = _book(tmp_path / "s.xlsx", _stock_rows([4, 5, 6]), dimension="A1:M1048576")
    with zipfile.ZipFile(path) as archive:
        inflated = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    footprint = check_zip_spreadsheet(path, ImportLimits())
    assert footprint.inflated_bytes == inflated
    assert footprint.declared_cells == 1_048_576 * 13  # M is the 13th column


def test_a_sheet_declaring_all_of_excels_rows_is_accepted(tmp_path):
    """A1:M1048576 is Excel's own grid height: legitimate, even over three lines."""
    path = write_xlsx(EXPECTED, tmp_path / "s.xlsx", seed=1)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<dimension ref="') + len(b'<dimension ref="')
    end = sheet.index(b'"', start)
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + b"A1:M1048576" + sheet[end:]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    outcome = read_stock_file(path, today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert list(outcome.lines["sku"]) == ["A-001", "B-002", "C-003"]


def test_slices_give_the_whole_reads_table(tmp_path):
    """Blank rows between and across slices, an empty column A, a last column some rows lack:
    the sliced read is cell for cell the whole read, with the same row numbers."""
    numbers = [*range(4, 30), *range(41, 45), *range(120, 160)]  # rows 30-40 and 45-119 blank
    path = _book(tmp_path / "s.xlsx", _stock_rows(numbers), dimension="A1:E159")
    whole, sliced = _grid(path, ImportLimits()), _grid(path, SLICED)
    assert sliced.headers == whole.headers == ["Code article", "Famille", "Qté", "PU HT"]
    assert (sliced.header_row, sliced.first_row) == (whole.header_row, whole.first_row) == (3, 4)
    assert sliced.frame.equals(whole.frame)
    frame = whole.frame
    assert frame.height == 159 - 3  # sheet rows 4 to 159
    assert frame.row(0) == ("SKU4", "MP", "4.5", "4.25")  # 4 % 13 = 4
    assert frame.row(7 - 4) == ("SKU7", "MP", "7.5", None)  # row 7 has no PU HT
    assert frame.row(35 - 4) == (None, None, None, None)  # a blank row keeps its place
    assert frame.row(120 - 4) == ("SKU120", "MP", "120.5", "3.25")  # 120 = 9 x 13 + 3
    # It was read in slices, not whole after a silent fallback: the slicer gives the table.
    table = _sheet_worker._read_in_slices(str(path), str(tmp_path / "t"), "Stock", 10**6, 512)
    assert table.num_rows == 159 and table.num_columns == 4  # from sheet row 1, column B


def test_sliced_upload_reads_the_same_lines(tmp_path):
    """The whole upload path (title rows, total row, typed cells) on a sheet cut in slices."""
    lines = pl.concat([EXPECTED] * 20).with_columns(sku=pl.format("S{}", pl.int_range(pl.len())))
    path = write_xlsx(lines, tmp_path / "s.xlsx", seed=3)  # seed 3: a title block and a total row
    whole = read_stock_file(path, today=TODAY)
    sliced = read_stock_file(path, today=TODAY, limits=SLICED)
    assert whole.accepted, whole.report.to_json()
    assert whole.report.to_json() == sliced.report.to_json()
    polars.testing.assert_frame_equal(pl.from_pandas(whole.lines), pl.from_pandas(sliced.lines))
    assert len(sliced.lines) == 60
    assert _sheet_worker._read_in_slices(str(path), str(tmp_path / "t"), "Stock", 10**6, 512).num_rows == 3 + 60 + 1


def test_rows_numbered_by_position_only_are_read_whole(tmp_path):
    """Without row numbers a slice cannot be placed: the sheet is read whole, as before."""
    rows = "".join(
        _row(0, _text(f"A{n}", f"SKU{n}") + f'<c r="B{n}"><v>{n}</v></c>', numbered=False) for n in range(1, 60)
    )
    path = _book(tmp_path / "s.xlsx", rows)
    whole, sliced = _grid(path, ImportLimits()), _grid(path, SLICED)
    assert sliced.frame.equals(whole.frame)
    assert sliced.headers == ["SKU1", "1"]
    assert sliced.frame.row(59 - 2) == ("SKU59", "59")  # row 1 is the header
    with pytest.raises(_sheet_worker.NotSliceable):
        _sheet_worker._read_in_slices(str(path), str(tmp_path / "t"), "Stock", 10**6, 512)


def test_xfd1048576_cell_in_a_sliced_sheet_is_refused(tmp_path):
    """The hostile cell behind a lying dimension, now in the last slice of a sliced read."""
    rows = _stock_rows(list(range(4, 40))) + _row(1_048_576, _text("XFD1048576", "x"))
    path = _book(tmp_path / "s.xlsx", rows, dimension="A1:E5")
    with pytest.raises(ImportRejected) as refused:
        _grid(path, ImportLimits(sheet_slice_bytes=512, child_memory_bytes=1024 * MB, child_memory_max_bytes=1024 * MB))
    assert refused.value.kind in ("unsafe_spreadsheet", "too_many_columns", "too_many_rows")
