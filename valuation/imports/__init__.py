"""Pure stock-file readers: any ERP export (CSV, XLSX, XLS, ODS) -> canonical stock lines.

No Django, DRF or Celery here (an import-linter contract enforces it): the Django side calls
``read_stock_file`` and stores what it returns.
"""

from .limits import ImportLimits
from .mapping import ColumnMapping, guess_column, normalise, propose_mapping
from .reader import FilePreview, ImportOutcome, preview_stock_file, read_stock_file
from .report import ImportRejected, Problem, Severity, ValidationReport
from .sniff import FileFormat

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
