"""Template filters of the mapping page: canonical fields and preview cells in the page's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from borrowers.common.labels import category_label
from valuation.pipeline import canonical

register = template.Library()


@register.filter
def field_name(name: str) -> str:
    return canonical.label(name)


@register.filter
def category_name(code: str) -> str:
    return category_label(code) if code else "—"


@register.filter
def cell(line: dict[str, Any], column: str) -> str:
    """A preview line's value as read: dates in the page's format, flags as yes/no."""
    value = line.get(column)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if column == "category":
        return category_label(str(value))
    return str(value)
