"""Bulk storage of stock lines: COPY on PostgreSQL, batched inserts on SQLite.

Never one ORM object per line: Django's bulk_create spends ~15 s building a million model objects
before any SQL (PERFORMANCE.md); COPY of CSV text streams at ~170k rows/s into the indexed table.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG, TEXT
from valuation.models import StockLine

TABLE = StockLine._meta.db_table
COPY_BATCH_ROWS = 100_000
_CENTS = "__book_value_cents"


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


def _book_text(cents: pl.Expr) -> pl.Expr:
    """Integer cents as decimal text: 123456 -> "1234.56", -5 -> "-0.05"."""
    magnitude = cents.abs()
    return pl.format(
        "{}{}.{}",
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (magnitude // 100).cast(pl.String),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def _source(lines: pd.DataFrame | pl.DataFrame) -> pl.DataFrame:
    """The canonical lines as polars (the reader's own frame is used as it is)."""
    if isinstance(lines, pl.DataFrame):
        return lines
    return pl.from_pandas(lines.drop(columns=[c for c in lines.columns if c not in COLUMNS and c != "row"]))


def storage_frame(*, upload_id: int, lines: pd.DataFrame | pl.DataFrame, book_value_cents: np.ndarray) -> pl.DataFrame:
    """The lines as text columns in the table's column order (book value from the engine).

    ``lines`` is the canonical frame (polars as the reader makes it, or pandas); the text is
    built with one polars ``select`` of expressions, so no column is copied on the way.
    """
    source = _source(lines).with_columns(pl.Series(_CENTS, book_value_cents, dtype=pl.Int64))
    limits = _text_limits()
    exprs: list[pl.Expr] = []
    for field in StockLine._meta.concrete_fields:
        name = field.name
        if name == "upload":
            exprs.append(pl.lit(upload_id, dtype=pl.Int64).alias("upload_id"))
        elif name == "row":
            exprs.append(pl.col("row").cast(pl.Int64))
        elif name == "book_value":
            exprs.append(_book_text(pl.col(_CENTS)).alias("book_value"))
        elif name not in source.columns:
            exprs.append(pl.lit(None, dtype=pl.String).alias(name))
        else:
            column = pl.col(name)
            kind = COLUMNS[name]
            if kind == DATE:
                exprs.append(column.cast(pl.Date).cast(pl.String))
            elif kind == FLAG:
                flag = column.cast(pl.Boolean)
                exprs.append(pl.when(flag).then(pl.lit("t")).when(~flag).then(pl.lit("f")).alias(name))
            elif kind == DECIMAL:
                exprs.append(column.cast(pl.String))
            else:
                exprs.append(column.cast(pl.String).str.slice(0, limits.get(name, 1000)))
    return source.select(exprs)


def store_lines(*, upload_id: int, lines: pd.DataFrame | pl.DataFrame, book_value_cents: np.ndarray) -> int:
    """Replace the upload's stored lines with these (idempotent: a re-run leaves one copy).

    On PostgreSQL the text is made (``copy_text``) and streamed in slices of ``COPY_BATCH_ROWS``
    lines, so the lines never exist whole as text in memory, and a psycopg writer thread sends
    one slice while the next is formatted. SQLite gets batched inserts of ``storage_frame``.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE upload_id = %s", [upload_id])  # noqa: S608 - table name is ours
    if connection.vendor == "postgresql":
        _copy(upload_id, lines, book_value_cents)
    else:
        _insert(storage_frame(upload_id=upload_id, lines=lines, book_value_cents=book_value_cents))
    return len(lines)


def _slice(lines: pd.DataFrame | pl.DataFrame, start: int, length: int) -> pd.DataFrame | pl.DataFrame:
    if isinstance(lines, pl.DataFrame):
        return lines.slice(start, length)
    return lines.iloc[start : start + length]


def copy_text(*, upload_id: int, lines: pd.DataFrame | pl.DataFrame, book_value_cents: np.ndarray) -> bytes:
    """The lines as the CSV text COPY reads, in the table's column order, written by Arrow.

    The pandas lines are Arrow arrays already, so nothing is converted on the way: text is cut to
    the column's length, dates become ISO dates, flags ``true``/``false``, every string is quoted
    (an empty one stays empty, a missing one is NULL) and the book value comes from the engine's
    cents. About half the CPU of building the same text with polars.
    """
    table = lines.to_arrow() if isinstance(lines, pl.DataFrame) else pa.Table.from_pandas(lines, preserve_index=False)
    height = table.num_rows
    limits = _text_limits()
    names: list[str] = []
    arrays: list[Any] = []
    for field in StockLine._meta.concrete_fields:
        name = field.name
        if name == "upload":
            names.append("upload_id")
            arrays.append(pa.array(np.full(height, upload_id, dtype=np.int64)))
            continue
        names.append(name)
        if name == "row":
            arrays.append(pc.cast(table.column("row"), pa.int64()))
        elif name == "book_value":
            cents = pl.DataFrame({_CENTS: pl.Series(book_value_cents, dtype=pl.Int64)})
            arrays.append(cents.select(_book_text(pl.col(_CENTS))).to_series().to_arrow())
        elif name not in table.column_names:
            arrays.append(pa.nulls(height, pa.string()))
        else:
            column = table.column(name)
            kind = COLUMNS[name]
            if kind == DATE:
                arrays.append(pc.cast(column, pa.date32()))
            elif kind == FLAG:
                arrays.append(pc.cast(column, pa.bool_()))
            elif kind == DECIMAL:
                arrays.append(pc.cast(column, pa.large_string()))
            else:
                text = pc.cast(column, pa.large_string())
                arrays.append(pc.utf8_slice_codeunits(text, 0, limits.get(name, 1000)))
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(pa.table(arrays, names=names), buffer, write_options=options)
    return buffer.getvalue()


def _copy(upload_id: int, source: pd.DataFrame | pl.DataFrame, book_value_cents: np.ndarray) -> None:
    columns = ", ".join("upload_id" if f.name == "upload" else f.name for f in StockLine._meta.concrete_fields)
    force_not_null = ", ".join(_not_null_text())
    sql = f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({force_not_null}))"
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only

    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
            for start in range(0, len(source), COPY_BATCH_ROWS):
                copy.write(
                    copy_text(
                        upload_id=upload_id,
                        lines=_slice(source, start, COPY_BATCH_ROWS),
                        book_value_cents=book_value_cents[start : start + COPY_BATCH_ROWS],
                    )
                )


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
