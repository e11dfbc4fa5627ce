"""Jumps: a new stock file whose figures move far from the facility's previous accepted file.

Pure functions of stored figures (no Django). A book value that doubles from one month to the next,
or a file with half the lines, is more often a wrong export (another site, another period, a
filter left on in the ERP) than a real change: it is flagged on the upload page and the dashboard
before anyone relies on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEFAULT_THRESHOLD_PCT = Decimal(25)

# The figures compared, in the order they are listed.
METRICS = ("book_value", "eligible_value", "line_count")


@dataclass(frozen=True)
class Jump:
    """One figure that moved more than the threshold: from ``previous`` to ``current``.

    ``change_pct`` is (current − previous) ÷ previous × 100, half-up to one decimal; None when the
    previous figure was zero (any non-zero figure after a zero is a jump)."""

    metric: str
    previous: Decimal
    current: Decimal
    change_pct: Decimal | None
    previous_as_of: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("previous", "current", "change_pct"):
            data[key] = None if data[key] is None else str(data[key])
        return data


def change_pct(previous: Decimal, current: Decimal) -> Decimal | None:
    if previous == 0:
        return None
    return ((current - previous) * 100 / previous).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def find_jumps(
    *,
    previous: dict[str, Decimal | int | None],
    current: dict[str, Decimal | int | None],
    threshold_pct: Decimal,
    previous_as_of: str,
) -> list[Jump]:
    """The metrics whose move from ``previous`` to ``current`` is strictly more than the threshold.

    The comparison is exact (|current − previous| × 100 > threshold × |previous|), so a move of
    exactly the threshold is not a jump; a figure missing on either side is not compared."""
    jumps = []
    for metric in METRICS:
        before, after = previous.get(metric), current.get(metric)
        if before is None or after is None:
            continue
        before, after = Decimal(before), Decimal(after)
        # After a zero, any non-zero figure is a jump; otherwise exactly, without dividing.
        moved = after != 0 if before == 0 else abs(after - before) * 100 > threshold_pct * abs(before)
        if moved:
            jumps.append(Jump(metric, before, after, change_pct(before, after), previous_as_of))
    return jumps
