"""Pure stock-file readers: any ERP export (CSV, XLSX, XLS, ODS) -> canonical stock lines.

No Django, DRF or Celery here (an import-linter contract enforces it): the Django side calls
``read_stock_file`` and stores what it returns.
"""

import os

# Polars' allocator (jemalloc) keeps freed pages for 0.5 s, then holds them "muzzy" (counted in
# the process's memory until the kernel wants them) for another second; a worker going from the
# text grid of a million-line file to its lines and the valuations stacked those pages up to
# ~0.3 GB above what it really held. Muzzy pages are returned at once here. Freed pages are still
# kept for a second, though: returning them at once too (dirty_decay_ms:0) made every new column
# touch fresh pages, a million page faults an upload, ~1 s of a 1M-line pipeline on a VM
# (bench/README.md); within a second, they are reused instead, and the peak did not move.
# Polars reads this when first imported (appending it to its own defaults), so it is set before
# any polars import below. A value the operator set wins; polars' own default, inherited from a
# parent process that imported polars first, does not.
if os.environ.get("_RJEM_MALLOC_CONF", "") in ("", "dirty_decay_ms:500,muzzy_decay_ms:1000"):
    os.environ["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:1000,muzzy_decay_ms:0"

from .limits import ImportLimits  # noqa: E402
from .mapping import ColumnMapping, guess_column, normalise, propose_mapping  # noqa: E402
from .reader import FilePreview, ImportOutcome, preview_stock_file, read_stock_file  # noqa: E402
from .report import ImportRejected, Problem, Severity, ValidationReport  # noqa: E402
from .sniff import FileFormat  # noqa: E402

__all__ = [
    "ColumnMapping",
    "FileFormat",
    "FilePreview",
    "ImportLimits",
    "ImportOutcome",
    "ImportRejected",
    "Problem",
    "Severity",
    "ValidationReport",
    "guess_column",
    "normalise",
    "preview_stock_file",
    "propose_mapping",
    "read_stock_file",
]
