"""The stock-file validation report and the engine's rule notes in the reader's language.

The pure readers (valuation/imports) and the engine write English sentences next to structured
fields (kind, row, column, field, value, expected); pages, the API and the PDFs rebuild the
sentence from those fields in the active language, like ``borrowers.common.labels.warning_text`` does for
engine warnings. A kind or a note this module does not know is shown as it was written.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from borrowers.common.labels import Pattern, translate_pattern

# The canonical columns of valuation/engine/columns.py, as a finance user names them.
FIELD_LABELS: dict[str, Promise] = {
    "sku": _("SKU"),
    "description": _("description"),
    "category": _("category"),
    "warehouse": _("warehouse"),
    "quantity": _("quantity"),
    "unit_cost": _("unit cost"),
    "book_value": _("book value"),
    "resale_price": _("resale price"),
    "last_movement_date": _("last movement date"),
    "receipt_date": _("receipt date"),
    "expiry_date": _("expiry date"),
    "annual_consumption_qty": _("annual consumption quantity"),
    "unpaid_amount": _("unpaid amount"),
}

# ``expected`` as the readers write it (valuation/imports/validate.py) -> the reader's words.
_EXPECTED: dict[str, Promise] = {
    "a number such as 1234,56 or 1 234.56": _("a number such as 1234,56 or 1 234.56"),
    "a date such as 31/12/2026 or 2026-12-31": _("a date such as 31/12/2026 or 2026-12-31"),
    "yes/no (oui/non, 1/0, x or empty)": _("yes/no (oui/non, 1/0, x or empty)"),
    "raw materials (MP, RM), work in progress (WIP, en-cours) or finished goods (PF, FG)": _(
        "raw materials (MP, RM), work in progress (WIP, en-cours) or finished goods (PF, FG)"
    ),
    "unit cost or book value": _("unit cost or book value"),
    "less than 1,000,000,000,000": _("less than 1,000,000,000,000"),
    "zero or more": _("zero or more"),
    "quantity × unit cost": _("quantity × unit cost"),
    "a stock category: raw materials, work in progress or finished goods": _(
        "a stock category: raw materials, work in progress or finished goods"
    ),
    "dates in one order: all day first, all month first, or as 2026-12-31": _(
        "dates in one order: all day first, all month first, or as 2026-12-31"
    ),
}
# The rows and values of a "mixed_date_order" problem, read back from its English message.
_MIXED_DATES = re.compile(r"row (\d+) holds “([^”]*)”, which can only be day first, and row (\d+) “([^”]*)”")
_FUTURE = re.compile(r"on or before ([0-9]{2})/([0-9]{2})/([0-9]{4})$")


def field_label(field: str | None) -> str:
    """The canonical column's name in the active language (its code with spaces when unknown)."""
    if not field:
        return ""
    label = FIELD_LABELS.get(field)
    return str(label) if label is not None else field.replace("_", " ")


def expected_text(kind: str | None, expected: str | None) -> str:
    """What the cell should hold, in the active language; unknown text is shown as written."""
    if not expected:
        return ""
    if kind in ("missing_column", "missing_value") and expected in FIELD_LABELS:
        return field_label(expected)
    if kind == "missing_value" and expected.replace(" ", "_") in FIELD_LABELS:
        return field_label(expected.replace(" ", "_"))
    label = _EXPECTED.get(expected)
    if label is not None:
        return str(label)
    future = _FUTURE.match(expected)
    if future is not None:
        day, month, year = future.groups()
        return gettext("on or before %(date)s") % {"date": f"{day}/{month}/{year}"}
    return expected


def _where(problem: dict[str, Any]) -> str:
    column = problem.get("column")
    field = field_label(problem.get("field"))
    if column is None:
        return field
    return gettext("column “%(column)s” (%(field)s)") % {"column": column, "field": field}


def _row(row: Any) -> str:
    # Row numbers are shown as a spreadsheet shows them (no thousands separator).
    return str(int(row)) if row else ""


_COST_COLUMNS = re.compile(r"\(column (.+)\)\.$")


_BOOK_VALUE = re.compile(r"(.*) \(quantity (.*) × unit cost (.*)\)$")
_QUOTED = re.compile(r"“([^”]*)”")


