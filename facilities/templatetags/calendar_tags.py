"""The reporting calendar's pieces on other floors' pages: the dossier's summary, the client
page's "what is due next" and the advisor dashboard's late deliverables. Each asks the selectors
of facilities/calendar_services.py (a fixed number of queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from borrowers.common import access
from facilities import calendar_services
from facilities.models import Facility

register = template.Library()


@register.inclusion_tag("facilities/_calendar_summary.html")
def calendar_summary(facility: Facility) -> dict[str, Any]:
    """A facility's next due and late deliverables, with a link to its calendar."""
    late, upcoming = calendar_services.late_and_next_due([facility], timezone.localdate())
    return {"facility": facility, "late": late, "next_due": upcoming}


@register.inclusion_tag("facilities/_client_next_due.html", takes_context=True)
def client_next_due(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """What the client's facilities (those the user may see) owe next, and what is late."""
    facilities = access.scope(Facility.objects.filter(client=client), context["request"].user)
    late, upcoming = calendar_services.late_and_next_due(facilities, timezone.localdate())
    return {"late": late, "next_due": upcoming}


@register.inclusion_tag("facilities/_late_deliverables.html", takes_context=True)
def late_deliverables(context: dict[str, Any]) -> dict[str, Any]:
    """The advisor dashboard's panel: every late deliverable of the firm's facilities."""
    user = context["request"].user
    facilities = access.scope(Facility.objects.all(), user)
    return {"late": calendar_services.late_items(facilities, timezone.localdate())}
