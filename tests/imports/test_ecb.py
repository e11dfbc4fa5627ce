"""Reading the ECB's reference-rate files: the history, the daily file, their zips, and bad cells
refused with their row and column (no rate at all is read from a file with a problem)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

from valuation.imports.ecb import read_ecb

# The shape of eurofxref-hist.csv: ISO dates, newest first, N/A for a currency not quoted that
# day, and the trailing comma the ECB writes at the end of every line.
HIST = b"""Date,USD,JPY,CYP,CNY,
2026-11-27,1.0842,163.50,N/A,7.8123,
2026-11-26,1.0850,163.9,N/A,7.8200,
1999-01-04,1.1789,133.73,0.58231,N/A,
"""
# The shape of eurofxref.csv: a spelled date, spaces after each comma.
DAILY = b"Date, USD, JPY, CNY, \n27 November 2026, 1.0842, 163.50, 7.8123, \n"


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_history_with_na_and_trailing_commas():
    read = read_ecb(HIST)
    assert read.ok and read.days == 3
    rates = {(d, q): r for d, q, r in read.rates}
    assert len(rates) == 9  # 3 rows × 4 currencies − 3 N/A
    assert rates[(date(2026, 11, 27), "USD")] == Decimal("1.0842")
    assert rates[(date(2026, 11, 26), "JPY")] == Decimal("163.9")
    assert rates[(date(1999, 1, 4), "CYP")] == Decimal("0.58231")
    assert (date(2026, 11, 27), "CYP") not in rates


def test_daily_file_with_spelled_date_and_spaces():
    read = read_ecb(DAILY)
    assert read.ok
    assert sorted(read.rates) == [
        (date(2026, 11, 27), "CNY", Decimal("7.8123")),
        (date(2026, 11, 27), "JPY", Decimal("163.50")),
        (date(2026, 11, 27), "USD", Decimal("1.0842")),
    ]


def test_zip_as_published():
    read = read_ecb(zipped("eurofxref-hist.csv", HIST), filename="eurofxref-hist.zip")
    assert read.ok and len(read.rates) == 9


def test_bad_number_names_row_and_column_and_nothing_is_read():
    read = read_ecb(HIST.replace(b"163.9,", b"163.9x,"))
    assert not read.ok and read.rates == ()
    (problem,) = read.problems
    # The header is row 1: 2026-11-26 is row 3.
    assert (problem.row, problem.column, problem.value) == (3, "JPY", "163.9x")
    assert "Not a rate" in problem.message
    # A decimal comma splits the cell: the row has one cell too many, and is named.
    read = read_ecb(HIST.replace(b"163.9,", b"163,9,"))
    assert read.problems[0].row == 3 and "7 cells where the header has 6" in read.problems[0].message


def test_bad_rate_cell_and_bad_date():
    read = read_ecb(b"Date,USD\n2026-11-27,1.08.42\n2026-13-40,1.08\n")
    assert [(p.row, p.column, p.value) for p in read.problems] == [(2, "USD", "1.08.42"), (3, "Date", "2026-13-40")]


def test_zero_negative_and_absurd_rates_are_refused():
    read = read_ecb(b"Date,USD,JPY,CNY\n2026-11-27,0,-1,99999999\n")
    assert {(p.column, p.value) for p in read.problems} == {("USD", "0"), ("JPY", "-1"), ("CNY", "99999999")}


def test_not_an_ecb_file():
    assert not read_ecb(b"sku;qty\nA;1\n").ok
    assert read_ecb(b"Date,US Dollar\n2026-11-27,1.08\n").problems[0].column == "US Dollar"
    assert not read_ecb(b"PK\x03\x04garbage").ok
    assert not read_ecb(zipped("readme.txt", b"hello")).ok
    assert not read_ecb(b"\xff\xfe\x00").ok


def test_the_same_date_twice_is_refused():
    read = read_ecb(b"Date,USD\n2026-11-27,1.08\n2026-11-27,1.09\n")
    assert [(p.row, p.column) for p in read.problems] == [(3, "Date")]


def test_every_cell_bad_or_too_precise():
    assert [(p.row, p.column) for p in read_ecb(b"Date,USD\n2026-11-27,abc\n").problems] == [(2, "USD")]
    (problem,) = read_ecb(b"Date,USD\n2026-11-27,1.123456789\n").problems
    assert problem.column == "USD" and "decimals" in problem.message
    assert read_ecb(b"Date,USD\n2026-11-27,N/A\n").rates == ()