def value_text(problem: dict[str, Any]) -> str:
    """The problem's value as the reader shows it; the book-value check's own words translated."""
    value = problem.get("value")
    if value is None:
        return ""
    value = str(value)
    if problem.get("kind") == "inconsistent_book_value":
        match = _BOOK_VALUE.match(value)
        if match is not None and not (translation.get_language() or "en").startswith("en"):
            book, quantity, cost = match.groups()
            return gettext("%(value)s (quantity %(quantity)s × unit cost %(cost)s)") % {
                "value": book,
                "quantity": quantity,
                "cost": cost,
            }
    return value


def _columns(english: str, fallback: str) -> str:
    """The source headers named in "(column “A” or “B”)", joined in the active language."""
    found = _COST_COLUMNS.search(english)
    names = _QUOTED.findall(found.group(1)) if found else [fallback]
    quoted = [gettext("“%(name)s”") % {"name": name} for name in names]
    if len(quoted) == 2:
        return gettext("%(first)s or %(second)s") % {"first": quoted[0], "second": quoted[1]}
    return found.group(1) if found and len(quoted) != 1 else quoted[0]


def problem_text(problem: dict[str, Any]) -> str:
    """One problem of a validation report (``Problem.to_json()``) as a sentence in the active
    language; the English ``message`` when its kind is not one this module knows."""
    kind = problem.get("kind")
    english = str(problem.get("message") or "")
    value = problem.get("value")
    values = {
        "row": _row(problem.get("row")),
        "where": _where(problem),
        "value": "" if value is None else str(value),
        "field": field_label(problem.get("field")),
        "column": problem.get("column") or "",
        "expected": expected_text(kind, problem.get("expected")),
    }
    if kind == "not_a_number" and problem.get("row") and problem.get("field"):
        return gettext("Row %(row)s, %(where)s: “%(value)s” is not a number; expected %(expected)s.") % values
    if kind == "bad_date" and problem.get("row") and problem.get("field"):
        return gettext("Row %(row)s, %(where)s: “%(value)s” is not a date; expected %(expected)s.") % values
    if kind == "bad_flag" and problem.get("row") and problem.get("field"):
        return gettext("Row %(row)s, %(where)s: “%(value)s” is not a yes/no value; expected %(expected)s.") % values
    if kind == "unknown_category" and problem.get("row") and problem.get("field"):
        return (
            gettext(
                "Row %(row)s, %(where)s: “%(value)s” is not a known category; expected %(expected)s, "
                "or add it as a category alias."
            )
            % values
        )
    if kind == "missing_value" and problem.get("row"):
        if problem.get("expected") == "unit cost or book value":
            values["columns"] = _columns(english, values["column"])
            return gettext("Row %(row)s: no cost or value is given (column %(columns)s).") % values
        return gettext("Row %(row)s, %(where)s: the value is missing.") % values
    if kind == "missing_column" and problem.get("field"):
        if problem.get("field") == "unit_cost or book_value":
            values["field"] = str(_EXPECTED["unit cost or book value"])
        return (
            gettext(
                "No column was recognised as the %(field)s: add it to the export or map one of "
                "the file's columns to it."
            )
            % values
        )
    if kind == "absurd_value" and problem.get("row"):
        return gettext("Row %(row)s, %(where)s: %(value)s is implausibly large (over 10^12 for one line).") % values
    if kind == "negative_stock" and problem.get("row"):
        return gettext("Row %(row)s, %(where)s: %(value)s is negative (negative stock: check the ERP).") % values
    if kind == "negative_value" and problem.get("row"):
        return gettext("Row %(row)s, %(where)s: %(value)s is negative; expected zero or more.") % values
    if kind == "future_date" and problem.get("row"):
        return gettext("Row %(row)s, %(where)s: %(value)s is in the future.") % values
    if kind == "inconsistent_book_value" and problem.get("row"):
        values["value"] = value_text(problem)
        return gettext("Row %(row)s: book value %(value)s does not match quantity × unit cost.") % values
    if kind == "row_ignored" and problem.get("row"):
        values["value"] = values["value"][:80]
        return gettext("Row %(row)s has no SKU, quantity or value and was ignored: “%(value)s”.") % values
    if kind == "too_many_values" and problem.get("row"):
        return (
            gettext(
                "Row %(row)s has more values than the header has columns: a separator inside an "
                "unquoted text (such as a description) probably split it."
            )
            % values
        )
    if kind == "duplicate_header" and problem.get("row") and problem.get("column"):
        if problem.get("field"):
            return (
                gettext(
                    "Row %(row)s: the header “%(column)s” appears more than once; rename one of them "
                    "so it is clear which one is the %(field)s."
                )
                % values
            )
        return (
            gettext("Row %(row)s: the header “%(column)s” appears more than once; only the first one is considered.")
            % values
        )
    if kind == "no_lines":
        return gettext("The file has a header but no stock line below it.")
    if kind == "not_stock" and problem.get("row") and problem.get("field"):
        return (
            gettext(
                "Row %(row)s, %(where)s: “%(value)s” names services or items that are not stock; the line "
                "is left out of the valuation."
            )
            % values
        )
    if kind == "total_mismatch" and problem.get("row") and problem.get("expected"):
        return (
            gettext(
                "Row %(row)s: the file's total states %(value)s, but its lines add up to %(expected)s: "
                "check that the export holds every line."
            )
            % values
        )
    mixed = _MIXED_DATES.search(english) if kind == "mixed_date_order" else None
    if mixed:
        return gettext(
            "The %(where)s mixes two date orders: row %(day_row)s holds “%(day_value)s”, which can only be day "
            "first, and row %(month_row)s “%(month_value)s”, which can only be month first; none of its dates "
            "is read. Export the dates in one order, or as 2026-12-31."
        ) % {
            "where": values["where"],
            "day_row": _row(int(mixed.group(1))),
            "day_value": mixed.group(2),
            "month_row": _row(int(mixed.group(3))),
            "month_value": mixed.group(4),
        }
    if kind == "foreign_currency" and problem.get("value") and problem.get("expected"):
        return gettext(
            "The file's lines are in %(currencies)s; they are valued in %(expected)s. Lines in another currency "
            "cannot be converted yet (there is no exchange-rate table), so the file is refused rather than "
            "summed as one currency: export the lines in %(expected)s, or one file per currency."
        ) % {"currencies": problem["value"], "expected": problem["expected"]}
    if kind == "no_rate" and problem.get("value"):
        return _no_rate_text(problem)
    if kind == "unknown_currency" and problem.get("value"):
        return gettext(
            "The currency of some lines is not an ISO 4217 code: %(currencies)s. Write the code (USD, CAD, "
            "JPY, CNY…) so the lines can be converted at a dated rate."
        ) % {"currencies": problem["value"]}
    return file_problem_text(kind, english)


