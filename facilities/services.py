"""Workflows on lenders and facilities."""

from __future__ import annotations

from django.db import transaction

from borrowers.common import audit, queueing
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
        revalue_facility(facility)
    return facility


def revalue_facility(facility: Facility) -> None:
    """Once the transaction commits, value the facility's latest accepted stock file under its
    terms as they are now. The valuation floor is above this one, so it is asked by task name
    (``valuation.revalue_stale``), never imported; a run whose inputs did not change is kept."""
    queueing.send_named_on_commit("valuation.revalue_stale", facility_id=facility.pk)
