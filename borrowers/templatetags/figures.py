"""Template filters for figures and dates, in the active language (borrowers/common/formatting.py):

    {% load figures %}
    {{ amount|money:currency }}   1 234 567,89 € · €1,234,567.89 · ¥1,234,567.89 (half-up, minor unit)
    {{ rate|pct }}                62,5 % · 62.5%   (a rate in percent: 150 means 150 %; pct:1 for 1 place)
    {{ qty|num }} {{ qty|num:0 }} 1 234,50 · 1,234.50 (exactly that many decimals, half-up)
    {{ date|day }}                31/12/2026 · 31 Dec 2026 · 2026年12月31日
    {{ moment|day_time }}         31/12/2026 14:05 · 31 Dec 2026, 14:05 · 2026年12月31日 14:05

Each answers "—" for a missing or non-numeric value rather than failing the page.
"""

from django import template
from django.utils import translation

from borrowers.common import formatting

register = template.Library()


def _places(value: object, default: int) -> int:
    try:
        return max(0, min(int(value), 10))
    except (TypeError, ValueError):
        return default


@register.filter
def money(value: object, currency: str = "EUR") -> str:
    return formatting.money(value, currency or "EUR", translation.get_language())


@register.filter
def pct(value: object, places: object = 2) -> str:
    return formatting.percent(value, translation.get_language(), _places(places, 2))


@register.filter
def num(value: object, places: object = 2) -> str:
    return formatting.number(value, translation.get_language(), _places(places, 2))


@register.filter
def day(value: object) -> str:
    return formatting.day(value, translation.get_language())


@register.filter
def day_time(value: object) -> str:
    return formatting.day_time(value, translation.get_language())


@register.filter
def rate(value: object) -> str:
    """An exchange rate as quoted (1,0842 · 1.0842), its decimals kept: borrowers/formatting.rate."""
    return formatting.rate(value, translation.get_language())