_NO_RATE = re.compile(r"^No (\S+)→(\S+) rate on or before (\S+) \(([\d,]+) line")


def _no_rate_text(problem: dict[str, Any]) -> str:
    found = _NO_RATE.search(str(problem.get("message") or ""))
    if not found:
        return str(problem.get("message") or "")
    count = int(found.group(4).replace(",", ""))
    return ngettext(
        "No %(currency)s→%(target)s rate on or before %(date)s (%(lines)s line in %(currency)s): add one in "
        "the rate table or import the ECB rates, then process the file again.",
        "No %(currency)s→%(target)s rate on or before %(date)s (%(lines)s lines in %(currency)s): add one in "
        "the rate table or import the ECB rates, then process the file again.",
        count,
    ) % {"currency": found.group(1), "target": found.group(2), "date": found.group(3), "lines": found.group(4)}


# Whole-file rejections (valuation/imports: reader.py, sources.py, encoding.py, spreadsheet.py):
# their only structured field is the kind, so the figures are read back from the English text.
_FILE_PROBLEMS: list[tuple[str, re.Pattern[str], Promise, tuple[str, ...]]] = [
    (
        "empty_file",
        re.compile(r"The file is empty: it holds no header and no stock line\.$"),
        _("The file is empty: it holds no header and no stock line."),
        (),
    ),
    (
        "empty_file",
        re.compile(r"The file “(.*)” is empty\.$"),
        _("The file “%(name)s” is empty."),
        ("name",),
    ),
    (
        "unreadable",
        re.compile(r"The file “(.*)” could not be opened\.$"),
        _("The file “%(name)s” could not be opened."),
        ("name",),
    ),
    (
        "no_header",
        re.compile(r"No header row was found: .*$"),
        _(
            "No header row was found: the file should have one row naming its columns "
            "(for example “Code article; Désignation; Qté; PU HT”) above the stock lines."
        ),
        (),
    ),
    (
        "unreadable_csv",
        re.compile(r"The file could not be read as CSV: .* with the separator “(.*)”\.$"),
        _(
            "The file could not be read as CSV: its rows do not split into the header's columns "
            "with the separator “%(separator)s”."
        ),
        ("separator",),
    ),
    (
        "mixed_encodings",
        re.compile(r"The file mixes character encodings: accented characters before line ([0-9]+) .*$"),
        _(
            "The file mixes character encodings: accented characters before line %(line)s are UTF-8 but "
            "line %(line)s is not. Export the whole file again in one encoding (UTF-8 preferably)."
        ),
        ("line",),
    ),
    (
        "mixed_encodings",
        re.compile(r"Line ([0-9]+) holds characters that are not valid (.+): the file mixes encodings .*$"),
        _(
            "Line %(line)s holds characters that are not valid %(encoding)s: the file mixes encodings "
            "or is damaged. Export it again in one encoding (UTF-8 preferably)."
        ),
        ("line", "encoding"),
    ),
    (
        "control_character",
        re.compile(r"Line ([0-9]+) holds a NUL character \(byte 0\).*$"),
        _(
            "Line %(line)s holds a NUL character (byte 0), which no stock export contains: the file is "
            "damaged or is not a text export. Export it again."
        ),
        ("line",),
    ),
    (
        "too_many_rows",
        re.compile(r"The (?:file|sheet) has (?:about )?([0-9,]+) rows.*; at most ([0-9,]+) can be imported\..*$"),
        _(
            "The file has %(rows)s rows; at most %(limit)s can be imported. Split the file or export a "
            "narrower selection."
        ),
        ("rows:int", "limit:int"),
    ),
    (
        "too_many_columns",
        re.compile(r"The header row has ([0-9,]+) columns \(at most ([0-9,]+)\)\.$"),
        _("The header row has %(columns)s columns (at most %(limit)s)."),
        ("columns:int", "limit:int"),
    ),
    (
        "unreadable_spreadsheet",
        re.compile(r"The spreadsheet could not be read: it is damaged or not a real .*$"),
        _(
            "The spreadsheet could not be read: it is damaged or not a real Excel/OpenDocument file. "
            "Open it in Excel or LibreOffice, save it again and upload the new file."
        ),
        (),
    ),
]


