"""The ECB's euro foreign exchange reference rates, as published (pure: no Django).

Two files share one shape: ``eurofxref-hist.csv`` (every business day since 1999) and
``eurofxref.csv`` (the latest day), each alone or inside its ``.zip``. The header is
``Date, USD, JPY, ...``; each row is one day, its cells ``1 EUR = x CCY``; ``N/A`` or an empty
cell means no quote that day (a currency that joined or left); rows and headers may carry
trailing commas and spaces. Dates are ISO (``2026-11-27``) in the history and spelled
(``27 November 2026``) in the daily file.

Parsed with pandas, column by column (no loop over cells): the history is about 7,000 rows ×
40 currencies. Every bad cell is reported with its row (the file's own, the header is row 1) and
column; a file with any problem yields no rate at all, so a half-read file never updates a table.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

# A quote outside these bounds is a corrupt cell, not a rate (the ECB's span is ~0.2 to ~20,000).
RATE_MIN = Decimal("0.000001")
RATE_MAX = Decimal("10000000")
RATE_DECIMALS = 8  # what the rate table stores; the ECB publishes at most 6 significant digits
MAX_BYTES = 32 * 1024 * 1024  # the full history is ~1.5 MB as CSV
MAX_PROBLEMS = 50

_RATE_TEXT = re.compile(r"^\d+(\.\d+)?$")
_ISO = re.compile(r"^[A-Z]{3}$")
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_MISSING = {"", "N/A", "NA", "-"}


@dataclass(frozen=True)
class EcbProblem:
    """One reason the file is refused: where (row, column) and what was found."""

    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True)
class EcbRates:
    """The quotes read (``1 EUR = rate quote`` on ``day``), or the problems refusing the file."""

    rates: tuple[tuple[date, str, Decimal], ...]
    problems: tuple[EcbProblem, ...]
    days: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_ecb(data: bytes, *, filename: str = "") -> EcbRates:
    """Read an ECB reference-rate file (CSV, or a zip holding one CSV)."""
    if len(data) > MAX_BYTES:
        return _refused(0, "", "", f"The file is larger than {MAX_BYTES // 2**20} MB; the ECB's history is ~2 MB.")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        unzipped = _unzip(data)
        if isinstance(unzipped, EcbRates):
            return unzipped
        data = unzipped
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused(0, "", "", "The file is not UTF-8 text: upload eurofxref-hist.csv or its zip as published.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as error:
        found = _FIELDS.search(str(error))
        if found:
            wanted, line, seen = (int(g) for g in found.groups())
            return _refused(line, "", "", f"Row {line} has {seen} cells where the header has {wanted}.")
        return _refused(0, "", "", "The file is not a CSV the ECB publishes.")
    except pd.errors.EmptyDataError:
        return _refused(0, "", "", "The file is empty.")
    return _read_frame(frame)


def _unzip(data: bytes) -> bytes | EcbRates:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return _refused(0, "", "", "The zip file is damaged.")
    with archive:
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv") and not i.is_dir()]
        if len(members) != 1:
            return _refused(0, "", "", "The zip must hold exactly one CSV file (eurofxref-hist.csv or eurofxref.csv).")
        member = members[0]
        if member.file_size > MAX_BYTES:
            return _refused(0, "", "", f"The CSV in the zip is larger than {MAX_BYTES // 2**20} MB.")
        with archive.open(member) as handle:
            content = handle.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            return _refused(0, "", "", f"The CSV in the zip is larger than {MAX_BYTES // 2**20} MB.")
        return content


def _refused(row: int, column: str, value: str, message: str) -> EcbRates:
    return EcbRates((), (EcbProblem(row, column, value, message),))


def _read_frame(frame: pd.DataFrame) -> EcbRates:
    # Trailing commas give unnamed, empty columns: dropped. Headers are trimmed.
    frame = frame.rename(columns=lambda c: str(c).strip())
    keep = [c for c in frame.columns if c and not c.startswith("Unnamed:")]
    frame = frame[keep]
    if not keep or keep[0].casefold() != "date":
        return _refused(1, keep[0] if keep else "", "", 'The first column must be "Date", as in the ECB\'s files.')
    problems: list[EcbProblem] = []
    currencies = keep[1:]
    for name in currencies:
        if not _ISO.match(name):
            problems.append(EcbProblem(1, name, name, f'Column "{name}" is not a three-letter ISO currency code.'))
    if not currencies:
        problems.append(EcbProblem(1, "", "", "The file has no currency column."))
    if problems:
        return EcbRates((), tuple(problems))
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index)
    day_text = frame[keep[0]].str.strip()
    days = pd.to_datetime(day_text, format="%Y-%m-%d", errors="coerce")
    days = days.fillna(pd.to_datetime(day_text, format="%d %B %Y", errors="coerce"))
    for index in days.index[days.isna()]:
        problems.append(
            EcbProblem(int(rows[index]), "Date", str(day_text[index]), "Not a date (2026-11-27 or 27 November 2026).")
        )
    duplicated = days.duplicated(keep="first") & days.notna()
    for index in days.index[duplicated]:
        problems.append(EcbProblem(int(rows[index]), "Date", str(day_text[index]), "This date is given twice."))
    # Long form: one (row, currency, text) per quoted cell, empty and N/A cells dropped.
    long = (
        frame[currencies]
        .assign(_row=rows, _day=days)
        .melt(id_vars=["_row", "_day"], var_name="quote", value_name="text")
    )
    long["text"] = long["text"].str.strip()
    long = long[~long["text"].str.upper().isin(_MISSING)]
    bad = ~long["text"].str.match(_RATE_TEXT)
    for _i, item in long[bad].sort_values(["_row", "quote"]).head(MAX_PROBLEMS).iterrows():
        problems.append(
            EcbProblem(
                int(item["_row"]), str(item["quote"]), str(item["text"]), "Not a rate (a number such as 1.0842)."
            )
        )
    long = long[~bad]
    # Decimals after the point (0 without one); empty-safe, unlike str.partition on no rows.
    point = long["text"].str.find(".")
    decimals = (long["text"].str.len() - point - 1).where(point >= 0, 0)
    for _i, item in long[decimals > RATE_DECIMALS].head(MAX_PROBLEMS).iterrows():
        problems.append(
            EcbProblem(
                int(item["_row"]),
                str(item["quote"]),
                str(item["text"]),
                f"More than {RATE_DECIMALS} decimals: the rate would be changed by storing it.",
            )
        )
    values = [Decimal(t) for t in long["text"].tolist()]
    out_of_bounds = [i for i, v in enumerate(values) if not RATE_MIN <= v <= RATE_MAX]
    for i in out_of_bounds[:MAX_PROBLEMS]:
        item = long.iloc[i]
        problems.append(
            EcbProblem(
                int(item["_row"]),
                str(item["quote"]),
                str(item["text"]),
                f"Outside the plausible range of a rate ({RATE_MIN} to {RATE_MAX}).",
            )
        )
    if problems:
        problems.sort(key=lambda p: (p.row, p.column))
        return EcbRates((), tuple(problems[:MAX_PROBLEMS]))
    rates = tuple(
        (day.date(), quote, value)
        for day, quote, value in zip(long["_day"].tolist(), long["quote"].tolist(), values, strict=True)
    )
    return EcbRates(rates, (), days=int(days.notna().sum()))
