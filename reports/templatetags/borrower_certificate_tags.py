"""The borrower-certificate pieces that pages on lower floors show (the client page, the dossier,
the bank's facility page) without the valuation app importing this one: the tags are found by
name at render time (docs/architecture.md, "When a lower floor needs a higher one")."""

from __future__ import annotations

from typing import Any

from django import template

from borrowers.common import access
from facilities.models import Facility
from reports.models import BorrowerCertificate

register = template.Library()


@register.inclusion_tag("reports/borrower_certificates/_client_links.html", takes_context=True)
def client_certificate_links(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """For the client's own users: where to submit each facility's certificate."""
    user = context["request"].user
    if not user.is_client_user:
        return {"facilities": []}
    return {"facilities": list(access.scope(Facility.objects.filter(client=client), user))}


@register.inclusion_tag("reports/borrower_certificates/_dossier_link.html", takes_context=True)
def dossier_certificates(context: dict[str, Any], facility: Any) -> dict[str, Any]:
    """On the dossier: the latest borrower certificate and its verdict, with the way to all."""
    user = context["request"].user
    latest = access.scope(BorrowerCertificate.objects.filter(facility=facility), user).first()
    return {"facility": facility, "latest": latest, "is_client": user.is_client_user}


@register.inclusion_tag("reports/borrower_certificates/_bank_link.html", takes_context=True)
def bank_certificates_link(context: dict[str, Any], facility: Any) -> dict[str, Any]:
    """On the bank's facility page: how many borrower certificates it may read, and the link."""
    user = context["request"].user
    visible = access.scope(BorrowerCertificate.objects.filter(facility=facility), user)
    return {"facility": facility, "count": visible.count(), "overstated": visible.filter(overstated=True).count()}
