"""Report pieces that pages on lower floors show: the client page lists the client's latest
reports without the valuation app importing this one (the tag is found by name at render time)."""

from __future__ import annotations

from typing import Any

from django import template

from borrowers.common import access
from reports.models import ReportVersion

register = template.Library()


@register.inclusion_tag("reports/_client_reports.html", takes_context=True)
def client_reports(context: dict[str, Any], client: Any, limit: int = 10) -> dict[str, Any]:
    """The latest reports on the client's facilities that the reader may see."""
    user = context["request"].user
    reports = access.scope(ReportVersion.objects.filter(facility__client=client).select_related("facility"), user)
    return {"reports": list(reports[:limit])}