def file_problem_text(kind: str | None, english: str) -> str:
    """A whole-file rejection in the active language; the English text when not known."""
    language = translation.get_language() or "en"
    if language.startswith("en"):
        return english  # the readers' own wording, figures included, is the English text
    patterns = [(pattern, template, fields) for known, pattern, template, fields in _FILE_PROBLEMS if known == kind]
    translated = translate_pattern(english, patterns)
    return english if translated is None else translated


def severity_label(severity: str | None) -> str:
    return {"error": gettext("error"), "warning": gettext("warning")}.get(severity or "", severity or "")


def summary_text(report: dict[str, Any] | None) -> str:
    """The report's one-sentence verdict (``ValidationReport.summary()``) in the active language."""
    if not report:
        return ""
    if "accepted" not in report or "lines" not in report:
        return str(report.get("summary") or "")
    lines = int(report.get("lines") or 0)
    errors = int(report.get("error_count") or 0)
    warnings = int(report.get("warning_count") or 0)

    def count(n: int) -> str:
        return str(n)

    if report["accepted"]:
        parts = [gettext("File accepted: %(lines)s stock lines") % {"lines": count(lines)}]
    else:
        parts = [gettext("File rejected: %(lines)s stock lines") % {"lines": count(lines)}]
    if errors:
        parts.append(gettext("%(count)s error(s)") % {"count": count(errors)})
    if warnings:
        parts.append(gettext("%(count)s warning(s)") % {"count": count(warnings)})
    return ", ".join(parts) + "."


