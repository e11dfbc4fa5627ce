"""Bulk storage of stock lines: binary COPY on PostgreSQL, batched inserts on SQLite.

Never one ORM object per line: Django's bulk_create spends ~15 s building a million model objects
before any SQL (measured on the benchmark machine, bench/README.md). Binary COPY
(``valuation.pipeline.pgcopy``) sends the engine's integers as they are: the server parses no
number and no date, which made COPY of a million lines about a quarter cheaper for it than CSV
text (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from valuation.engine.columns import COLUMNS, DATE, DECIMAL, FLAG, TEXT
from valuation.engine.lines import Lines
from valuation.models import StockLine
from valuation.pipeline import pgcopy

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


def line_writer(upload_id: int, file_columns: Iterable[str]) -> LineCopy | LineInsert:
    """Where an upload's lines are written, chunk by chunk (``write(lines, prepared)``), inside the
    caller's transaction: one binary COPY on PostgreSQL (``LineCopy``), batched inserts on SQLite.

    ``prepared`` is what the engine made of each chunk (``prepare_lines``): its integer values
    are what is stored, so the database holds exactly the figures the valuation used. The
    upload's earlier lines are the caller's to delete first (``delete_lines``).
    """
    if connection.vendor == "postgresql":
        return LineCopy(upload_id, file_columns)
    return LineInsert(upload_id)


def delete_lines(upload_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE upload_id = %s", [upload_id])  # noqa: S608 - table name is ours


class LineCopy:
    """One binary COPY of an upload's lines into the stock-line table: the PostgreSQL ``line_writer``.

    Lines may come in several ``write`` calls (a file read in chunks): each is encoded in slices
    of ``COPY_BATCH_ROWS`` lines (``encode_slice``) by an encoder thread, so the caller goes on
    with its next chunk meanwhile, and psycopg's writer thread sends one slice while the next is
    encoded; at most ``PENDING_SLICES`` slices wait, so no whole file exists as COPY data. The
    columns are fixed by the first chunk's frame: a nullable column the file does not have is
    left out (NULL).
    """

    PENDING_SLICES = 2

    def __init__(self, upload_id: int, file_columns: Iterable[str]) -> None:
        present = set(file_columns)
        self.upload_id = upload_id
        self.fields = [
            f for f in StockLine._meta.concrete_fields if f.name in present or f.name in ("upload", "row") or not f.null
        ]
        self._pending: list[Future[None]] = []

    def __enter__(self) -> LineCopy:
        from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only

        columns = ", ".join(f.column for f in self.fields)
        self._cursor = connection.cursor()
        raw = self._cursor.cursor
        self._context = raw.copy(f"COPY {TABLE} ({columns}) FROM STDIN (FORMAT binary)", writer=QueuedLibpqWriter(raw))
        self._copy = self._context.__enter__()
        self._copy.write(pgcopy.HEADER)
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-encoder")
        return self

    def write(self, lines: pd.DataFrame, prepared: Lines) -> None:
        """Send ``lines`` (a canonical frame) with the engine's values for them (``prepared``)."""
        table = pa.Table.from_pandas(lines, preserve_index=False)
        for start in range(0, len(lines), COPY_BATCH_ROWS):
            while len(self._pending) >= self.PENDING_SLICES:
                self._pending.pop(0).result()
            rows = table.slice(start, min(COPY_BATCH_ROWS, len(lines) - start))
            self._pending.append(self._encoder.submit(self._send, rows, prepared, start))

    def _send(self, rows: pa.Table, prepared: Lines, start: int) -> None:
        self._copy.write(encode_slice(self.upload_id, self.fields, rows, prepared, start))

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        try:
            try:
                for pending in self._pending:
                    if error is None:
                        pending.result()  # an encoding error surfaces here, and aborts the COPY
                    else:
                        pending.exception()  # the caller's error is the one to report
            finally:
                self._encoder.shutdown(cancel_futures=True)
            if error is None:
                self._copy.write(pgcopy.TRAILER)
        except BaseException as failure:
            self._context.__exit__(type(failure), failure, failure.__traceback__)
            raise
        else:
            self._context.__exit__(kind, error, trace)
        finally:
            self._cursor.close()


def encode_slice(upload_id: int, fields: list[Any], table: pa.Table, prepared: Lines, start: int) -> pa.Buffer:
    """Lines ``start`` to ``start + len(table)`` of ``prepared`` (text from ``table``, the same
    lines as Arrow) as binary COPY rows of ``fields``."""
    stop = start + table.num_rows
    columns: list[pgcopy.Column] = []
    for field in fields:
        name = field.name
        if name == "upload":
            columns.append(pgcopy.Column(name, pgcopy.INT8, np.full(stop - start, upload_id, dtype=np.int64)))
        elif name == "row":
            columns.append(pgcopy.Column(name, pgcopy.INT4, prepared.row[start:stop]))
        elif name == "quantity":
            columns.append(pgcopy.Column(name, pgcopy.NUMERIC, prepared.quantity[start:stop], field.decimal_places))
        elif name == "book_value":
            columns.append(pgcopy.Column(name, pgcopy.NUMERIC, prepared.book[start:stop], field.decimal_places))
        elif COLUMNS[name] == TEXT:
            columns.append(pgcopy.Column(name, pgcopy.TEXT, _text(table, name, field.max_length)))
        else:
            kind, known = {
                DECIMAL: (pgcopy.NUMERIC, prepared.decimals),
                DATE: (pgcopy.DATE, prepared.dates),
                FLAG: (pgcopy.BOOL, prepared.flags),
            }[COLUMNS[name]]
            values = known[name]
            scale = field.decimal_places if kind == pgcopy.NUMERIC else 0
            columns.append(pgcopy.Column(name, kind, values.values[start:stop], scale, values.missing[start:stop]))
    return pgcopy.encode(columns)


def _text(table: pa.Table, name: str, limit: int) -> pa.Array:
    """A text column as stored: missing (or absent) is empty, cut to the column's length."""
    if name not in table.column_names:
        return _empty_texts(table.num_rows)
    text = pc.fill_null(pc.cast(table.column(name), pa.large_string()), "")
    longest = pc.max(pc.binary_length(text)).as_py() or 0
    if longest > limit:  # bytes: a longer text may still fit in characters; slicing is then a no-op
        text = pc.utf8_slice_codeunits(text, 0, limit)
    return text


def _empty_texts(rows: int) -> pa.Array:
    return pa.LargeStringArray.from_buffers(rows, pa.py_buffer(np.zeros(rows + 1, dtype=np.int64)), pa.py_buffer(b""))


class LineInsert:
    """The embedded (SQLite) ``line_writer``: each chunk inserted as it comes, in batches."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id

    def __enter__(self) -> LineInsert:
        return self

    def write(self, lines: pd.DataFrame, prepared: Lines) -> None:
        _insert(storage_frame(upload_id=self.upload_id, lines=lines, book_value_cents=prepared.book))

    def __exit__(self, *exc: object) -> None:
        return None


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
