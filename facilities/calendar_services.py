"""The reporting calendar's workflows and selectors (docs/domain.md, "Reporting calendar").

Workflows (keyword-only, transactional, audited): save and delete a deliverable, waive a period,
mark a period received by hand, and ``record_received`` for what another floor closes (the
valuation floor calls it when a stock file is accepted). ``sync_periods`` materialises a
facility's periods.

Selectors for pages, the dashboard, the bank portfolio and notifications: ``facility_calendar``
(one facility's last and next periods), ``late_items`` and ``next_due`` (any number of
facilities, a fixed number of queries). They compute the schedule from the deliverables and
read only the closed periods, so a period nobody materialised yet still shows as due or late.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import audit
from borrowers.models import User
from facilities import calendar
from facilities.calendar import PeriodStatus, Status
from facilities.models import Deliverable, DeliverablePeriod, Facility

UPCOMING = 3  # the periods materialised and shown after today
PAST = 12  # the periods the calendar page shows up to today
LOOKAHEAD_LIMIT = 60  # next_due gives up after this many closed periods in a row

STATUS_LABELS = {
    Status.RECEIVED: gettext_lazy("Received"),
    Status.WAIVED: gettext_lazy("Waived"),
    Status.LATE: gettext_lazy("Late"),
    Status.DUE: gettext_lazy("Due"),
}
STATUS_BADGES = {
    Status.RECEIVED: "badge-ok",
    Status.WAIVED: "badge-muted",
    Status.LATE: "badge-bad",
    Status.DUE: "badge-info",
}


def _on(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def status_of(deliverable: Deliverable, period_end: dt.date, record: DeliverablePeriod | None, today: dt.date):
    due = calendar.due_date(period_end, deliverable.due_days)
    return due, calendar.period_status(
        due=due,
        grace_days=deliverable.grace_days,
        received_on=_on(record.received_at) if record else None,
        waived=bool(record and record.waived_at),
        today=today,
    )


# ------------------------------------------------------------------------------------ rows


@dataclass(frozen=True)
class PeriodRow:
    """One period of a deliverable as the pages and selectors show it."""

    deliverable: Deliverable
    period_end: dt.date
    due_date: dt.date
    state: PeriodStatus
    record: DeliverablePeriod | None
    today: dt.date

    @property
    def facility(self) -> Facility:
        return self.deliverable.facility

    @property
    def status(self) -> str:
        return str(self.state.status)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.state.status])

    @property
    def badge(self) -> str:
        if self.state.received_late:
            return "badge-warn"
        return STATUS_BADGES[self.state.status]

    @property
    def late_by(self) -> int:
        return self.state.late_by

    @property
    def deadline(self) -> dt.date:
        return self.due_date + dt.timedelta(days=self.deliverable.grace_days)

    @property
    def days_to_due(self) -> int:
        return (self.due_date - self.today).days

    @property
    def is_open(self) -> bool:
        return self.state.status in (Status.DUE, Status.LATE)

    @property
    def is_future(self) -> bool:
        return self.period_end > self.today


def _row(deliverable: Deliverable, end: dt.date, record: DeliverablePeriod | None, today: dt.date) -> PeriodRow:
    due, state = status_of(deliverable, end, record, today)
    return PeriodRow(deliverable, end, due, state, record, today)


def _stored(deliverables: list[Deliverable]) -> dict[int, dict[dt.date, DeliverablePeriod]]:
    """The stored periods of these deliverables (one query), by deliverable and period end."""
    by_deliverable: dict[int, dict[dt.date, DeliverablePeriod]] = defaultdict(dict)
    if not deliverables:
        return by_deliverable
    periods = DeliverablePeriod.objects.filter(deliverable__in=[d.pk for d in deliverables])
    for period in periods.select_related("received_by", "waived_by"):
        by_deliverable[period.deliverable_id][period.period_end] = period
    return by_deliverable


def _closed(deliverables: list[Deliverable]) -> dict[int, set[dt.date]]:
    """The period ends of these deliverables that were received or waived (one query): such a
    period is neither due nor late, whatever the day."""
    by_deliverable: dict[int, set[dt.date]] = defaultdict(set)
    if not deliverables:
        return by_deliverable
    closed = DeliverablePeriod.objects.filter(
        Q(received_at__isnull=False) | Q(waived_at__isnull=False), deliverable__in=[d.pk for d in deliverables]
    )
    for deliverable_id, period_end in closed.values_list("deliverable_id", "period_end"):
        by_deliverable[deliverable_id].add(period_end)
    return by_deliverable


def _active_deliverables(facilities: QuerySet[Facility] | Iterable[Facility]) -> list[Deliverable]:
    """The active deliverables with their facility: read with it from a queryset; a list of
    facilities the caller already holds (a page's own facility) is reused as it is."""
    if isinstance(facilities, QuerySet):
        return list(
            Deliverable.objects.filter(facility__in=facilities.values("pk"), active=True).select_related(
                "facility__client", "facility__lender"
            )
        )
    held = {f.pk: f for f in facilities}
    deliverables = list(Deliverable.objects.filter(facility__in=list(held), active=True))
    for deliverable in deliverables:
        deliverable.facility = held[deliverable.facility_id]
    return deliverables


@dataclass(frozen=True)
class DeliverableCalendar:
    deliverable: Deliverable
    rows: list[PeriodRow]


def facility_calendar(
    facility: Facility, today: dt.date, *, past: int = PAST, upcoming: int = UPCOMING
) -> list[DeliverableCalendar]:
    """Each deliverable of the facility (active or not) with its last `past` periods up to today
    and its next `upcoming` ones (two queries)."""
    deliverables = list(facility.deliverables.all())
    for deliverable in deliverables:
        deliverable.facility = facility
    stored = _stored(deliverables)
    result = []
    for d in deliverables:
        ends = calendar.period_ends(d.frequency, d.start, today)[-past:] if past else []
        ends += calendar.next_period_ends(d.frequency, d.start, today, upcoming)
        rows = [_row(d, end, stored[d.pk].get(end), today) for end in ends]
        result.append(DeliverableCalendar(d, rows))
    return result


def _late(deliverables: list[Deliverable], closed: dict[int, set[dt.date]], today: dt.date) -> list[PeriodRow]:
    late: list[PeriodRow] = []
    for d in deliverables:
        for end in calendar.period_ends(d.frequency, d.start, today):
            if end in closed[d.pk]:
                continue
            row = _row(d, end, None, today)
            if row.state.status == Status.LATE:
                late.append(row)
    late.sort(key=lambda r: (-r.late_by, r.facility.name, r.deliverable.kind, r.period_end))
    return late


def _next(deliverables: list[Deliverable], closed: dict[int, set[dt.date]], today: dt.date) -> list[PeriodRow]:
    upcoming: list[PeriodRow] = []
    for d in deliverables:
        for count, end in enumerate(calendar.iter_period_ends(d.frequency, d.start)):
            if end not in closed[d.pk]:
                row = _row(d, end, None, today)
                if row.state.status == Status.DUE:
                    upcoming.append(row)
                    break
            if end > today and count > LOOKAHEAD_LIMIT:
                break
    upcoming.sort(key=lambda r: (r.due_date, r.facility.name, r.deliverable.kind))
    return upcoming


def late_items(facilities: QuerySet[Facility] | Iterable[Facility], today: dt.date) -> list[PeriodRow]:
    """Every period of the facilities' active deliverables that is late today (not received, not
    waived, after due date + grace), the most days late first. At most two queries, whatever the
    number of facilities. `facilities` is already scoped to the user by the caller."""
    deliverables = _active_deliverables(facilities)
    return _late(deliverables, _closed(deliverables), today)


def next_due(facilities: QuerySet[Facility] | Iterable[Facility], today: dt.date) -> list[PeriodRow]:
    """For each active deliverable of the facilities, its next period that is due and not late yet
    (neither received nor waived, today on or before due date + grace), soonest due date first.
    At most two queries, whatever the number of facilities."""
    deliverables = _active_deliverables(facilities)
    return _next(deliverables, _closed(deliverables), today)


def late_and_next_due(
    facilities: QuerySet[Facility] | Iterable[Facility], today: dt.date
) -> tuple[list[PeriodRow], list[PeriodRow]]:
    """``late_items`` and ``next_due`` together, in the same two queries (one without deliverables)."""
    deliverables = _active_deliverables(facilities)
    closed = _closed(deliverables)
    return _late(deliverables, closed, today), _next(deliverables, closed, today)


# ------------------------------------------------------------------------------- materialising


def _schedule(deliverable: Deliverable, today: dt.date) -> list[dt.date]:
    return [
        *calendar.period_ends(deliverable.frequency, deliverable.start, today),
        *calendar.next_period_ends(deliverable.frequency, deliverable.start, today, UPCOMING),
    ]


@transaction.atomic
def sync_periods(facility: Facility, today: dt.date) -> int:
    """Store every period of the facility's active deliverables up to today and the next three,
    with their due dates; drop open periods a changed schedule no longer has (a received or waived
    one is kept). Idempotent, in bulk; returns how many periods were created."""
    deliverables = list(facility.deliverables.all())
    stored = _stored(deliverables)
    create: list[DeliverablePeriod] = []
    update: list[DeliverablePeriod] = []
    drop: list[int] = []
    for d in deliverables:
        if not d.active:
            continue
        expected = _schedule(d, today)
        have = stored[d.pk]
        for end in expected:
            due = calendar.due_date(end, d.due_days)
            period = have.get(end)
            if period is None:
                create.append(DeliverablePeriod(deliverable=d, period_end=end, due_date=due))
            elif period.due_date != due:
                period.due_date = due
                update.append(period)
        wanted = set(expected)
        drop += [p.pk for end, p in have.items() if end not in wanted and not p.received_at and not p.waived_at]
    if drop:
        DeliverablePeriod.objects.filter(pk__in=drop).delete()
    if update:
        DeliverablePeriod.objects.bulk_update(update, ["due_date"])
    if create:
        DeliverablePeriod.objects.bulk_create(create, ignore_conflicts=True)
    return len(create)


# ------------------------------------------------------------------------------------ workflows


@transaction.atomic
def save_deliverable(*, by: User, deliverable: Deliverable, today: dt.date | None = None) -> Deliverable:
    """Save a deliverable (audited with its before/after) and bring its periods up to date."""
    is_new = deliverable.pk is None
    before = None if is_new else audit.snapshot(Deliverable.objects.get(pk=deliverable.pk))
    deliverable.full_clean()
    deliverable.save()
    after = audit.snapshot(deliverable)
    audit.record(actor=by, action="create" if is_new else "update", instance=deliverable, before=before, after=after)
    sync_periods(deliverable.facility, today or timezone.localdate())
    return deliverable


@transaction.atomic
def delete_deliverable(*, by: User, deliverable: Deliverable) -> None:
    before = audit.snapshot(deliverable)
    audit.record(actor=by, action="delete", instance=deliverable, before=before)
    deliverable.delete()


def _period_for(deliverable: Deliverable, period_end: dt.date) -> DeliverablePeriod:
    """The stored period ending on `period_end` (created when missing, locked); a date that is not
    one of the deliverable's period ends is refused."""
    first = calendar.period_covering(deliverable.frequency, deliverable.start)
    if calendar.period_covering(deliverable.frequency, period_end) != period_end or period_end < first:
        raise ValidationError(_("%(date)s is not a period end of this deliverable.") % {"date": period_end.isoformat()})
    DeliverablePeriod.objects.get_or_create(
        deliverable=deliverable,
        period_end=period_end,
        defaults={"due_date": calendar.due_date(period_end, deliverable.due_days)},
    )
    return (
        DeliverablePeriod.objects.select_for_update()
        .select_related("deliverable__facility__client")
        .get(deliverable=deliverable, period_end=period_end)
    )


def _snapshot(period: DeliverablePeriod) -> dict[str, Any]:
    return audit.snapshot(period)


@transaction.atomic
def waive_period(
    *, by: User, deliverable: Deliverable, period_end: dt.date, reason: str, at: dt.datetime | None = None
) -> DeliverablePeriod:
    """Waive one period with a written reason (audited): it is no longer due or late."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A waiver needs a reason.")})
    period = _period_for(deliverable, period_end)
    if period.received_at:
        raise ValidationError(_("This period was received: there is nothing to waive."))
    before = _snapshot(period)
    period.waived_at = at or timezone.now()
    period.waived_by = by
    period.waiver_reason = reason[:500]
    period.save()
    audit.record(actor=by, action="waive-deliverable", instance=period, before=before, after=_snapshot(period))
    return period


@transaction.atomic
def mark_received(
    *, by: User, deliverable: Deliverable, period_end: dt.date, at: dt.datetime | None = None, note: str = ""
) -> DeliverablePeriod:
    """An advisor records by hand that a period's deliverable arrived (audited)."""
    period = _period_for(deliverable, period_end)
    if period.received_at:
        raise ValidationError(_("This period is already received."))
    before = _snapshot(period)
    period.received_at = at or timezone.now()
    period.received_by = by
    period.source_label = (note or "").strip()[:300] or _("Recorded by %(name)s") % {
        "name": by.get_full_name() or by.email
    }
    period.save()
    audit.record(actor=by, action="receive-deliverable", instance=period, before=before, after=_snapshot(period))
    return period


@transaction.atomic
def record_received(
    *,
    facility: Facility,
    kind: str,
    period_covering: dt.date,
    source_label: str,
    source_url: str,
    at: dt.datetime,
) -> DeliverablePeriod | None:
    """Close the period of the facility's active `kind` deliverable that covers the date
    `period_covering` (the period (previous end, end] it falls in), by what another floor names
    (a stock file: its label and URL). The first arrival stays: a period already received is
    left as it was. Nothing happens (None) when the facility has no such active deliverable or
    the date is before its first period. Audited, without an actor."""
    deliverable = Deliverable.objects.filter(facility=facility, kind=kind, active=True).first()
    if deliverable is None:
        return None
    end = calendar.period_covering(deliverable.frequency, period_covering)
    if end < calendar.period_covering(deliverable.frequency, deliverable.start):
        return None
    period = _period_for(deliverable, end)
    if period.received_at:
        return period
    before = _snapshot(period)
    period.received_at = at
    period.source_label = source_label[:300]
    period.source_url = source_url[:500]
    period.save()
    audit.record(actor=None, action="receive-deliverable", instance=period, before=before, after=_snapshot(period))
    return period
