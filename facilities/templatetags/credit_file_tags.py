"""The credit file's pieces on other pages: a facility's document expiries on its reporting
calendar, and the documents of a followed facility on the bank's page. Each reads the documents
the viewer may see (borrowers.common.access) in one query."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from borrowers.common import access
from facilities import credit_file
from facilities.models import Facility

register = template.Library()


def _visible(context: dict[str, Any], facility: Facility) -> Any:
    return access.scope(credit_file.facility_documents(facility), context["request"].user)


@register.inclusion_tag("facilities/_credit_file_expiries.html", takes_context=True)
def credit_file_expiries(context: dict[str, Any], facility: Facility) -> dict[str, Any]:
    """The calendar's dated items: the day each current document of the facility lapses."""
    today = timezone.localdate()
    return {
        "facility": facility,
        "items": credit_file.expiry_items(_visible(context, facility), today),
        "warning_days": credit_file.warning_days(),
        "request": context["request"],
    }


@register.inclusion_tag("facilities/_credit_file_bank.html", takes_context=True)
def bank_credit_file(context: dict[str, Any], facility: Facility) -> dict[str, Any]:
    """A followed facility's documents for its bank: dates and status (valid, expiring, lapsed)."""
    today = timezone.localdate()
    return {
        "facility": facility,
        "rows": credit_file.document_rows(_visible(context, facility), today),
        "warning_days": credit_file.warning_days(),
    }
