"""The daily sweep of the reporting calendars and who is told when an alert opens
(valuation/pipeline/monitoring.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from borrowers.models import Notification, NotificationKind
from facilities import calendar_services
from facilities.models import Deliverable, DeliverableKind, Frequency
from valuation.engine import alerting as rules
from valuation.models import Alert, AlertState
from valuation.pipeline import alerting, monitoring


def monthly_stock_file(world, *, start=dt.date(2026, 9, 1)) -> Deliverable:
    """Stock file due 20 days after each month end, 5 days' grace."""
    return Deliverable.objects.create(
        facility=world.facility_x,
        kind=DeliverableKind.STOCK_FILE,
        frequency=Frequency.MONTHLY,
        due_days=20,
        grace_days=5,
        start=start,
    )


def told(kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__email", flat=True))


@pytest.mark.django_db
def test_a_late_stock_file_opens_an_alert_and_is_notified_once(world, django_capture_on_commit_callbacks):
    """September's file (period end 30 Sep, due 20 Oct, grace to 25 Oct) not received: late on
    26 Oct. On 24 Oct nothing is late yet."""
    deliverable = monthly_stock_file(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring.sweep_calendars(dt.date(2026, 10, 25))["late"] == 0
    assert not Alert.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        counts = monitoring.sweep_calendars(dt.date(2026, 10, 26))
    assert counts["late"] == 1
    alert = Alert.objects.get(facility=world.facility_x, kind=rules.LATE_DELIVERABLE)
    assert alert.state == AlertState.OPEN and "2026-09-30" in alert.details["summary"]
    late_told = told(NotificationKind.DELIVERABLE_LATE)
    assert {world.advisor_a.email, world.client_user_x.email} <= late_told
    assert world.advisor_b.email not in late_told and world.client_user_y.email not in late_told
    # The alert itself reaches the advisors and the bank that follows the facility, not the other.
    raised = told(NotificationKind.ALERT_RAISED)
    assert {world.advisor_a.email, world.bank_shared.email} <= raised
    assert world.bank_unshared.email not in raised and world.client_user_x.email not in raised

    # The next day: the same alert, nobody told twice.
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.sweep_calendars(dt.date(2026, 10, 27))
    assert Notification.objects.count() == before
    assert Alert.objects.filter(kind=rules.LATE_DELIVERABLE).count() == 1

    # The period waived: nothing late any more, the alert resolves by itself.
    calendar_services.waive_period(
        by=world.advisor_a, deliverable=deliverable, period_end=dt.date(2026, 9, 30), reason="Sent by e-mail"
    )
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.sweep_calendars(dt.date(2026, 10, 27))
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED


@pytest.mark.django_db
def test_a_deliverable_due_within_five_days_reminds_the_client(world, django_capture_on_commit_callbacks):
    """October's file is due 20 Nov: on 15 Nov (5 days before) the client's users are reminded;
    on 14 Nov (6 days) not yet."""
    monthly_stock_file(world, start=dt.date(2026, 10, 1))
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.sweep_calendars(dt.date(2026, 11, 14))
    assert not told(NotificationKind.DELIVERABLE_DUE)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.sweep_calendars(dt.date(2026, 11, 15))
    assert told(NotificationKind.DELIVERABLE_DUE) == {world.client_user_x.email}


@pytest.mark.django_db
def test_an_alert_opened_by_a_valuation_is_notified(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alerting.raise_or_resolve(world.facility_x, rules.LTV_ABOVE_CAP, True, {"summary": "LTV 80 % > 72 %"})
    notification = Notification.objects.get(user=world.advisor_a, kind=NotificationKind.ALERT_RAISED)
    assert world.facility_x.name in notification.title and notification.body == "LTV 80 % > 72 %"
