"""The borrower's own borrowing base certificate set against StockPledge's valuation (pure).

A certificate is a handful of figures, one per line (``LINES``): book value, ineligible stock (in
total and, when the borrower breaks it down, by reason: ``ineligible:<reason code>``), eligible
stock, the liquidation value of eligible stock, reserves, borrowing base, financing, outstanding
and availability, in the facility's currency units (2 places).

Each line is compared on its own: difference = borrower − StockPledge, exactly (no rounding: both
figures are cents); the percentage is the difference ÷ |StockPledge| × 100, half-up to 2 places
(None when StockPledge's figure is 0). A line is within tolerance when
|difference| ≤ max(amount, pct × |StockPledge| ÷ 100), the latter half-up to the cent: the amount
keeps small figures from flagging cents, the percentage keeps big ones from flagging noise.

A borrower's figure *higher* than StockPledge's beyond tolerance on a line the bank lends on
(borrowing base, financing, availability) is ``overstated``: the dangerous case, since the bank
would lend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

BOOK_VALUE = "book_value"
INELIGIBLE = "ineligible"
ELIGIBLE = "eligible"
LIQUIDATION_VALUE = "eligible_liquidation_value"
RESERVES = "reserves"
BORROWING_BASE = "borrowing_base"
FINANCING = "financing"
OUTSTANDING = "outstanding"
AVAILABILITY = "availability"

REASON_PREFIX = "ineligible:"

# In the order a certificate reads; the reason lines go right before the total ineligible.
LINES: tuple[str, ...] = (
    BOOK_VALUE,
    INELIGIBLE,
    ELIGIBLE,
    LIQUIDATION_VALUE,
    RESERVES,
    BORROWING_BASE,
    FINANCING,
    OUTSTANDING,
    AVAILABILITY,
)
# The lines the bank lends on: a borrower's figure above StockPledge's there raises the loan.
LENDING_LINES = frozenset({BORROWING_BASE, FINANCING, AVAILABILITY})

MATCH = "match"  # to the cent
WITHIN = "within"  # differs, within tolerance
BEYOND = "beyond"  # differs beyond tolerance
MISSING = "missing"  # StockPledge has the figure, the borrower gave none
NOT_COMPUTED = "not_computed"  # the borrower gave a figure StockPledge does not compute


def reason_code(reason: str) -> str:
    """The certificate line of one ineligible reason (a rule or criteria discount code)."""
    return f"{REASON_PREFIX}{reason}"


def is_reason(code: str) -> bool:
    return code.startswith(REASON_PREFIX)


def is_known_line(code: str) -> bool:
    return code in LINES or (is_reason(code) and len(code) > len(REASON_PREFIX))


@dataclass(frozen=True)
class Tolerance:
    """How far a line may differ before it is highlighted: ``pct`` (of StockPledge's figure, in %)
    or ``amount`` (currency units), whichever allows more."""

    pct: Decimal
    amount: Decimal

    def allowed(self, reference: Decimal) -> Decimal:
        """max(amount, pct × |reference| ÷ 100), the latter half-up to the cent."""
        share = (abs(reference) * self.pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return max(self.amount, share)


@dataclass(frozen=True)
class LineCheck:
    """One certificate line: both figures, the difference (borrower − StockPledge) and its verdict."""

    code: str
    borrower: Decimal | None
    stockpledge: Decimal | None
    difference: Decimal | None
    difference_pct: Decimal | None
    status: str
    overstated: bool = False

    @property
    def highlighted(self) -> bool:
        """Beyond tolerance, or a line the borrower left out."""
        return self.status in (BEYOND, MISSING)


@dataclass(frozen=True)
class CertificateCheck:
    """Every line compared, in the certificate's order, with the tolerance applied."""

    lines: tuple[LineCheck, ...]
    tolerance: Tolerance

    @property
    def highlighted(self) -> tuple[LineCheck, ...]:
        return tuple(line for line in self.lines if line.highlighted)

    @property
    def overstated(self) -> tuple[LineCheck, ...]:
        return tuple(line for line in self.lines if line.overstated)

    @property
    def missing(self) -> tuple[LineCheck, ...]:
        return tuple(line for line in self.lines if line.status == MISSING)

    @property
    def beyond_tolerance(self) -> bool:
        """True when any line differs beyond tolerance (a missing line is highlighted, but it is
        a gap in the certificate, not a difference)."""
        return any(line.status == BEYOND for line in self.lines)


def _pct(difference: Decimal, reference: Decimal) -> Decimal | None:
    if reference == 0:
        return None
    return (difference / abs(reference) * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def check_line(code: str, borrower: Decimal | None, stockpledge: Decimal | None, tolerance: Tolerance) -> LineCheck:
    """One line's verdict (see the module docstring)."""
    if borrower is None and stockpledge is None:
        return LineCheck(code, None, None, None, None, NOT_COMPUTED)
    if borrower is None:
        return LineCheck(code, None, stockpledge, None, None, MISSING)
    if stockpledge is None:
        return LineCheck(code, borrower, None, None, None, NOT_COMPUTED)
    difference = borrower - stockpledge
    if difference == 0:
        status = MATCH
    elif abs(difference) <= tolerance.allowed(stockpledge):
        status = WITHIN
    else:
        status = BEYOND
    overstated = status == BEYOND and difference > 0 and code in LENDING_LINES
    return LineCheck(code, borrower, stockpledge, difference, _pct(difference, stockpledge), status, overstated)


def _order(borrower: Mapping[str, Any], stockpledge: Mapping[str, Any]) -> list[str]:
    """The certificate's lines in reading order: a line either side gave; the reason lines (only
    when the borrower broke its ineligibles down) before the total, StockPledge's order first."""
    given = set(borrower) | {code for code, value in stockpledge.items() if value is not None}
    reasons: list[str] = []
    if any(is_reason(code) for code in borrower):
        for code in [*stockpledge, *borrower]:
            if is_reason(code) and code not in reasons:
                reasons.append(code)
    ordered: list[str] = []
    for code in LINES:
        if code == INELIGIBLE:
            ordered.extend(reasons)
        if code in given:
            ordered.append(code)
    return ordered


def compare(
    borrower: Mapping[str, Decimal],
    stockpledge: Mapping[str, Decimal | None],
    tolerance: Tolerance,
) -> CertificateCheck:
    """Set the borrower's figures (line code → amount; a line it did not give is absent) against
    StockPledge's (None: not computed for this structure). A reason StockPledge's run does not
    list took nothing there: its StockPledge figure is 0."""
    lines = []
    for code in _order(borrower, stockpledge):
        ours = stockpledge.get(code)
        if ours is None and is_reason(code):
            ours = ZERO
        lines.append(check_line(code, borrower.get(code), ours, tolerance))
    return CertificateCheck(tuple(lines), tolerance)


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def stockpledge_figures(result: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """StockPledge's figure for each certificate line, read from a stored run's result (the dict of
    ``serialize.result_to_dict``). Reserves and borrowing base exist for a borrowing base only
    (None otherwise); each ineligible reason with a non-zero amount gets its own line."""
    eligibility = result.get("eligibility") or {}
    liquidation = result.get("liquidation") or {}
    financing = result.get("financing") or {}
    base = financing.get("borrowing_base") or None
    figures: dict[str, Decimal | None] = {
        BOOK_VALUE: _amount(eligibility.get("book_value")),
        INELIGIBLE: _amount(eligibility.get("ineligible")),
        ELIGIBLE: _amount(eligibility.get("eligible")),
        LIQUIDATION_VALUE: _amount(liquidation.get("eligible_liquidation_value")),
        RESERVES: _amount(base.get("reserves")) if base else None,
        BORROWING_BASE: _amount(base.get("borrowing_base")) if base else None,
        FINANCING: _amount(financing.get("financing")),
        OUTSTANDING: _amount(financing.get("outstanding")),
        AVAILABILITY: _amount(financing.get("availability")),
    }
    for item in eligibility.get("by_reason") or []:
        amount = _amount(item.get("amount"))
        if amount:
            figures[reason_code(str(item["reason"]))] = amount
    return figures
