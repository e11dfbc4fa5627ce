"""The reporting calendar's dates, as pure functions (no Django): period ends, due dates and the
status of a period. The models and services (facilities/calendar_services.py) store and close
periods; what is computed here is the same for a page, the dashboard and a task.

The rules (docs/domain.md, "Reporting calendar"):

- periods are calendar-aligned: a monthly period ends on the last day of each month, a quarterly
  one on 31 March, 30 June, 30 September and 31 December, a half-yearly one on 30 June and
  31 December, a yearly one on 31 December. The first period is the one that contains the
  deliverable's start date; a period covers the days after the previous period end up to and
  including its own end;
- the due date is the period end plus the deliverable's due days (calendar days);
- the grace period follows the due date: a period is late only from the day after
  due date + grace days, and late by the number of days since that last day of grace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY = "monthly", "quarterly", "half_yearly", "yearly"
MONTHS_PER_PERIOD: dict[str, int] = {MONTHLY: 1, QUARTERLY: 3, HALF_YEARLY: 6, YEARLY: 12}


class Status(StrEnum):
    RECEIVED = "received"
    WAIVED = "waived"
    LATE = "late"
    DUE = "due"


def month_end(year: int, month: int) -> date:
    """The last day of a month (28, 29, 30 or 31)."""
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def _months(frequency: str) -> int:
    try:
        return MONTHS_PER_PERIOD[frequency]
    except KeyError:
        raise ValueError(f"Unknown frequency {frequency!r}.") from None


def period_covering(frequency: str, day: date) -> date:
    """The end of the period that contains `day` (the first aligned period end on or after it)."""
    step = _months(frequency)
    month = -(-day.month // step) * step  # the next month that closes a period (ceiling)
    return month_end(day.year, month)


def _following(frequency: str, end: date) -> date:
    """The period end after `end` (itself a period end)."""
    step = _months(frequency)
    index = end.year * 12 + (end.month - 1) + step
    return month_end(index // 12, index % 12 + 1)


def iter_period_ends(frequency: str, start: date) -> Iterator[date]:
    """Every period end from the one covering `start`, in order, without end."""
    end = period_covering(frequency, start)
    while True:
        yield end
        end = _following(frequency, end)


def period_ends(frequency: str, start: date, until: date) -> list[date]:
    """The period ends from the period covering `start` up to `until` (inclusive)."""
    ends: list[date] = []
    for end in iter_period_ends(frequency, start):
        if end > until:
            return ends
        ends.append(end)
    return ends  # pragma: no cover - the iterator never ends


def next_period_ends(frequency: str, start: date, after: date, count: int) -> list[date]:
    """The first `count` period ends strictly after `after` (and not before the one covering
    `start`)."""
    ends: list[date] = []
    if count <= 0:
        return ends
    for end in iter_period_ends(frequency, max(start, after + timedelta(days=1))):
        ends.append(end)
        if len(ends) == count:
            return ends
    return ends  # pragma: no cover


def previous_period_end(frequency: str, end: date) -> date:
    """The period end before `end` (itself a period end): the period covers (previous, end]."""
    step = _months(frequency)
    index = end.year * 12 + (end.month - 1) - step
    return month_end(index // 12, index % 12 + 1)


def due_date(period_end: date, due_days: int) -> date:
    return period_end + timedelta(days=due_days)


def deadline(period_end: date, due_days: int, grace_days: int) -> date:
    """The last day before a period is late: its due date plus the grace days."""
    return period_end + timedelta(days=due_days + grace_days)


@dataclass(frozen=True, slots=True)
class PeriodStatus:
    """A period's status; `late_by` is the days after the last day of grace — for a late period
    as of today, for a received one on the day it was received (0 when on time)."""

    status: Status
    late_by: int = 0

    @property
    def received_late(self) -> bool:
        return self.status == Status.RECEIVED and self.late_by > 0


def period_status(*, due: date, grace_days: int, received_on: date | None, waived: bool, today: date) -> PeriodStatus:
    """Received (flagged late when received after due + grace), waived, late (today is after
    due + grace and the period is neither received nor waived), or due (not late yet)."""
    last_day = due + timedelta(days=grace_days)
    if received_on is not None:
        return PeriodStatus(Status.RECEIVED, max(0, (received_on - last_day).days))
    if waived:
        return PeriodStatus(Status.WAIVED)
    if today > last_day:
        return PeriodStatus(Status.LATE, (today - last_day).days)
    return PeriodStatus(Status.DUE)
