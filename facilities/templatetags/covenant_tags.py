"""Covenant pieces on other floors' pages: the client page's link to each facility's financial
statements (the client enters them there)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Max

from borrowers.common import access
from facilities.models import Facility

register = template.Library()


@register.inclusion_tag("facilities/_client_statements.html", takes_context=True)
def client_statements(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """The client's facilities (those the user may see) with their latest statement's period end."""
    user = context["request"].user
    facilities = access.scope(Facility.objects.filter(client=client), user).annotate(
        last_statement=Max("financial_statements__period_end")
    )
    return {"facilities": list(facilities)}
