"""The reporting calendar's services and selectors (facilities/calendar_services.py). Dates are
worked out by hand: a monthly stock file from January 2026, due 20 days after the month end with
5 days of grace, looked at on 10 April 2026."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from borrowers.models import AuditEvent
from facilities import calendar_services as cs
from facilities.models import Deliverable, DeliverablePeriod, Facility, Structure

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 10)
D = dt.date


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 12, 0))


@pytest.fixture
def stock_file(world) -> Deliverable:
    deliverable = Deliverable(
        facility=world.facility_x,
        kind="stock_file",
        frequency="monthly",
        due_days=20,
        grace_days=5,
        start=D(2026, 1, 1),
    )
    return cs.save_deliverable(by=world.advisor_a, deliverable=deliverable, today=TODAY)


def stored(deliverable: Deliverable) -> list[tuple[dt.date, dt.date]]:
    return list(deliverable.periods.order_by("period_end").values_list("period_end", "due_date"))


# ------------------------------------------------------------------------------ sync


def test_sync_stores_the_periods_up_to_today_and_the_next_three(world, stock_file):
    assert stored(stock_file) == [
        (D(2026, 1, 31), D(2026, 2, 20)),
        (D(2026, 2, 28), D(2026, 3, 20)),
        (D(2026, 3, 31), D(2026, 4, 20)),
        (D(2026, 4, 30), D(2026, 5, 20)),
        (D(2026, 5, 31), D(2026, 6, 20)),
        (D(2026, 6, 30), D(2026, 7, 20)),
    ]


def test_sync_is_idempotent(world, stock_file):
    assert cs.sync_periods(world.facility_x, TODAY) == 0
    assert cs.sync_periods(world.facility_x, TODAY) == 0
    assert DeliverablePeriod.objects.count() == 6
    # A month later, one more period is stored.
    assert cs.sync_periods(world.facility_x, D(2026, 5, 10)) == 1
    assert DeliverablePeriod.objects.count() == 7


def test_a_changed_schedule_moves_due_dates_and_drops_open_periods_but_keeps_received_ones(world, stock_file):
    cs.mark_received(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 1, 31), at=at(D(2026, 2, 18)))
    stock_file.frequency = "quarterly"
    stock_file.due_days = 30
    cs.save_deliverable(by=world.advisor_a, deliverable=stock_file, today=TODAY)
    # The received January period stays as it was received (no longer on the schedule, its due
    # date is history); the quarterly ends are March and the next three, due 30 days after
    # (31 March + 30 = 30 April); February's open period is gone.
    assert stored(stock_file) == [
        (D(2026, 1, 31), D(2026, 2, 20)),
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 6, 30), D(2026, 7, 30)),
        (D(2026, 9, 30), D(2026, 10, 30)),
        (D(2026, 12, 31), D(2027, 1, 30)),
    ]


def test_saving_a_deliverable_is_audited(world, stock_file):
    stock_file.grace_days = 10
    cs.save_deliverable(by=world.advisor_a, deliverable=stock_file, today=TODAY)
    events = AuditEvent.objects.filter(object_type="facilities.Deliverable", object_id=str(stock_file.pk))
    assert list(events.order_by("pk").values_list("action", flat=True)) == ["create", "update"]
    update = events.get(action="update")
    assert (update.before["grace_days"], update.after["grace_days"]) == (5, 10)
    assert update.client == world.client_x


def test_deleting_a_deliverable_is_audited_and_removes_its_periods(world, stock_file):
    pk = stock_file.pk
    cs.delete_deliverable(by=world.advisor_a, deliverable=stock_file)
    assert not DeliverablePeriod.objects.exists()
    assert AuditEvent.objects.get(object_type="facilities.Deliverable", object_id=str(pk), action="delete")


# ------------------------------------------------------------------------------ waive, receive


def test_waiving_a_period_is_audited_with_its_reason(world, stock_file):
    period = cs.waive_period(
        by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 28), reason="  Plant closed for a fire "
    )
    assert period.waiver_reason == "Plant closed for a fire"
    assert period.waived_by == world.advisor_a
    event = AuditEvent.objects.get(action="waive-deliverable")
    assert event.actor == world.advisor_a
    assert event.before["waived_at"] is None
    assert event.after["waiver_reason"] == "Plant closed for a fire"


def test_a_waiver_needs_a_reason_and_a_real_period_end(world, stock_file):
    with pytest.raises(ValidationError):
        cs.waive_period(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 28), reason="   ")
    with pytest.raises(ValidationError):  # not a month end
        cs.waive_period(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 27), reason="x")
    with pytest.raises(ValidationError):  # before the first period
        cs.waive_period(by=world.advisor_a, deliverable=stock_file, period_end=D(2025, 12, 31), reason="x")
    assert not AuditEvent.objects.filter(action="waive-deliverable").exists()


def test_a_received_period_cannot_be_waived_or_received_twice(world, stock_file):
    cs.mark_received(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 28))
    with pytest.raises(ValidationError):
        cs.waive_period(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 28), reason="x")
    with pytest.raises(ValidationError):
        cs.mark_received(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 2, 28))
    assert AuditEvent.objects.filter(action="receive-deliverable").count() == 1


# ------------------------------------------------------------------------------ record_received


@pytest.mark.parametrize(
    ("as_of", "closed"),
    [
        (D(2026, 3, 15), D(2026, 3, 31)),
        (D(2026, 3, 31), D(2026, 3, 31)),  # on the period end: the usual case
        (D(2026, 4, 1), D(2026, 4, 30)),
        (D(2026, 1, 1), D(2026, 1, 31)),
    ],
)
def test_record_received_closes_the_period_covering_the_date(world, stock_file, as_of, closed):
    period = cs.record_received(
        facility=world.facility_x,
        kind="stock_file",
        period_covering=as_of,
        source_label="Stock file of March",
        source_url="/uploads/9/",
        at=at(D(2026, 4, 2)),
    )
    assert period.period_end == closed
    assert (period.source_label, period.source_url, period.received_by) == ("Stock file of March", "/uploads/9/", None)
    received = DeliverablePeriod.objects.filter(received_at__isnull=False)
    assert list(received.values_list("period_end", flat=True)) == [closed]
    assert AuditEvent.objects.get(action="receive-deliverable").actor is None


def test_record_received_keeps_the_first_arrival(world, stock_file):
    first = dict(facility=world.facility_x, kind="stock_file", period_covering=D(2026, 3, 31), source_url="")
    cs.record_received(**first, source_label="first", at=at(D(2026, 4, 2)))
    cs.record_received(**first, source_label="second", at=at(D(2026, 4, 5)))
    period = DeliverablePeriod.objects.get(period_end=D(2026, 3, 31))
    assert period.source_label == "first"
    assert timezone.localdate(period.received_at) == D(2026, 4, 2)


def test_record_received_without_a_matching_deliverable_does_nothing(world, stock_file):
    kwargs = dict(source_label="x", source_url="", at=at(TODAY))
    assert cs.record_received(facility=world.facility_x, kind="appraisal", period_covering=TODAY, **kwargs) is None
    assert (
        cs.record_received(facility=world.facility_x, kind="stock_file", period_covering=D(2025, 12, 31), **kwargs)
        is None
    )
    stock_file.active = False
    cs.save_deliverable(by=world.advisor_a, deliverable=stock_file, today=TODAY)
    assert cs.record_received(facility=world.facility_x, kind="stock_file", period_covering=TODAY, **kwargs) is None
    assert not DeliverablePeriod.objects.filter(received_at__isnull=False).exists()


# ------------------------------------------------------------------------------ selectors


def test_late_items_and_next_due(world, stock_file):
    late = cs.late_items(Facility.objects.all(), TODAY)
    # January: due 20 Feb, grace to 25 Feb, late by 44 days on 10 April (3 + 31 + 10);
    # February: due 20 March, grace to 25 March, late by 16 days (6 + 10). March is due 20 April.
    assert [(r.period_end, r.due_date, r.late_by) for r in late] == [
        (D(2026, 1, 31), D(2026, 2, 20), 44),
        (D(2026, 2, 28), D(2026, 3, 20), 16),
    ]
    assert [(r.facility, r.deliverable, r.status) for r in late] == [(world.facility_x, stock_file, "late")] * 2
    upcoming = cs.next_due(Facility.objects.all(), TODAY)
    assert [(r.period_end, r.due_date, r.days_to_due, r.status) for r in upcoming] == [
        (D(2026, 3, 31), D(2026, 4, 20), 10, "due")
    ]


def test_received_and_waived_periods_are_not_late(world, stock_file):
    cs.mark_received(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 1, 31))
    cs.waive_period(by=world.advisor_a, deliverable=stock_file, period_end=D(2026, 3, 31), reason="audit in April")
    assert [r.period_end for r in cs.late_items(Facility.objects.all(), TODAY)] == [D(2026, 2, 28)]
    # March is waived: the next due is April's (due 20 May).
    assert [r.period_end for r in cs.next_due(Facility.objects.all(), TODAY)] == [D(2026, 4, 30)]


def test_a_period_in_its_grace_is_next_due_not_late(world, stock_file):
    # 23 March: February's is past its due date (20 March) but within grace (to 25 March).
    upcoming = cs.next_due(Facility.objects.all(), D(2026, 3, 23))
    assert [(r.period_end, r.days_to_due) for r in upcoming] == [(D(2026, 2, 28), -3)]
    assert [r.period_end for r in cs.late_items(Facility.objects.all(), D(2026, 3, 23))] == [D(2026, 1, 31)]


def test_selectors_read_periods_nobody_stored(world):
    """The selectors compute the schedule: a deliverable created without sync still shows late."""
    Deliverable.objects.create(facility=world.facility_x, kind="field_exam", frequency="yearly", start=D(2025, 1, 1))
    late = cs.late_items(Facility.objects.all(), TODAY)
    # 31 Dec 2025 + 20 days = 20 January 2026; no grace; late by 80 days on 10 April (11 + 28 + 31 + 10).
    assert [(r.period_end, r.late_by) for r in late] == [(D(2025, 12, 31), 80)]


def test_inactive_deliverables_and_other_facilities_are_left_out(world, stock_file):
    other = Facility.objects.create(
        client=world.client_y, lender=world.lender_a, name="BB", structure=Structure.BORROWING_BASE
    )
    Deliverable.objects.create(facility=other, kind="stock_file", start=D(2026, 1, 1), active=False)
    assert {r.facility for r in cs.late_items(Facility.objects.all(), TODAY)} == {world.facility_x}
    assert cs.late_items(Facility.objects.filter(pk=other.pk), TODAY) == []
    assert cs.next_due(Facility.objects.filter(pk=other.pk), TODAY) == []


def test_selectors_take_two_queries_whatever_the_number_of_facilities(world, stock_file, django_assert_num_queries):
    for n in range(3):
        facility = Facility.objects.create(
            client=world.client_y, lender=world.lender_a, name=f"F{n}", structure=Structure.BORROWING_BASE
        )
        Deliverable.objects.create(
            facility=facility, kind="financial_statements", frequency="quarterly", start=D(2025, 1, 1)
        )
        Deliverable.objects.create(facility=facility, kind="stock_file", start=D(2025, 6, 1), due_days=15)
    with django_assert_num_queries(2):
        late = cs.late_items(Facility.objects.all(), TODAY)
        [(r.facility.name, r.facility.client.legal_name) for r in late]
    with django_assert_num_queries(2):
        upcoming = cs.next_due(Facility.objects.all(), TODAY)
        [(r.facility.name, r.facility.client.legal_name) for r in upcoming]
    assert len(upcoming) == 7
    with django_assert_num_queries(2):
        both = cs.late_and_next_due(Facility.objects.all(), TODAY)
    assert both == (late, upcoming)
    with django_assert_num_queries(1):  # no deliverable: nothing more to read
        assert cs.late_and_next_due(Facility.objects.filter(client=world.client_b), TODAY) == ([], [])


def test_facility_calendar_shows_the_last_twelve_and_the_next_three(world):
    deliverable = Deliverable.objects.create(facility=world.facility_x, kind="stock_file", start=D(2024, 1, 1))
    [cal] = cs.facility_calendar(world.facility_x, TODAY)
    assert cal.deliverable == deliverable
    ends = [r.period_end for r in cal.rows]
    # Up to today: April 2025 to March 2026 (twelve), then April, May and June 2026.
    assert ends[0] == D(2025, 4, 30) and ends[11] == D(2026, 3, 31)
    assert ends[12:] == [D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30)]
    assert len(ends) == 15
