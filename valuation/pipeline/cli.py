"""`manage.py valuate`: the same readers and engine as the web upload, from the command line.

Pure: no Django import, so it can also be called from a notebook or a script.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from valuation.engine.run import valuate
from valuation.engine.serialize import result_to_dict
from valuation.engine.terms import terms_from_dict
from valuation.imports.limits import ImportLimits
from valuation.imports.mapping import ColumnMapping
from valuation.imports.reader import read_stock_file


class CliError(Exception):
    """A problem to print to the user (bad file, bad terms), with no traceback."""


def load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"Cannot read the {what} file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CliError(f"The {what} file {path} is not valid JSON (line {error.lineno}: {error.msg})") from None


def run(
    stock_file: Path,
    *,
    terms: dict[str, Any],
    as_of: date,
    mapping: ColumnMapping | None = None,
    sheet: str | None = None,
    limits: ImportLimits = ImportLimits(),  # noqa: B008 - frozen
) -> dict[str, Any]:
    """Read, validate and value a stock file; the whole result as a JSON-able dict."""
    from valuation.engine.errors import EngineInputError, TermsError

    try:
        facility_terms = terms_from_dict(terms)
    except TermsError as error:
        raise CliError(f"Terms: {error}") from None
    outcome = read_stock_file(stock_file, mapping=mapping, sheet=sheet, limits=limits, today=as_of)
    if not outcome.accepted:
        problems = "\n".join(f"  - {p['message']}" for p in outcome.report.to_json()["problems"][:50])
        raise CliError(f"The stock file was rejected:\n{problems}")
    _refuse_mixed_currencies(outcome.lines)
    try:
        result = valuate(outcome.lines, facility_terms, as_of=as_of)
    except EngineInputError as error:
        raise CliError(str(error)) from None
    body = result_to_dict(result)
    body["import_report"] = outcome.report.to_json()
    return body


def _refuse_mixed_currencies(lines: Any) -> None:
    """The command has no rate table: lines in two currencies would be summed as one, so such a
    file is refused (a one-currency file is valued, its figures in that currency)."""
    from valuation.imports.currencies import line_currencies

    if "currency" not in lines.columns:
        return
    cells = {
        None if v is None or v != v else str(v): int(n) for v, n in lines["currency"].value_counts(dropna=False).items()
    }
    found = {code: n for code, n in line_currencies(cells, "").items() if code}
    if len(found) > 1:
        listed = ", ".join(f"{code} ({n} lines)" for code, n in sorted(found.items()))
        raise CliError(
            f"The stock file's lines are in {listed}: without a rate table they cannot be converted into one "
            "currency, so the file is not valued. Value it from the web upload, or one file per currency."
        )


def _money(value: Any) -> str:
    """Amounts (Decimal or their exact text) rounded half-up for display; other text as it is."""
    if value is None:
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return str(value)
    return f"{amount:,.2f}"


def _rows(title: str, rows: list[tuple[str, Any]]) -> list[str]:
    width = max((len(label) for label, _ in rows), default=10)
    out = [title, "-" * len(title)]
    out += [f"  {label:<{width}}  {_money(value):>20}" for label, value in rows]
    return [*out, ""]


def as_table(body: dict[str, Any]) -> str:
    """The result as a readable text report (amounts rounded half-up to the cent for display)."""
    eligibility, financing = body["eligibility"], body["financing"]
    lines = [
        f"Valuation as of {body['as_of']} · {body['structure']} · {body['method']} · {body['line_count']} lines",
        "",
    ]
    waterfall = [("Book value", eligibility["book_value"])]
    waterfall += [(f"− {item['reason']}", item["amount"]) for item in eligibility["by_reason"]]
    waterfall += [("= Eligible stock", eligibility["eligible"])]
    lines += _rows("Waterfall", waterfall)
    if eligibility.get("discounts"):
        lines += _rows(
            "Criteria discounts", [(f"{d['discount']} ({d['basis']})", d["amount"]) for d in eligibility["discounts"]]
        )
    liquidation = body["liquidation"]
    lines += _rows(
        "Liquidation value",
        [
            ("Liquidation value", liquidation["liquidation_value"]),
            ("of eligible stock", liquidation["eligible_liquidation_value"]),
        ],
    )
    structure_rows: list[tuple[str, Any]] = []
    if financing.get("borrowing_base"):
        base = financing["borrowing_base"]
        structure_rows += [
            (f"Cost leg ({base['cost_advance_rate_pct']} % × eligible cost)", base["cost_leg"]),
            (f"NOLV leg ({base['nolv_advance_rate_pct']} % × NOLV)", base["nolv_leg"]),
            *((f"  {_reserve_basis(r)}", f"− {r['amount']}") for r in base.get("named_reserves") or []),
            ("Reserves", base["reserves"]),
            ("Borrowing base", base["borrowing_base"]),
        ]
    if financing.get("pledge"):
        pledge = financing["pledge"]
        structure_rows += [
            ("Mobilisable stock", pledge["mobilisable"]),
            (f"Guarantee ({pledge['fungibility_share_pct']} % fungibility)", pledge["guarantee"]),
            (f"Over-collateralisation {pledge['over_collateralisation_pct']} %", "÷"),
        ]
    ltv = financing.get("ltv") or {}
    structure_rows.append(
        (f"LTV caps ({'indicative' if ltv.get('indicative') else 'binding'}): at most", ltv.get("max_financing"))
    )
    structure_rows += [
        ("Financing", financing["financing"]),
        ("Limit that binds", financing.get("binding") or "–"),
        ("Outstanding", financing["outstanding"]),
        ("Availability", financing["availability"]),
    ]
    if financing.get("refusal"):
        structure_rows.append(("Refusal", financing["refusal"]))
    lines += _rows("Financing", structure_rows)
    if body.get("levers"):
        lines += _rows(
            "Levers (extra financing if cleared)",
            [(lever["reason"], lever["financing_gain"]) for lever in body["levers"]],
        )
    if body.get("warnings"):
        lines += ["Warnings", "--------", *[f"  ! {w}" for w in body["warnings"]], ""]
    return "\n".join(lines)


def _reserve_basis(reserve: dict[str, Any]) -> str:
    """A named reserve and its basis, in the command's English."""
    kind = reserve["kind"]
    if kind == "rent" and reserve.get("site_excluded"):
        return f"rent, site {reserve['site']}: no monthly rent, its stock excluded"
    if kind == "rent":
        return f"rent, site {reserve['site']}: {reserve['months']} × {reserve['basis_amount']}"
    if kind == "shrink":
        return f"shrink: {reserve['pct']} % × {reserve['basis_amount']}"
    reason = reserve.get("reason") or ""
    return f"{kind.replace('_', ' ')}: {reason}" if reason else kind.replace("_", " ")
