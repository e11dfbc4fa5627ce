"""Turn a CSV file into a grid of text cells and find its header row.

A grid is a polars DataFrame of String columns, one row per record of the file; nothing is
interpreted yet, so a bad cell cannot stop the read (polars stops at the first bad cell when
it types columns itself).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .encoding import DISPLAY_NAMES, line_of, to_utf8
from .limits import ImportLimits
from .mapping import ColumnMapping, header_score
from .report import ImportRejected

SEPARATORS = (";", ",", "\t", "|")
SAMPLE_CHARS = 64 * 1024
SAMPLE_RECORDS = 50
HEADER_SEARCH_ROWS = 30
EXTRA_COLUMN = "__extra__"
# The name an unnamed column gets, by its spreadsheet letter: the same export gives the same
# names, so a saved mapping (keyed by header text, found by the header row's signature) finds
# them again. Not translated: it is a key, and a key must not change with the reader's language.
UNNAMED_COLUMN = "(column {letter})"


@dataclass(slots=True)
class Grid:
    """The file's cells below and including the header, as text.

    ``frame`` holds the data rows only (columns ``c0``, ``c1``...; plus ``__extra__`` for CSV,
    non-null where a row has more values than the header); ``headers`` the header cells;
    ``first_row`` the 1-based source row number of ``frame``'s first row.
    """

    frame: pl.DataFrame
    headers: list[str]
    header_row: int
    first_row: int
    detected: dict[str, Any] = field(default_factory=dict)


def column_letter(index: int) -> str:
    """The spreadsheet letters of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA, 701 -> ZZ."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def name_unnamed_columns(grid: Grid) -> Grid:
    """The grid with a name for each column that holds values under an empty header cell
    ("(column B)"), so that content detection can give it a canonical column (QuickBooks prints
    its item codes under no header) and an advisor can map it: mappings are keyed by header text.

    A column with neither header nor value is not named (a spacer column would only add an
    empty "ignored column" to the mapping page and the upload's gaps), and the trailing run of
    such columns (a sheet's formatted but empty columns, a header ending with separators) is
    dropped from the grid altogether.
    """
    from .formats import header_key  # formats reads grids: imported when first needed

    headers = grid.headers
    unnamed = [f"c{index}" for index, text in enumerate(headers) if not text and f"c{index}" in grid.frame.columns]
    if not unnamed:
        return grid
    found = grid.frame.select([(pl.col(c).str.strip_chars() != "").any().alias(c) for c in unnamed]).row(0)
    filled = {int(c[1:]) for c, any_value in zip(unnamed, found) if any_value}
    width = max([index + 1 for index, text in enumerate(headers) if text or index in filled], default=0)
    # Unique as signatures compare headers (formats.header_key), not only as written.
    taken = {header_key(text) for text in headers if text}
    names: list[str] = []
    for index, text in enumerate(headers[:width]):
        if not text and index in filled:
            text = UNNAMED_COLUMN.format(letter=column_letter(index))
            while header_key(text) in taken:  # a file may already use the name for another column
                text = f"{text[:-1]} bis)"
            taken.add(header_key(text))
        names.append(text)
    dropped = [f"c{index}" for index in range(width, len(headers)) if f"c{index}" in grid.frame.columns]
    return Grid(
        frame=grid.frame.drop(dropped) if dropped else grid.frame,
        headers=names,
        header_row=grid.header_row,
        first_row=grid.first_row,
        detected=grid.detected,
    )


def find_header_row(rows: Sequence[Sequence[str | None]], saved: ColumnMapping | None) -> int:
    """Return the 0-based index of the header row among the first rows of a file.

    The row naming the most known columns wins (title rows above it are skipped); without any
    known name, the first row with at least two filled cells is taken as the header.
    """
    best, best_score = -1, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row, saved)
        if score > best_score:
            best, best_score = index, score
    if best >= 0:
        return best
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for cell in row if cell and cell.strip()) >= 2:
            return index
    raise ImportRejected(
        "No header row was found: the file should have one row naming its columns "
        "(for example “Code article; Désignation; Qté; PU HT”) above the stock lines.",
        kind="no_header",
    )


