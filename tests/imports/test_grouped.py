"""Grouped reports (QuickBooks, accounting packages): parent rows and totals are not lines, a
parent naming a category gives it to the lines below, the grand total must match the lines; and
Odoo's "[REF] Name" product cells split into SKU and description."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from tests.imports.conftest import TODAY, write
from valuation.imports import read_stock_file
from valuation.imports.grouped import matches_total
from valuation.imports.reader import StockFileReader


def quickbooks(total: str) -> str:
    """An inventory valuation summary, QuickBooks style: title rows, a parent that is not a
    category ("Inventory"), two category parents, a sub-group ("Chairs") and its subtotal, a
    subtotal per category and a grand total. By hand, the lines are
    25.00 + 5.02 (4 × 1.255) + 120.00 + 99.99 = 250.01."""
    return (
        "Inventory Valuation Summary,,,,\n"
        "As of December 31 2026,,,,\n"
        ",,,,\n"
        "Item,Description,Qty,Unit cost,Stock value\n"  # row 4
        "Inventory,,,,\n"  # row 5
        "Raw Materials,,,,\n"
        "Steel bar,Steel bar 1 m,10,2.50,25.00\n"  # row 7
        "Copper wire,Copper 2 mm,4,1.255,5.02\n"
        "Total Raw Materials,,14,,30.02\n"
        "Finished Goods,,,,\n"  # row 10
        "Chairs,,,,\n"
        "Chair oak,Oak chair,3,40.00,120.00\n"  # row 12
        "Total Chairs,,3,,120.00\n"
        "Desk pine,Pine desk,1,99.99,99.99\n"  # row 14
        "Total Finished Goods,,4,,219.99\n"
        "Total Inventory,,18,,250.01\n"
        f"TOTAL,,18,,{total}\n"  # row 17
    )


def read(tmp_path, text: str, name: str = "valuation.csv"):
    outcome = read_stock_file(write(tmp_path, name, text), today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    return outcome


def test_parent_rows_and_totals_are_not_lines_and_give_the_category(tmp_path):
    outcome = read(tmp_path, quickbooks("250.01"))
    lines = outcome.lines
    assert list(lines["row"]) == [7, 8, 12, 14]
    assert list(lines["sku"]) == ["Steel bar", "Copper wire", "Chair oak", "Desk pine"]
    # "Chairs" is no category: its lines keep the one of "Finished Goods" above, and so does
    # the desk after "Total Chairs" (a sub-group's total does not close the category).
    assert list(lines["category"]) == ["raw_material", "raw_material", "finished_good", "finished_good"]
    assert list(lines["book_value"]) == ["25", "5.02", "120", "99.99"]
    report = outcome.report
    # 13 rows below the header: 4 lines, 4 parents, 5 totals.
    assert (report.rows_read, report.lines, report.rows_skipped) == (13, 4, 9)


def test_a_grand_total_that_matches_gives_no_warning(tmp_path):
    assert read(tmp_path, quickbooks("250.01")).report.problems == []


def test_a_grand_total_that_does_not_match_is_a_warning_naming_the_figures(tmp_path):
    report = read(tmp_path, quickbooks("260.01")).report
    assert report.counts == {"total_mismatch": 1}
    (problem,) = report.problems
    assert (problem.severity.value, problem.row, problem.column, problem.field) == (
        "warning",
        17,
        "Stock value",
        "book_value",
    )
    assert (problem.value, problem.expected) == ("260.01", "250.01")
    assert "“TOTAL” states 260.01" in problem.message
    assert "add up to 250.01 (10.00 less)" in problem.message


def test_a_total_one_cent_off_is_a_mismatch(tmp_path):
    problem = read(tmp_path, quickbooks("250.00")).report.problems[0]
    assert problem.kind == "total_mismatch" and "(0.01 more)" in problem.message


def test_a_file_ending_on_a_section_total_has_no_grand_total(tmp_path):
    """A file ending on "Total Finished Goods" (219.99) has no grand total: nothing to compare."""
    text = quickbooks("0").rsplit("Total Inventory", 1)[0]
    assert read(tmp_path, text).report.problems == []


def test_total_compared_at_its_own_precision(tmp_path):
    """Lines of 10.125 and 20.25 add up to 30.375: a total printed 30.38 is that sum to the
    cent (half-up); 30.37 is not."""
    head = (
        "Code article;Désignation;Famille;Qté;PU HT;Valeur stock\r\n"
        "A;Vis;MP;1;10,125;10,125\r\n"
        "B;Tube;PF;1;20,25;20,25\r\n"
    )
    assert read(tmp_path, head + "Total général;;;;;30,38\r\n").report.problems == []
    report = read(tmp_path, head + "Total général;;;;;30,37\r\n").report
    assert report.counts == {"total_mismatch": 1}
    assert report.problems[0].expected == "30.375"


@pytest.mark.parametrize(
    ("computed", "stated", "equal"),
    [
        ("250.01", "250.01", True),
        ("250.01", "250.010", True),
        ("30.375", "30.38", True),
        ("30.375", "30.37", False),
        ("349.99", "350", False),  # a total printed without decimals is still compared to the cent
        ("350", "350", True),
        ("-5.5", "-5.50", True),
    ],
)
def test_matches_total(computed, stated, equal):
    assert matches_total(Decimal(computed), Decimal(stated)) is equal


def test_a_line_below_the_total_is_not_checked_against_it(tmp_path):
    text = quickbooks("999.99") + "Finished Goods,,,,\nLate item,Added by hand,1,1.00,1.00\n"
    outcome = read(tmp_path, text)
    assert outcome.report.problems == []
    assert list(outcome.lines["sku"])[-1] == "Late item"


def test_chinese_report_with_subtotals_and_grand_total(tmp_path):
    """原材料 20 + 5.5, 产成品 100: 125.5, as the 合计 row says; each 小计 closes its group."""
    text = (
        "物料编码,物料名称,数量,单价,金额\n"
        "原材料,,,,\n"
        "A1,钢板,2,10,20\n"
        "A2,铜线,1,5.5,5.5\n"
        "小计,,3,,25.5\n"
        "产成品,,,,\n"
        "F1,桌子,1,100,100\n"
        "小计,,1,,100\n"
        "合计,,4,,125.5\n"
    )
    outcome = read(tmp_path, text)
    assert list(outcome.lines["category"]) == ["raw_material", "raw_material", "finished_good"]
    assert outcome.report.problems == []
    report = read(tmp_path, text.replace("合计,,4,,125.5", "合计,,4,,125")).report
    assert report.counts == {"total_mismatch": 1}
    assert report.problems[0].row == 9 and report.problems[0].expected == "125.50"


def test_german_grand_total_and_own_categories_win_over_the_parent(tmp_path):
    """A line's own category is kept; the parent only fills the empty ones. 8 + 2 = 10."""
    text = (
        "Material;Bezeichnung;Kategorie;Menge;Einzelpreis;Wert\r\n"
        "Rohstoffe;;;;;\r\n"
        "R-1;Stahl;;4;2;8\r\n"
        "R-2;Karton;PF;1;2;2\r\n"
        "Gesamtsumme;;;;;10\r\n"
    )
    header = "Code article;Désignation;Famille;Qté;PU HT;Valeur stock\r\n"
    text = header + text.split("\r\n", 1)[1]  # headers the reader knows, German rows
    outcome = read(tmp_path, text)
    assert list(outcome.lines["category"]) == ["raw_material", "finished_good"]
    assert outcome.report.problems == []


