"""Fifteen systems' stock exports of one stock read, with no mapping, to the same lines and totals.

The corpus (``erp_corpus.py``) writes the sixteen lines of ``LINES`` as each system exports them.
Each export must be accepted as it is and give back every line (SKU, description, category,
warehouse as the system writes it, quantity, unit cost and last movement where the shape has
them, book value)
and the totals by category below, worked by hand from the line table.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tests.imports.conftest import TODAY
from tests.imports.erp_corpus import (
    EXPORTS,
    LINES,
    Export,
    csv_text,
    kingdee,
    number,
    quickbooks,
    sap_mb52_en,
    write_text,
)
from valuation.imports import read_stock_file

# Totals by category, by hand from LINES (quantity × unit cost per line):
#   raw materials: RM-1001 1250 × 4.20 = 5250.00; RM-1002 3400.5 × 1.80 = 6120.90;
#     RM-1003 20000 × 0.045 = 900.00; RM-1004 800 × 0.95 = 760.00; RM-1005 60 × 7.35 = 441.00;
#     RM-1006 1520.25 × 0.60 = 912.15                                   -> 14,384.05 (6 lines)
#   WIP: SF-2001 45 × 86.40 = 3888.00; SF-2002 130 × 23.75 = 3087.50;
#     SF-2003 12 × 152.10 = 1825.20; SF-2004 300 × 3.15 = 945.00          ->  9,745.70 (4 lines)
#   finished goods: FG-3001 24 × 412.50 = 9900.00; FG-3002 8 × 689.00 = 5512.00;
#     FG-3003 150 × 18.20 = 2730.00; FG-3004 5 × 275.00 = 1375.00;
#     FG-3005 400 × 6.40 = 2560.00; FG-3006 250 × 2.96 = 740.00         -> 22,817.00 (6 lines)
#   whole stock: 14,384.05 + 9,745.70 + 22,817.00                      -> 46,946.75 (16 lines)
# RM-1004 (packaging, VERP) and RM-1005 (spare parts, ERSA) count as raw materials, FG-3005 and
# FG-3006 (goods for resale, HAWA) as finished goods (docs/domain.md, "Reading ERP exports").
TOTALS = {"raw_material": Decimal("14384.05"), "wip": Decimal("9745.70"), "finished_good": Decimal("22817.00")}
LINE_COUNTS = {"raw_material": 6, "wip": 4, "finished_good": 6}
GRAND_TOTAL = Decimal("46946.75")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return Decimal(str(value))


def _day(value: Any) -> date | None:
    if value is None or value is pd.NA or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def expected_lines(export: Export) -> list[dict[str, Any]]:
    """The reference lines in the fields this export's shape carries, sorted by SKU."""
    lines = []
    for line in LINES:
        expected: dict[str, Any] = {
            "sku": line.sku,
            "description": line.name_zh if export.chinese else line.description,
            "category": line.category.value,
            "quantity": line.quantity,
            "book_value": line.value,
        }
        if export.warehouse is not None:
            expected["warehouse"] = export.warehouse(line.warehouse)
        if export.unit_cost:
            expected["unit_cost"] = line.unit_cost
        if export.last_movement:
            expected["last_movement_date"] = line.last_movement
        lines.append(expected)
    return sorted(lines, key=lambda line: line["sku"])


def lines_read(frame: pd.DataFrame, export: Export) -> list[dict[str, Any]]:
    """The lines the reader returned, in the same fields (a missing column reads as None)."""
    lines = []
    for row in frame.to_dict("records"):
        read: dict[str, Any] = {
            "sku": row.get("sku"),
            "description": row.get("description"),
            "category": row.get("category"),
            "quantity": _decimal(row.get("quantity")),
            "book_value": _decimal(row.get("book_value")),
        }
        if export.warehouse is not None:
            read["warehouse"] = row.get("warehouse")
        if export.unit_cost:
            read["unit_cost"] = _decimal(row.get("unit_cost"))
        if export.last_movement:
            read["last_movement_date"] = _day(row.get("last_movement_date"))
        lines.append(read)
    return sorted(lines, key=lambda line: str(line["sku"]))


def differences(read: list[dict[str, Any]], expected: list[dict[str, Any]]) -> str:
    """Say what differs, field by field, so a failure names the header or row misread."""
    if len(read) != len(expected):
        return f"{len(read)} lines read, {len(expected)} expected: SKUs read {[line['sku'] for line in read]}"
    wrong: dict[str, list[str]] = {}
    for got, want in zip(read, expected, strict=True):
        for field, value in want.items():
            if got.get(field) != value:
                wrong.setdefault(field, []).append(f"{want['sku']}: {got.get(field)!r} instead of {value!r}")
    return "; ".join(f"{field} wrong on {len(rows)} lines ({', '.join(rows[:3])})" for field, rows in wrong.items())


def read_export(tmp_path, export: Export):
    path = export.build(tmp_path)
    outcome = read_stock_file(path, today=TODAY)
    mapped = {header: target for header, target in outcome.mapping.columns.items() if target}
    context = f"{export.system}: mapping {mapped}, ignored {outcome.mapping.unmapped}"
    assert outcome.accepted, f"{context}\n{outcome.report.to_json()}"
    return outcome, context


