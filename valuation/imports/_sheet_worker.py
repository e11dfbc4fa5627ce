"""Child-process side of spreadsheet reading: run as a script, never imported by the app.

It lowers its own address-space limit before touching the file, so a spreadsheet that makes
calamine allocate absurd amounts of memory (or abort) kills only this process. It writes the
chosen sheet, every cell as text, to an Arrow IPC file and prints a JSON status line.

A big XLSX sheet is read in slices of rows: calamine holds every cell of what it reads twice
at its peak (its list of cells, then the dense grid they are copied into), 2.26 GB for the
1.12 GB sheet of a 1M-line export, against ~0.7 GB in slices. Each slice is a copy of the
workbook whose sheet holds only some of the rows, with their own row numbers, so the slices add
up to the same table; two are parsed at once, in two processes, while the next is cut.

Usage: python -I _sheet_worker.py SOURCE TARGET SHEET MEMORY_BYTES MAX_ROWS SLICE_BYTES
(SHEET is "" for the first sheet, "#<n>" for a 0-based index, otherwise a sheet name; a sheet
whose XML is larger than SLICE_BYTES is read in slices of about that much).
"""

import json
import multiprocessing
import os
import posixpath
import re
import resource
import sys
import zipfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from defusedxml import DefusedXmlException, ElementTree

PARSERS = 2  # slices parsed at once, each in its own process (calamine uses one core)
READ_BYTES = 4 * 1024 * 1024  # inflated at a time (zipfile's large reads are quadratic)
MAX_PART_BYTES = 64 * 1024 * 1024  # workbook.xml and its relationships are a few KB
# Marks the rows added around a slice; a cell of the file holding this exact text is not a
# marker (its position is checked too), it only makes the slice fall back to a whole read.
MARKER = "stockpledge-slice-marker-5f0c"
# Parts a slice's copy of the workbook leaves out: other sheets and what calamine never reads.
LEFT_OUT = ("xl/worksheets/", "xl/pivotCache/", "xl/media/", "xl/embeddings/", "xl/printerSettings/")
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?:\s[^>]*)?(/?)>")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")
_ROW_NUMBER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\sr="(\d+)"')


class NotSliceable(Exception):
    """The sheet is read whole instead: its layout is not one the slices reproduce exactly."""


def _fail(kind: str, message: str) -> None:
    print(json.dumps({"ok": False, "kind": kind, "message": message}))
    sys.exit(3)


