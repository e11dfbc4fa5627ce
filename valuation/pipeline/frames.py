"""Stored stock lines back into the engine's canonical frame (for recomputing with new terms)."""

from __future__ import annotations

import io

import pandas as pd
import polars as pl
from django.db import connection

from valuation.engine.columns import COLUMNS, DATE, FLAG
from valuation.imports.reader import to_pandas
from valuation.models import StockLine, StockUpload

TABLE = StockLine._meta.db_table


def lines_frame(upload: StockUpload) -> pd.DataFrame:
    """The upload's lines with the columns its file provided (an absent column stays absent, so a
    rule that needs it is still reported as not assessed)."""
    present = [c for c in COLUMNS if c in set(upload.columns) or c == "book_value"]
    names = ["row", *present]
    if connection.vendor == "postgresql":
        sql = f"COPY (SELECT {', '.join(names)} FROM {TABLE} WHERE upload_id = {int(upload.pk)} ORDER BY row) TO STDOUT WITH (FORMAT csv, HEADER true)"  # noqa: E501, S608
        buffer = io.BytesIO()
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for block in copy:
                buffer.write(block)
        frame = pl.read_csv(buffer.getvalue(), infer_schema=False)
    else:
        rows = StockLine.objects.filter(upload=upload).order_by("row").values_list(*names)
        frame = pl.DataFrame([[None if v is None else str(v) for v in row] for row in rows], schema=names, orient="row")
    casts = []
    for name in present:
        kind = COLUMNS[name]
        if kind == DATE:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d", strict=True))
        elif kind == FLAG:
            casts.append(
                pl.col(name).replace_strict(
                    {"t": True, "f": False, "True": True, "False": False}, default=None, return_dtype=pl.Boolean
                )
            )
    frame = frame.with_columns([pl.col("row").cast(pl.Int64), *casts])
    return to_pandas(frame)
