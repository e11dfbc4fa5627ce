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


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300)
@given(st.text(alphabet="ab_ 0123456789.+-*/()%<>=,'\"[]{}:;!~^&|@eE", max_size=40))
def test_any_text_gives_a_value_not_testable_or_a_formula_error(text):
    """Whatever is typed, the evaluator answers a Decimal, None or a FormulaError: never another
    exception, never code run."""
    try:
        out = c.evaluate_formula(text, {"a": D("2"), "b": D("0"), "e": D("1")})
    except c.FormulaError:
        return
    assert out.value is None or isinstance(out.value, D)


def test_large_literals_stay_exact():
    """1e400 (infinite as a float) is read as the decimal 10^400; 10^20 × 10^20 = 10^40."""
    assert c.evaluate_formula("1e400 * 2", {}).value == D("2e400")
    assert c.evaluate_formula("100000000000000000000 * 100000000000000000000", {}).value == D(10) ** 40


def test_a_number_is_read_as_written():
    """1.00000000000000000001 would be 1.0 as a float; read as written it is exact."""
    assert c.evaluate_formula("1.00000000000000000001 - 1", {}).value == D("0.00000000000000000001")
    assert c.evaluate_formula("1_000 / 8", {}).value == D("125")
