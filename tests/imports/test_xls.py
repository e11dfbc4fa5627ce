"""Legacy Excel (.xls, OLE2/BIFF8) exports read to the same canonical lines as the other formats."""

import datetime as dt
from pathlib import Path

import xlwt

from valuation.imports import read_stock_file


def _write_xls(path: Path) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Stock")
    sheet.write(0, 0, "Inventaire au 31/10/2026")  # a title row above the header
    for column, header in enumerate(["Code article", "Famille", "Qté", "PU HT", "Date dernier mouvement"]):
        sheet.write(2, column, header)
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    rows = [("A1", "MP", 1250.5, 12.3456, dt.date(2026, 10, 1)), ("B2", "PF", 3, 100, dt.date(2025, 1, 1))]
    for offset, (sku, family, quantity, cost, moved) in enumerate(rows):
        sheet.write(3 + offset, 0, sku)
        sheet.write(3 + offset, 1, family)
        sheet.write(3 + offset, 2, quantity)
        sheet.write(3 + offset, 3, cost)
        sheet.write(3 + offset, 4, moved, date_style)
    sheet.write(5, 0, "Total")  # a total row is skipped
    sheet.write(5, 2, 1253.5)
    book.save(str(path))
    return path


def test_xls_reads_typed_cells_under_a_title_row(tmp_path):
    outcome = read_stock_file(_write_xls(tmp_path / "export.xls"))
    assert outcome.accepted, outcome.report.to_json()
    assert outcome.report.to_json()["detected"]["format"] == "xls"
    lines = outcome.lines
    assert list(lines["row"]) == [4, 5]
    assert list(lines["sku"]) == ["A1", "B2"]
    assert list(lines["category"]) == ["raw_material", "finished_good"]
    assert list(lines["quantity"].astype(str)) == ["1250.5", "3"]
    assert list(lines["unit_cost"].astype(str)) == ["12.3456", "100"]
    assert [d.date() for d in lines["last_movement_date"]] == [dt.date(2026, 10, 1), dt.date(2025, 1, 1)]


def test_an_xls_renamed_csv_is_refused(tmp_path):
    path = _write_xls(tmp_path / "export.xls").rename(tmp_path / "export.csv")
    outcome = read_stock_file(path)
    assert not outcome.accepted
    assert outcome.report.errors[0].kind == "wrong_file_type"
