"""Covenant tests, as pure functions (no Django): the state of one test, a run's covenant figures
and a safe formula over named inputs (docs/domain.md, "Covenants").

The state of a test (``decide``) from the tested value, the threshold, the direction, the "at risk"
headroom and a waiver:

- no value (the figure is missing, or a formula divides by zero): ``not_testable``;
- a minimum is breached strictly below the threshold, a maximum strictly above: exactly at the
  threshold complies;
- a compliant value is ``at_risk`` while it is within the headroom of the threshold: the margin is
  ``|threshold| × headroom % ÷ 100``; a minimum is at risk from the threshold up to (not
  including) threshold + margin, a maximum from threshold − margin (excluded) up to the threshold.
  With no headroom nothing is at risk;
- a breached or at-risk test under a waiver in force on ``today`` (up to and including its expiry
  date) is ``waived``; an expired waiver no longer waives, and a waiver never turns a met test.

Everything is exact ``Decimal`` arithmetic: no rounding before the comparison.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any

MIN, MAX = "min", "max"
DIRECTIONS = (MIN, MAX)

# The metrics a covenant can test. Run metrics come from a completed valuation; statement metrics
# from the financial statements the client enters for a period.
AVAILABILITY = "availability"  # financing − outstanding, in the facility's currency
LTV = "ltv"  # financing ÷ liquidation value of eligible stock, %
PLEDGE_COVER = "pledge_cover"  # mobilisable stock ÷ committed guarantee of a pledge, %
DAYS_OF_STOCK = "days_of_stock"  # day basis ÷ rotation, days
DEBT_TO_TNW = "debt_to_tnw"  # total debt ÷ tangible net worth (a ratio, 3 means 3:1)
TANGIBLE_NET_WORTH = "tangible_net_worth"  # in the statements' currency
FORMULA = "formula"  # a formula over the statement's named inputs

RUN_METRICS = (AVAILABILITY, LTV, PLEDGE_COVER, DAYS_OF_STOCK)
STATEMENT_METRICS = (DEBT_TO_TNW, TANGIBLE_NET_WORTH, FORMULA)
# The direction each metric implies (a formula's is chosen with the covenant).
IMPLIED_DIRECTION = {
    AVAILABILITY: MIN,
    LTV: MAX,
    PLEDGE_COVER: MIN,
    DAYS_OF_STOCK: MAX,
    DEBT_TO_TNW: MAX,
    TANGIBLE_NET_WORTH: MIN,
}
# The statement lines the fixed statement metrics read.
TOTAL_DEBT, TNW = "total_debt", "tangible_net_worth"

HUNDRED = Decimal(100)


class State(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    WAIVED = "waived"
    NOT_TESTABLE = "not_testable"


# From best to worst: what "never worsens" means in the properties.
SEVERITY = {State.MET: 0, State.AT_RISK: 1, State.BREACHED: 2}


def raw_state(value: Decimal | None, *, threshold: Decimal, direction: str, headroom_pct: Decimal) -> State:
    """Met, at risk or breached before any waiver (see the module's docstring); exact."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    if value is None:
        return State.NOT_TESTABLE
    margin = abs(threshold) * max(headroom_pct, Decimal(0)) / HUNDRED
    if direction == MIN:
        if value < threshold:
            return State.BREACHED
        return State.AT_RISK if value < threshold + margin else State.MET
    if value > threshold:
        return State.BREACHED
    return State.AT_RISK if value > threshold - margin else State.MET


def waiver_in_force(expires_on: date | None, today: date) -> bool:
    """A waiver waives up to and including its expiry date."""
    return expires_on is not None and today <= expires_on


def decide(
    value: Decimal | None,
    *,
    threshold: Decimal,
    direction: str,
    headroom_pct: Decimal,
    waiver_expires_on: date | None = None,
    today: date,
) -> State:
    """The state of one test on ``today``: ``raw_state``, then a waiver in force turns a breached
    or at-risk test to ``waived``."""
    state = raw_state(value, threshold=threshold, direction=direction, headroom_pct=headroom_pct)
    if state in (State.BREACHED, State.AT_RISK) and waiver_in_force(waiver_expires_on, today):
        return State.WAIVED
    return state


# ------------------------------------------------------------------------------ run figures


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def run_metric(metric: str, result: dict[str, Any] | None, *, availability: Decimal | None) -> Decimal | None:
    """A run metric from the run's stored result (``result_to_dict``) and its key figure
    ``availability``: availability as stored; LTV % and days of stock as the engine gave them;
    pledge cover = mobilisable stock ÷ committed guarantee × 100, exact (the dashboard's
    "pledge cover", unrounded; None for a facility that is not a pledge or has no committed
    guarantee: there is no cover to test)."""
    result = result or {}
    financing = result.get("financing") or {}
    if metric == AVAILABILITY:
        return availability
    if metric == LTV:
        return _dec((financing.get("ltv") or {}).get("ltv_pct"))
    if metric == DAYS_OF_STOCK:
        return _dec((result.get("working_capital") or {}).get("days_of_stock"))
    if metric == PLEDGE_COVER:
        pledge = financing.get("pledge") or {}
        mobilisable = _dec(pledge.get("mobilisable"))
        committed = _dec(pledge.get("committed_guarantee"))
        if mobilisable is None or committed is None or committed <= 0:
            return None
        return mobilisable * HUNDRED / committed
    raise ValueError(f"not a run metric: {metric!r}")


# --------------------------------------------------------------------------------- formulas


class FormulaError(ValueError):
    """The formula is not one this evaluator accepts (the message says why)."""


_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
MAX_FORMULA_LENGTH = 500


def parse_formula(text: str) -> ast.expr:
    """The formula's syntax tree, allowing only numbers, names, + − × ÷, unary ± and parentheses.
    Anything else (calls, attributes, powers, comparisons, strings…) is refused: the formula is
    never handed to ``eval``."""
    if not text or not text.strip():
        raise FormulaError("The formula is empty.")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"The formula is longer than {MAX_FORMULA_LENGTH} characters.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"The formula cannot be read: {error.msg}.") from None
    for node in ast.walk(tree.body):
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _OPERATORS):
                raise FormulaError("Only + - * / and parentheses are allowed.")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.UAdd | ast.USub):
                raise FormulaError("Only + - * / and parentheses are allowed.")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaError("Only numbers and input names are allowed.")
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise FormulaError(f"The name {node.id!r} is not allowed.")
        elif not isinstance(node, ast.operator | ast.unaryop | ast.expr_context):
            raise FormulaError("Only numbers, input names, + - * / and parentheses are allowed.")
    return tree.body