def _records(sample: str, separator: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=separator, quotechar='"', strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        pass  # the sample may end inside a quoted field; the records read so far suffice
    return records


def detect_separator(sample: str) -> str:
    """Pick the separator giving the most records with the same (>1) number of fields."""
    best, best_key = ",", (0, 0)
    for separator in SEPARATORS:
        counts = Counter(len(r) for r in _records(sample, separator) if len(r) > 1)
        if not counts:
            continue
        width, frequency = counts.most_common(1)[0]
        key = (frequency, width)
        if key > best_key:
            best, best_key = separator, key
    return best


def _line_start(text: bytes, lines: int) -> int:
    """Return the byte offset where physical line ``lines`` (0-based) starts."""
    offset = 0
    for _ in range(lines):
        found = text.find(b"\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def read_csv_grid(data: bytes | list[bytes], limits: ImportLimits, saved: ColumnMapping | None = None) -> Grid:
    """Decode, sniff and read a CSV export into a Grid.

    Detects the encoding, the separator and the header row (title rows above it are left out
    and counted in the row numbers). Rows are numbered as a spreadsheet shows them: one per
    record, a quoted line break staying inside its record.

    ``data`` may be handed over in a one-item list, which is emptied: the file's bytes are then
    released as soon as they are decoded (a 150 MB export otherwise stays in memory three times,
    as read, as UTF-8 and as the text polars parses).
    """
    if isinstance(data, list):
        data = data.pop()
    text, encoding = to_utf8(data)
    del data
    nul = text.find(b"\x00")
    if nul >= 0:  # no export holds one, and PostgreSQL could not store it in a text
        raise ImportRejected(
            f"Line {line_of(text, nul)} holds a NUL character (byte 0), which no stock export contains: "
            "the file is damaged or is not a text export. Export it again.",
            kind="control_character",
        )
    if b"\n" not in text and b"\r" in text:
        text = text.replace(b"\r", b"\n")  # classic Mac line endings
    sample = text[:SAMPLE_CHARS].decode("utf_8", errors="ignore")
    if not sample.strip():
        raise ImportRejected("The file is empty: it holds no header and no stock line.", kind="empty_file")
    separator = detect_separator(sample)
    records = _records(sample, separator)
    header_index = find_header_row(records, saved)
    headers = [cell.strip() for cell in records[header_index]]
    if len(headers) > limits.max_columns:
        raise ImportRejected(
            f"The header row has {len(headers):,} columns (at most {limits.max_columns}).",
            kind="too_many_columns",
        )
    rows_guess = text.count(b"\n")
    if rows_guess > limits.max_rows + header_index + 1:
        raise ImportRejected(
            f"The file has about {rows_guess:,} rows; at most {limits.max_rows:,} can be imported. "
            "Split the file or export a narrower selection.",
            kind="too_many_rows",
        )
    # Physical lines before the header (a title may hold a quoted line break).
    probe = csv.reader(io.StringIO(sample), delimiter=separator, quotechar='"', strict=False)
    for _ in range(header_index):
        next(probe)
    start = _line_start(text, probe.line_num)
    header_end = text.find(b"\n", start)
    header_end = len(text) if header_end < 0 else header_end
    if text[header_end - 1 : header_end] == b"\r":
        header_end -= 1
    # One more (empty) header field, so polars keeps a column that catches overlong rows.
    body = text[start:header_end] + separator.encode() + text[header_end:]
    del text
    names = [f"c{i}" for i in range(len(headers))] + [EXTRA_COLUMN]
    try:
        frame = pl.read_csv(
            body,
            has_header=False,
            separator=separator,
            quote_char='"',
            infer_schema=False,
            new_columns=names,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except (
        pl.exceptions.ComputeError,
        pl.exceptions.SchemaError,
        pl.exceptions.NoDataError,
    ) as exc:
        raise ImportRejected(
            "The file could not be read as CSV: its rows do not split into the header's columns "
            f"with the separator “{_display(separator)}”.",
            kind="unreadable_csv",
        ) from exc
    frame = frame.slice(1)  # the header itself
    return Grid(
        frame=frame,
        headers=headers,
        header_row=header_index + 1,
        first_row=header_index + 2,
        detected={
            "format": "csv",
            "encoding": DISPLAY_NAMES.get(encoding, encoding),
            "separator": _display(separator),
            "header_row": header_index + 1,
        },
    )


def _display(separator: str) -> str:
    return {"\t": "tab"}.get(separator, separator)
