"""Bulk storage of stock lines: COPY on PostgreSQL, batched inserts on SQLite.

Never one ORM object per line: Django's bulk_create spends ~15 s building a million model objects
before any SQL (PERFORMANCE.md); COPY of CSV text streams at ~170k rows/s into the indexed table.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import polars as pl
from django.db import connection

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG, TEXT
from valuation.models import StockLine

TABLE = StockLine._meta.db_table
COPY_BATCH_ROWS = 250_000


def _text_limits() -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in StockLine._meta.concrete_fields
        if getattr(f, "max_length", None) and f.name in COLUMNS
    }


def _not_null_text() -> list[str]:
    return [
        f.column
        for f in StockLine._meta.concrete_fields
        if f.name in COLUMNS and not f.null and COLUMNS[f.name] == TEXT
    ]


def storage_frame(*, upload_id: int, lines: pd.DataFrame, book_value_cents: np.ndarray) -> pl.DataFrame:
    """The lines as text columns in the table's column order (book value from the engine)."""
    source = pl.from_pandas(lines.drop(columns=[c for c in lines.columns if c not in COLUMNS and c != "row"]))
    limits = _text_limits()
    cents = pl.col("cents")
    book = (
        pl.DataFrame({"cents": pl.Series(book_value_cents, dtype=pl.Int64)})
        .select(pl.format("{}.{}", (cents // 100).cast(pl.String), (cents % 100).cast(pl.String).str.zfill(2)))
        .to_series()
    )
    columns: list[pl.Series] = []
    height = len(lines)
    for field in StockLine._meta.concrete_fields:
        name = field.name
        if name == "id":
            continue
        if name == "upload":
            columns.append(pl.Series("upload_id", [upload_id] * height, dtype=pl.Int64))
        elif name == "row":
            columns.append(source.get_column("row").cast(pl.Int64))
        elif name == "book_value":
            columns.append(book.alias("book_value"))
        elif name not in source.columns:
            columns.append(pl.Series(name, [None] * height, dtype=pl.String))
        else:
            series = source.get_column(name)
            kind = COLUMNS[name]
            if kind == DATE:
                series = series.cast(pl.Date).cast(pl.String)
            elif kind == FLAG:
                series = series.cast(pl.Boolean).replace_strict({True: "t", False: "f"}, return_dtype=pl.String)
            elif kind == DECIMAL:
                series = series.cast(pl.String)
            else:
                series = series.cast(pl.String).str.slice(0, limits.get(name, 1000))
            columns.append(series.alias(name))
    return pl.DataFrame(columns)


def store_lines(*, upload_id: int, lines: pd.DataFrame, book_value_cents: np.ndarray) -> int:
    """Replace the upload's stored lines with these (idempotent: a re-run leaves one copy)."""
    frame = storage_frame(upload_id=upload_id, lines=lines, book_value_cents=book_value_cents)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE upload_id = %s", [upload_id])  # noqa: S608 - table name is ours
    if connection.vendor == "postgresql":
        _copy(frame)
    else:
        _insert(frame)
    return frame.height


def _copy(frame: pl.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    force_not_null = ", ".join(c for c in _not_null_text() if c in frame.columns)
    sql = f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({force_not_null}))"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for start in range(0, frame.height, COPY_BATCH_ROWS):
            buffer = io.BytesIO()
            frame.slice(start, COPY_BATCH_ROWS).write_csv(buffer, include_header=False)
            copy.write(buffer.getvalue())


def _insert(frame: pl.DataFrame) -> None:
    """The embedded (SQLite) path: executemany in batches, still no model objects."""
    not_null = set(_not_null_text())
    frame = frame.with_columns([pl.col(c).fill_null("") for c in frame.columns if c in not_null])
    frame = frame.with_columns(
        [pl.col(c).replace_strict({"t": "1", "f": "0"}, default=None) for c in frame.columns if COLUMNS.get(c) == FLAG]
    )
    placeholders = ", ".join(["%s"] * frame.width)
    sql = f"INSERT INTO {TABLE} ({', '.join(frame.columns)}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, frame.height, 50_000):
            cursor.executemany(sql, frame.slice(start, 50_000).rows())
