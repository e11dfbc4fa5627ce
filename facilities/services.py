"""Workflows on lenders and facilities."""

from __future__ import annotations

from django.db import transaction

from borrowers import audit
from borrowers.models import User
from facilities.models import Facility


@transaction.atomic
def save_facility(*, by: User, facility: Facility) -> Facility:
    """Save a facility's terms with their before/after in the audit trail, then recompute its
    latest valuation with the new terms (once the transaction commits)."""
    is_new = facility.pk is None
    before = None if is_new else audit.snapshot(Facility.objects.get(pk=facility.pk))
    facility.full_clean()
    facility.save()
    after = audit.snapshot(facility)
    audit.record(actor=by, action="create" if is_new else "update-terms", instance=facility, before=before, after=after)
    if not is_new and before != after:
        from valuation import services as valuation_services

        valuation_services.recompute_latest(facility=facility, by=by)
    return facility
