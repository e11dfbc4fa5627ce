"""Recognise what a file really is from its first bytes, whatever its name says."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from .report import ImportRejected


class FileFormat(StrEnum):
    """The formats the readers accept."""

    CSV = "csv"
    XLSX = "xlsx"
    XLS = "xls"
    ODS = "ods"


ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Binary formats users upload by mistake: named so the message helps them.
KNOWN_BINARIES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"BM", "a bitmap image"),
)

EXTENSIONS: dict[str, FileFormat] = {
    ".csv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".tab": FileFormat.CSV,
    ".xlsx": FileFormat.XLSX,
    ".xlsm": FileFormat.XLSX,
    ".xls": FileFormat.XLS,
    ".ods": FileFormat.ODS,
}

SUPPORTED = "CSV (.csv, .txt), Excel (.xlsx, .xls) or OpenDocument (.ods)"


def format_from_name(filename: str) -> FileFormat:
    """Return the format a file name announces; reject unknown extensions."""
    suffix = Path(filename).suffix.lower()
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        shown = suffix or "no extension"
        raise ImportRejected(
            f"“{filename}” has {shown}: only {SUPPORTED} files can be imported.",
            kind="unsupported_format",
        ) from None


def _content_kind(head: bytes) -> str:
    """Describe the content by its magic bytes: 'zip', 'ole2', 'text' or a binary's name."""
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    for magic, name in KNOWN_BINARIES:
        # "BM"/"MZ" are too short to trust alone; they only name a file that is not text anyway.
        if head.startswith(magic) and not looks_like_text(head):
            return name
    return "text" if looks_like_text(head) else "binary data"


def looks_like_text(head: bytes) -> bool:
    """True when the sample reads as text: no NUL (except UTF-16) and few control characters."""
    if not head:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark (Excel "Unicode text")
    if b"\x00" in head:
        return False
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return controls <= len(head) // 100


def detect_format(head: bytes, filename: str) -> FileFormat:
    """Check that the content matches the file name's extension and return the format.

    ``head`` is the first few KB of the file. A mismatch (a PNG renamed .csv, a CSV renamed
    .xlsx) is refused with a message naming what the file really is.
    """
    announced = format_from_name(filename)
    kind = _content_kind(head)
    expected = {
        FileFormat.CSV: "text",
        FileFormat.XLSX: "zip",
        FileFormat.ODS: "zip",
        FileFormat.XLS: "ole2",
    }[announced]
    if kind == expected:
        return announced
    # An .xls that is really an .xlsx (or the reverse) is common after renaming: read it as
    # what it is rather than refusing, since the content is a genuine spreadsheet.
    if announced in (FileFormat.XLS, FileFormat.XLSX) and kind in ("zip", "ole2"):
        return FileFormat.XLSX if kind == "zip" else FileFormat.XLS
    described = {
        "zip": "a zip archive (such as an Excel .xlsx file)",
        "ole2": "an old-style Office document (such as an Excel .xls file)",
        "text": "a text file (such as a CSV export)",
    }.get(kind, kind)
    raise ImportRejected(
        f"“{filename}” is named as a {announced.upper()} file but its content is {described}. "
        f"Export the stock again as {SUPPORTED} and upload that file.",
        kind="wrong_file_type",
    )
