"""Limits that protect the worker against hostile or absurd files (the Django side passes its
settings in; the defaults suit a 2-core worker with a few GB of memory)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Maximum sizes accepted for one upload.

    Sizes are in bytes, durations in seconds.
    """

    max_bytes: int = 100 * MB  # size of the uploaded file
    max_rows: int = 2_000_000  # rows in the file (or in the chosen sheet)
    max_uncompressed_bytes: int = 2_000 * MB  # sum of a zip's entries once inflated
    max_entry_ratio: int = 200  # inflated / compressed size of any zip entry
    max_zip_entries: int = 10_000  # entries in a zip (xlsx/ods) central directory
    max_columns: int = 500  # columns in the header row
    child_memory_bytes: int = 2_048 * MB  # address-space limit of the spreadsheet parser
    child_timeout_s: float = 300.0  # wall-clock limit of the spreadsheet parser
