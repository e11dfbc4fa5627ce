"""The one entry point for stock files: web upload, API and ``manage.py valuate`` alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from valuation.engine.columns import COLUMNS, DATE, FLAG

from .formats import choose_format, detection_mapping
from .limits import ImportLimits
from .mapping import ColumnMapping, propose_grid_mapping
from .report import ImportRejected, ValidationReport
from .sniff import FileFormat, detect_format
from .sources import Grid, name_unnamed_columns, read_csv_grid
from .spreadsheet import read_spreadsheet_grid
from .validate import LineBuilder

Progress = Callable[[str, int], None]
SNIFF_BYTES = 8 * 1024
PREVIEW_BYTES = 1024 * 1024
PREVIEW_ROWS = 20


@dataclass(slots=True)
class ImportOutcome:
    """The result of reading a stock file.

    ``lines`` is the canonical pandas frame (``row`` + the mapped canonical columns, see
    ``valuation.engine.columns``) when the file is accepted, else None; ``report`` says why;
    ``mapping`` is the mapping used (to show, correct and save); ``warehouses`` the distinct
    warehouse codes found, sorted.
    """

    lines: pd.DataFrame | None
    report: ValidationReport
    mapping: ColumnMapping
    warehouses: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when the lines can be used (warnings allowed)."""
        return self.lines is not None and self.report.accepted

    def raise_if_rejected(self) -> None:
        """Raise ImportRejected with the report when the file was rejected."""
        if not self.accepted:
            first = self.report.errors[0].message if self.report.errors else "File rejected."
            raise ImportRejected(first, kind="rejected", report=self.report)


@dataclass(slots=True)
class FilePreview:
    """What the advisor's mapping screen shows: headers, proposed mapping, first rows."""

    headers: list[str]
    mapping: ColumnMapping
    conflicts: list[str]
    sample_rows: list[list[str | None]]
    detected: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the preview as a JSON-able dict."""
        return {
            "headers": list(self.headers),
            "mapping": self.mapping.to_json(),
            "conflicts": list(self.conflicts),
            "sample_rows": [list(r) for r in self.sample_rows],
            "detected": dict(self.detected),
        }


def _open(
    path: Path,
    *,
    filename: str | None,
    sheet: str | int | None,
    limits: ImportLimits,
    mapping: ColumnMapping | None,
    preview: bool = False,
) -> Grid:
    """Check size and type, then read the file into a grid of text cells."""
    name = filename or path.name
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise ImportRejected(f"The file “{name}” could not be opened.", kind="unreadable") from exc
    if size == 0:
        raise ImportRejected(f"The file “{name}” is empty.", kind="empty_file")
    if size > limits.max_bytes:
        raise ImportRejected(
            f"The file “{name}” is {size / 1e6:,.1f} MB; at most {limits.max_bytes / 1e6:,.0f} MB "
            "can be imported. Export a narrower selection or split the file.",
            kind="too_large",
        )
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        file_format = detect_format(head, name)
        if file_format is FileFormat.CSV:
            handle.seek(0)  # read once, whole: no second copy to glue the head back on
            data = handle.read(PREVIEW_BYTES if preview else -1)
    if file_format is not FileFormat.CSV:
        grid = read_spreadsheet_grid(path, file_format, sheet=sheet, limits=limits, saved=mapping)
    else:
        if preview and len(data) >= PREVIEW_BYTES:
            data = data[: data.rfind(b"\n") + 1] or data  # whole lines only
        handed_over = [data]
        del data  # read_csv_grid drops the raw bytes once they are decoded
        grid = read_csv_grid(handed_over, limits, mapping)
    grid = name_unnamed_columns(grid)
    if grid.frame.height > limits.max_rows:
        raise ImportRejected(
            f"The file has {grid.frame.height:,} rows below its header; at most "
            f"{limits.max_rows:,} can be imported. Split the file or export a narrower selection.",
            kind="too_many_rows",
        )
    return grid


def read_stock_file(
    path: Path,
    *,
    filename: str | None = None,
    mapping: ColumnMapping | None = None,
    sheet: str | int | None = None,
    category_aliases: Mapping[str, str] | None = None,
    limits: ImportLimits = ImportLimits(),  # noqa: B008 - frozen, so a shared default is safe
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read, map and validate a stock export (CSV, XLSX, XLS or ODS) into canonical lines.

    ``filename`` is the name the user uploaded (its extension announces the format; the
    content must agree). ``mapping`` is a saved mapping to reuse (headers it does not know are
    guessed). ``sheet`` picks a sheet by name or 0-based index (default: the first).
    ``category_aliases`` are firm-wide category names -> ``Category`` values (the mapping's own
    aliases take precedence). ``today`` is the reference for future-date warnings.
    ``progress(stage, percent)`` is called at each stage.

    Bad input never raises: a rejected file gives ``lines=None`` and a report whose problems
    say why (whole-file problems as a single error).
    """
    reader = StockFileReader(
        path,
        filename=filename,
        mapping=mapping,
        sheet=sheet,
        category_aliases=category_aliases,
        limits=limits,
        today=today,
        progress=progress,
    )
    frames = list(reader.chunks())
    (progress or (lambda _stage, _percent: None))("done", 100)
    lines = None
    if reader.accepted:
        lines = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return ImportOutcome(lines=lines, report=reader.report, mapping=reader.mapping, warehouses=reader.warehouses)


