"""Reading a general-ledger extract: buckets by account prefix and label, exact amounts, and
clear refusals (wrong file, broken rows named by row number and field). No database."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from valuation.imports.ledger import (
    ADJUSTMENTS,
    COST_OF_GOODS_SOLD,
    PRODUCTION,
    PURCHASES,
    bucket_of,
    parse_amount,
    read_ledger_extract,
)
from valuation.imports.report import ImportRejected

D = Decimal

FRENCH_CSV = """Grand livre - extrait février 2024
Compte;Libellé;Montant
6010000;Achats de matières premières;1 234,56
6070000;Achats de marchandises;2 000,00
6031000;Variation des stocks de matières;-150,25
7135000;Variation des stocks de produits (production stockée);800,00
;Coût des ventes;3 100,10
;Total achats;3 234,56
6250000;Déplacements;99,00

""".encode("cp1252")


def test_a_french_csv_extract_is_read_into_the_four_buckets_exactly():
    extract = read_ledger_extract(FRENCH_CSV, "grand-livre.csv")
    # 601 + 607: 1,234.56 + 2,000.00; 603 is an adjustment; 713 is production (71); the cost of
    # sales by its label. "Total achats" is skipped (no double count); 625 travel is left out.
    assert extract.totals == {
        PURCHASES: D("3234.56"),
        PRODUCTION: D("800.00"),
        COST_OF_GOODS_SOLD: D("3100.10"),
        ADJUSTMENTS: D("-150.25"),
    }
    assert extract.ignored == 2
    assert [(r.row, r.bucket) for r in extract.rows] == [
        (3, PURCHASES),
        (4, PURCHASES),
        (5, ADJUSTMENTS),
        (6, PRODUCTION),
        (7, COST_OF_GOODS_SOLD),
    ]


def test_an_xlsx_extract_in_english_and_chinese_labels():
    book = Workbook()
    sheet = book.active
    sheet.append(["Account name", "Amount"])
    sheet.append(["Purchases of goods", 1500.5])
    sheet.append(["主营业务成本", "1,200.25"])
    sheet.append(["Stock count adjustment", -20])
    sheet.append(["生产成本", 300])
    sheet.append(["Rent", 900])
    data = io.BytesIO()
    book.save(data)
    extract = read_ledger_extract(data.getvalue(), "ledger.xlsx")
    assert extract.totals == {
        PURCHASES: D("1500.5"),
        PRODUCTION: D("300"),
        COST_OF_GOODS_SOLD: D("1200.25"),
        ADJUSTMENTS: D("-20"),
    }
    assert extract.ignored == 1


def test_a_picture_named_csv_is_refused_by_its_content():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    with pytest.raises(ImportRejected, match="PNG image"):
        read_ledger_extract(png, "ledger.csv")


def test_a_pdf_or_an_old_excel_file_is_refused():
    with pytest.raises(ImportRejected, match="its content is a PDF document. Export the ledger extract as CSV or XLSX"):
        read_ledger_extract(b"%PDF-1.7\n" + b"\x00" * 100, "ledger.xlsx")
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(ImportRejected, match="CSV or XLSX"):
        read_ledger_extract(ole2, "ledger.xls")


def test_a_file_over_the_size_cap_is_refused_before_reading():
    with pytest.raises(ImportRejected, match="at most 5 MB"):
        read_ledger_extract(b"a" * (5 * 1024 * 1024 + 1), "ledger.csv")


def test_a_broken_amount_is_named_by_row_and_field():
    data = "Compte;Libellé;Montant\n607;Achats;100,00\n601;Achats matières;12,3x\n".encode()
    with pytest.raises(ImportRejected) as caught:
        read_ledger_extract(data, "gl.csv")
    assert "Row 3, Montant: “12,3x” is not an amount." in caught.value.message


def test_an_empty_amount_on_a_counted_row_is_named_too():
    data = b"Account;Label;Amount\n607;Purchases;\n"
    with pytest.raises(ImportRejected, match="Row 2, Amount: the amount is empty"):
        read_ledger_extract(data, "gl.csv")


def test_a_file_without_header_or_without_any_known_row_is_refused():
    with pytest.raises(ImportRejected, match="No header row"):
        read_ledger_extract(b"foo;bar\n1;2\n", "gl.csv")
    with pytest.raises(ImportRejected, match="nothing could be read"):
        read_ledger_extract(b"Compte;Montant\n625;10\n", "gl.csv")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234,56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("1.234,56", D("1234.56")),
        ("1,234,567", D("1234567")),
        ("12,5", D("12.5")),
        ("(12.50)", D("-12.50")),
        ("12,50-", D("-12.50")),
        ("€ 3 000", D("3000")),
        ("-0,01", D("-0.01")),
    ],
)
def test_amounts_as_exports_write_them(text, amount):
    assert parse_amount(text) == amount


def test_the_account_prefix_wins_over_the_label():
    assert bucket_of("6037", "Achats") == ADJUSTMENTS
    assert bucket_of("71", "") == PRODUCTION
    assert bucket_of("", "Sous-total achats") is None
    assert bucket_of("", "Coût de production des ventes") == COST_OF_GOODS_SOLD


def test_a_zip_bomb_named_xlsx_is_refused_before_parsing():
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (20 * 1024 * 1024) + b"</worksheet>")
    with pytest.raises(ImportRejected, match="zip bomb"):
        read_ledger_extract(data.getvalue(), "ledger.xlsx")
