"""Detect a text export's character encoding and transcode it to UTF-8 (polars reads UTF-8 only).

Order of the decision, cheapest first: a byte-order mark; strict UTF-8 over the whole file
(about 1 GB/s in CPython); otherwise charset-normalizer restricted to the encodings ERPs
actually produce, run on a small sample made of the lines holding non-ASCII bytes.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from .report import ImportRejected

# Encodings met in French and Chinese ERP exports, in order of preference on a tie.
CANDIDATES: tuple[str, ...] = ("cp1252", "gb18030", "latin_1")
SAMPLE_BYTES = 64 * 1024
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")

DISPLAY_NAMES = {
    "utf_8": "UTF-8",
    "utf_8_sig": "UTF-8 (with BOM)",
    "utf_16": "UTF-16",
    "cp1252": "Windows-1252",
    "gb18030": "GBK / GB18030",
    "latin_1": "Latin-1 (ISO-8859-1)",
}


def line_of(data: bytes, offset: int) -> int:
    """Return the 1-based line number holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def _non_ascii_sample(data: bytes) -> bytes:
    """Gather lines holding non-ASCII bytes, up to SAMPLE_BYTES, for the detector."""
    pieces: list[bytes] = []
    size = 0
    for match in _NON_ASCII_LINE.finditer(data):
        pieces.append(match.group())
        size += len(pieces[-1]) + 1
        if size >= SAMPLE_BYTES:
            break
    return b"\n".join(pieces)


def _guess_legacy(sample: bytes) -> str:
    """Pick the most plausible single-byte or Chinese encoding for a non-UTF-8 sample."""
    best = from_bytes(sample, cp_isolation=list(CANDIDATES)).best()
    if best is None:
        return "cp1252"
    name = codecs.lookup(best.encoding).name.replace("-", "_")
    # GBK is a subset of GB18030: decode with the superset so rare characters still work.
    if name in ("gbk", "gb2312", "gb18030"):
        return "gb18030"
    if name in ("iso8859_1", "latin_1"):
        # Windows-1252 is a superset of Latin-1 for printable text (€, œ, curly quotes).
        return "cp1252"
    return name if name in CANDIDATES else "cp1252"


def to_utf8(data: bytes) -> tuple[bytes, str]:
    """Return (the text as UTF-8 bytes without BOM, the detected encoding's codec name).

    Raises ImportRejected for a file mixing encodings (valid UTF-8 accents, then bytes that are
    not UTF-8) or holding bytes invalid in the detected encoding, naming the line.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        _strict_utf8(data, bom=True)
        return data, "utf_8_sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf_16").encode("utf_8"), "utf_16"
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc.start, "UTF-16") from exc
    try:
        data.decode("utf_8")
        return data, "utf_8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    before = data[:first_bad]
    if _has_utf8_sequences(before):
        line = line_of(data, first_bad)
        raise ImportRejected(
            f"The file mixes character encodings: accented characters before line {line} are "
            f"UTF-8 but line {line} is not. Export the whole file again in one encoding "
            "(UTF-8 preferably).",
            kind="mixed_encodings",
        )
    encoding = _guess_legacy(_non_ascii_sample(data))
    try:
        return data.decode(encoding).encode("utf_8"), encoding
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc.start, DISPLAY_NAMES[encoding]) from exc


def _has_utf8_sequences(data: bytes) -> bool:
    """True when ``data`` (valid UTF-8) holds at least one multi-byte character."""
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]", data) is not None


def _strict_utf8(data: bytes, *, bom: bool) -> None:
    try:
        data.decode("utf_8")
    except UnicodeDecodeError as exc:
        label = "UTF-8 (it starts with a UTF-8 byte-order mark)" if bom else "UTF-8"
        raise _undecodable(data, exc.start, label) from exc


def _undecodable(data: bytes, offset: int, encoding: str) -> ImportRejected:
    line = line_of(data, offset)
    return ImportRejected(
        f"Line {line} holds characters that are not valid {encoding}: the file mixes encodings "
        "or is damaged. Export it again in one encoding (UTF-8 preferably).",
        kind="mixed_encodings",
    )
