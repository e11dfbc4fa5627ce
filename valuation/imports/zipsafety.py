"""Refuse zip-based spreadsheets (xlsx, ods) that would exhaust memory, before any parser runs.

Only the zip central directory and the first bytes of each XML part are read: a bomb is
detected from the sizes it declares. A forged directory can understate them, which is why the
parser itself runs in a memory-limited child process (see ``spreadsheet.py``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .limits import ImportLimits
from .report import ImportRejected

PROLOG_SCAN_BYTES = 64 * 1024  # an honest XML prolog is a few hundred bytes
CHUNK = 16 * 1024
SMALL_ENTRY_BYTES = 8 * 1024 * 1024  # below this an entry's ratio is harmless

_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')

UNSAFE = (
    "This spreadsheet could not be read safely: {reason}. Open it in Excel or LibreOffice, "
    "save it again as .xlsx (or export it as CSV) and upload the new file."
)


@dataclass(frozen=True, slots=True)
class SheetFootprint:
    """What the zip declares about its biggest sheet, to size the parser child's memory.

    ``inflated_bytes``: the largest sheet part once inflated, plus the shared strings (every
    sheet reads them); ``declared_cells``: the largest range a ``<dimension>`` declares.
    """

    inflated_bytes: int = 0
    declared_cells: int = 0


def _is_sheet_part(name: str) -> bool:
    return name.startswith("xl/worksheets/") or name == "content.xml"  # XLSX, ODS


def _reject(reason: str, kind: str = "unsafe_spreadsheet") -> ImportRejected:
    return ImportRejected(UNSAFE.format(reason=reason), kind=kind)


def column_number(letters: str) -> int:
    """Return the 1-based column number of Excel column letters ('A' -> 1, 'XFD' -> 16384)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_zip_spreadsheet(path: Path, limits: ImportLimits) -> SheetFootprint:
    """Raise ImportRejected if the zip is a bomb, carries a DTD, or declares an absurd sheet.

    Checks, in order: entry count, declared total inflated size, inflated/compressed ratio of
    large entries, then for each XML part: no DOCTYPE/ENTITY in its prolog (entity expansion
    attacks live there) and, for worksheets, a ``<dimension>`` within the row and column limits.
    Returns the sizes the parser's memory allowance is computed from.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _reject("the file is a damaged zip archive", "damaged_file") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise _reject(f"it contains {len(infos):,} parts (at most {limits.max_zip_entries:,})")
        total = sum(info.file_size for info in infos)
        if total > limits.max_uncompressed_bytes:
            raise _reject(
                f"it would expand to {total / 1e6:,.0f} MB in memory "
                f"(at most {limits.max_uncompressed_bytes / 1e6:,.0f} MB)"
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > SMALL_ENTRY_BYTES and ratio > limits.max_entry_ratio:
                raise _reject(
                    f"its part “{info.filename}” is compressed {ratio:,.0f} times "
                    f"(a zip bomb; at most {limits.max_entry_ratio} times)"
                )
        declared_cells = 0
        for info in infos:
            if info.filename.endswith((".xml", ".rels")) or info.filename == "mimetype":
                declared_cells = max(declared_cells, _check_xml_part(archive, info, limits))
        sheets = [info.file_size for info in infos if _is_sheet_part(info.filename)]
        shared = sum(info.file_size for info in infos if info.filename == "xl/sharedStrings.xml")
    return SheetFootprint(inflated_bytes=max(sheets, default=0) + shared, declared_cells=declared_cells)


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ImportLimits) -> int:
    """Inspect the prolog of one XML part, inflating at most PROLOG_SCAN_BYTES of it.

    Returns the number of cells its ``<dimension>`` declares (0 for other parts).
    """
    head = b""
    try:
        with archive.open(info) as stream:
            while len(head) < PROLOG_SCAN_BYTES:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                head += chunk
                if _ROOT_START.search(_strip_prolog_markup(head)):
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _reject(f"its part “{info.filename}” is damaged", "damaged_file") from exc
    prolog = head[: _prolog_end(head)]
    if _DTD.search(prolog):
        raise _reject(f"its part “{info.filename}” declares XML entities (a known attack on XML readers)")
    if info.filename.startswith("xl/worksheets/"):
        return _check_dimension(head, info.filename, limits)
    return 0


def _strip_prolog_markup(data: bytes) -> bytes:
    """Blank out <?...?>, <!...> so only a real start tag matches _ROOT_START."""
    return re.sub(rb"<\?.*?\?>|<!--.*?-->|<![^>]*>", b"", data, flags=re.DOTALL)


def _prolog_end(head: bytes) -> int:
    """Return the offset of the root element's start tag, or len(head) if not seen."""
    position = 0
    while True:
        match = _ROOT_START.search(head, position)
        if match is None:
            return len(head)
        before = head[: match.start()]
        # A '<' inside a comment or declaration is not the root: skip when unbalanced.
        if before.count(b"<!--") == before.count(b"-->"):
            return match.start()
        position = match.end()


def _check_dimension(head: bytes, part: str, limits: ImportLimits) -> int:
    """Refuse a worksheet whose declared range exceeds the row or column limits; else return
    the number of cells the range holds (0 when no range is declared).

    The dimension is written by whatever produced the file and can lie (a hostile file declares
    A1:B2 and holds a million rows), so this only gives an early, clear message; the
    memory-limited child process is what actually protects the worker. calamine's grid starts
    at row 1 whatever the range's first row (50 rows at row 1,000,000 took 0.8 GB, measured),
    hence the rows are counted from 1 (and the columns from A, over by a few at most).
    """
    match = _DIMENSION.search(head)
    if match is None:
        return 0
    last_col = (match.group(3) or match.group(1) or b"").decode("ascii")
    last_row = (match.group(4) or match.group(2) or b"").decode("ascii")
    if last_row and int(last_row) > limits.max_rows + 1_000:
        raise _reject(
            f"its sheet declares {int(last_row):,} rows (at most {limits.max_rows:,})",
            "too_many_rows",
        )
    if last_col and column_number(last_col) > limits.max_columns:
        raise _reject(f"its sheet extends to column {last_col} (at most {limits.max_columns} columns)")
    return (int(last_row) if last_row else 0) * (column_number(last_col) if last_col else 0)
