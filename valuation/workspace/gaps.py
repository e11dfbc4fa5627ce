"""What an accepted stock file left out: the file columns it ignored, and the rules or discounts
the engine could not assess for want of a column, each with a link to map a column to it.

Read from the upload's mapping and its runs' stored results (rules and discounts with status
"not_assessed"), never from the lines: the upload page and the dossier show it at no cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from borrowers.common.labels import reason_label
from valuation.models import RunStatus, StockUpload, ValuationRun
from valuation.pipeline import canonical

NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class Unassessed:
    """A rule or discount not assessed, and the canonical columns that would let it be."""

    code: str
    label: str
    columns: tuple[str, ...]
    column_labels: str
    href: str


@dataclass(frozen=True)
class FileGaps:
    upload: StockUpload
    ignored: list[str] = field(default_factory=list)
    unassessed: list[Unassessed] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ignored or self.unassessed)


def map_url(upload: StockUpload, column: str) -> str:
    """The upload page, at its mapping form, asking for the file column that holds ``column``."""
    return f"{upload.get_absolute_url()}?field={column}#mapping"


def ignored_columns(upload: StockUpload) -> list[str]:
    """The file's headers that fed no canonical column (in the file's order)."""
    columns = (upload.mapping or {}).get("columns") or {}
    return [header for header, target in columns.items() if not target]


def _not_assessed(results: Iterable[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Reason or discount code -> the columns it needs, over every result (first seen order)."""
    found: dict[str, tuple[str, ...]] = {}
    for result in results:
        eligibility = (result or {}).get("eligibility") or {}
        for rule in eligibility.get("rules") or []:
            if rule.get("status") == NOT_ASSESSED:
                reason = str(rule.get("reason"))
                columns = tuple(rule.get("missing_columns") or canonical.RULE_COLUMNS.get(reason, ()))
                found.setdefault(reason, columns)
        for discount in eligibility.get("discounts") or []:
            code = str(discount.get("discount"))
            if discount.get("status") == NOT_ASSESSED and code in canonical.DISCOUNT_INPUTS:
                found.setdefault(code, canonical.DISCOUNT_INPUTS[code])
    return found


def file_gaps(upload: StockUpload, results: Iterable[dict[str, Any]]) -> FileGaps:
    """The gaps of ``upload`` given its runs' results; none unless the file was accepted."""
    if upload.status != "accepted":
        return FileGaps(upload)
    unassessed = [
        Unassessed(
            code=code,
            label=reason_label(code),
            columns=columns,
            column_labels=" / ".join(canonical.label(c) for c in columns),
            href=map_url(upload, columns[0]) if columns else "",
        )
        for code, columns in _not_assessed(results).items()
    ]
    return FileGaps(upload, ignored=ignored_columns(upload), unassessed=unassessed)


def upload_gaps(upload: StockUpload, runs: Any) -> FileGaps:
    """The gaps of ``upload`` over ``runs`` (a queryset already scoped to the reader)."""
    rows = runs.filter(upload=upload, status=RunStatus.DONE).values_list(
        "result__eligibility__rules", "result__eligibility__discounts"
    )
    return file_gaps(upload, ({"eligibility": {"rules": r, "discounts": d}} for r, d in rows))


def run_gaps(run: ValuationRun) -> FileGaps:
    """The gaps of the stock file behind one run, as the dossier repeats them."""
    return file_gaps(run.upload, [run.result or {}])
