"""Read a general-ledger extract into a period's roll-forward inputs.

An extract is a CSV or XLSX file with one row per account (or entry): an account number and/or a
label, and an amount. Each row is put in one of four buckets — purchases, production, cost of
goods sold, adjustments — by its account number's prefix (French PCG, Chinese standard accounts)
and, failing that, by words of its label (French, English, Chinese). Rows that match nothing are
left out and counted; subtotal and total rows are skipped so nothing is counted twice.

The file goes through the same checks as a stock file: type by content (``sniff.detect_format``),
a size cap, the zip-bomb checks and the sandboxed parser for spreadsheets
(``spreadsheet.read_spreadsheet_grid``), the encoding checks for text (``encoding.to_utf8``).
Amounts are exact ``Decimal``, summed as the extract writes them (a signed amount column; an
extract with separate debit and credit columns is not read: it has no amount column); a row in
a bucket whose amount cannot be read rejects the file, naming the row and the field. Pure: no
Django.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .encoding import to_utf8
from .limits import MB, ImportLimits
from .report import ImportRejected
from .sniff import FileFormat, detect_format
from .sources import detect_separator
from .spreadsheet import read_spreadsheet_grid

PURCHASES = "purchases"
PRODUCTION = "production"
COST_OF_GOODS_SOLD = "cost_of_goods_sold"
ADJUSTMENTS = "adjustments"
BUCKETS = (PURCHASES, PRODUCTION, COST_OF_GOODS_SOLD, ADJUSTMENTS)

# A ledger extract is a few hundred rows: far smaller caps than a stock file's.
LEDGER_LIMITS = ImportLimits(max_bytes=5 * MB, max_rows=50_000, max_uncompressed_bytes=100 * MB, max_columns=100)
HEADER_SEARCH_ROWS = 20
LISTED_ERRORS = 5

# Account prefixes, longest first wins. French PCG: 601/602 purchases of raw materials and
# supplies, 607 purchases of goods, 603 change in stocks (variation des stocks), 71 stored
# production (713 variation des stocks de produits). Chinese standard accounts: 1401 材料采购,
# 5001 生产成本, 6401 主营业务成本.
ACCOUNT_PREFIXES: dict[str, str] = {
    "601": PURCHASES,
    "602": PURCHASES,
    "607": PURCHASES,
    "1401": PURCHASES,
    "603": ADJUSTMENTS,
    "71": PRODUCTION,
    "5001": PRODUCTION,
    "6401": COST_OF_GOODS_SOLD,
}

# Label words (accents and case ignored), tried in this order: "cost of sales" before
# "sales", "variation de stocks" before "stock"...
LABEL_WORDS: tuple[tuple[str, str], ...] = (
    ("cout des marchandises vendues", COST_OF_GOODS_SOLD),
    ("cout des ventes", COST_OF_GOODS_SOLD),
    ("cout de revient des ventes", COST_OF_GOODS_SOLD),
    ("cout de production des ventes", COST_OF_GOODS_SOLD),
    ("cost of goods sold", COST_OF_GOODS_SOLD),
    ("cost of sales", COST_OF_GOODS_SOLD),
    ("cogs", COST_OF_GOODS_SOLD),
    ("主营业务成本", COST_OF_GOODS_SOLD),
    ("销售成本", COST_OF_GOODS_SOLD),
    ("营业成本", COST_OF_GOODS_SOLD),
    ("production stockee", PRODUCTION),
    ("production", PRODUCTION),
    ("produced", PRODUCTION),
    ("生产成本", PRODUCTION),
    ("完工入库", PRODUCTION),
    ("生产", PRODUCTION),
    ("variation de stock", ADJUSTMENTS),
    ("variation des stocks", ADJUSTMENTS),
    ("ajustement", ADJUSTMENTS),
    ("regularisation", ADJUSTMENTS),
    ("depreciation des stocks", ADJUSTMENTS),
    ("adjustment", ADJUSTMENTS),
    ("write off", ADJUSTMENTS),
    ("write-off", ADJUSTMENTS),
    ("shrinkage", ADJUSTMENTS),
    ("调整", ADJUSTMENTS),
    ("盘盈", ADJUSTMENTS),
    ("盘亏", ADJUSTMENTS),
    ("achats", PURCHASES),
    ("achat", PURCHASES),
    ("purchases", PURCHASES),
    ("purchase", PURCHASES),
    ("采购", PURCHASES),
    ("购货", PURCHASES),
    ("进货", PURCHASES),
)
TOTAL_WORDS = ("total", "sous-total", "sous total", "subtotal", "合计", "小计", "总计")

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "account": (
        "compte",
        "n compte",
        "no compte",
        "numero de compte",
        "account",
        "account no",
        "account number",
        "code",
        "科目代码",
        "科目编码",
        "科目编号",
        "科目",
    ),
    "label": (
        "libelle",
        "intitule",
        "label",
        "description",
        "account name",
        "name",
        "designation",
        "科目名称",
        "摘要",
        "名称",
    ),
    "amount": (
        "montant",
        "solde",
        "amount",
        "balance",
        "net",
        "value",
        "valeur",
        "金额",
        "余额",
        "发生额",
        "本期发生额",
    ),
}


@dataclass(frozen=True)
class LedgerRow:
    """A row put in a bucket: its row number in the file (as a spreadsheet counts), account,
    label and amount."""

    row: int
    account: str
    label: str
    bucket: str
    amount: Decimal


@dataclass(frozen=True)
class LedgerExtract:
    """The buckets' totals, the rows behind them and how many rows matched no bucket."""

    totals: dict[str, Decimal]
    rows: tuple[LedgerRow, ...]
    ignored: int


