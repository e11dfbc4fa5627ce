"""What an advisor does with a facility's alerts (acknowledge, resolve, each with a note) and
with the thresholds that raise them; the pages' selectors. Raising and resolving after a valuation
is the pipeline's (``valuation.pipeline.alerting``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common import audit
from borrowers.common.errors import DomainError
from borrowers.models import Firm, User
from facilities.models import Facility
from valuation.engine import alerting as rules
from valuation.models import Alert, AlertEvent, AlertState, AlertThresholds
from valuation.pipeline.alerting import THRESHOLD_FIELDS, record_event

NOTE_MAX = 2000


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say why in a note."), field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(_("A note holds at most %(n)s characters.") % {"n": NOTE_MAX}, field="note")
    return note


@transaction.atomic
def acknowledge_alert(*, alert: Alert, by: User, note: str) -> Alert:
    """An open alert seen and taken in hand: it stays listed (and unresolved) until the condition
    goes away or an advisor resolves it."""
    note = _clean_note(note)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.state != AlertState.OPEN:
        raise DomainError(_("Only an open alert can be acknowledged."), field="note")
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.acknowledged_note = note
    alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "acknowledged_note"])
    record_event(alert, by=by, from_state=AlertState.OPEN, note=note, action="acknowledge-alert")
    return alert


@transaction.atomic
def resolve_alert(*, alert: Alert, by: User, note: str) -> Alert:
    """An open or acknowledged alert closed by an advisor. If the condition still holds, the next
    valuation opens a new alert."""
    note = _clean_note(note)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.state == AlertState.RESOLVED:
        raise DomainError(_("This alert is already resolved."), field="note")
    before = alert.state
    alert.state = AlertState.RESOLVED
    alert.resolved_at = timezone.now()
    alert.resolved_by = by
    alert.resolved_note = note
    alert.save(update_fields=["state", "resolved_at", "resolved_by", "resolved_note"])
    record_event(alert, by=by, from_state=before, note=note, action="resolve-alert")
    return alert


def firm_thresholds(firm: Firm) -> AlertThresholds:
    """The firm's thresholds row (unsaved with the defaults when the firm never set them)."""
    return AlertThresholds.objects.filter(firm=firm, facility__isnull=True).first() or AlertThresholds(firm=firm)


def facility_override(facility: Facility) -> AlertThresholds | None:
    return AlertThresholds.objects.filter(firm_id=facility.client.firm_id, facility=facility).first()


@transaction.atomic
def save_thresholds(*, thresholds: AlertThresholds, by: User) -> AlertThresholds:
    """Store a firm's thresholds or a facility's override (validated by the form); audited."""
    before = None
    if thresholds.pk:
        stored = AlertThresholds.objects.get(pk=thresholds.pk)
        before = {name: str(getattr(stored, name)) for name in THRESHOLD_FIELDS}
    thresholds.save()
    audit.record(
        actor=by,
        action="save-alert-thresholds",
        instance=thresholds.facility or thresholds.firm,
        before=before,
        after={name: str(getattr(thresholds, name)) for name in THRESHOLD_FIELDS},
    )
    return thresholds


@transaction.atomic
def remove_override(*, facility: Facility, by: User) -> None:
    """The facility follows its firm's thresholds again."""
    override = facility_override(facility)
    if override is None:
        return
    before = {name: str(getattr(override, name)) for name in THRESHOLD_FIELDS}
    override.delete()
    audit.record(actor=by, action="remove-alert-thresholds", instance=facility, before=before)


def facility_alerts(facility: Facility) -> QuerySet[Alert]:
    """Every alert of the facility with its history (two queries), most recent first."""
    return (
        Alert.objects.filter(facility=facility)
        .select_related("acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("events", queryset=AlertEvent.objects.select_related("by")))
    )


def unresolved(facility: Facility) -> list[Alert]:
    return list(Alert.objects.filter(facility=facility).exclude(state=AlertState.RESOLVED))


def defaults() -> rules.Thresholds:
    return rules.Thresholds()
