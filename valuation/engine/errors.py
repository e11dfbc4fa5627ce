"""The engine's two error types: bad stock lines and bad terms. Either means no result at all."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class LineProblem:
    """One bad cell: the source row (1-based), the column, the value found and what was expected."""

    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.value!r} ({self.expected})"


class EngineInputError(ValueError):
    """The stock lines cannot be valued; ``problems`` lists up to ``MAX_PROBLEMS`` of them.

    ``total`` is the number of problems found, which may exceed ``len(problems)``.
    """

    def __init__(self, problems: list[LineProblem], total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" and {self.total - 5} more" if self.total > 5 else ""
        super().__init__(f"{self.total} problem(s) in the stock lines: {shown}{more}")

    @classmethod
    def combine(cls, errors: list[EngineInputError]) -> EngineInputError:
        """One error for a file checked in slices: every slice's problems in row order (the first
        ``MAX_PROBLEMS``) and their total."""
        problems = sorted((p for e in errors for p in e.problems), key=lambda p: (p.row, p.column))
        return cls(problems[:MAX_PROBLEMS], sum(e.total for e in errors))


class TermsError(ValueError):
    """A facility setting is missing, out of range or inconsistent; ``setting`` names it."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        self.message = message
        super().__init__(f"{setting}: {message}")
