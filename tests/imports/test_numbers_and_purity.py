"""Number formats round-trip; the readers stay free of Django; the bench writers read back."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.exports import sample_lines, write_english_csv, write_french_csv, write_xlsx
from tests.imports.conftest import TODAY
from valuation.imports import read_stock_file
from valuation.imports.cleaning import (
    DECIMALS_SAMPLE,
    DISTINCT_TEXT_MAX,
    DISTINCT_TEXT_SAMPLE,
    clean_text_series,
    parse_decimal,
    parse_flag,
)

CONVENTIONS = [  # (thousands, decimal mark)
    ("\u00a0", ","),
    ("\u202f", ","),
    (" ", ","),
    (".", ","),
    ("'", "."),
    (",", "."),
    ("", "."),
    ("", ","),
    ("'", ","),
]


def format_decimal(value: Decimal, thousands: str, mark: str) -> str:
    """Print a Decimal as an ERP would with the given separators."""
    sign, body = ("-", -value) if value < 0 else ("", value)
    integer, _, fraction = f"{body:f}".partition(".")
    groups = []
    while integer:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    text = thousands.join(groups) or "0"
    return sign + text + (mark + fraction if fraction else "")


def normalised(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(min_value=-(10**11), max_value=10**11, places=4, allow_nan=False, allow_infinity=False),
    convention=st.sampled_from(CONVENTIONS),
)
def test_any_separator_convention_reads_back_the_same_decimal(value, convention):
    thousands, mark = convention
    written = format_decimal(value, thousands, mark)
    result = parse_decimal(pl.Series([written]), mark).item()
    assert result == normalised(value), written


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=12,
    ),
    convention=st.sampled_from(CONVENTIONS),
    messy=st.booleans(),
)
def test_a_column_reads_as_its_cells_would_one_by_one(values, convention, messy):
    """Clean columns take a shortcut; one messy cell (spaces, a currency) sends the whole column
    the general way: either way every cell reads as the number written."""
    thousands, mark = convention
    cells = [format_decimal(v, thousands, mark) for v in values]
    if messy:
        cells[0] = f" {cells[0]} €"
    assert parse_decimal(pl.Series(cells), mark).to_list() == [normalised(v) for v in values]


def test_plain_columns_read_as_exact_scaled_integers_written_back_canonically():
    """The usual column (plain numbers in the file's convention) is read as scaled integers and
    written back: grouping gone, leading and trailing zeros dropped, "-0" is 0, no rounding."""
    cells = ["1\u00a0234,5600", "007,10", "-0,00", "-0,5", "100", "0,0001", None, "12\u202f345\u202f678,9"]
    expected = ["1234.56", "7.1", "0", "-0.5", "100", "0.0001", None, "12345678.9"]
    assert parse_decimal(pl.Series(cells), ",").to_list() == expected
    assert parse_decimal(pl.Series(["1'234.50", "2", "-3.000"]), ".").to_list() == ["1234.5", "2", "-3"]
    # Whole numbers only: no decimal places, so their zeros stay.
    assert parse_decimal(pl.Series(["100", "2 000", "-10"]), ",").to_list() == ["100", "2000", "-10"]


def test_a_late_cell_with_more_decimals_than_the_first_ones_is_not_rounded():
    """The first cells set the scale; a later cell with more decimals widens it, never rounds."""
    cells = ["1,25"] * DECIMALS_SAMPLE + ["3,14159", "2", "0,00005"]
    assert parse_decimal(pl.Series(cells), ",").to_list()[-3:] == ["3.14159", "2", "0.00005"]
    whole_first = ["7"] * DECIMALS_SAMPLE + ["2.5"]
    assert parse_decimal(pl.Series(whole_first), ".").to_list()[-2:] == ["7", "2.5"]


def test_plain_columns_too_wide_for_scaled_integers_still_read_exactly():
    """More than 38 digits, or more than 18 decimals: the text path reads them, unrounded."""
    wide = "1" * 30 + ",12345678901"  # 41 digits
    assert parse_decimal(pl.Series([wide, "1,5"]), ",").to_list() == ["1" * 30 + ".12345678901", "1.5"]
    long_fraction = "0," + "0" * 19 + "1"  # 20 decimals
    assert parse_decimal(pl.Series([long_fraction]), ",").to_list() == ["0." + "0" * 19 + "1"]


def test_low_variety_text_is_trimmed_once_per_value_with_the_same_result():
    cells = [" W01", "W01 ", "\u00a0W02", "", "   ", None, "W03"] * 3
    expected = ["W01", "W01", "W02", None, None, None, "W03"] * 3
    assert clean_text_series(pl.Series("warehouse", cells)).to_list() == expected
    untouched = pl.Series("unit", ["EA", "KG"] * 5)
    assert clean_text_series(untouched).to_list() == ["EA", "KG"] * 5
    # Too varied for the lookup (more distinct values than DISTINCT_TEXT_MAX): trimmed cell by cell.
    many = [f" item {i} " for i in range(DISTINCT_TEXT_MAX + 1)]
    assert clean_text_series(pl.Series("sku", many)).to_list() == [f"item {i}" for i in range(DISTINCT_TEXT_MAX + 1)]


def test_flag_spellings_first_seen_late_in_a_long_column_are_still_read():
    """The spellings of the first cells usually read the column; one seen only later is read too."""
    cells = ["Oui"] * DISTINCT_TEXT_SAMPLE + [" NON ", "peut-être", None, "x"]
    assert parse_flag(pl.Series(cells)).to_list()[-5:] == [True, False, None, None, True]


def test_flags_read_any_case_and_padding_and_refuse_other_words():
    cells = [" OUI ", "non", "X", "", None, "peut-être", "Oui", "0", "是", "Non "]
    expected = [True, False, True, None, None, None, True, False, True, False]
    assert parse_flag(pl.Series(cells)).to_list() == expected


def test_readers_import_no_django():
    """The import-linter contract, checked at run time too."""
    code = (
        "import sys, valuation.imports; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'celery')]; print(bad); assert not bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_bench_writers_read_back_exactly(tmp_path):
    lines = sample_lines(2_000, seed=7)
    expected = lines.select("sku", "category", "quantity", "unit_cost", "book_value")
    for seed in range(3):
        for writer, name in ((write_french_csv, "fr.csv"), (write_english_csv, "en.csv"), (write_xlsx, "s.xlsx")):
            path = writer(lines, tmp_path / name, seed=seed)
            outcome = read_stock_file(path, today=TODAY.replace(year=2030))
            assert outcome.accepted, (name, seed, outcome.report.to_json()["problems"][:3])
            got = pl.from_pandas(outcome.lines).select(expected.columns).cast(pl.String)
            assert got.equals(expected), (name, seed)
            assert outcome.lines["defective"].sum() == lines["defective"].sum()


def test_french_csv_writer_conventions(tmp_path):
    path = write_french_csv(sample_lines(50, seed=1), tmp_path / "fr.csv", seed=0)
    text = path.read_bytes().decode("cp1252")
    assert ";" in text and "\u00a0" in text and "," in text
