"""Field exams: which stock lines a controller counts, and how far the counts stray from the records.

Pure computation (no Django): the services in ``valuation.field_exams`` snapshot the sampled lines
of an accepted stock file, call these functions and store the results.

Sampling (docs/domain.md, "Field exams"):
- by value: the largest recorded values first (ties: the lower row first), either the fewest lines
  whose values cover ``coverage_pct`` % of the file's total, or the ``top_n`` largest;
- random: ``size`` lines drawn by ``random.Random(seed)`` from the rows sorted ascending, so the
  same file and seed always give the same sample, whatever order the lines arrive in;
- chosen: the rows the controller names (unknown rows are refused).

Variance (DOMAIN.md, "Record accuracy: the variance between test counts and records, as a
percentage of the whole"): each counted line's variance is (counted − recorded quantity) × its
recorded unit cost (``unit_cost``, or recorded value ÷ recorded quantity when the file gave none),
rounded half-up to the cent; its counted value is recorded value + variance. Valuing the
difference rather than the whole count means a count equal to the record never shows a variance,
even when the file's book value was rounded otherwise than quantity × unit cost. The exam's
variance is the *gross* absolute variance — Σ |variance| — as a percentage of the sampled recorded
value, rounded *up* to 0.001 % and capped at 100 %: a surplus on one line never hides a shortage
on another, and rounding never makes the discount smaller.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PCT_STEP = Decimal("0.001")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


class SampleError(ValueError):
    """A sample that cannot be drawn as asked (the message names the setting)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message


@dataclass(frozen=True, slots=True)
class RecordedLine:
    """One line of the stock file as recorded: its row number and its book value (currency units)."""

    row: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class CountedLine:
    """One sampled line with the controller's count; ``unit_cost`` None: value ÷ quantity."""

    recorded_quantity: Decimal
    recorded_value: Decimal
    counted_quantity: Decimal
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Variance:
    """The exam's outcome, in the stock file's currency; ``pct`` None when the sample's recorded
    value is zero (nothing to measure against)."""

    lines: int
    sampled_value: Decimal
    counted_value: Decimal
    net_variance: Decimal
    gross_variance: Decimal
    pct: Decimal | None


def _by_value(lines: Iterable[RecordedLine]) -> list[RecordedLine]:
    return sorted(lines, key=lambda line: (-line.value, line.row))


def sample_by_value(
    lines: Sequence[RecordedLine], *, coverage_pct: Decimal | None = None, top_n: int | None = None
) -> tuple[int, ...]:
    """Rows of the largest lines: the fewest covering ``coverage_pct`` % of the total recorded value
    (lines of zero or negative value never count towards it), or the ``top_n`` largest. Sorted by
    value, largest first."""
    if (coverage_pct is None) == (top_n is None):
        raise SampleError("method", "give either a coverage percentage or a number of lines")
    ordered = _by_value(lines)
    if top_n is not None:
        if top_n < 1:
            raise SampleError("top_n", "must be at least 1")
        return tuple(line.row for line in ordered[:top_n])
    assert coverage_pct is not None
    if not ZERO < coverage_pct <= HUNDRED:
        raise SampleError("coverage_pct", "must be above 0 and at most 100")
    positive = [line for line in ordered if line.value > 0]
    target = sum((line.value for line in positive), ZERO) * coverage_pct / HUNDRED
    rows: list[int] = []
    covered = ZERO
    for line in positive:
        if covered >= target:
            break
        rows.append(line.row)
        covered += line.value
    return tuple(rows)


def sample_random(lines: Sequence[RecordedLine], *, size: int, seed: int) -> tuple[int, ...]:
    """``size`` rows drawn at random (all of them when the file has fewer), reproducible from
    ``seed``; returned in ascending row order."""
    if size < 1:
        raise SampleError("size", "must be at least 1")
    rows = sorted(line.row for line in lines)
    if size >= len(rows):
        return tuple(rows)
    return tuple(sorted(random.Random(seed).sample(rows, size)))


def sample_chosen(lines: Sequence[RecordedLine], *, rows: Iterable[int]) -> tuple[int, ...]:
    """The named rows, each once, in the order given; a row not in the file is refused."""
    known = {line.row for line in lines}
    chosen: list[int] = []
    for row in rows:
        if row not in known:
            raise SampleError("rows", f"row {row} is not in the stock file")
        if row not in chosen:
            chosen.append(row)
    if not chosen:
        raise SampleError("rows", "choose at least one line")
    return tuple(chosen)


def unit_cost_of(line: CountedLine) -> Decimal:
    """The recorded unit cost: the file's, else recorded value ÷ recorded quantity (0 when the
    quantity is 0: nothing recorded, nothing to value a count at)."""
    if line.unit_cost is not None:
        return line.unit_cost
    if line.recorded_quantity == 0:
        return ZERO
    return line.recorded_value / line.recorded_quantity


def line_variance(line: CountedLine) -> Decimal:
    """(Counted − recorded quantity) × recorded unit cost, rounded half-up to the cent (negative:
    stock missing against the records; zero whenever the count equals the record)."""
    difference = line.counted_quantity - line.recorded_quantity
    return (difference * unit_cost_of(line)).quantize(CENT, rounding=ROUND_HALF_UP)


def counted_value(line: CountedLine) -> Decimal:
    """What the count is worth at the recorded unit cost: recorded value + the line's variance."""
    return line.recorded_value + line_variance(line)


def variance(lines: Sequence[CountedLine]) -> Variance:
    """The gross absolute variance of the counted lines as a % of their recorded value (module
    docstring): rounded up to 0.001 %, at most 100 %."""
    sampled = sum((line.recorded_value for line in lines), ZERO)
    counted = sum((counted_value(line) for line in lines), ZERO)
    gross = sum((abs(line_variance(line)) for line in lines), ZERO)
    pct = None
    if sampled > 0:
        pct = min(HUNDRED, (gross * HUNDRED / sampled).quantize(PCT_STEP, rounding=ROUND_CEILING))
    return Variance(
        lines=len(lines),
        sampled_value=sampled,
        counted_value=counted,
        net_variance=counted - sampled,
        gross_variance=gross,
        pct=pct,
    )
