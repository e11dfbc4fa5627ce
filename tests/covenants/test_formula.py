"""The safe formula over named inputs: only numbers, names, + - * / and parentheses, in exact
Decimal arithmetic; division by zero and missing inputs leave the test not testable."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from valuation.engine import covenants as c

INPUTS = {
    "total_debt": D("6000000.00"),
    "tangible_net_worth": D("1500000.00"),
    "cash": D("500000"),
    "ebitda": D("1100000"),
}


def test_debt_to_tangible_net_worth():
    """6,000,000 ÷ 1,500,000 = 4 (4:1)."""
    assert c.statement_metric(c.DEBT_TO_TNW, INPUTS).value == D("4")
    assert c.statement_metric(c.TANGIBLE_NET_WORTH, INPUTS).value == D("1500000.00")


def test_a_formula_with_parentheses_and_precedence():
    """(6,000,000 − 500,000) ÷ 1,100,000 = 5; 1 + 2 × 3 = 7; −(2 − 5) = 3; 0.1 + 0.2 = 0.3 exactly."""
    assert c.evaluate_formula("(total_debt - cash) / ebitda", INPUTS).value == D("5")
    assert c.evaluate_formula("1 + 2 * 3", {}).value == D("7")
    assert c.evaluate_formula("-(2 - 5)", {}).value == D("3")
    assert c.evaluate_formula("0.1 + 0.2", {}).value == D("0.3")


def test_division_by_zero_is_not_testable():
    out = c.evaluate_formula("total_debt / (cash - 500000)", INPUTS)
    assert out.value is None and out.division_by_zero
    zero_tnw = {**INPUTS, "tangible_net_worth": D("0")}
    assert c.statement_metric(c.DEBT_TO_TNW, zero_tnw).value is None
    negative_tnw = {**INPUTS, "tangible_net_worth": D("-1")}
    assert c.statement_metric(c.DEBT_TO_TNW, negative_tnw).value is None


def test_a_missing_input_is_named():
    out = c.evaluate_formula("total_debt / interest", INPUTS)
    assert out.value is None and out.missing == ("interest",)
    assert c.formula_names("(b + a) / a") == ["a", "b"]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "total_debt ** 2",
        "total_debt // 2",
        "total_debt % 2",
        "abs(total_debt)",
        "total_debt.real",
        "'a' + 'b'",
        "total_debt > 1",
        "[1][0]",
        "True + 1",
        "lambda: 1",
        "_secret",
        "",
        "1 +",
        "x" * 501,
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(c.FormulaError):
        c.evaluate_formula(text, {"total_debt": D(1), "x": D(1)})
