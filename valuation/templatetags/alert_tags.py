"""{% open_alerts facility %}: the dossier's box of a facility's unresolved alerts."""

from __future__ import annotations

from typing import Any

from django import template

from valuation.workspace.alert_labels import alert_summary
from valuation.workspace.alert_services import unresolved

register = template.Library()


@register.inclusion_tag("valuation/_open_alerts_list.html", takes_context=True)
def open_alerts(context: template.Context, facility: Any) -> dict[str, Any]:
    user = context.get("user")
    alerts = unresolved(facility) if getattr(user, "is_advisor", False) else []
    for alert in alerts:
        alert.summary = alert_summary(alert.kind, alert.details)
    return {"alerts": alerts, "facility": facility, "shown": getattr(user, "is_advisor", False)}