def test_the_hand_worked_totals_are_those_of_the_line_table():
    """The literals above agree with the corpus's own table (a typo in either shows here)."""
    for category, expected in TOTALS.items():
        lines = [line for line in LINES if line.category.value == category]
        assert sum((line.value for line in lines), Decimal(0)) == expected
        assert len(lines) == LINE_COUNTS[category]
    assert sum(TOTALS.values()) == GRAND_TOTAL
    assert all(line.quantity * line.unit_cost == line.value for line in LINES)  # exact, no rounding


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.system)
def test_export_reads_to_the_reference_lines(tmp_path, export):
    """Headers, category codes, grouped rows and number formats are recognised without a mapping."""
    outcome, context = read_export(tmp_path, export)
    read, expected = lines_read(outcome.lines, export), expected_lines(export)
    assert read == expected, f"{context}\n{differences(read, expected)}"


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.system)
def test_export_totals_by_category_to_the_cent(tmp_path, export):
    """Title, subtotal and grand-total rows are not lines: the categories add up to the stock."""
    outcome, context = read_export(tmp_path, export)
    lines = outcome.lines
    if "book_value" in lines.columns:
        values = [_decimal(v) for v in lines["book_value"]]
    else:  # the engine's rule: book value = quantity × unit cost when the file has none
        pairs = zip(map(_decimal, lines["quantity"]), map(_decimal, lines["unit_cost"]), strict=True)
        values = [q * c if q is not None and c is not None else None for q, c in pairs]
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for category, value in zip(lines["category"], values, strict=True):
        totals[category] = totals.get(category, Decimal(0)) + (value or Decimal(0))
        counts[category] = counts.get(category, 0) + 1
    assert (totals, counts) == (TOTALS, LINE_COUNTS), context
    assert sum(totals.values()) == GRAND_TOTAL


def test_an_ignored_column_is_listed_and_the_missing_one_is_absent(tmp_path):
    """A Sage 100 inventory without its last-movement column but with a comment column: the
    file is accepted, the column it ignored is listed with the mapping, and no last-movement
    column is made up.

    The report does not yet say which optional columns (and so which rules) are missing: only
    the ignored file columns are exposed today (``mapping.unmapped``), so only that is checked.
    """
    rows = [["Code article", "Désignation", "Famille", "Dépôt", "Qté", "PU HT", "Valeur", "Commentaire"]]
    for line in LINES[:3]:
        rows.append(
            [
                line.sku,
                line.description,
                "Matières premières",
                line.warehouse,
                number(line.quantity, point=","),
                number(line.unit_cost, point=","),
                number(line.value, decimals=2, point=","),
                "à recompter",
            ]
        )
    path = write_text(tmp_path / "INVENTAIRE.csv", csv_text(rows, ";"), "cp1252")
    outcome = read_stock_file(path, today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert outcome.mapping.unmapped == ["Commentaire"]
    assert "last_movement_date" not in outcome.lines.columns
    assert outcome.lines["book_value"].tolist() == ["5250", "6120.9", "900"]


@pytest.mark.parametrize(
    ("build", "encoding"),
    [(quickbooks, "cp1252"), (kingdee, "gbk")],
    ids=["QuickBooks", "Kingdee"],
)
def test_a_grand_total_the_lines_do_not_add_up_to_is_a_warning(tmp_path, build, encoding):
    """The grand total printed last (46,946.75) raised by 10.00: the same lines are read and the
    file is still accepted, with one more warning than the untouched export."""
    path = build(tmp_path)
    faithful = read_stock_file(path, today=TODAY)
    text = path.read_bytes().decode(encoding)
    at = text.rindex('"46,946.75"')
    path.write_bytes((text[:at] + '"46,956.75"' + text[at + len('"46,946.75"') :]).encode(encoding))
    tampered = read_stock_file(path, today=TODAY)
    assert faithful.accepted and tampered.accepted, tampered.report.to_json()
    assert tampered.lines.equals(faithful.lines)
    assert tampered.report.warning_count == faithful.report.warning_count + 1, tampered.report.to_json()


def test_sap_material_types_that_are_not_stock_are_reported_not_counted(tmp_path):
    """MB52 rows of a non-valuated material (UNBW) and of operating supplies (HIBE), rows 18 and
    19 after the sixteen reference lines: each is reported, and neither adds to the stock."""
    nil = [Decimal(0)] * 4  # quality inspection and blocked, quantity and value
    extra = [
        ["NV-9001", "1000", "PAR1", "Palettes consignées", "UNBW", "PC", Decimal(40), "EUR", Decimal(0), *nil],
        ["HB-9002", "1000", "LYO2", "Gants de protection", "HIBE", "PR", Decimal(25), "EUR", Decimal("112.50"), *nil],
    ]
    outcome = read_stock_file(sap_mb52_en(tmp_path, extra=extra), today=TODAY)
    report = outcome.report.to_json()
    assert {18, 19} <= {problem.row for problem in outcome.report.problems}, report
    if outcome.accepted:
        assert not {"NV-9001", "HB-9002"} & set(outcome.lines["sku"]), report
        values: dict[str, Decimal] = {}
        for category, value in zip(outcome.lines["category"], outcome.lines["book_value"], strict=True):
            values[category] = values.get(category, Decimal(0)) + Decimal(value)
        assert values == TOTALS
