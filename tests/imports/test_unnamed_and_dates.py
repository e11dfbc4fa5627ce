"""Columns without a header get a name an advisor can map; dates are read in the order their
cells prove (31/12 day first, 12/31 month first), and a column proving both is reported."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pandas as pd
import polars as pl
import pytest

from tests.imports.conftest import TODAY, csv_text, write
from valuation.imports import ColumnMapping, preview_stock_file, read_stock_file
from valuation.imports.contents import DateOrder, date_order, day_first, day_first_columns
from valuation.imports.formats import header_signature, merge_choices
from valuation.imports.reader import StockFileReader
from valuation.imports.sources import Grid, column_letter, name_unnamed_columns

# --- columns without a header ------------------------------------------------------------------

# The item code under no header (as QuickBooks prints it), the warehouse under none either, and
# two trailing columns the export leaves empty (a header ending with separators).
UNNAMED_HEADER = ["", "Désignation", "Famille", "", "Qté", "PU HT", "Valeur stock", "", ""]
UNNAMED_ROWS = [
    ["A-001", "Vis M6 inox", "MP", "PAR1", "1234,5", "0,125", "154,31", "", ""],
    ["B-002", "Tube acier", "En-cours", "LYO2", "10", "2,50", "25,00", "", ""],
    ["C-003", "Moteur 1,5 kW", "PF", "PAR1", "3", "1500", "4500,00", "", "  "],
]
NAMED = ["(column A)", "Désignation", "Famille", "(column D)", "Qté", "PU HT", "Valeur stock"]


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters_are_the_spreadsheets(index, letters):
    assert column_letter(index) == letters


def test_unnamed_columns_are_named_by_letter_and_the_empty_tail_is_dropped(tmp_path):
    path = write(tmp_path, "stock.csv", csv_text(UNNAMED_HEADER, UNNAMED_ROWS))
    preview = preview_stock_file(path)
    assert preview.headers == NAMED
    assert [len(row) for row in preview.sample_rows] == [7, 7, 7]
    assert preview.mapping.columns["(column A)"] == "sku"  # unique codes: found by their values


def test_the_sku_under_no_header_is_read(tmp_path):
    outcome = read_stock_file(write(tmp_path, "stock.csv", csv_text(UNNAMED_HEADER, UNNAMED_ROWS)), today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert outcome.lines["sku"].tolist() == ["A-001", "B-002", "C-003"]
    assert outcome.lines["book_value"].tolist() == ["154.31", "25", "4500"]
    assert "(column D)" in outcome.mapping.unmapped  # shown on the mapping page, to map by hand


def test_a_trailing_unnamed_column_holding_values_is_kept_and_a_spacer_is_not_named():
    """Only the tail with no value at all goes; a comment column under no header is a column,
    an empty spacer column between two others keeps its place but gets no name."""
    cells = {"c0": ["A-001", "B-002"], "c1": [None, " "], "c2": ["3", "4"], "c3": [None, "urgent"], "c4": [" ", None]}
    frame = pl.DataFrame(cells, schema=dict.fromkeys(cells, pl.String))
    grid = name_unnamed_columns(Grid(frame=frame, headers=["SKU", "", "Qty", "", ""], header_row=1, first_row=2))
    assert grid.headers == ["SKU", "", "Qty", "(column D)"]
    assert grid.frame.columns == ["c0", "c1", "c2", "c3"]


def test_a_generated_name_the_file_already_uses_is_made_unique():
    frame = pl.DataFrame({"c0": ["A-001"], "c1": ["x"], "c2": ["3"]})
    grid = name_unnamed_columns(Grid(frame=frame, headers=["", "(Column  A)", "Qty"], header_row=1, first_row=2))
    assert grid.headers == ["(column A bis)", "(Column  A)", "Qty"]


def test_a_mapping_of_an_unnamed_column_is_kept_for_the_next_file_of_the_format(tmp_path):
    """The advisor maps "(column D)" to the warehouse once; next month's export, other lines,
    same format, has the same signature and is read with that choice."""
    first = write(tmp_path, "november.csv", csv_text(UNNAMED_HEADER, UNNAMED_ROWS))
    read = read_stock_file(first, today=TODAY).mapping
    saved = merge_choices(read, ColumnMapping(columns={"(column D)": "warehouse"}, confirmed=True))
    december_rows = [["D-004", "Écrou M6", "MP", "LYO2", "500", "0,05", "25,00", "", ""]]
    second = write(tmp_path, "december.csv", csv_text(UNNAMED_HEADER, december_rows))
    assert header_signature(preview_stock_file(second).headers) == header_signature(saved.columns)
    reader = StockFileReader(second, today=TODAY, formats=[saved])
    lines = pd.concat(list(reader.chunks()))
    assert reader.format is not None and reader.accepted, reader.report.to_json()
    assert lines["warehouse"].tolist() == ["LYO2"]
    assert lines["sku"].tolist() == ["D-004"]


def test_an_unnamed_column_of_a_spreadsheet_is_named_and_its_formatted_tail_dropped(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([None, "Désignation", "Famille", "Qté", "PU HT", "Valeur stock", None, None])
    sheet.append(["A-001", "Vis M6 inox", "MP", 1234.5, 0.125, 154.31, None, " "])
    sheet.append(["B-002", "Tube acier", "En-cours", 10, 2.5, 25, None, None])
    sheet.append(["C-003", "Moteur", "PF", 3, 1500, 4500, None, None])
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    assert preview_stock_file(path).headers == ["(column A)", "Désignation", "Famille", "Qté", "PU HT", "Valeur stock"]
    outcome = read_stock_file(path, today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert outcome.lines["sku"].tolist() == ["A-001", "B-002", "C-003"]


# --- the order of day and month ----------------------------------------------------------------


def test_a_first_part_over_twelve_proves_day_first_and_a_second_one_month_first():
    cells = pl.Series([None, "01/02/2026", " 28/11/2026 ", "11/30/26", "28/11/2026"], dtype=pl.String)
    assert date_order(cells) == DateOrder(2, " 28/11/2026 ", 3, "11/30/26")
    assert date_order(cells).mixed and date_order(cells).proven is None


@pytest.mark.parametrize(
    ("cells", "proven"),
    [
        (["28.11.2026", "01.02.2026"], True),
        (["11-28-2026", "01-02-2026"], False),
        (["01/02/2026", "12/11/2026"], None),  # every cell reads both ways
        (["2026-11-28", "2026/01/31", "2026年1月31日", "45658"], None),  # the year first, a serial
        (["31/31/2026", "00/13/2026", "13/13/26"], None),  # no order reads them: bad dates
    ],
)
def test_what_the_cells_of_a_column_prove(cells, proven):
    assert date_order(pl.Series(cells, dtype=pl.String)).proven is proven


def test_a_column_alone_is_day_first_unless_its_cells_prove_month_first():
    assert day_first(pl.Series(["01/02/2026", "03/04/2026"]))
    assert not day_first(pl.Series(["01/02/2026", "12/31/2026"]))


def test_ambiguous_columns_follow_the_files_proven_order():
    month, day, neither = DateOrder(month_first_at=0), DateOrder(day_first_at=0), DateOrder()
    mixed = DateOrder(day_first_at=0, month_first_at=1)
    assert day_first_columns({"last": month, "receipt": neither}) == {"last": False, "receipt": False}
    assert day_first_columns({"last": day, "receipt": neither}) == {"last": True, "receipt": True}
    assert day_first_columns({"last": neither, "receipt": neither}) == {"last": True, "receipt": True}
    # Two columns proving two orders: the ambiguous one keeps the European default.
    assert day_first_columns({"last": month, "expiry": day, "receipt": neither}) == {
        "last": False,
        "expiry": True,
        "receipt": True,
    }
    assert day_first_columns({"last": mixed, "receipt": neither})["receipt"] is True


DATED_HEADER = [
    "SKU",
    "Description",
    "Category",
    "Qty",
    "Unit cost",
    "Stock value",
    "Last movement date",
    "Receipt date",
]


def dated_rows(last: list[str], receipt: list[str]) -> list[list[str]]:
    base = [
        ["A-001", "Screw", "Raw material", "10", "1.5", "15.00"],
        ["B-002", "Tube", "WIP", "4", "2.5", "10.00"],
        ["C-003", "Motor", "Finished goods", "2", "100", "200.00"],
    ]
    return [row + [a, b] for row, a, b in zip(base, last, receipt)]


def read_dates(tmp_path, last: list[str], receipt: list[str]):
    path = write(tmp_path, "stock.csv", csv_text(DATED_HEADER, dated_rows(last, receipt), ","))
    return read_stock_file(path, today=TODAY)


def as_dates(column: pd.Series) -> list[date]:
    return [value.date() for value in column]


def test_us_dates_are_read_month_first_and_so_are_the_files_ambiguous_ones(tmp_path):
    """ "11/28/2026" proves the month first; the receipt dates, each readable both ways, are
    written the same way by the same export."""
    outcome = read_dates(tmp_path, ["11/28/2026", "01/02/2026", "12/15/2025"], ["01/02/2026", "03/04/2026", "05/06/24"])
    assert outcome.accepted, outcome.report.to_json()
    assert as_dates(outcome.lines["last_movement_date"]) == [date(2026, 11, 28), date(2026, 1, 2), date(2025, 12, 15)]
    assert as_dates(outcome.lines["receipt_date"]) == [date(2026, 1, 2), date(2026, 3, 4), date(2024, 5, 6)]


def test_ambiguous_dates_stay_day_first_beside_day_first_ones(tmp_path):
    outcome = read_dates(tmp_path, ["28/11/2026", "01/02/2026", "15/12/2025"], ["01/02/2026", "03/04/2026", "05/06/24"])
    assert outcome.accepted, outcome.report.to_json()
    assert as_dates(outcome.lines["last_movement_date"]) == [date(2026, 11, 28), date(2026, 2, 1), date(2025, 12, 15)]
    assert as_dates(outcome.lines["receipt_date"]) == [date(2026, 2, 1), date(2026, 4, 3), date(2024, 6, 5)]


def test_iso_and_serial_dates_read_beside_us_ones(tmp_path):
    """ISO dates and Excel serial days (45658 is 1 January 2025) have no day/month order."""
    outcome = read_dates(tmp_path, ["2026-11-28", "45658", "2025-12-15"], ["11/28/2026", "01/02/2026", "12/15/2025"])
    assert outcome.accepted, outcome.report.to_json()
    assert as_dates(outcome.lines["last_movement_date"]) == [date(2026, 11, 28), date(2025, 1, 1), date(2025, 12, 15)]
    assert as_dates(outcome.lines["receipt_date"]) == [date(2026, 11, 28), date(2026, 1, 2), date(2025, 12, 15)]


def test_native_spreadsheet_dates_read_beside_us_text_dates(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(DATED_HEADER)
    for row, last, receipt in zip(
        dated_rows(["", "", ""], ["", "", ""]),
        [datetime(2026, 1, 15), datetime(2025, 12, 31), datetime(2024, 6, 30)],
        ["11/28/2026", "01/02/2026", "12/15/2025"],
    ):
        sheet.append([*row[:3], float(row[3]), float(row[4]), float(row[5]), last, receipt])
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    outcome = read_stock_file(path, today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert as_dates(outcome.lines["last_movement_date"]) == [date(2026, 1, 15), date(2025, 12, 31), date(2024, 6, 30)]
    assert as_dates(outcome.lines["receipt_date"]) == [date(2026, 11, 28), date(2026, 1, 2), date(2025, 12, 15)]


def test_the_order_is_the_whole_files_even_read_in_slices(tmp_path):
    """Only the first line proves the month first; the slice holding the last lines, all
    ambiguous, is read the same way."""
    last = ["12/31/2025", "01/02/2026", "03/04/2026", "05/06/2026", "07/08/2026", "09/10/2026"]
    rows = [[f"S-{i}", "Screw", "Raw material", "1", "2", "2.00", d] for i, d in enumerate(last)]
    path = write(tmp_path, "stock.csv", csv_text(DATED_HEADER[:7], rows, ","))
    reader = StockFileReader(path, today=TODAY)
    slices = list(reader.chunks(2))
    assert reader.accepted and len(slices) == 3, reader.report.to_json()
    assert as_dates(slices[2]["last_movement_date"]) == [date(2026, 7, 8), date(2026, 9, 10)]


def test_a_column_mixing_both_orders_is_reported_with_a_row_of_each(tmp_path):
    """Row 2 can only be 28 November, row 4 only 30 November written month first: which order
    row 3 (01/02/2026) uses cannot be known, so the column is not read and the file is refused
    with one problem naming both rows (not a "not a date" per US cell)."""
    outcome = read_dates(tmp_path, ["28/11/2026", "01/02/2026", "11/30/2026"], ["01/02/2026", "03/04/2026", "05/06/24"])
    assert not outcome.accepted
    report = outcome.report
    assert report.counts == {"mixed_date_order": 1}, report.to_json()
    problem = report.problems[0]
    assert (problem.severity, problem.row, problem.column, problem.field, problem.value) == (
        "error",
        4,
        "Last movement date",
        "last_movement_date",
        "11/30/2026",
    )
    assert problem.message == (
        "The column “Last movement date” (last movement date) mixes two date orders: row 2 holds "
        "“28/11/2026”, which can only be day first, and row 4 “11/30/2026”, which can only be month "
        "first; none of its dates is read. Export the dates in one order, or as 2026-12-31."
    )
