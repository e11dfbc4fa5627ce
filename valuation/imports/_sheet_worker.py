"""Child-process side of spreadsheet reading: run as a script, never imported by the app.

It lowers its own address-space limit before touching the file, so a spreadsheet that makes
calamine allocate absurd amounts of memory (or abort) kills only this process. It writes the
chosen sheet, every cell as text, to an Arrow IPC file and prints a JSON status line.

Usage: python -I _sheet_worker.py SOURCE TARGET SHEET MEMORY_BYTES MAX_ROWS
(SHEET is "" for the first sheet, "#<n>" for a 0-based index, otherwise a sheet name).
"""

import json
import resource
import sys


def _fail(kind: str, message: str) -> None:
    print(json.dumps({"ok": False, "kind": kind, "message": message}))
    sys.exit(3)


def main() -> None:
    source, target, sheet_arg, memory, max_rows = sys.argv[1:6]
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
    try:
        # skip_rows=0 keeps leading blank rows, so row i of the table is row i+1 of the sheet.
        sheet = reader.load_sheet(chosen, header_row=None, skip_rows=0, dtypes="string")
        if sheet.total_height > int(max_rows) + 1_000:
            _fail("too_many_rows", str(sheet.total_height))
        batch = sheet.to_arrow()
    except MemoryError:
        _fail("unsafe_spreadsheet", "memory limit reached")
    except Exception as exc:  # noqa: BLE001
        _fail("unreadable_spreadsheet", str(exc)[:500])
    table = pa.Table.from_batches([batch])
    with pa.OSFile(target, "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    print(json.dumps({"ok": True, "sheet": chosen, "sheets": names, "rows": table.num_rows}))


if __name__ == "__main__":
    main()