def formula_names(text: str) -> list[str]:
    """The input names the formula reads, sorted (after checking it with ``parse_formula``)."""
    return sorted({node.id for node in ast.walk(parse_formula(text)) if isinstance(node, ast.Name)})


@dataclass(frozen=True)
class FormulaValue:
    """A formula's value (None: not testable) and why it could not be computed."""

    value: Decimal | None
    missing: tuple[str, ...] = ()
    division_by_zero: bool = False


def _number(node: ast.Constant, source: str) -> Decimal:
    # The literal as written in the formula, never through a binary float: "0.1" is 0.1 exactly.
    segment = ast.get_source_segment(source, node)
    return Decimal(segment) if segment else Decimal(repr(node.value))


def evaluate_formula(text: str, inputs: dict[str, Decimal]) -> FormulaValue:
    """The formula over ``inputs`` in exact Decimal arithmetic (28 significant digits for a
    quotient). A missing input or a division by zero leaves it not testable (value None)."""
    source = text.strip()
    tree = parse_formula(text)
    missing = tuple(name for name in formula_names(text) if name not in inputs)
    if missing:
        return FormulaValue(None, missing=missing)

    def walk(node: ast.expr) -> Decimal:
        if isinstance(node, ast.Constant):
            return _number(node, source)
        if isinstance(node, ast.Name):
            return inputs[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if right == 0:
                raise DivisionByZero
            return left / right
        raise FormulaError("unexpected node")  # parse_formula let nothing else through

    with localcontext() as context:
        context.prec = 28
        try:
            value = walk(tree)
        except (DivisionByZero, InvalidOperation):
            return FormulaValue(None, division_by_zero=True)
        except ArithmeticError:  # an overflow: no figure to test
            return FormulaValue(None)
    # A literal too large for a float (1e400 reads as infinity) gives no figure either.
    return FormulaValue(value if value.is_finite() else None)


def statement_metric(metric: str, inputs: dict[str, Decimal], formula: str = "") -> FormulaValue:
    """A statement metric from the statement's named amounts: debt ÷ tangible net worth (not
    testable when the tangible net worth is zero or negative: the ratio means nothing then — a
    negative net worth is caught by a minimum tangible net worth covenant), the tangible net worth,
    or the covenant's formula."""
    if metric == TANGIBLE_NET_WORTH:
        return evaluate_formula(TNW, inputs)
    if metric == DEBT_TO_TNW:
        if TNW in inputs and inputs[TNW] <= 0:
            return FormulaValue(None, division_by_zero=True)
        return evaluate_formula(f"{TOTAL_DEBT} / {TNW}", inputs)
    if metric == FORMULA:
        return evaluate_formula(formula, inputs)
    raise ValueError(f"not a statement metric: {metric!r}")
