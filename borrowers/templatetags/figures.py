"""Template filters for figures: {{ amount|money:currency }}, {{ rate|pct }}, {{ qty|num }}."""

from django import template
from django.utils import translation

from borrowers import formatting

register = template.Library()


@register.filter
def money(value: object, currency: str = "EUR") -> str:
    return formatting.money(value, currency, translation.get_language())


@register.filter
def pct(value: object) -> str:
    return formatting.percent(value, translation.get_language())


@register.filter
def num(value: object, places: int = 2) -> str:
    return formatting.number(value, translation.get_language(), int(places))
