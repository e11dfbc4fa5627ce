"""Read XLSX, XLS and ODS uploads safely: checks first, then calamine in a child process.

The parent never loads the spreadsheet library on an untrusted file: a child process with an
address-space limit does, so a calamine abort (SIGABRT on a cell at XFD1048576) or a memory
blow-up ends the child, not the Celery worker. The limit is sized from what the zip declares
(``ImportLimits.child_memory_for``: the inflated sheet and its declared range, between a floor
and a ceiling), so a 1,048,576-row sheet is read while a small hostile file gets little. The
child reads a sheet bigger than ``ImportLimits.sheet_slice_bytes`` in slices of rows
(``_sheet_worker.py``), which keeps its peak at ~0.7 GB for a 1M-line, 27-column export
(2.26 GB read whole), and hands the grid back as an Arrow IPC file, never as Python objects.
A subprocess is used rather than multiprocessing because Celery's prefork children are
daemonic and may not start multiprocessing children.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from .limits import ImportLimits
from .mapping import ColumnMapping
from .report import ImportRejected
from .sniff import FileFormat
from .sources import HEADER_SEARCH_ROWS, Grid, find_header_row
from .zipsafety import UNSAFE, SheetFootprint, check_zip_spreadsheet

WORKER = Path(__file__).with_name("_sheet_worker.py")


def _sheet_argument(sheet: str | int | None) -> str:
    if sheet is None:
        return ""
    if isinstance(sheet, int):
        return f"#{sheet}"
    return sheet


def _run_child(path: Path, target: Path, sheet: str | int | None, limits: ImportLimits, memory: int) -> dict:
    """Parse the spreadsheet in a child process limited to ``memory`` bytes of address space;
    return its JSON status or raise ImportRejected."""
    command = [
        sys.executable,
        "-I",
        str(WORKER),
        str(path),
        str(target),
        _sheet_argument(sheet),
        str(memory),
        str(limits.max_rows),
        str(limits.sheet_slice_bytes),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=limits.child_timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ImportRejected(
            UNSAFE.format(reason=f"reading it took more than {limits.child_timeout_s:.0f} s"),
            kind="unsafe_spreadsheet",
        ) from exc
    lines = done.stdout.decode("utf_8", errors="replace").strip().splitlines()
    status = _parse_status(lines[-1]) if lines else None
    if done.returncode == 0 and status and status.get("ok"):
        return status
    if status is not None and not status.get("ok"):
        raise _child_failure(status, sheet, limits)
    # Killed by a signal (negative code) or out of memory: the file is hostile or broken.
    raise ImportRejected(
        UNSAFE.format(reason="the spreadsheet reader ran out of its memory allowance or crashed"),
        kind="unsafe_spreadsheet",
    )


def _parse_status(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _child_failure(status: dict, sheet: str | int | None, limits: ImportLimits) -> ImportRejected:
    kind = str(status.get("kind"))
    message = str(status.get("message"))
    if kind == "sheet_not_found":
        names = ", ".join(f"“{n}”" for n in json.loads(message))
        return ImportRejected(f"The workbook has no sheet {sheet!r}; its sheets are {names}.", kind=kind)
    if kind == "too_many_rows":
        return ImportRejected(
            f"The sheet has {int(message):,} rows; at most {limits.max_rows:,} can be imported.",
            kind=kind,
        )
    if kind == "unsafe_spreadsheet":
        return ImportRejected(UNSAFE.format(reason="it needs too much memory"), kind=kind)
    return ImportRejected(
        "The spreadsheet could not be read: it is damaged or not a real Excel/OpenDocument file. "
        "Open it in Excel or LibreOffice, save it again and upload the new file.",
        kind="unreadable_spreadsheet",
    )


def read_spreadsheet_grid(
    path: Path,
    file_format: FileFormat,
    *,
    sheet: str | int | None,
    limits: ImportLimits,
    saved: ColumnMapping | None = None,
) -> Grid:
    """Read one sheet (the first by default) into a Grid; the header row is searched for."""
    footprint = SheetFootprint()  # XLS: at most 65,536 rows, the least allowance suffices
    if file_format in (FileFormat.XLSX, FileFormat.ODS):
        footprint = check_zip_spreadsheet(path, limits)
    memory = limits.child_memory_for(footprint.inflated_bytes, footprint.declared_cells)
    with tempfile.TemporaryDirectory(prefix="stockpledge-sheet-") as folder:
        target = Path(folder) / "sheet.arrow"
        status = _run_child(path, target, sheet, limits, memory)
        # Read fully (rechunk copies out of the file) before the folder is deleted.
        frame = pl.read_ipc(target).rechunk()
    if frame.height > limits.max_rows + HEADER_SEARCH_ROWS:
        raise ImportRejected(
            f"The sheet has {frame.height:,} rows; at most {limits.max_rows:,} can be imported.",
            kind="too_many_rows",
        )
    frame = frame.rename({old: f"c{i}" for i, old in enumerate(frame.columns)})
    if frame.width > limits.max_columns:
        raise ImportRejected(
            f"The sheet has {frame.width:,} columns (at most {limits.max_columns}).",
            kind="too_many_columns",
        )
    head = frame.head(HEADER_SEARCH_ROWS).rows()
    if frame.height == 0 or all(all(cell is None for cell in row) for row in head):
        raise ImportRejected(
            f"The sheet “{status['sheet']}” is empty: it holds no header and no stock line.",
            kind="empty_file",
        )
    header_index = find_header_row(head, saved)
    headers = [(cell or "").strip() for cell in head[header_index]]
    return Grid(
        frame=frame.slice(header_index + 1),
        headers=headers,
        header_row=header_index + 1,
        first_row=header_index + 2,
        detected={
            "format": file_format.value,
            "sheet": status["sheet"],
            "sheets": status["sheets"],
            "header_row": header_index + 1,
        },
    )
