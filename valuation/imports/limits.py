"""Limits that protect the worker against hostile or absurd files (the Django side passes its
settings in; the defaults suit a 2-core worker with a few GB of memory)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
CHILD_BASE_BYTES = 1_536 * MB  # address space of the parser child before it reads a cell
CELL_BYTES = 32  # one cell of calamine's dense grid (its Data enum)


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
    child_memory_bytes: int = 2_048 * MB  # least address space given to the spreadsheet parser
    child_memory_max_bytes: int = 6_144 * MB  # most address space it may get, however big the sheet
    child_timeout_s: float = 300.0  # wall-clock limit of the spreadsheet parser
    # Sheet XML per slice (a bigger sheet is read in slices of rows, two parsed at once): about
    # 2 bytes resident per byte at calamine's peak, so ~0.15 GB a slice.
    sheet_slice_bytes: int = 64 * MB

    def child_memory_for(self, inflated_bytes: int, declared_cells: int) -> int:
        """Address-space limit of the parser child for a sheet of this size.

        Measured with fastexcel 0.21 (bench/README.md, "XLSX"): the child reserves ~1.34 GB of
        address space before reading anything (thread stacks, allocator arenas; 65 MB resident),
        then calamine holds every cell twice at its peak (a list of cells, then the dense grid
        they are copied into), ~2 bytes resident per byte of sheet XML: 2.26 GB for the
        1.12 GB sheet of a 1M-line, 27-column export. The dense grid costs 32 bytes per cell of
        the sheet's range, so a declared range adds that much (a range that lies is what the
        limit is for). A fixed limit either refused that legitimate sheet (2 GiB) or let a small
        hostile file take as much as a big one.
        """
        wanted = CHILD_BASE_BYTES + 2 * inflated_bytes + CELL_BYTES * declared_cells
        return max(self.child_memory_bytes, min(wanted, self.child_memory_max_bytes))
