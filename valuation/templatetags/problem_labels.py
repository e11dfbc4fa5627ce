"""Template filters showing validation problems and rule notes in the page's language."""

from __future__ import annotations

from typing import Any

from django import template

from valuation.workspace import problem_labels

register = template.Library()


@register.filter
def problem_text(problem: dict[str, Any]) -> str:
    return problem_labels.problem_text(problem)


@register.filter
def problem_expected(problem: dict[str, Any]) -> str:
    return problem_labels.expected_text(problem.get("kind"), problem.get("expected"))


@register.filter
def severity_label(severity: str | None) -> str:
    return problem_labels.severity_label(severity)


@register.filter
def kind_label(kind: str | None) -> str:
    return problem_labels.kind_label(kind)


@register.filter
def report_summary(report: dict[str, Any] | None) -> str:
    return problem_labels.summary_text(report)


@register.filter
def rule_note(note: str | None, currency: str = "EUR") -> str:
    return problem_labels.rule_note_text(note, currency=currency)


@register.filter
def problem_value(problem: dict[str, Any]) -> str:
    return problem_labels.value_text(problem)