class StockFileReader:
    """A stock file opened, then validated and converted slice by slice (``chunks``).

    Opening reads the whole grid of text cells; a file refused as a whole (size, type,
    encoding, unreadable) leaves ``report`` saying why and ``chunks`` empty. Each slice's
    canonical pandas frame is yielded once validated, while the file is still accepted so far
    (``progress`` is only called while opening: a pipeline may be streaming to the database);
    once a problem rejects it, the remaining slices are only validated, so the report is whole.
    The caller must exhaust ``chunks`` before reading ``accepted``, ``report`` and
    ``warehouses`` (the distinct warehouse codes of every slice, sorted).
    """

    def __init__(
        self,
        path: Path,
        *,
        filename: str | None = None,
        mapping: ColumnMapping | None = None,
        sheet: str | int | None = None,
        category_aliases: Mapping[str, str] | None = None,
        limits: ImportLimits = ImportLimits(),  # noqa: B008 - frozen
        today: date | None = None,
        progress: Progress | None = None,
        formats: Sequence[ColumnMapping] = (),
    ) -> None:
        self._notify = progress or (lambda _stage, _percent: None)
        self._builder: LineBuilder | None = None
        self._warehouses: set[str] = set()
        self.mapping = mapping or ColumnMapping()
        # ``formats``: the client's saved mappings, one per export format; the one made for this
        # file's header row is used (``format``), unless ``mapping`` is given.
        self.format: ColumnMapping | None = None
        self._notify("reading", 0)
        try:
            detect = mapping if mapping is not None or not formats else detection_mapping(formats)
            grid = _open(path, filename=filename, sheet=sheet, limits=limits, mapping=detect)
        except ImportRejected as exc:
            self.report = exc.report
            return
        if mapping is None and formats:
            mapping = self.format = choose_format(grid.headers, formats)
        self._notify("validating", 40)
        self.report = ValidationReport(detected=dict(grid.detected))
        self._builder = LineBuilder(
            grid, mapping, category_aliases=category_aliases, today=today or date.today(), report=self.report
        )
        self.mapping = self._builder.mapping

    @property
    def rows(self) -> int:
        """Rows below the header (0 when the file was refused whole)."""
        return self.report.rows_read

    def chunks(self, rows: int | None = None) -> Iterator[pd.DataFrame]:
        """The canonical lines of each slice of ``rows`` rows (default: all at once)."""
        builder = self._builder
        if builder is None:
            return
        for frame in builder.chunks(rows):
            if "warehouse" in frame.columns:
                self._warehouses.update(frame.get_column("warehouse").drop_nulls().unique().to_list())
            if self.report.accepted:
                handed_over = [frame]
                del frame  # converted column by column, each polars column freed once converted
                yield to_pandas(handed_over)
        self._builder = None  # every cell as text: the largest frame of the whole pipeline

    @property
    def accepted(self) -> bool:
        """True when every slice was read and the file has no error (warnings allowed)."""
        return self._builder is None and self.report.accepted and self.report.lines > 0

    @property
    def warehouses(self) -> list[str]:
        return sorted(self._warehouses)


def preview_stock_file(
    path: Path,
    *,
    filename: str | None = None,
    mapping: ColumnMapping | None = None,
    sheet: str | int | None = None,
    limits: ImportLimits = ImportLimits(),  # noqa: B008
) -> FilePreview:
    """Return the headers, proposed mapping and first rows without validating the lines.

    Reads only the first MB of a CSV. Raises ImportRejected for whole-file problems.
    """
    grid = _open(path, filename=filename, sheet=sheet, limits=limits, mapping=mapping, preview=True)
    proposed, conflicts = propose_grid_mapping(grid, mapping)
    rows = grid.frame.head(PREVIEW_ROWS).select(pl.exclude("__extra__")).rows()
    return FilePreview(
        headers=list(grid.headers),
        mapping=proposed,
        conflicts=conflicts,
        sample_rows=[list(r) for r in rows],
        detected=dict(grid.detected),
    )


def to_pandas(frame: pl.DataFrame | list[pl.DataFrame]) -> pd.DataFrame:
    """Convert canonical polars lines to the pandas representation of ``engine.columns``.

    Text and decimal text stay Arrow-backed strings (no copy into Python objects); dates
    become ``datetime64[ms]`` and flags pandas' nullable ``boolean``.

    A frame handed over in a one-item list is consumed column by column (the list is emptied),
    so the polars and pandas copies of a million lines never both exist whole.
    """
    if isinstance(frame, list):
        frame = frame.pop()
    series = frame.get_columns()
    del frame  # each column now lives only in ``series`` (dropping them one by one from the
    # frame costs a polars query each: ~0.1 s a million lines)
    series.reverse()
    columns: dict[str, Any] = {}
    while series:
        column = series.pop()
        columns[column.name] = _column_to_pandas(column, COLUMNS.get(column.name))
        del column
    return pd.DataFrame(columns)


def _column_to_pandas(column: pl.Series, kind: str | None) -> Any:
    if column.name == "row" and kind is None:
        return column.cast(pl.Int64).to_numpy()
    if kind == DATE:
        return column.cast(pl.Datetime("ms")).to_pandas()
    if kind == FLAG:
        # Built from its values and null mask: astype("boolean") from Arrow goes through
        # Python-level coercion (~0.1 s per column per million lines).
        column = column.cast(pl.Boolean)
        return pd.arrays.BooleanArray(column.fill_null(False).to_numpy(), column.is_null().to_numpy())
    return column.to_pandas(use_pyarrow_extension_array=True)