def test_a_parent_naming_a_service_reports_its_lines(tmp_path):
    text = quickbooks("350.01").replace(
        "Total Inventory,,18,,250.01\n",
        "Total Inventory,,18,,250.01\nServices,,,,\nInstall,Installation,2,50.00,100.00\nTotal Services,,2,,100.00\n",
    )
    outcome = read(tmp_path, text)
    # The service is not a line, but the file's total counts it: 250.01 + 100.00 = 350.01.
    assert list(outcome.lines["sku"]) == ["Steel bar", "Copper wire", "Chair oak", "Desk pine"]
    assert outcome.report.counts == {"not_stock": 1}
    problem = outcome.report.problems[0]
    assert (problem.row, problem.value) == (18, "Services")


def test_a_lone_name_in_a_plain_list_is_still_an_error(tmp_path):
    """No total and no category heading: a row holding only a SKU is a line missing its figures."""
    text = "Code article;Désignation;Famille;Qté;PU HT;Valeur stock\r\nA;Vis;MP;1;1;1\r\nB;;;;;\r\n"
    report = read_stock_file(write(tmp_path, "plain.csv", text), today=TODAY).report
    assert not report.accepted
    assert report.counts.get("missing_value", 0) >= 1


def sap_list(grand_total: str) -> str:
    """SAP list output: rules of dashes, "*" subtotal rows, "**" the overall total. By hand,
    2 + 3 = 5 at the first plant, 4 at the second: 9 in all."""
    return (
        "Code article;Désignation;Famille;Qté;PU HT;Valeur stock\r\n"
        "----------------------;;;;;\r\n"
        "A;Vis;ROH;1;2;2\r\n"
        "B;Tube;FERT;1;3;3\r\n"
        "----------------------;;;;;\r\n"
        "*;;;;;5\r\n"
        "C;Vis;ROH;1;4;4\r\n"
        "*;;;;;4\r\n"
        "======================;;;;;\r\n"
        f"**;;;;;{grand_total}\r\n"
    )


