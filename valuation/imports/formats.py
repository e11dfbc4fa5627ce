"""Export formats: a saved mapping is kept per header set, and the next file picks its own.

A client may send two exports (SAP and a spreadsheet, say); each confirmed mapping is stored with
the signature of the header row it was made for, and a new file uses the mapping of its own
format. The signature must stay stable: stored signatures are compared with new files' ones, so
it normalises with its own rules (case, Unicode form, spaces), not with the header matcher's,
which may learn new words at any time.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import polars as pl

from valuation.engine.columns import COLUMNS, DECIMAL

from .currencies import currency_code
from .mapping import ColumnMapping
from .report import ValidationReport
from .sources import Grid
from .validate import build_lines

# Signature keys are joined with a separator no header contains (a unit separator control).
_SEPARATOR = "\x1f"
CENT = Decimal("0.01")


def header_key(header: str | None) -> str:
    """The key of one header in a signature: NFKC, case folded, spaces collapsed."""
    text = unicodedata.normalize("NFKC", header or "").casefold()
    return " ".join(text.split())


def header_keys(headers: Iterable[str | None]) -> frozenset[str]:
    """The distinct non-empty keys of a header row."""
    return frozenset(key for key in map(header_key, headers) if key)


def header_signature(headers: Iterable[str | None]) -> str:
    """SHA-256 (hex) of the sorted distinct header keys: the same export in any column order
    gives the same signature; one more, one less or one renamed column gives another."""
    return hashlib.sha256(_SEPARATOR.join(sorted(header_keys(headers))).encode("utf-8")).hexdigest()


def mapping_headers(mapping: ColumnMapping) -> list[str]:
    """The headers a saved mapping was made for (every header of its file, mapped or ignored)."""
    return list(mapping.columns)


def choose_format(headers: Sequence[str | None], saved: Sequence[ColumnMapping]) -> ColumnMapping | None:
    """The saved mapping made for this header row, re-keyed to the file's own spellings.

    The same header set wins. Failing that, an export that gained or lost a column it did not
    map keeps its format: the saved mapping whose mapped headers are all in the file, sharing at
    least half of its headers, the one sharing the most (the first given on a tie). None when no
    saved mapping fits: the headers are then recognised by their words alone.
    """
    keys = header_keys(headers)
    if not keys or not saved:
        return None
    best: tuple[int, int] | None = None
    chosen: ColumnMapping | None = None
    for position, mapping in enumerate(saved):
        own = header_keys(mapping.columns)
        if own == keys:
            return rekey(mapping, headers)
        mapped = header_keys(h for h, target in mapping.columns.items() if target)
        common = len(own & keys)
        if not mapped or not mapped <= keys or common * 2 < len(own):
            continue
        score = (common, -position)
        if best is None or score > best:
            best, chosen = score, mapping
    return rekey(chosen, headers) if chosen is not None else None


def rekey(mapping: ColumnMapping, headers: Sequence[str | None]) -> ColumnMapping:
    """The mapping with its headers spelt as in this file ("QTE " and "Qte" are one header), so
    the reader, which compares headers exactly, finds every saved choice."""
    spelling = {header_key(h): h.strip() for h in headers if h and h.strip()}
    columns = {spelling.get(header_key(h), h): target for h, target in mapping.columns.items()}
    return ColumnMapping(
        columns=columns,
        category_aliases=dict(mapping.category_aliases),
        unmapped=[h for h, target in columns.items() if target is None],
        confirmed=mapping.confirmed,
    )


def detection_mapping(saved: Sequence[ColumnMapping]) -> ColumnMapping | None:
    """Every saved header at once, only to find the header row under title rows (the reader
    scores rows by known headers) before the file's own format is known."""
    if not saved:
        return None
    columns: dict[str, str | None] = {}
    for mapping in saved:
        for header, target in mapping.columns.items():
            columns.setdefault(header, target)
    return ColumnMapping(columns=columns)


def merge_choices(read: ColumnMapping, chosen: ColumnMapping) -> ColumnMapping:
    """The mapping of a file as read, with a person's choices on top.

    ``chosen`` may name only the headers someone corrected; a canonical column it gives to one
    header is taken from any other header that fed it in ``read`` (one source per column).
    """
    taken = {target for target in chosen.columns.values() if target}
    columns: dict[str, str | None] = {
        header: (None if target in taken and header not in chosen.columns else target)
        for header, target in read.columns.items()
    }
    columns.update(chosen.columns)
    aliases = dict(read.category_aliases)
    aliases.update(chosen.category_aliases)
    return ColumnMapping(
        columns=columns,
        category_aliases=aliases,
        unmapped=[h for h, target in columns.items() if target is None],
        confirmed=chosen.confirmed,
    )


# ------------------------------------------------------------------------------------ samples


def column_samples(
    headers: Sequence[str], rows: Sequence[Sequence[str | None]], per_column: int = 3
) -> list[list[str]]:
    """Each column's first non-empty values among ``rows`` (what a person reads under a header)."""
    samples: list[list[str]] = [[] for _ in headers]
    for row in rows:
        for index, cell in enumerate(row[: len(headers)]):
            text = (cell or "").strip()
            if text and len(samples[index]) < per_column:
                samples[index].append(text[:60])
    return samples


def preview_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    mapping: ColumnMapping,
    *,
    detected: dict[str, Any],
    category_aliases: dict[str, str] | None,
    today: date,
) -> tuple[pl.DataFrame | None, ValidationReport]:
    """The first rows of a file read as canonical lines under ``mapping``, with their report,
    exactly as processing would read them (the same validation, on these rows only)."""
    width = len(headers)
    header_row = int(detected.get("header_row") or 1)
    frame = pl.DataFrame(
        {f"c{i}": [(list(r) + [None] * width)[i] for r in rows] for i in range(width)},
        schema={f"c{i}": pl.String for i in range(width)},
    )
    grid = Grid(
        frame=frame, headers=list(headers), header_row=header_row, first_row=header_row + 1, detected=dict(detected)
    )
    report = ValidationReport(detected=dict(detected))
    lines, _used = build_lines(grid, mapping, category_aliases=category_aliases, today=today, report=report)
    return lines, report


def value_columns(lines: pl.DataFrame) -> list[str]:
    """The decimal columns of canonical lines (shown right-aligned in a preview)."""
    return [c for c in lines.columns if COLUMNS.get(c) == DECIMAL]


def category_totals(lines: pl.DataFrame, default_currency: str) -> list[tuple[str, str, int, Decimal]]:
    """(category, currency, lines, book value) for preview lines, by category and currency.

    The value is the line's book value, else quantity × unit cost rounded half-up to the cent;
    exact ``Decimal`` arithmetic (a preview has a few dozen lines). Lines of two currencies are
    never added together.
    """
    totals: dict[tuple[str, str], tuple[int, Decimal]] = {}
    names = set(lines.columns)
    for line in lines.iter_rows(named=True):
        value = _decimal(line.get("book_value"))
        if value is None:
            quantity, cost = _decimal(line.get("quantity")), _decimal(line.get("unit_cost"))
            if quantity is None or cost is None:
                continue
            value = (quantity * cost).quantize(CENT, rounding=ROUND_HALF_UP)
        currency = currency_code(line.get("currency") if "currency" in names else None, default_currency)
        key = (str(line.get("category") or ""), currency)
        count, total = totals.get(key, (0, Decimal(0)))
        totals[key] = (count + 1, total + value)
    return [(category, currency, n, total) for (category, currency), (n, total) in sorted(totals.items())]


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None
