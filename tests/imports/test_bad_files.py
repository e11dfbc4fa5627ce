"""Hostile, broken and absurd files are refused with a clear message, never an exception."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bench.exports import write_xlsx
from tests.imports.conftest import EXPECTED, FR_HEADER, FR_ROWS, TODAY, csv_text, write
from valuation.imports import ImportLimits, ImportRejected, preview_stock_file, read_stock_file

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def rejected(path: Path, **kwargs):
    outcome = read_stock_file(path, today=TODAY, **kwargs)
    assert not outcome.accepted
    assert outcome.lines is None
    json.dumps(outcome.report.to_json())  # always storable
    return outcome.report


def only_problem(report):
    assert report.error_count == 1, report.to_json()
    return report.problems[0]


def test_png_renamed_csv(tmp_path):
    problem = only_problem(rejected(write(tmp_path, "stock.csv", PNG)))
    assert problem.kind == "wrong_file_type"
    assert "PNG image" in problem.message


def test_csv_renamed_xlsx(tmp_path):
    path = write(tmp_path, "stock.xlsx", csv_text(FR_HEADER, FR_ROWS))
    problem = only_problem(rejected(path))
    assert problem.kind == "wrong_file_type"
    assert "text file" in problem.message


def test_binary_junk_in_csv(tmp_path):
    problem = only_problem(rejected(write(tmp_path, "stock.csv", bytes(range(256)) * 100)))
    assert problem.kind == "wrong_file_type"


def test_unknown_extension(tmp_path):
    assert only_problem(rejected(write(tmp_path, "stock.pdf", b"%PDF-1.4"))).kind == ("unsupported_format")


def test_empty_file(tmp_path):
    assert only_problem(rejected(write(tmp_path, "stock.csv", b""))).kind == "empty_file"


def test_header_only_is_rejected_as_no_lines(tmp_path):
    report = rejected(write(tmp_path, "stock.csv", ";".join(FR_HEADER) + "\r\n"))
    assert report.counts == {"no_lines": 1}
    assert "no stock line" in report.problems[0].message


def test_missing_required_columns_are_named(tmp_path):
    header = ["Code article", "Désignation", "Qté"]
    report = rejected(write(tmp_path, "s.csv", csv_text(header, [["A", "x", "1"]])))
    fields = {p.field for p in report.problems}
    assert fields == {"category", "unit_cost or book_value"}
    assert all(p.kind == "missing_column" for p in report.problems)


def test_duplicate_mapped_header(tmp_path):
    header = [*FR_HEADER, "Qté"]
    rows = [r + ["1"] for r in FR_ROWS]
    report = rejected(write(tmp_path, "s.csv", csv_text(header, rows)))
    problem = only_problem(report)
    assert (problem.kind, problem.column, problem.row) == ("duplicate_header", "Qté", 1)


def test_broken_rows_name_row_column_and_value(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][4] = "douze"  # quantity
    rows[1][2] = "Divers"  # category
    rows[2][5] = "-3"  # unit cost
    rows[2][7] = "31/02/2026"  # date
    report = rejected(write(tmp_path, "s.csv", csv_text(FR_HEADER, rows)))
    found = {(p.kind, p.row, p.column, p.field, p.value) for p in report.errors}
    assert found == {
        ("not_a_number", 2, "Qté", "quantity", "douze"),
        ("unknown_category", 3, "Famille", "category", "Divers"),
        ("negative_value", 4, "PU HT", "unit_cost", "-3"),
        ("bad_date", 4, "Date dernier mouvement", "last_movement_date", "31/02/2026"),
    }
    messages = " ".join(p.message for p in report.errors)
    assert "Row 2, column “Qté” (quantity): “douze” is not a number" in messages


def test_row_with_too_many_values(tmp_path):
    text = csv_text(FR_HEADER, FR_ROWS) + "D-004;Tube; acier;MP;PAR1;1;1;1;01/01/2026\r\n"
    problem = only_problem(rejected(write(tmp_path, "s.csv", text)))
    assert (problem.kind, problem.row) == ("too_many_values", 5)


def test_warnings_do_not_reject(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][6] = "999,99"  # book value ≠ qty × cost
    rows[1][4] = "-10"  # negative stock
    rows[1][6] = "-25,00"
    rows[2][7] = "01/01/2027"  # future movement
    outcome = read_stock_file(write(tmp_path, "s.csv", csv_text(FR_HEADER, rows)), today=TODAY)
    assert outcome.accepted
    assert outcome.report.counts == {
        "future_date": 1,
        "inconsistent_book_value": 1,
        "negative_stock": 2,
    }


def test_absurd_magnitude(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][4] = "5 000 000 000 000"
    report = rejected(write(tmp_path, "s.csv", csv_text(FR_HEADER, rows)))
    assert report.counts["absurd_value"] == 1


def test_mixed_encodings(tmp_path):
    head = csv_text(FR_HEADER, FR_ROWS[:2]).encode("utf-8")
    tail = csv_text(FR_HEADER, FR_ROWS[2:]).split("\r\n", 1)[1].encode("cp1252")
    problem = only_problem(rejected(write(tmp_path, "s.csv", head + tail.replace(b"PF", b"Pr\xe9"))))
    assert problem.kind == "mixed_encodings"
    assert "line 4" in problem.message


def test_too_large(tmp_path):
    path = write(tmp_path, "s.csv", csv_text(FR_HEADER, FR_ROWS))
    problem = only_problem(rejected(path, limits=ImportLimits(max_bytes=100)))
    assert problem.kind == "too_large"
    assert "at most 0 MB" not in problem.message or "MB" in problem.message


def test_too_many_rows_csv(tmp_path):
    path = write(tmp_path, "s.csv", csv_text(FR_HEADER, FR_ROWS * 20))
    assert only_problem(rejected(path, limits=ImportLimits(max_rows=10))).kind == "too_many_rows"


def test_too_many_rows_xlsx(tmp_path):
    path = write_xlsx(EXPECTED.vstack(EXPECTED).vstack(EXPECTED), tmp_path / "s.xlsx", seed=1)
    problem = only_problem(rejected(path, limits=ImportLimits(max_rows=2)))
    assert problem.kind == "too_many_rows"


def _zip_bomb(path: Path, inflated: int) -> Path:
    """A workbook whose sheet inflates to ``inflated`` bytes, streamed (never materialised)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            block = b" " * (1024 * 1024)
            for _ in range(inflated // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    path = _zip_bomb(tmp_path / "bomb.xlsx", 3 * 1024**3)
    assert path.stat().st_size < 5 * 1024 * 1024
    problem = only_problem(rejected(path))
    assert problem.kind == "unsafe_spreadsheet"
    assert "could not be read safely" in problem.message


def test_high_ratio_entry_is_refused(tmp_path):
    path = _zip_bomb(tmp_path / "bomb.xlsx", 200 * 1024**2)
    problem = only_problem(rejected(path))
    assert "compressed" in problem.message


def test_xml_entity_attack(tmp_path):
    path = write_xlsx(EXPECTED, tmp_path / "s.xlsx", seed=1)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"?><worksheet",
        b'?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet',
        1,
    )
    hostile = tmp_path / "entity.xlsx"
    with zipfile.ZipFile(hostile, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    problem = only_problem(rejected(hostile))
    assert "XML entities" in problem.message


def test_xfd1048576_cell_with_honest_dimension(tmp_path):
    """The dimension tag announces the absurd range: refused by the cheap check."""
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = write_xlsx(EXPECTED, tmp_path / "s.xlsx", seed=1, extra_sheet_xml=cell)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<dimension ref="') + len(b'<dimension ref="')
    end = sheet.index(b'"', start)
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + b"A1:XFD1048576" + sheet[end:]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    problem = only_problem(rejected(path))
    assert "could not be read safely" in problem.message


def test_xfd1048576_cell_behind_a_lying_dimension_is_contained(tmp_path):
    """The dimension says A1:H5: only the memory-limited child meets the cell, and dies alone."""
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = write_xlsx(EXPECTED, tmp_path / "s.xlsx", seed=1, extra_sheet_xml=cell)
    problem = only_problem(rejected(path, limits=ImportLimits(child_memory_bytes=1024**3)))
    assert problem.kind in ("unsafe_spreadsheet", "too_many_rows")
    assert "spreadsheet" in problem.message or "rows" in problem.message


def test_damaged_xlsx(tmp_path):
    path = write(tmp_path, "s.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    problem = only_problem(rejected(path))
    assert problem.kind in ("damaged_file", "unreadable_spreadsheet")


def test_fake_xls_is_refused_cleanly(tmp_path):
    """An OLE2 container that is not a workbook (XLS writing is not available to build one)."""
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    problem = only_problem(rejected(write(tmp_path, "s.xls", data)))
    assert problem.kind == "unreadable_spreadsheet"
    assert "could not be read" in problem.message


def test_preview_raises_import_rejected(tmp_path):
    with pytest.raises(ImportRejected) as caught:
        preview_stock_file(write(tmp_path, "s.csv", PNG))
    assert caught.value.report.problems[0].kind == "wrong_file_type"


def test_report_caps_listed_problems_but_counts_all(tmp_path):
    rows = [[f"X{i}", "d", "MP", "P", "abc", "1", "", ""] for i in range(1_500)]
    report = rejected(write(tmp_path, "s.csv", csv_text(FR_HEADER, rows)))
    data = report.to_json()
    assert data["counts"]["not_a_number"] == 1_500
    assert len(data["problems"]) == 1_000
    assert data["problems_truncated"] is True
    assert len(json.dumps(data)) < 400_000


def test_nul_byte_deep_in_a_csv_names_its_line(tmp_path):
    """A NUL past the sniffed head (no export holds one; PostgreSQL cannot store it) refuses the
    file naming the line, instead of failing later while the lines are stored."""
    lines = csv_text(FR_HEADER, FR_ROWS * 400).encode("utf-8").split(b"\n")
    lines[1200] = lines[1200].replace(b";", b"\x00;", 1)  # line 1201
    problem = only_problem(rejected(write(tmp_path, "stock.csv", b"\n".join(lines))))
    assert problem.kind == "control_character"
    assert problem.message.startswith("Line 1201 holds a NUL character")
