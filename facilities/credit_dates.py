"""The credit file's dates, as pure functions (no Django): when a document stops holding and its
status on a given day. The models and services (facilities/credit_file.py) store the documents;
what is computed here is the same for a page, the bank's view, the API and the daily sweep.

The rules (docs/domain.md, "The credit file"):

- a document's *lapse date* is the first day it no longer holds. For a document with an expiry
  date (an insurance certificate valid until 31 December), that is the day after the expiry date;
- a registration at the commercial court's registry (a pledge without dispossession) holds five
  years from the day it is registered: it lapses on the fifth anniversary of that day unless
  renewed, and a renewal starts five new years from its own date. A registration on 29 February
  lapses on 28 February five years later (that year has no 29 February): the earlier day, since
  a pledge believed alive one day too long is the mistake that costs the bank;
- on a given day a document is *lapsed* from its lapse date on, *expiring* when it lapses within
  the warning days (today included: 60 days of warning on 1 March for a lapse on 30 April), and
  *valid* otherwise, or when it has no lapse date at all (a pledge deed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

REGISTRATION_YEARS = 5
DEFAULT_WARNING_DAYS = 60


class DocumentStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    LAPSED = "lapsed"


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return date(day.year + years, 2, 28)


def registration_lapses_on(registered_on: date) -> date:
    """The day a registration (or its renewal) registered on `registered_on` lapses."""
    return add_years(registered_on, REGISTRATION_YEARS)


def lapse_date(*, registered_on: date | None = None, expires_on: date | None = None) -> date | None:
    """The first day a document no longer holds: from its registration date (five years) when it
    has one, else the day after its expiry date; None when it has neither (it does not lapse)."""
    if registered_on is not None:
        return registration_lapses_on(registered_on)
    if expires_on is not None:
        return expires_on + timedelta(days=1)
    return None


@dataclass(frozen=True, slots=True)
class DocumentState:
    """A document's status on a day; `days_left` is the days until its lapse date (0 on the day it
    lapses, negative after), None when it does not lapse."""

    status: DocumentStatus
    days_left: int | None = None

    @property
    def is_valid(self) -> bool:
        return self.status == DocumentStatus.VALID


def document_state(lapses_on: date | None, on: date, warning_days: int = DEFAULT_WARNING_DAYS) -> DocumentState:
    """Valid, expiring (lapses within `warning_days` days after `on`) or lapsed on `on`."""
    if warning_days < 0:
        raise ValueError("warning_days must not be negative")
    if lapses_on is None:
        return DocumentState(DocumentStatus.VALID)
    days_left = (lapses_on - on).days
    if days_left <= 0:
        return DocumentState(DocumentStatus.LAPSED, days_left)
    if days_left <= warning_days:
        return DocumentState(DocumentStatus.EXPIRING, days_left)
    return DocumentState(DocumentStatus.VALID, days_left)


def warning_starts_on(lapses_on: date, warning_days: int = DEFAULT_WARNING_DAYS) -> date:
    """The first day a document lapsing on `lapses_on` counts as expiring."""
    return lapses_on - timedelta(days=warning_days)
