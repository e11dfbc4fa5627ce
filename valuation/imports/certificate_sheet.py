"""Read a borrower's borrowing base certificate from its spreadsheet (pure: no Django).

The sheet is a list of ``label; amount`` rows (CSV, XLSX, XLS or ODS), the labels in French,
English or Chinese ("Stock brut", "Gross inventory", "存货总额"...); ``CERTIFICATE_LABELS`` maps
them to the certificate lines of ``valuation.engine.certificate_check``. An ineligible line that
names a reason ("Stocks inéligibles – obsolètes") is that reason's line. A row whose label is not
a certificate line (a title, an advance rate, a signature) is listed as ignored, never guessed.

The file goes through the same guards as a stock file: its type is read from its content
(``sniff.detect_format``), its size is capped, and a spreadsheet is opened by the hardened reader
(``spreadsheet.read_spreadsheet_grid``: zip checks, then a memory-limited child process).
A broken row (an amount that is not a number, a line given twice) is named by its row number
(the file's own, first row 1) and its line; a certificate with any problem yields no figure.

Amounts: spaces, non-breaking spaces and apostrophes group thousands; the decimal mark is the last
"," or "." followed by 1, 2 or more than 3 digits (a single mark followed by exactly 3 digits,
"1,234", is ambiguous and refused); "(1 234,00)" and a trailing "-" are negative; a currency
sign or code around the number is dropped; the amount is rounded half-up to the cent. Deduction
lines (ineligibles, reserves) are read as positive amounts, whichever sign the sheet uses.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from valuation.engine import certificate_check as cc

from .encoding import to_utf8
from .limits import MB, ImportLimits
from .report import ImportRejected
from .sniff import FileFormat, detect_format
from .sources import detect_separator
from .spreadsheet import read_spreadsheet_grid

MAX_BYTES = 2 * MB  # a certificate is a page of figures; a bigger file is not one
MAX_ROWS = 500
CURRENCY = "currency"
# Rows of a certificate, far below a stock file's: a hostile sheet is refused early and cheaply.
LIMITS = ImportLimits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=50, child_timeout_s=60.0)

# Line code → labels, normalised as ``normalise`` does (lower case, no accents, punctuation as
# spaces). French, English and Chinese; add a spelling here, never a guess in code.
CERTIFICATE_LABELS: dict[str, tuple[str, ...]] = {
    cc.BOOK_VALUE: (
        "stock brut",
        "stocks bruts",
        "valeur brute des stocks",
        "valeur brute",
        "valeur comptable",
        "valeur comptable des stocks",
        "stock total",
        "gross inventory",
        "gross stock",
        "book value",
        "inventory at cost",
        "total inventory",
        "存货总额",
        "存货账面价值",
        "账面价值",
        "库存总额",
    ),
    cc.INELIGIBLE: (
        "stocks ineligibles",
        "stock ineligible",
        "total stocks ineligibles",
        "total des stocks ineligibles",
        "total ineligibles",
        "ineligibles",
        "ineligible",
        "total ineligible",
        "ineligible inventory",
        "ineligible stock",
        "total ineligible inventory",
        "less ineligible",
        "不合格存货",
        "不合格存货合计",
        "不合格库存",
    ),
    cc.ELIGIBLE: (
        "stock eligible",
        "stocks eligibles",
        "valeur eligible",
        "eligible inventory",
        "eligible stock",
        "total eligible",
        "合格存货",
        "合格库存",
    ),
    cc.LIQUIDATION_VALUE: (
        "valeur de liquidation",
        "valeur de liquidation des stocks eligibles",
        "valeur nette de liquidation",
        "valeur de realisation",
        "nolv",
        "eligible nolv",
        "net orderly liquidation value",
        "liquidation value",
        "eligible liquidation value",
        "清算价值",
        "合格存货清算价值",
    ),
    cc.RESERVES: (
        "reserves",
        "total reserves",
        "total des reserves",
        "less reserves",
        "准备金",
        "储备",
    ),
    cc.BORROWING_BASE: (
        "base d emprunt",
        "base d emprunts",
        "base empruntable",
        "borrowing base",
        "借款基数",
        "借款基础",
    ),
    cc.FINANCING: (
        "financement",
        "montant finance",
        "montant financable",
        "financing",
        "loan value",
        "融资额",
        "融资金额",
    ),
    cc.OUTSTANDING: (
        "encours",
        "encours utilise",
        "encours du credit",
        "outstanding",
        "loan outstanding",
        "outstanding balance",
        "未偿余额",
        "贷款余额",
    ),
    cc.AVAILABILITY: (
        "disponibilite",
        "disponible",
        "montant disponible",
        "availability",
        "excess availability",
        "net availability",
        "可用额度",
        "可提取额度",
    ),
    CURRENCY: ("devise", "monnaie", "currency", "币种", "货币"),
}

# The reason an ineligible line names, after its "ineligible" words (``Rule`` codes).
REASON_LABELS: dict[str, tuple[str, ...]] = {
    "not_owned": ("non detenus", "non possedes", "propriete de tiers", "not owned", "third party", "非自有"),
    "retention_of_title": (
        "reserve de propriete",
        "clause de reserve de propriete",
        "retention of title",
        "所有权保留",
    ),
    "reverse_factoring": ("affacturage inverse", "reverse factoring", "反向保理"),
    "defective": ("defectueux", "endommages", "defective", "damaged", "残次", "缺陷"),
    "perishable": ("perissables", "perishable", "易腐"),
    "in_transit": ("en transit", "in transit", "在途"),
    "customer_return": ("retours clients", "customer returns", "退货"),
    "wip": ("en cours de production", "en cours", "wip", "work in progress", "在产品"),
    "obsolete": ("obsoletes", "obsolete", "过时", "陈旧"),
    "slow_moving": ("rotation lente", "a rotation lente", "slow moving", "滞销"),
    "location": ("localisation", "emplacement", "location", "位置"),
    "undeclared_site": ("site non declare", "sites non declares", "undeclared site", "未申报地点"),
    "uninsured": ("non assures", "uninsured", "未投保"),
}

# The words that open an ineligible line naming its reason, longest first.
_INELIGIBLE_PREFIXES = sorted(
    (label for label in CERTIFICATE_LABELS[cc.INELIGIBLE] if not label.startswith("total")),
    key=len,
    reverse=True,
)
_DEDUCTIONS = frozenset({cc.INELIGIBLE, cc.RESERVES})
_CJK = re.compile(r"[\u3400-\u9fff]")
_PARENTHESES = re.compile(r"\([^)]*\)|（[^）]*）")
_AMOUNT = re.compile(r"^\d+([.,]\d+)*$")


@dataclass(frozen=True)
class SheetProblem:
    """Why the certificate is refused: the row (0: the whole file), the line and a reason code
    (``amount``, ``duplicate``, ``currency``, ``ambiguous``, ``empty``) with what was found."""

    row: int
    line: str
    kind: str
    value: str = ""


@dataclass(frozen=True)
class CertificateSheet:
    """The figures read (line code → amount, 2 places), where each was found, the currency when a
    row states it, the rows ignored, or the problems refusing the file."""

    figures: dict[str, Decimal] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    currency: str = ""
    ignored: tuple[tuple[int, str], ...] = ()
    problems: tuple[SheetProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise(label: str) -> str:
    """Lower case, accents and parenthesised notes dropped, punctuation as single spaces."""
    text = _PARENTHESES.sub(" ", unicodedata.normalize("NFKC", label))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() else " " for c in text.casefold())
    return " ".join(text.split())


_INDEX = {label: code for code, labels in CERTIFICATE_LABELS.items() for label in labels}
_REASON_INDEX = {label: code for code, labels in REASON_LABELS.items() for label in labels}


def _after(text: str, prefix: str) -> str | None:
    """What follows ``prefix`` as a whole word (a CJK prefix needs no space), or None."""
    if text == prefix:
        return ""
    if text.startswith(prefix + " "):
        return text[len(prefix) + 1 :]
    if _CJK.match(prefix[-1:]) and text.startswith(prefix):
        return text[len(prefix) :].strip()
    return None


def line_for(label: str) -> str | None:
    """The certificate line a label names (``ineligible:<reason>`` for an ineligible line naming
    a known reason), ``CURRENCY``, or None."""
    text = normalise(label)
    if not text:
        return None
    if text in _INDEX:
        return _INDEX[text]
    for prefix in _INELIGIBLE_PREFIXES:
        rest = _after(text, prefix)
        if rest:
            rest = rest.removeprefix("pour ").removeprefix("for ").removeprefix("due to ").strip()
            reason = _REASON_INDEX.get(rest)
            return cc.reason_code(reason) if reason else None
    return None


def parse_amount(text: str) -> Decimal:
    """An amount as written in a certificate (see the module docstring); ValueError when it is not
    one, with "ambiguous" for a single mark followed by exactly 3 digits."""
    raw = unicodedata.normalize("NFKC", text).strip()
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    raw = re.sub(r"^[A-Za-z€$£¥]{1,3}\s*|\s*[A-Za-z€$£¥]{1,3}$", "", raw).strip()
    if raw.endswith("-"):
        negative, raw = True, raw[:-1].strip()
    if raw.startswith(("-", "−")):
        negative, raw = not negative, raw[1:].strip()
    elif raw.startswith("+"):
        raw = raw[1:].strip()
    raw = re.sub(r"[\s'’]", "", raw)
    if not _AMOUNT.match(raw):
        raise ValueError("amount")
    marks = [i for i, c in enumerate(raw) if c in ",."]
    if marks:
        last = marks[-1]
        decimals = len(raw) - last - 1
        kinds = {raw[i] for i in marks}
        if len(marks) == 1 and decimals == 3:
            raise ValueError("ambiguous")
        if len(kinds) == 1 and len(marks) > 1:
            # "1.234.567" or "1,234,567": thousands only, each group of 3 digits.
            groups = re.split(r"[.,]", raw)
            if any(len(g) != 3 for g in groups[1:]):
                raise ValueError("amount")
            raw = raw.replace(",", "").replace(".", "")
        else:
            whole = re.sub(r"[.,]", "", raw[:last])
            raw = f"{whole}.{raw[last + 1 :]}"
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError("amount") from None
    amount = amount.quantize(cc.CENT, rounding=ROUND_HALF_UP)
    return -amount if negative else amount


def _rows_from_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text, _encoding = to_utf8(data)
    if b"\x00" in text:
        raise ImportRejected("The file holds a NUL character: it is damaged or not text.", kind="control_character")
    decoded = text.decode("utf_8", errors="replace")
    separator = detect_separator(decoded[:65536])
    reader = csv.reader(io.StringIO(decoded), delimiter=separator, quotechar='"', strict=False)
    rows = []
    for number, record in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise ImportRejected(f"The file has more than {MAX_ROWS} rows.", kind="too_many_rows")
        rows.append((number, record))
    return rows


def _rows_from_sheet(data: bytes, file_format: FileFormat) -> list[tuple[int, list[str]]]:
    with tempfile.TemporaryDirectory(prefix="stockpledge-certificate-") as folder:
        path = Path(folder) / f"certificate.{file_format.value}"
        path.write_bytes(data)
        grid = read_spreadsheet_grid(path, file_format, sheet=None, limits=LIMITS)
    # The grid starts at the first row with two filled cells (a label and its amount): the rows
    # above hold one cell at most, a title, never a figure.
    rows = [(grid.header_row, [c or "" for c in grid.headers])]
    for offset, record in enumerate(grid.frame.rows()):
        rows.append((grid.first_row + offset, [c or "" for c in record]))
    return rows


def _label_and_value(cells: list[str]) -> tuple[str, str]:
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return "", ""
    return filled[0], (filled[-1] if len(filled) > 1 else "")


def read_certificate(data: bytes, *, filename: str) -> CertificateSheet:
    """Read a certificate file; raises ImportRejected for a file that is no certificate at all
    (wrong type, too big, unsafe), returns the problems of one that is but holds broken rows."""
    if len(data) > MAX_BYTES:
        raise ImportRejected(f"The file is larger than {MAX_BYTES // MB} MB.", kind="file_too_large")
    if not data.strip():
        raise ImportRejected("The file is empty.", kind="empty_file")
    file_format = detect_format(data[:8192], filename)
    rows = _rows_from_csv(data) if file_format == FileFormat.CSV else _rows_from_sheet(data, file_format)
    return read_rows(rows)


def read_rows(rows: list[tuple[int, list[str]]]) -> CertificateSheet:
    """The certificate in (row number, cells) rows: the first filled cell is the label, the last
    one the amount."""
    figures: dict[str, Decimal] = {}
    where: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[tuple[int, str]] = []
    problems: list[SheetProblem] = []
    currency = ""
    for number, cells in rows:
        label, value = _label_and_value(cells)
        if not label:
            continue
        code = line_for(label)
        if code is None:
            ignored.append((number, label))
            continue
        if code == CURRENCY:
            currency = value.strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                problems.append(SheetProblem(number, CURRENCY, "currency", value))
            continue
        if code in figures or code in where:
            problems.append(SheetProblem(number, code, "duplicate", label))
            continue
        where[code] = number
        labels[code] = label
        try:
            amount = parse_amount(value)
        except ValueError as error:
            problems.append(SheetProblem(number, code, str(error), value))
            continue
        figures[code] = abs(amount) if code in _DEDUCTIONS or cc.is_reason(code) else amount
    if not figures and not problems:
        problems.append(SheetProblem(0, "", "empty"))
    if problems:
        return CertificateSheet(problems=tuple(problems), ignored=tuple(ignored))
    return CertificateSheet(figures=figures, rows=where, labels=labels, currency=currency, ignored=tuple(ignored))
