"""Reading the borrower's certificate from its spreadsheet: labels in French, English and
Chinese, amounts as people write them, a file that is not a certificate, a broken row named by
its row number and line (no figure at all is read from a file with a problem)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from valuation.engine import certificate_check as cc
from valuation.imports.certificate_sheet import line_for, parse_amount, read_certificate
from valuation.imports.report import ImportRejected

D = Decimal

FRENCH = """Certificat de base d'emprunt – Xylo Industries
Devise;EUR
Stock brut;1 000 000,00
Stocks inéligibles – obsolètes;-100 000,00
Stocks inéligibles – en transit;(50 000,00)
Total stocks inéligibles;150 000,00
Stock éligible;850 000,00
Taux d'avance;80 %
Réserves;20 000,00
Base d'emprunt;460 000,00
Encours;300 000,00
Disponibilité;160 000,00
""".encode("cp1252")

ENGLISH = b"""Borrowing base certificate,
Gross inventory,"1,000,000.00"
Ineligible - slow-moving,"25,000.50"
Total ineligible,"150,000.00"
Eligible inventory,"850,000.00"
Net orderly liquidation value,"600,000.00"
Borrowing base,"460,000.00"
Outstanding,"300,000.00"
Availability,"160,000.00"
"""

CHINESE = """存货总额;1000000.00
不合格存货 – 过时;100000
合格存货;850000
借款基数;460000
可用额度;160000
""".encode()


def test_french_labels_and_amounts():
    sheet = read_certificate(FRENCH, filename="certificat.csv")
    assert sheet.ok, sheet.problems
    assert sheet.currency == "EUR"
    assert sheet.figures == {
        cc.BOOK_VALUE: D("1000000.00"),
        "ineligible:obsolete": D("100000.00"),  # a deduction, whichever sign the sheet shows
        "ineligible:in_transit": D("50000.00"),
        cc.INELIGIBLE: D("150000.00"),
        cc.ELIGIBLE: D("850000.00"),
        cc.RESERVES: D("20000.00"),
        cc.BORROWING_BASE: D("460000.00"),
        cc.OUTSTANDING: D("300000.00"),
        cc.AVAILABILITY: D("160000.00"),
    }
    assert sheet.rows[cc.BOOK_VALUE] == 3 and sheet.rows[cc.AVAILABILITY] == 12
    # The title and the advance rate are not certificate lines: listed, never guessed.
    assert [row for row, _label in sheet.ignored] == [1, 8]


def test_english_labels_with_thousands_commas():
    sheet = read_certificate(ENGLISH, filename="bbc.csv")
    assert sheet.ok, sheet.problems
    assert sheet.figures[cc.BOOK_VALUE] == D("1000000.00")
    assert sheet.figures["ineligible:slow_moving"] == D("25000.50")
    assert sheet.figures[cc.LIQUIDATION_VALUE] == D("600000.00")
    assert sheet.figures[cc.AVAILABILITY] == D("160000.00")
    assert sheet.currency == ""


def test_chinese_labels():
    sheet = read_certificate(CHINESE, filename="证书.csv")
    assert sheet.ok, sheet.problems
    assert sheet.figures == {
        cc.BOOK_VALUE: D("1000000.00"),
        "ineligible:obsolete": D("100000.00"),
        cc.ELIGIBLE: D("850000.00"),
        cc.BORROWING_BASE: D("460000.00"),
        cc.AVAILABILITY: D("160000.00"),
    }


def test_an_xlsx_certificate_with_numbers_and_text():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (
        ("Borrowing base certificate", None),
        ("Gross inventory", 1000000),
        ("Eligible inventory", 850000.5),
        ("Borrowing base", "460 000,00"),
        ("Availability", 160000),
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_certificate(buffer.getvalue(), filename="bbc.xlsx")
    assert read.ok, read.problems
    assert read.figures == {
        cc.BOOK_VALUE: D("1000000.00"),
        cc.ELIGIBLE: D("850000.50"),
        cc.BORROWING_BASE: D("460000.00"),
        cc.AVAILABILITY: D("160000.00"),
    }
    assert read.rows[cc.BOOK_VALUE] == 2 and read.rows[cc.AVAILABILITY] == 5


def test_a_broken_row_is_named_by_its_row_and_line_and_nothing_is_read():
    data = b"Gross inventory;1 000 000,00\nEligible inventory;n/a\nAvailability;1,234\nAvailability;160 000,00\n"
    sheet = read_certificate(data, filename="bbc.csv")
    assert not sheet.ok and sheet.figures == {}
    found = [(p.row, p.line, p.kind, p.value) for p in sheet.problems]
    assert found == [
        (2, cc.ELIGIBLE, "amount", "n/a"),
        (3, cc.AVAILABILITY, "ambiguous", "1,234"),
        (4, cc.AVAILABILITY, "duplicate", "Availability"),
    ]


def test_a_file_without_a_certificate_line_is_refused():
    sheet = read_certificate(b"Name;Value\nColour;blue\n", filename="bbc.csv")
    assert [p.kind for p in sheet.problems] == ["empty"]


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "bbc.csv", "wrong_file_type"),
        (b"%PDF-1.4\n%binary\x00\x01", "bbc.xlsx", "wrong_file_type"),
        (b"Gross inventory;1\n", "bbc.pdf", "unsupported_format"),
        (b"", "bbc.csv", "empty_file"),
        (b"a;1\n" * 600_000, "bbc.csv", "file_too_large"),
        (b"PK\x03\x04 not really a zip", "bbc.xlsx", "damaged_file"),
    ],
)
def test_a_file_that_is_no_certificate_is_rejected_by_its_content(data, name, kind):
    with pytest.raises(ImportRejected) as refused:
        read_certificate(data, filename=name)
    assert refused.value.kind == kind


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Stock brut (valeur comptable)", cc.BOOK_VALUE),
        ("GROSS INVENTORY", cc.BOOK_VALUE),
        ("Stocks inéligibles", cc.INELIGIBLE),
        ("Stocks inéligibles à rotation lente", "ineligible:slow_moving"),
        ("Stocks inéligibles – réserve de propriété", "ineligible:retention_of_title"),
        ("Base d’emprunt", cc.BORROWING_BASE),
        ("Disponibilité", cc.AVAILABILITY),
        ("可用额度", cc.AVAILABILITY),
        ("Stocks inéligibles – divers", None),  # a reason nobody named: not guessed
        ("Advance rate", None),
    ],
)
def test_labels(label, code):
    assert line_for(label) == code


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234 567,89", D("1234567.89")),
        ("1\u202f234\u202f567,89", D("1234567.89")),  # narrow no-break spaces (French Excel)
        ("1,234,567.89", D("1234567.89")),
        ("1.234.567,89", D("1234567.89")),
        ("1'234'567.89", D("1234567.89")),
        ("(50 000,00)", D("-50000.00")),
        ("50 000,00-", D("-50000.00")),
        ("EUR 12 000", D("12000.00")),
        ("12 000 €", D("12000.00")),
        ("1.234.567", D("1234567.00")),
        ("0.30000000000000004", D("0.30")),
        ("12,345", None),  # ambiguous
        ("12.3.4", None),
        ("abc", None),
    ],
)
def test_amounts(text, amount):
    if amount is None:
        with pytest.raises(ValueError):
            parse_amount(text)
    else:
        assert parse_amount(text) == amount


def test_a_sheet_far_longer_than_a_certificate_is_refused_by_the_hardened_reader():
    book = openpyxl.Workbook()
    for number in range(700):
        book.active.append(("Gross inventory", number))
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportRejected) as refused:
        read_certificate(buffer.getvalue(), filename="bbc.xlsx")
    assert refused.value.kind == "too_many_rows"
    with pytest.raises(ImportRejected) as refused_csv:
        read_certificate(b"Gross inventory;1\n" * 501, filename="bbc.csv")
    assert refused_csv.value.kind == "too_many_rows"