def test_sap_list_rules_and_asterisk_totals(tmp_path):
    outcome = read(tmp_path, sap_list("9"))
    assert list(outcome.lines["sku"]) == ["A", "B", "C"]
    assert outcome.report.problems == []  # rules are skipped silently, the "**" total matches
    report = read(tmp_path, sap_list("10")).report
    assert report.counts == {"total_mismatch": 1}
    assert (report.problems[0].row, report.problems[0].expected) == (10, "9.00")


ODOO = (
    "Product,Category,Location,Quantity,Unit cost,Value\n"
    "[FURN_7800] Desk Combination,All / Saleable / Finished goods,WH/Stock,2,450.00,900.00\n"
    "[E-COM11] Cabinet with Doors,All / Raw Materials,WH/Stock,5,14.00,70.00\n"
    "Office Chair Black,All / Saleable / Finished goods,WH/Stock,1,120.50,120.50\n"
    "[FURN_0269]   Office Chair,All / Saleable / Finished goods,WH/Stock,3,70.00,210.00\n"
    "[C-1] Casing,All / Semi-finished,WH/Stock,1,1.00,1.00\n"
)


def test_reference_and_name_product_cells_are_split(tmp_path):
    outcome = read(tmp_path, ODOO, "odoo.csv")
    lines = outcome.lines
    assert list(lines["sku"]) == ["FURN_7800", "E-COM11", "Office Chair Black", "FURN_0269", "C-1"]
    assert list(lines["description"]) == [
        "Desk Combination",
        "Cabinet with Doors",
        "Office Chair Black",  # no internal reference: the name is both
        "Office Chair",
        "Casing",
    ]
    assert list(lines["category"]) == ["finished_good", "raw_material", "finished_good", "finished_good", "wip"]
    assert outcome.report.detected["reference_split"] == "Product"


def test_product_cells_mostly_without_reference_are_not_split(tmp_path):
    """Two in five cells with a reference are not "mostly": the column is left as it is."""
    text = ODOO.replace("[FURN_7800] ", "").replace("[E-COM11] ", "").replace("[C-1] ", "")
    report = read_stock_file(write(tmp_path, "odoo.csv", text), today=TODAY).report
    assert "reference_split" not in report.detected


@pytest.mark.parametrize("total", ["250.01", "260.01"])
def test_read_in_slices_the_report_is_the_same(tmp_path, total):
    """The pipeline reads a file slice by slice: parents seen in one slice still give their
    category in the next, and the lines of every slice add up against the grand total."""
    path = write(tmp_path, "valuation.csv", quickbooks(total))
    whole = read_stock_file(path, today=TODAY)
    reader = StockFileReader(path, today=TODAY)
    sliced = pd.concat(list(reader.chunks(3)), ignore_index=True)
    assert reader.accepted
    assert sliced.equals(whole.lines)
    assert reader.report.to_json() == whole.report.to_json()
