"""The firm's rate table as the engine reads it (``valuation.engine.fx.RateTable``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import audit, queueing
from borrowers.common.errors import DomainError
from borrowers.models import ExchangeRate, Firm, User
from borrowers.services import save_record
from valuation.engine.fx import Rate, RateTable
from valuation.imports.ecb import EcbProblem, read_ecb

ECB_SOURCE = "ECB"


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


# ------------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class ImportOutcome:
    """What an ECB import changed in the firm's table."""

    added: int
    updated: int
    unchanged: int
    days: int
    first_day: date | None
    last_day: date | None


def problem_text(problem: EcbProblem) -> str:
    """An ECB-file problem in the reader's language, naming its row and column."""
    where = []
    if problem.row:
        where.append(_("row %(row)s") % {"row": problem.row})
    if problem.column:
        where.append(_("column %(column)s") % {"column": problem.column})
    if problem.value:
        where.append(_("value “%(value)s”") % {"value": problem.value})
    message = str(ECB_MESSAGES.get(_message_key(problem.message), problem.message))
    return f"{', '.join(where)}: {message}" if where else message


def _message_key(message: str) -> str:
    return message.split(" (")[0].split(":")[0]


# The reader's messages (stored in English), translated by their first words.
ECB_MESSAGES = {
    "Not a rate": gettext_lazy("Not a rate (a number such as 1.0842)."),
    "Not a date": gettext_lazy("Not a date (2026-11-27 or 27 November 2026)."),
    "This date is given twice.": gettext_lazy("This date is given twice."),
    "Outside the plausible range of a rate": gettext_lazy("Outside the plausible range of a rate."),
    'The first column must be "Date", as in the ECB\'s files.': gettext_lazy(
        "The first column must be “Date”, as in the ECB’s files."
    ),
}


@transaction.atomic
def import_ecb_rates(*, firm: Firm, by: User, data: bytes, filename: str = "") -> ImportOutcome:
    """Store the ECB reference rates of ``data`` in the firm's table (``1 EUR = x CCY``, source
    "ECB"), adding new quotes and updating changed ones; a second import of the same file changes
    nothing. A file with any problem (or a date in the future) stores nothing and raises a
    ``DomainError`` naming the first problems' rows and columns."""
    read = read_ecb(data, filename=filename)
    if not read.ok:
        shown = "; ".join(problem_text(p) for p in read.problems[:5])
        more = len(read.problems) - 5
        if more > 0:
            shown += " " + _("(and %(n)s more)") % {"n": more}
        raise DomainError(_("The ECB file was not imported: %(problems)s") % {"problems": shown}, field="file")
    if not read.rates:
        raise DomainError(_("The ECB file holds no rate."), field="file")
    today = timezone.localdate()
    future = max(day for day, _q, _r in read.rates)
    if future > today:
        raise DomainError(
            _("The ECB file was not imported: it holds rates dated %(date)s, in the future.") % {"date": future},
            field="file",
        )
    days = {day for day, _q, _r in read.rates}
    existing = {
        (day, quote): (rate, source)
        for day, quote, rate, source in ExchangeRate.objects.filter(firm=firm, base="EUR", day__in=days).values_list(
            "day", "quote", "rate", "source"
        )
    }
    added = updated = 0
    changed: list[ExchangeRate] = []
    for day, quote, rate in read.rates:
        before = existing.get((day, quote))
        if before is not None and before[0] == rate and before[1] == ECB_SOURCE:
            continue
        if before is None:
            added += 1
        else:
            updated += 1
        changed.append(ExchangeRate(firm=firm, day=day, base="EUR", quote=quote, rate=rate, source=ECB_SOURCE))
    if changed:
        ExchangeRate.objects.bulk_create(
            changed,
            batch_size=2_000,
            update_conflicts=True,
            unique_fields=["firm", "day", "base", "quote"],
            update_fields=["rate", "source", "updated_at"],
        )
    outcome = ImportOutcome(
        added=added,
        updated=updated,
        unchanged=len(read.rates) - added - updated,
        days=len(days),
        first_day=min(days),
        last_day=max(days),
    )
    audit.record(
        actor=by,
        action="import-ecb-rates",
        instance=firm,
        after={"added": added, "updated": updated, "days": len(days), "file": filename[:200]},
    )
    if changed:
        # Rates are an input of every converted valuation: those they now change are valued again.
        queueing.send_named_on_commit("valuation.revalue_stale", firm_id=firm.pk)
    return outcome


def save_rate(*, by: User, rate: ExchangeRate) -> ExchangeRate:
    """Save a rate typed by hand (its source names who), audited; refused when the pair already
    has a rate that day, or dated in the future."""
    rate.base = (rate.base or "").strip().upper()
    rate.quote = (rate.quote or "").strip().upper()
    if rate.day and rate.day > timezone.localdate():
        raise DomainError(_("A rate cannot be dated in the future."), field="day")
    if rate.base == rate.quote:
        raise DomainError(_("The base and quote currencies must differ."), field="quote")
    clash = ExchangeRate.objects.filter(firm_id=rate.firm_id, day=rate.day, base=rate.base, quote=rate.quote)
    if rate.pk:
        clash = clash.exclude(pk=rate.pk)
    if clash.exists():
        raise DomainError(
            _("There is already a %(base)s→%(quote)s rate on %(date)s: edit that one.")
            % {"base": rate.base, "quote": rate.quote, "date": rate.day},
            field="day",
        )
    rate.source = f"manual: {by.email}"[:100]
    saved = save_record(by=by, instance=rate)
    queueing.send_named_on_commit("valuation.revalue_stale", firm_id=saved.firm_id)
    return saved
