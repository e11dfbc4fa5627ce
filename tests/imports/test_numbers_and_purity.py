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
from valuation.imports.cleaning import parse_decimal

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
