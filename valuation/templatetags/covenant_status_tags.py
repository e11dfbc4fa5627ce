"""The advisor dashboard's covenant panel: how many covenants are breached and at risk, and on
which facilities (one query for the tests, one for the facilities)."""

from __future__ import annotations

from typing import Any

from django import template

from borrowers.common import access
from facilities.models import Facility
from valuation.pipeline import covenants

register = template.Library()


@register.inclusion_tag("valuation/_covenant_watch.html", takes_context=True)
def covenant_watch(context: dict[str, Any]) -> dict[str, Any]:
    facilities = access.scope(Facility.objects.all(), context["request"].user)
    per_facility = covenants.counts_per_facility(facilities)
    rows = [
        {"facility": facility, **per_facility[facility.pk]}
        for facility in Facility.objects.filter(pk__in=per_facility)
        .select_related("client")
        .order_by("client__legal_name", "name")
    ]
    return {
        "rows": rows,
        "breached": sum(r["breached"] for r in rows),
        "at_risk": sum(r["at_risk"] for r in rows),
    }