def translated_report(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a stored report whose ``summary`` and problem ``message`` are in the active
    language; the structured fields (kind, row, column, field, value, expected, severity) kept."""
    if not report:
        return report
    copy = dict(report)
    if "summary" in copy:
        copy["summary"] = summary_text(report)
    if "problems" in copy:
        copy["problems"] = [{**p, "message": problem_text(p)} for p in report.get("problems") or []]
    return copy


# The engine's rule notes (valuation/engine/rules.py) and criteria bases (criteria.py).
_NOTES: dict[str, Promise] = {
    "no accepted or excluded locations set": _("no accepted or excluded locations set"),
    "no declared sites given: every site taken as declared": _("no declared sites given: every site taken as declared"),
    "applies to pledges with dispossession only": _("applies to pledges with dispossession only"),
    "no unpaid_amount column: flagged lines taken in full": _("no unpaid_amount column: flagged lines taken in full"),
    "no flag column: unpaid_amount alone decides": _("no flag column: unpaid_amount alone decides"),
    "exception columns absent: no WIP exception could be shown": _(
        "exception columns absent: no WIP exception could be shown"
    ),
    "no annual_consumption_qty column and no borrower cost of sales / average stock": _(
        "no annual_consumption_qty column and no borrower cost of sales / average stock"
    ),
    "no stock in a discounted band": _("no stock in a discounted band"),
}
_NUMBER = r"(-?[0-9][0-9,]*(?:\.[0-9]+)?)"
_BASES: list[Pattern] = [
    # Field exams' line exclusions: the rule note names the findings (valuation/engine/exclusions.py).
    (
        re.compile(r"excluded by (.+)$"),
        _("excluded by the field exam findings %(sources)s"),
        ("sources",),
    ),
    (
        re.compile(rf"borrower turns {_NUMBER} \(cost of sales ÷ average stock\) → {_NUMBER} % of stock$"),
        _("borrower turns %(turns)s (cost of sales ÷ average stock) → %(pct)s of stock"),
        ("turns:num", "pct:pct"),
    ),
    # Field exams: the measured variance names its exam, its date and the typed figure it replaces.
    (
        re.compile(
            rf"count variance {_NUMBER} % × total stock {_NUMBER} "
            rf"\(field exam (FE-[0-9]+) of ([0-9-]+); typed figure {_NUMBER} %\)$"
        ),
        _("count variance %(pct)s × total stock %(total)s (field exam %(exam)s of %(date)s; typed figure %(typed)s)"),
        ("pct:pct", "total:money", "exam", "date", "typed:pct"),
    ),
    (
        re.compile(rf"count variance {_NUMBER} % × total stock {_NUMBER}$"),
        _("count variance %(pct)s × total stock %(total)s"),
        ("pct:pct", "total:money"),
    ),
    (
        re.compile(rf"physical controls {_NUMBER} % × total stock {_NUMBER}$"),
        _("physical controls %(pct)s × total stock %(total)s"),
        ("pct:pct", "total:money"),
    ),
    (
        re.compile(r"mix within the (\w+) ranges$"),
        _("mix within the %(model)s ranges"),
        ("model",),
    ),
]


def rule_note_text(note: str | None, *, currency: str = "EUR") -> str:
    """An engine rule note or criteria basis in the active language, its figures formatted for
    it; a note this module does not know is shown as the engine wrote it."""
    if not note:
        return ""
    known = _NOTES.get(note)
    if known is not None:
        return str(known)
    language = translation.get_language() or "en"
    if language.startswith("en"):
        return note  # the engine's own wording, figures included, is the English text
    translated = translate_pattern(note, _BASES, currency=currency)
    return note if translated is None else translated


# The kinds counted in a report's ``counts`` (valuation/imports and valuation/services).
KIND_LABELS: dict[str, Promise] = {
    "not_a_number": _("not a number"),
    "bad_date": _("not a date"),
    "bad_flag": _("not a yes/no value"),
    "unknown_category": _("unknown category"),
    "missing_value": _("missing value"),
    "missing_column": _("missing column"),
    "absurd_value": _("implausibly large value"),
    "negative_stock": _("negative stock"),
    "negative_value": _("negative value"),
    "future_date": _("date in the future"),
    "inconsistent_book_value": _("book value ≠ quantity × unit cost"),
    "row_ignored": _("row ignored"),
    "too_many_values": _("too many values"),
    "duplicate_header": _("duplicate header"),
    "duplicate_column": _("duplicate column"),
    "no_lines": _("no stock line"),
    "invalid_value": _("invalid value"),
    "not_stock": _("not stock (left out)"),
    "total_mismatch": _("lines ≠ the file's total"),
    "foreign_currency": _("line in another currency"),
    "no_rate": _("no exchange rate"),
    "unknown_currency": _("currency not an ISO code"),
    "mixed_date_order": _("two date orders in one column"),
}


def kind_label(kind: str | None) -> str:
    """A problem kind in the active language (the code itself when it has no label)."""
    label = KIND_LABELS.get(kind or "")
    return str(label) if label is not None else (kind or "")
