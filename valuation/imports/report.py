"""Validation report: the problems found in a stock file, cheap to store as JSON.

A report lists at most ``max_listed`` problems (the first ones found, errors before warnings) but
keeps exact counts per kind, so a file with a million bad rows still yields a small JSON document
that tells the advisor how many rows are wrong and shows enough examples to fix the export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_MAX_LISTED = 1_000


class Severity(StrEnum):
    """An error rejects the file; a warning is shown but the lines are accepted."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, located as a finance user would look for it in the source file.

    ``row`` is the 1-based row number in the file (as a spreadsheet or text editor counts it),
    ``column`` the header text as written in the file and ``field`` the canonical column name;
    each is None when the problem concerns the whole file.
    """

    severity: Severity
    kind: str
    message: str
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    expected: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the problem as a JSON-able dict (keys always present, values may be null)."""
        return {
            "severity": str(self.severity),
            "kind": self.kind,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
        }


@dataclass(slots=True)
class ValidationReport:
    """What happened to a file: accepted or not, the problems, and what was detected."""

    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # kind -> exact number of occurrences
    error_count: int = 0
    warning_count: int = 0
    rows_read: int = 0  # data rows below the header, blank and total rows included
    rows_skipped: int = 0  # blank, total and note rows left out of the lines
    lines: int = 0  # rows in the canonical frame
    detected: dict[str, Any] = field(default_factory=dict)
    max_listed: int = DEFAULT_MAX_LISTED

    @property
    def accepted(self) -> bool:
        """True when the file has no error (warnings do not block an upload)."""
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        """True when more problems were found than are listed."""
        return self.error_count + self.warning_count > len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        """The listed errors (at most ``max_listed`` problems are listed overall)."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The listed warnings."""
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def add(self, problem: Problem, *, occurrences: int = 1) -> None:
        """Count ``occurrences`` of the problem's kind and list the problem if room is left."""
        self.add_many(problem.kind, problem.severity, occurrences, [problem])

    def add_many(self, kind: str, severity: Severity, occurrences: int, examples: list[Problem]) -> None:
        """Count ``occurrences`` of ``kind`` exactly and list as many examples as the cap allows."""
        if occurrences <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + occurrences
        if severity is Severity.ERROR:
            self.error_count += occurrences
        else:
            self.warning_count += occurrences
        room = self.max_listed - len(self.problems)
        if room > 0:
            self.problems.extend(examples[:room])

    def summary(self) -> str:
        """One sentence for a finance user: the verdict and the number of problems."""
        verdict = "accepted" if self.accepted else "rejected"
        parts = [f"File {verdict}: {self.lines} stock lines"]
        if self.error_count:
            parts.append(f"{self.error_count} error(s)")
        if self.warning_count:
            parts.append(f"{self.warning_count} warning(s)")
        return ", ".join(parts) + "."

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON-able dict; its size is bounded by ``max_listed``."""
        ordered = sorted(self.problems, key=lambda p: (p.severity is not Severity.ERROR, p.row or 0))
        return {
            "accepted": self.accepted,
            "summary": self.summary(),
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "lines": self.lines,
            "detected": dict(self.detected),
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "counts": dict(sorted(self.counts.items())),
            "problems": [p.to_json() for p in ordered],
            "problems_truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationReport:
        """Rebuild a report saved with :meth:`to_json` (for display after storage)."""
        report = cls(
            problems=[
                Problem(
                    severity=Severity(p["severity"]),
                    kind=p["kind"],
                    message=p["message"],
                    row=p.get("row"),
                    column=p.get("column"),
                    field=p.get("field"),
                    value=p.get("value"),
                    expected=p.get("expected"),
                )
                for p in data.get("problems", [])
            ],
            counts=dict(data.get("counts", {})),
            error_count=int(data.get("error_count", 0)),
            warning_count=int(data.get("warning_count", 0)),
            rows_read=int(data.get("rows_read", 0)),
            rows_skipped=int(data.get("rows_skipped", 0)),
            lines=int(data.get("lines", 0)),
            detected=dict(data.get("detected", {})),
        )
        return report


class ImportRejected(Exception):  # noqa: N818 - the name says what happened to the upload
    """The whole file cannot be imported (wrong type, too large, unsafe, unreadable...).

    ``report`` holds one error problem with the reason, worded for a finance user.
    """

    def __init__(self, message: str, *, kind: str = "file_rejected", report=None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        if report is None:
            report = ValidationReport()
            report.add(Problem(severity=Severity.ERROR, kind=kind, message=message))
        self.report: ValidationReport = report
