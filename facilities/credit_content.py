"""What a credit-file document really is, from its bytes (no Django): the same checks as a stock
file's (valuation/imports/sniff.py, zipsafety.py), for the kinds of file a credit file holds.

Accepted: PDF, PNG, JPEG, and Office Open XML documents (.xlsx, .docx) that pass the stock
files' zip safety (no bomb, no XML entities) and carry no macros. Refused whatever their name:
programs, HTML and SVG (a browser would run their scripts), and any file whose content is not
what its extension announces. The refusal is a code with its values; the Django side words it
for the user (facilities/credit_file.py), so this module stays free of the translation machinery.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath
from typing import IO, Any

from valuation.imports.limits import MB, ImportLimits
from valuation.imports.report import ImportRejected
from valuation.imports.zipsafety import check_zip_spreadsheet

HEAD_BYTES = 4096  # what the checks look at; markup hides within the first kilobytes


class DocumentType(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    XLSX = "xlsx"
    DOCX = "docx"


EXTENSIONS: dict[str, DocumentType] = {
    ".pdf": DocumentType.PDF,
    ".png": DocumentType.PNG,
    ".jpg": DocumentType.JPEG,
    ".jpeg": DocumentType.JPEG,
    ".xlsx": DocumentType.XLSX,
    ".docx": DocumentType.DOCX,
}
CONTENT_TYPES: dict[DocumentType, str] = {
    DocumentType.PDF: "application/pdf",
    DocumentType.PNG: "image/png",
    DocumentType.JPEG: "image/jpeg",
    DocumentType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The part every genuine file of the type holds.
ZIP_MAIN_PART: dict[DocumentType, str] = {
    DocumentType.XLSX: "xl/workbook.xml",
    DocumentType.DOCX: "word/document.xml",
}
# Documents are smaller than stock files: a zip that inflates beyond this is refused.
DOCUMENT_ZIP_LIMITS = ImportLimits(max_uncompressed_bytes=256 * MB, max_entry_ratio=100, max_zip_entries=2_000)

_EXECUTABLES = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O (macOS), 32 and 64 bits, both byte orders, and universal
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # a script
)
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|svg)\b", re.IGNORECASE)
_SVG = re.compile(rb"<\s*svg\b", re.IGNORECASE)
# Macros, ActiveX controls and embedded objects can carry code; a printer-settings .bin cannot.
_MACRO_PARTS = re.compile(r"(vbaProject\w*\.bin|/activeX/|oleObject\d*\.bin|\.(exe|dll|js|vbs)$)", re.IGNORECASE)


@dataclass
class ContentRefused(Exception):  # noqa: N818 - says what happened to the file
    """The file is refused; `code` says why, `values` fill the message (see credit_file.py)."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.values}"


def describe(head: bytes) -> str:
    """What the first bytes show: a DocumentType's value, 'zip', 'html', 'svg', 'program',
    'empty' or 'unknown'."""
    if not head:
        return "empty"
    if _SVG.search(head):
        return "svg"
    if _MARKUP.search(head):
        return "html"
    if head.startswith(b"%PDF-"):
        return DocumentType.PDF.value
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentType.PNG.value
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentType.JPEG.value
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(_EXECUTABLES):
        return "program"
    return "unknown"


def document_type(filename: str, stream: IO[bytes]) -> DocumentType:
    """Check the file `filename` whose bytes `stream` holds (seekable) and return its type.

    Raises ContentRefused: "extension" (a name the credit file does not take), "empty",
    "program", "html", "svg", "mismatch" (content other than the extension says, `found` names
    it), "unsafe_zip" (a bomb, XML entities, a damaged archive; `reason`), "macros"."""
    suffix = PurePath(filename).suffix.lower()
    announced = EXTENSIONS.get(suffix)
    if announced is None:
        raise ContentRefused("extension", {"extension": suffix or "—"})
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    found = describe(head)
    if found in ("empty", "program", "html", "svg"):
        raise ContentRefused(found)
    if announced in ZIP_MAIN_PART:
        if found != "zip":
            raise ContentRefused("mismatch", {"announced": announced.value, "found": found})
        _check_office_zip(stream, announced)
        return announced
    if found != announced.value:
        raise ContentRefused("mismatch", {"announced": announced.value, "found": found})
    return announced


def _check_office_zip(stream: IO[bytes], announced: DocumentType) -> None:
    try:
        check_zip_spreadsheet(stream, DOCUMENT_ZIP_LIMITS)  # type: ignore[arg-type] # zipfile takes a stream
    except ImportRejected as refused:
        raise ContentRefused("unsafe_zip", {"reason": refused.message}) from None
    finally:
        stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):  # pragma: no cover - the safety check read it
        raise ContentRefused("unsafe_zip", {"reason": "damaged"}) from None
    finally:
        stream.seek(0)
    if ZIP_MAIN_PART[announced] not in names:
        other = next((kind for kind, part in ZIP_MAIN_PART.items() if part in names), None)
        raise ContentRefused("mismatch", {"announced": announced.value, "found": other.value if other else "zip"})
    if any(_MACRO_PARTS.search(name) for name in names):
        raise ContentRefused("macros")