def main() -> None:
    source, target, sheet_arg, memory, max_rows, slice_bytes = sys.argv[1:7]
    limit = int(memory)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not dump gigabytes

    import fastexcel
    import pyarrow as pa
    import pyarrow.ipc

    try:
        reader = fastexcel.read_excel(source)
        names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - any parser failure is reported to the parent
        _fail("unreadable_spreadsheet", str(exc)[:500])
    if not names:
        _fail("empty_file", "no sheet")
    if sheet_arg == "":
        chosen = names[0]
    elif sheet_arg.startswith("#"):
        index = int(sheet_arg[1:])
        if not 0 <= index < len(names):
            _fail("sheet_not_found", json.dumps(names))
        chosen = names[index]
    else:
        if sheet_arg not in names:
            _fail("sheet_not_found", json.dumps(names))
        chosen = sheet_arg
    row_limit = int(max_rows) + 1_000
    try:
        table = None
        if zipfile.is_zipfile(source):
            try:
                table = _read_in_slices(source, target, chosen, row_limit, int(slice_bytes))
            except NotSliceable:
                table = None
        if table is None:
            # skip_rows=0 keeps leading blank rows, so row i of the table is row i+1 of the sheet.
            sheet = reader.load_sheet(chosen, header_row=None, skip_rows=0, dtypes="string")
            if sheet.total_height > row_limit:
                _fail("too_many_rows", str(sheet.total_height))
            table = pa.Table.from_batches([sheet.to_arrow()])
    except TooManyRows as exc:
        _fail("too_many_rows", str(exc.rows))
    except BrokenProcessPool:  # a slice's parser was killed or aborted: what a hostile cell does
        _fail("unsafe_spreadsheet", "a slice's parser died")
    except MemoryError:
        _fail("unsafe_spreadsheet", "memory limit reached")
    except Exception as exc:  # noqa: BLE001
        _fail("unreadable_spreadsheet", str(exc)[:500])
    with pa.OSFile(target, "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    print(json.dumps({"ok": True, "sheet": chosen, "sheets": names, "rows": table.num_rows}))


class TooManyRows(Exception):
    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


# --------------------------------------------------------------------------- slices of rows


def _sheet_part(archive: zipfile.ZipFile, chosen: str) -> str:
    """The zip path of the sheet named ``chosen`` (workbook.xml, then its relationships)."""
    try:
        workbook = ElementTree.fromstring(_small_part(archive, "xl/workbook.xml"))
        relations = ElementTree.fromstring(_small_part(archive, "xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException) as exc:
        raise NotSliceable from exc
    rel_id = next(
        (node.get(REL_ID) for node in workbook.iter() if node.tag.endswith("}sheet") and node.get("name") == chosen),
        None,
    )
    target = next(
        (
            node.get("Target")
            for node in relations.iter()
            if node.tag.endswith("}Relationship") and node.get("Id") == rel_id
        ),
        None,
    )
    if rel_id is None or not target:
        raise NotSliceable
    part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    if part not in archive.namelist():
        raise NotSliceable
    return part


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > MAX_PART_BYTES:
        raise NotSliceable
    return archive.read(name)


def _read_in_slices(source: str, target: str, chosen: str, row_limit: int, slice_bytes: int):
    """Read the sheet slice by slice into one table, or raise NotSliceable for a small sheet
    or a layout the slices would not reproduce (then the caller reads it whole).

    This process cuts the slices while PARSERS processes parse the previous ones (each
    inherits this process's memory limit); a slice waits while PARSERS are being parsed, so
    at most that many slices are in memory at once.
    """
    import pyarrow as pa

    with zipfile.ZipFile(source) as archive:
        part = _sheet_part(archive, chosen)
        if archive.getinfo(part).file_size <= slice_bytes:
            raise NotSliceable
        others = [
            info for info in archive.infolist() if info.filename != part and not info.filename.startswith(LEFT_OUT)
        ]
        pieces: list[tuple[int, object]] = []  # (0-based index of the slice's first row, table)
        spawn = multiprocessing.get_context("spawn")  # never fork a process holding Arrow's threads
        with ProcessPoolExecutor(max_workers=PARSERS, mp_context=spawn) as pool:
            parsing: deque = deque()
            for number, (sheet, first, last) in enumerate(_slices(archive, part, slice_bytes)):
                if len(parsing) == PARSERS:
                    _collect(parsing.popleft(), pieces, row_limit)
                copy = f"{target}.slice{number}.xlsx"
                _write_slice(archive, others, part, copy, sheet, first, last)
                parsing.append((first, copy, pool.submit(_read_slice, copy, chosen, first, last)))
            while parsing:
                _collect(parsing.popleft(), pieces, row_limit)
    if not pieces:
        raise NotSliceable
    return _join(pieces, pa)


def _collect(parsed: tuple, pieces: list, row_limit: int) -> None:
    """Add one parsed slice to ``pieces`` (in sheet order), once its rows are known to fit."""
    first, copy, future = parsed
    table = future.result()
    os.remove(copy)
    if pieces and first - 1 < pieces[-1][0] + pieces[-1][1].num_rows:
        raise NotSliceable  # rows out of order across slices
    if first - 1 + table.num_rows > row_limit:
        raise TooManyRows(first - 1 + table.num_rows)
    pieces.append((first - 1, table))


class _Sheet:
    """The parts of one slice's sheet XML: head (up to ``<sheetData>``, no dimension), rows."""

    def __init__(self, ns: bytes, head: bytes, rows: bytes) -> None:
        self.ns, self.head, self.rows = ns, head, rows


def _slices(archive: zipfile.ZipFile, part: str, slice_bytes: int):
    """Yield (sheet, first row number, last row number) per slice of ~slice_bytes of rows, cut
    at row starts. The consumer takes ``sheet.rows`` away (it is dropped before the next)."""
    with archive.open(part) as stream:
        buffer = b""
        while (opening := _SHEET_DATA.search(buffer)) is None:
            block = stream.read(READ_BYTES)
            if not block or len(buffer) > READ_BYTES * 4:
                raise NotSliceable
            buffer += block
        ns, empty = opening.group(1), opening.group(2)
        if empty:
            raise NotSliceable
        head = _DIMENSION.sub(b"", buffer[: opening.end()])  # the whole sheet's range, not the slice's
        tag = b"<" + ns + b"row"
        end_tag = b"</" + ns + b"sheetData>"
        pending = [buffer[opening.end() :]]
        del buffer
        size = len(pending[0])
        done = False
        while not done:
            while size < slice_bytes and not done:
                block = stream.read(min(READ_BYTES, slice_bytes))
                done = not block
                pending.append(block)
                size += len(block)
            data = b"".join(pending)
            pending = []
            if done:
                close = data.rfind(end_tag)
                if close < 0:
                    raise NotSliceable
                cut, rest = close, b""
            else:
                cut = _last_row_start(data, tag, len(data))
                rest = data[cut:]
            rows = data[:cut]
            del data
            if rows.strip():
                first, last = _row_span(rows, tag)
                yield _Sheet(ns, head, rows), first, last
            del rows
            pending, size = [rest], len(rest)


def _last_row_start(data: bytes, tag: bytes, end: int) -> int:
    """Offset of the last row start tag in ``data[:end]`` (every row before it is complete)."""
    position = end
    while True:
        position = data.rfind(tag, 0, position)
        if position < 0:
            raise NotSliceable  # one row larger than a slice
        if data[position + len(tag) : position + len(tag) + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            return position


def _row_span(rows: bytes, tag: bytes) -> tuple[int, int]:
    """Row numbers of the first and last row tags of a slice (both must carry one)."""
    numbers = []
    for position in (rows.find(tag), _last_row_start(rows, tag, len(rows))):
        match = _ROW_NUMBER.match(rows, position) if position >= 0 else None
        if match is None:
            raise NotSliceable  # rows numbered by their position only: read whole
        numbers.append(int(match.group(1)))
    if not 1 <= numbers[0] <= numbers[1]:
        raise NotSliceable
    return numbers[0], numbers[1]


def _marker_row(ns: bytes, number: int) -> bytes:
    p = ns.decode()
    return (
        f'<{p}row r="{number}"><{p}c r="A{number}" t="inlineStr"><{p}is><{p}t>{MARKER}</{p}t></{p}is></{p}c></{p}row>'
    ).encode()


def _write_slice(archive, others, part: str, copy: str, sheet: _Sheet, first: int, last: int) -> None:
    """Write a copy of the workbook whose sheet holds this slice's rows between marker rows.

    A marker row after the last row (and before the first, unless it is row 1) pins the
    slice: calamine's grid then starts at column A, fastexcel's first row is the marker above
    (blank rows above are skipped, not padded), and a cell outside the slice's rows, which
    would shift the table, is caught when the markers are not where they were put.
    """
    with zipfile.ZipFile(copy, "w", compression=zipfile.ZIP_STORED) as book:
        for info in others:
            book.writestr(info.filename, archive.read(info))
        with book.open(part, "w") as out:
            out.write(sheet.head)
            if first > 1:
                out.write(_marker_row(sheet.ns, first - 1))
            out.write(sheet.rows)
            sheet.rows = b""
            out.write(_marker_row(sheet.ns, last + 1))
            out.write(b"</" + sheet.ns + b"sheetData></" + sheet.ns + b"worksheet>")


def _read_slice(copy: str, chosen: str, first: int, last: int):
    """Rows ``first``..``last`` of the slice's copy as an Arrow table: row 0 is sheet row
    ``first``, column 0 is column A."""
    import fastexcel
    import pyarrow as pa

    skip = 0 if first == 1 else None  # None: leading blank rows skipped, so the marker comes first
    sheet = fastexcel.read_excel(copy).load_sheet(chosen, header_row=None, skip_rows=skip, dtypes="string")
    table = pa.Table.from_batches([sheet.to_arrow()])
    del sheet
    top = 1 if first > 1 else 0
    column = table.column(0) if table.num_columns else None
    if (
        column is None
        or table.num_rows != top + (last - first + 1) + 1
        or column[table.num_rows - 1].as_py() != MARKER
        or (top and column[0].as_py() != MARKER)
    ):
        raise NotSliceable
    return table.slice(top, last - first + 1)


def _join(pieces, pa):
    """One table from the slices: blank rows between them, as many columns as the widest,
    then the leading columns no cell fills dropped, as a whole read does."""
    width = max(table.num_columns for _, table in pieces)
    text = pa.large_string()
    columns: list[list] = [[] for _ in range(width)]
    at = 0
    for start, table in pieces:
        gap = start - at
        for index in range(width):
            if gap:
                columns[index].append(pa.nulls(gap, text))
            if index < table.num_columns:
                columns[index].extend(chunk.cast(text) for chunk in table.column(index).chunks)
            else:
                columns[index].append(pa.nulls(table.num_rows, text))
        at = start + table.num_rows
    arrays = [pa.chunked_array(parts, type=text) for parts in columns]
    while len(arrays) > 1 and arrays[0].null_count == len(arrays[0]):
        arrays.pop(0)
    return pa.table(arrays, names=[f"__UNNAMED__{i}" for i in range(len(arrays))])


if __name__ == "__main__":
    main()
