"""Every supported format and convention reads to the same canonical lines."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from tests.imports.conftest import (
    EN_HEADER,
    EN_ROWS,
    EXPECTED,
    FR_HEADER,
    FR_ROWS,
    TODAY,
    ZH_HEADER,
    ZH_ROWS,
    canonical,
    csv_text,
    typed_rows,
    write,
    write_ods,
    write_xlsx_openpyxl,
)
from valuation.imports import read_stock_file


def read(path: Path, **kwargs):
    outcome = read_stock_file(path, today=TODAY, **kwargs)
    assert outcome.accepted, outcome.report.to_json()
    return outcome


def assert_reference(outcome) -> None:
    assert canonical(outcome.lines).equals(EXPECTED), canonical(outcome.lines)


@pytest.mark.parametrize(
    ("name", "text", "encoding", "separator", "decimal", "detected_encoding"),
    [
        ("fr.csv", csv_text(FR_HEADER, FR_ROWS, ";"), "cp1252", ";", ",", "Windows-1252"),
        ("fr-utf8.csv", csv_text(FR_HEADER, FR_ROWS, ";"), "utf-8", ";", ",", "UTF-8"),
        ("fr-bom.csv", csv_text(FR_HEADER, FR_ROWS, ";"), "utf-8-sig", ";", ",", "UTF-8 (with BOM)"),
        ("fr-tab.txt", csv_text(FR_HEADER, FR_ROWS, "\t"), "utf-16", "tab", ",", "UTF-16"),
        ("fr-pipe.csv", csv_text(FR_HEADER, FR_ROWS, "|"), "latin-1", "|", ",", "Windows-1252"),
        ("en.csv", csv_text(EN_HEADER, EN_ROWS, ","), "utf-8", ",", ".", "UTF-8"),
        ("zh.csv", csv_text(ZH_HEADER, ZH_ROWS, ","), "gb18030", ",", ".", "GBK / GB18030"),
    ],
)
def test_csv_variants_read_to_the_reference_lines(
    tmp_path, name, text, encoding, separator, decimal, detected_encoding
):
    """Separators, decimal marks, thousands separators and encodings are detected, not asked."""
    outcome = read(write(tmp_path, name, text, encoding))
    assert_reference(outcome)
    detected = outcome.report.detected
    assert (detected["separator"], detected["decimal"]) == (separator, decimal)
    assert detected["encoding"] == detected_encoding
    assert outcome.lines["row"].tolist() == [2, 3, 4]
    assert outcome.warehouses == ["LYO2", "PAR1"]


def test_gbk_chinese_export_is_detected(tmp_path):
    """A Kingdee-style GBK export with Chinese headers and categories."""
    rows = [[c.replace("Ø", "") for c in row] for row in ZH_ROWS]
    outcome = read(write(tmp_path, "zh.csv", csv_text(ZH_HEADER, rows, ","), "gbk"))
    assert outcome.report.detected["encoding"] == "GBK / GB18030"
    assert outcome.lines["category"].tolist() == ["raw_material", "wip", "finished_good"]
    assert outcome.lines["sku"].tolist() == ["A-001", "B-002", "C-003"]


def test_narrow_no_break_space_and_apostrophe_thousands(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][4] = "1\u202f234,5"
    rows[2][6] = "4'500,00"
    outcome = read(write(tmp_path, "fr.csv", csv_text(FR_HEADER, rows), "utf-8"))
    assert_reference(outcome)


def test_xlsx_with_typed_cells_and_title_rows(tmp_path):
    """Real number and date cells; the header is found below two title rows."""
    path = write_xlsx_openpyxl(tmp_path / "stock.xlsx", typed_rows(), title_rows=2)
    outcome = read(path)
    assert_reference(outcome)
    assert outcome.report.detected["header_row"] == 3
    assert outcome.lines["row"].tolist() == [4, 5, 6]


def test_xlsx_with_text_cells_in_french_format(tmp_path):
    path = write_xlsx_openpyxl(tmp_path / "stock.xlsx", [FR_HEADER, *FR_ROWS])
    assert_reference(read(path))


def test_ods(tmp_path):
    assert_reference(read(write_ods(tmp_path / "stock.ods", typed_rows())))


def test_chosen_sheet_by_name_and_index(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Nothing here"])
    sheet = workbook.create_sheet("Stock")
    for row in typed_rows():
        sheet.append(row)
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    assert_reference(read(path, sheet="Stock"))
    assert_reference(read(path, sheet=1))
    missing = read_stock_file(path, sheet="Inventaire")
    assert not missing.accepted
    assert "“Notes”, “Stock”" in missing.report.problems[0].message


def test_title_rows_blank_rows_and_totals_are_skipped(tmp_path):
    text = (
        "Société Exemple SAS;;;\r\nEtat du stock au 31/12/2026;;;\r\n;;;\r\n"
        + csv_text(FR_HEADER, [FR_ROWS[0], [""] * 8, FR_ROWS[1]])
        + "Sous-total dépôt PAR1;;;;;;;\r\n"
        + ";".join(FR_ROWS[2])
        + "\r\n"
        + ";;;;;;;\r\nTOTAL GÉNÉRAL;;;;;;4 679,31;\r\n合计;;;;;;;\r\n"
    )
    outcome = read(write(tmp_path, "fr.csv", text, "utf-8"))
    assert_reference(outcome)
    assert outcome.report.detected["header_row"] == 4
    assert outcome.lines["row"].tolist() == [5, 7, 9]
    assert outcome.report.rows_skipped == 5
    assert outcome.report.problems == []


def test_quoted_line_break_stays_in_its_row(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][1] = "Vis M6\ninox"
    outcome = read(write(tmp_path, "fr.csv", csv_text(FR_HEADER, rows), "utf-8"))
    assert outcome.lines["description"].iloc[0] == "Vis M6\ninox"
    assert outcome.lines["row"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "written",
    [
        "2026-01-15",
        "15/01/2026",
        "15.01.2026",
        "15-01-2026",
        "15/01/26",
        "2026/01/15",
        "2026年1月15日",
        "46037",
        "2026-01-15 00:00:00",
    ],
)
def test_date_forms(tmp_path, written):
    rows = [r[:] for r in FR_ROWS]
    rows[0][7] = written
    outcome = read(write(tmp_path, "fr.csv", csv_text(FR_HEADER, rows), "utf-8"))
    assert outcome.lines["last_movement_date"].iloc[0] == pd.Timestamp("2026-01-15")


def test_canonical_dtypes(tmp_path):
    """Representation promised by engine/columns.py."""
    rows = [r + ["Oui"] for r in FR_ROWS]
    rows[1][-1] = ""
    header = [*FR_HEADER, "Défectueux"]
    lines = read(write(tmp_path, "fr.csv", csv_text(header, rows), "utf-8")).lines
    assert list(lines.columns) == ["row", *EXPECTED.columns, "defective"]
    assert lines["row"].dtype == "int64"
    assert pd.api.types.is_string_dtype(lines["quantity"])
    assert pd.api.types.is_datetime64_any_dtype(lines["last_movement_date"])
    assert str(lines["defective"].dtype) == "boolean"
    assert lines["defective"].tolist()[0] is True
    assert lines["defective"].isna().tolist() == [False, True, False]


def test_bom_only_file_counts_as_empty(tmp_path):
    outcome = read_stock_file(write(tmp_path, "e.csv", codecs.BOM_UTF8))
    assert not outcome.accepted
    assert outcome.report.problems[0].kind == "empty_file"