def _plain(text: str) -> str:
    """Lower case, accents off, spaces collapsed (Chinese characters are kept as they are)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s°º.:#/_]+", " ", stripped.lower()).strip()


def header_kind(cell: str | None) -> str | None:
    """Which of account, label, amount a header cell names (exact words first, then contained)."""
    text = _plain(cell or "")
    if not text:
        return None
    for kind, words in HEADER_WORDS.items():
        if text in words:
            return kind
    for kind in ("label", "account", "amount"):
        if any(len(word) > 3 and word in text for word in HEADER_WORDS[kind]):
            return kind
    return None


def bucket_of(account: str, label: str) -> str | None:
    """The bucket of a row: its account prefix (the longest that matches), else its label's
    words; None for a total row or a row that matches nothing."""
    words = _plain(label)
    if any(words.startswith(total) for total in TOTAL_WORDS):
        return None
    digits = re.sub(r"\D", "", account or "")
    if digits:
        for prefix in sorted(ACCOUNT_PREFIXES, key=len, reverse=True):
            if digits.startswith(prefix):
                return ACCOUNT_PREFIXES[prefix]
    for word, bucket in LABEL_WORDS:
        if word in words:
            return bucket
    return None


_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009'’]")
_CURRENCY = re.compile(r"(?i)(€|\$|£|¥|￥|eur|usd|cny|rmb|chf|gbp)")


def parse_amount(text: str | None) -> Decimal | None:
    """An amount as exports write it: ``1 234,56``, ``1,234.56``, ``-12.5``, ``(12.50)``,
    ``12,50-``, ``€ 3 000``. The last of ``,`` and ``.`` is the decimal mark when both appear;
    a lone ``,`` is a decimal mark (French exports) unless it groups thousands twice or more
    (``1,234,567``). None for an empty cell; raises ValueError for text that is not an amount."""
    raw = (text or "").strip()
    if not raw:
        return None
    value = _GROUPING.sub("", _CURRENCY.sub("", raw))
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    elif value.startswith("+"):
        value = value[1:]
    if "," in value and "." in value:
        mark = "," if value.rfind(",") > value.rfind(".") else "."
        grouping = "." if mark == "," else ","
        value = value.replace(grouping, "").replace(mark, ".")
    elif value.count(",") > 1:
        value = value.replace(",", "")
    else:
        value = value.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", value):
        raise ValueError(raw)
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only digits
        raise ValueError(raw) from exc
    return -amount if negative else amount


def _rows_of_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text, _encoding = to_utf8(data)
    if b"\x00" in text:
        raise ImportRejected("The file holds a NUL character: it is not a text export.", kind="control_character")
    decoded = text.decode("utf_8")
    if not decoded.strip():
        raise ImportRejected("The file is empty.", kind="empty_file")
    separator = detect_separator(decoded[:64_000])
    reader = csv.reader(io.StringIO(decoded), delimiter=separator, quotechar='"', strict=False)
    rows = []
    for number, record in enumerate(reader, start=1):
        if number > LEDGER_LIMITS.max_rows:
            raise ImportRejected(
                f"The file has more than {LEDGER_LIMITS.max_rows:,} rows: it is not a ledger extract.",
                kind="too_many_rows",
            )
        rows.append((number, record))
    return rows


def _rows_of_sheet(data: bytes, file_format: FileFormat, limits: ImportLimits) -> list[tuple[int, list[str]]]:
    with tempfile.TemporaryDirectory(prefix="stockpledge-ledger-") as folder:
        path = Path(folder) / f"extract.{file_format.value}"
        path.write_bytes(data)
        grid = read_spreadsheet_grid(path, file_format, sheet=None, limits=limits)
    rows = [(grid.header_row, [h or "" for h in grid.headers])]
    for offset, values in enumerate(grid.frame.rows()):
        rows.append((grid.first_row + offset, ["" if v is None else str(v) for v in values]))
    return rows


def _columns(rows: Sequence[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    """The index in ``rows`` of the header row and the column of each kind it names."""
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for column, cell in enumerate(cells):
            kind = header_kind(cell)
            if kind and kind not in found:
                found[kind] = column
        if "amount" in found and ("account" in found or "label" in found):
            return index, found
    raise ImportRejected(
        "No header row was found: the extract needs a row naming its columns, with an amount "
        "(“Montant”, “Amount”, “金额”) and an account number or a label (“Compte”, “Libellé”, "
        "“Account”, “科目名称”).",
        kind="no_header",
    )


def read_ledger_extract(data: bytes, filename: str, *, limits: ImportLimits = LEDGER_LIMITS) -> LedgerExtract:
    """The buckets of a general-ledger extract (CSV or XLSX). Raises ``ImportRejected`` with a
    message for the user: wrong type, too big, no header, or rows whose amount is not a number
    (each named by its row number and the field)."""
    if len(data) > limits.max_bytes:
        raise ImportRejected(
            f"The file is {len(data) / MB:.1f} MB; a ledger extract may be at most {limits.max_bytes // MB} MB.",
            kind="file_too_large",
        )
    try:
        file_format = detect_format(data[:8192], filename)
    except ImportRejected as error:
        # The same check as a stock file's, worded for a ledger extract.
        what = error.message.split(": only ")[0].split(". Export ")[0]
        raise ImportRejected(
            f"{what}. Export the ledger extract as CSV or XLSX and upload that file.", kind=error.kind
        ) from None
    if file_format not in (FileFormat.CSV, FileFormat.XLSX):
        raise ImportRejected(
            f"“{filename}” is a {file_format.upper()} file: a ledger extract is read from CSV or XLSX.",
            kind="unsupported_format",
        )
    rows = _rows_of_csv(data) if file_format == FileFormat.CSV else _rows_of_sheet(data, file_format, limits)
    header_index, columns = _columns(rows)
    cell = lambda cells, kind: cells[columns[kind]] if kind in columns and columns[kind] < len(cells) else ""  # noqa: E731
    header_cells = rows[header_index][1]
    amount_header = header_cells[columns["amount"]].strip() or "amount"
    kept: list[LedgerRow] = []
    errors: list[str] = []
    ignored = 0
    for number, cells in rows[header_index + 1 :]:
        account, label = str(cell(cells, "account")).strip(), str(cell(cells, "label")).strip()
        amount_text = str(cell(cells, "amount"))
        if not (account or label or amount_text.strip()):
            continue  # a blank row
        bucket = bucket_of(account, label)
        if bucket is None:
            ignored += 1
            continue
        try:
            amount = parse_amount(amount_text)
        except ValueError:
            errors.append(f"Row {number}, {amount_header}: “{amount_text.strip()[:40]}” is not an amount.")
            continue
        if amount is None:
            errors.append(f"Row {number}, {amount_header}: the amount is empty.")
            continue
        kept.append(LedgerRow(row=number, account=account, label=label, bucket=bucket, amount=amount))
    if errors:
        shown = " ".join(errors[:LISTED_ERRORS])
        more = f" ({len(errors) - LISTED_ERRORS} more rows like these.)" if len(errors) > LISTED_ERRORS else ""
        raise ImportRejected(f"{shown}{more} Correct the extract and upload it again.", kind="bad_amount")
    if not kept:
        raise ImportRejected(
            "No row of the extract is a purchase, production, cost of goods sold or adjustment "
            "(by its account number or its label): nothing could be read from it.",
            kind="nothing_mapped",
        )
    totals = {bucket: sum((r.amount for r in kept if r.bucket == bucket), Decimal("0")) for bucket in BUCKETS}
    return LedgerExtract(totals=totals, rows=tuple(kept), ignored=ignored)
