"""The firm's rate table as the engine reads it (``valuation.engine.fx.RateTable``)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Max

from borrowers.models import ExchangeRate
from valuation.engine.fx import Rate, RateTable


def max_rate_age_days() -> int:
    """A rate older than this many days before the stock date is flagged (``FX_MAX_RATE_AGE_DAYS``)."""
    return int(getattr(settings, "FX_MAX_RATE_AGE_DAYS", 7))


def rate_table(*, firm_id: int, as_of: date) -> RateTable:
    """The latest quote of each pair on or before ``as_of``: all the latest-before rule needs,
    in two queries however long the firm's history (the ECB's since 1999 is ~200,000 quotes)."""
    rates = ExchangeRate.objects.filter(firm_id=firm_id, day__lte=as_of)
    latest = rates.values("base", "quote").annotate(last=Max("day")).order_by()
    wanted = {(row["base"], row["quote"], row["last"]) for row in latest}
    if not wanted:
        return RateTable([])
    days = {day for _b, _q, day in wanted}
    found = rates.filter(day__in=days).values_list("base", "quote", "rate", "day", "source")
    return RateTable(Rate(b, q, r, d, s) for b, q, r, d, s in found if (b, q, d) in wanted)
