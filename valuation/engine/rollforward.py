"""The roll-forward of a facility's stock: from one stock file's book value to the next.

For each period ending at a stock date:

    expected closing = opening + purchases + production − cost of goods sold ± adjustments
    unreconciled     = reported closing − expected closing

The opening is the book value of the previous accepted stock file (by stock date); the first
period has none ("no opening", never zero: a zero opening would make the whole closing look
unreconciled). The reported closing is the book value of the period's own stock file.

Pure (no Django). Amounts are ``Decimal`` in the facility's currency, added exactly (inputs and
book values are in cents, so sums are exact to the cent; nothing is rounded here). The tolerance
allowed on a period is the larger of a fixed amount and a percentage of the reported closing's
absolute value; a difference exactly at the tolerance is within it (only "more than" alerts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# The state of one period.
NO_OPENING = "no_opening"  # the first stock file: nothing to roll forward from
NO_INPUTS = "no_inputs"  # no purchases / production / cost of sales entered for the period yet
NO_CLOSING = "no_closing"  # inputs entered, but the period's stock file is not valued yet
WITHIN = "within"  # unreconciled within the tolerance
BEYOND = "beyond"  # unreconciled beyond the tolerance (an alert)
STATES = (NO_OPENING, NO_INPUTS, NO_CLOSING, WITHIN, BEYOND)


@dataclass(frozen=True)
class Inputs:
    """One period's movements. purchases, production and cost of goods sold as booked (a
    negative purchase is a return); adjustments signed (+ adds to stock, − takes from it)."""

    purchases: Decimal = ZERO
    production: Decimal = ZERO
    cost_of_goods_sold: Decimal = ZERO
    adjustments: Decimal = ZERO

    @property
    def net_movement(self) -> Decimal:
        """purchases + production − cost of goods sold + adjustments, exact."""
        return self.purchases + self.production - self.cost_of_goods_sold + self.adjustments


@dataclass(frozen=True)
class Tolerance:
    """How far the reported closing may stray from the expected one: ``amount`` (currency) or
    ``pct`` (% of the reported closing's absolute value), whichever allows more."""

    amount: Decimal = ZERO
    pct: Decimal = ZERO

    def allowed(self, closing: Decimal) -> Decimal:
        """The difference allowed for this closing, exact (not rounded)."""
        return max(self.amount, abs(closing) * self.pct / HUNDRED)


def expected_closing(opening: Decimal, inputs: Inputs) -> Decimal:
    """opening + purchases + production − cost of goods sold + adjustments, exact."""
    return opening + inputs.net_movement


@dataclass(frozen=True)
class Period:
    """One period's roll-forward. ``expected``, ``unreconciled`` and ``allowed`` are None when the
    opening, the inputs or the reported closing is missing (``state`` says which)."""

    period_end: dt.date
    opening: Decimal | None
    inputs: Inputs | None
    reported_closing: Decimal | None
    expected: Decimal | None
    unreconciled: Decimal | None
    allowed: Decimal | None
    state: str

    @property
    def beyond(self) -> bool:
        return self.state == BEYOND

    @property
    def reconciled(self) -> bool:
        """Whether the period could be reconciled at all (within or beyond its tolerance)."""
        return self.state in (WITHIN, BEYOND)

    def as_json(self) -> dict[str, Any]:
        """Amounts as exact decimal strings (a report freezes its periods in this form)."""
        text = lambda v: None if v is None else str(v)  # noqa: E731
        return {
            "period_end": self.period_end.isoformat(),
            "opening": text(self.opening),
            "inputs": None
            if self.inputs is None
            else {
                "purchases": str(self.inputs.purchases),
                "production": str(self.inputs.production),
                "cost_of_goods_sold": str(self.inputs.cost_of_goods_sold),
                "adjustments": str(self.inputs.adjustments),
            },
            "reported_closing": text(self.reported_closing),
            "expected": text(self.expected),
            "unreconciled": text(self.unreconciled),
            "allowed": text(self.allowed),
            "state": self.state,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Period:
        dec = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
        raw = data.get("inputs")
        inputs = (
            None
            if raw is None
            else Inputs(
                purchases=Decimal(raw["purchases"]),
                production=Decimal(raw["production"]),
                cost_of_goods_sold=Decimal(raw["cost_of_goods_sold"]),
                adjustments=Decimal(raw["adjustments"]),
            )
        )
        state = str(data.get("state") or NO_INPUTS)
        return cls(
            period_end=dt.date.fromisoformat(data["period_end"]),
            opening=dec(data.get("opening")),
            inputs=inputs,
            reported_closing=dec(data.get("reported_closing")),
            expected=dec(data.get("expected")),
            unreconciled=dec(data.get("unreconciled")),
            allowed=dec(data.get("allowed")),
            state=state if state in STATES else NO_INPUTS,
        )


def reconcile(
    *,
    period_end: dt.date,
    opening: Decimal | None,
    inputs: Inputs | None,
    reported_closing: Decimal | None,
    tolerance: Tolerance,
) -> Period:
    """One period: the expected closing when opening and inputs are known; the unreconciled amount
    (reported − expected) and its tolerance when the reported closing is known too."""
    expected = None if opening is None or inputs is None else expected_closing(opening, inputs)
    if opening is None:
        state = NO_OPENING
    elif inputs is None:
        state = NO_INPUTS
    elif reported_closing is None:
        state = NO_CLOSING
    else:
        state = WITHIN
    unreconciled = allowed = None
    if expected is not None and reported_closing is not None:
        unreconciled = reported_closing - expected
        allowed = tolerance.allowed(reported_closing)
        state = BEYOND if abs(unreconciled) > allowed else WITHIN
    return Period(
        period_end=period_end,
        opening=opening,
        inputs=inputs,
        reported_closing=reported_closing,
        expected=expected,
        unreconciled=unreconciled,
        allowed=allowed,
        state=state,
    )


def roll_forward(
    closings: Iterable[tuple[dt.date, Decimal | None]],
    inputs: Mapping[dt.date, Inputs],
    tolerance: Tolerance,
) -> list[Period]:
    """Every period, oldest first: one per stock date in ``closings`` (date, book value; a None
    book value counts as no stock file) and one per date of ``inputs`` with no stock file yet.
    Each period opens at the book value of the latest stock date before its end."""
    books = {day: book for day, book in closings if book is not None}
    periods = []
    previous: Decimal | None = None
    for day in sorted(set(books) | set(inputs)):
        closing = books.get(day)
        periods.append(
            reconcile(
                period_end=day,
                opening=previous,
                inputs=inputs.get(day),
                reported_closing=closing,
                tolerance=tolerance,
            )
        )
        if closing is not None:
            previous = closing
    return periods


def latest_reconciled(periods: Iterable[Period]) -> Period | None:
    """The newest period that could be reconciled (opening, inputs and closing all known): the
    one an alert follows."""
    found = None
    for period in periods:
        if period.reconciled and (found is None or period.period_end > found.period_end):
            found = period
    return found
