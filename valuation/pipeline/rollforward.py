"""The roll-forward of a facility's stock per period: its inputs (entered, or read from a
general-ledger extract), its tolerance and its alert.

The figures are the pure ``valuation.engine.rollforward``'s: each period's opening and reported
closing are the book values of the facility's current runs, one per stock date (the run
``CURRENT_ORDER`` makes current for that date, like the history), read in one query. The
inputs are ``RollforwardPeriod`` rows. After every change of inputs or tolerance, and after every
new current valuation (``alerting.evaluate_run``), the "roll-forward unreconciled" alert follows
the facility's latest reconciled period: open beyond the tolerance, resolved within it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common import audit
from borrowers.common.errors import DomainError
from borrowers.models import User
from facilities.models import Facility
from valuation.engine import rollforward as engine
from valuation.engine.alerting import ROLLFORWARD_UNRECONCILED
from valuation.imports.ledger import LEDGER_LIMITS, read_ledger_extract
from valuation.imports.report import ImportRejected
from valuation.models import (
    CURRENT_ORDER,
    Alert,
    RollforwardPeriod,
    RollforwardSource,
    RunStatus,
    UploadStatus,
    ValuationRun,
)

log = logging.getLogger("stockpledge.rollforward")

INPUT_FIELDS = ("purchases", "production", "cost_of_goods_sold", "adjustments")
CENT = Decimal("0.01")
# No input may exceed this (a typo of ten digits more must be refused, not stored).
MAX_AMOUNT = Decimal("9999999999999999.99")


@dataclass(frozen=True)
class PeriodRow:
    """One period as the pages show it: the engine's figures, the row of inputs behind them
    (None when none was entered) and the run of its reported closing (None before the file)."""

    period: engine.Period
    record: RollforwardPeriod | None
    run_id: int | None


def tolerance_of(facility: Facility) -> engine.Tolerance:
    return engine.Tolerance(
        amount=facility.rollforward_tolerance_amount or Decimal("0"),
        pct=facility.rollforward_tolerance_pct or Decimal("0"),
    )


def closings(facility: Facility, *, until: dt.date | None = None) -> list[tuple[dt.date, Decimal | None, int]]:
    """(stock date, book value, run id) of the facility's current run per stock date, oldest
    first: completed runs of accepted files; with ``until``, none after that date. One query."""
    runs = ValuationRun.objects.filter(facility=facility, status=RunStatus.DONE, upload__status=UploadStatus.ACCEPTED)
    if until is not None:
        runs = runs.filter(as_of__lte=until)
    kept: dict[dt.date, tuple[Decimal | None, int]] = {}
    for row in runs.order_by(*CURRENT_ORDER).values("id", "as_of", "book_value"):
        kept.setdefault(row["as_of"], (row["book_value"], row["id"]))
    return [(day, *kept[day]) for day in sorted(kept)]


def inputs_of(record: RollforwardPeriod) -> engine.Inputs:
    return engine.Inputs(**{name: getattr(record, name) for name in INPUT_FIELDS})


def facility_periods(facility: Facility, *, until: dt.date | None = None) -> list[PeriodRow]:
    """Every period of the facility, oldest first (two queries); with ``until``, none ending
    after it (the bank's cut)."""
    books = closings(facility, until=until)
    records = RollforwardPeriod.objects.filter(facility=facility).select_related("entered_by")
    if until is not None:
        records = records.filter(period_end__lte=until)
    by_day = {record.period_end: record for record in records}
    periods = engine.roll_forward(
        [(day, book) for day, book, _run in books],
        {day: inputs_of(record) for day, record in by_day.items()},
        tolerance_of(facility),
    )
    runs = {day: run_id for day, _book, run_id in books}
    return [PeriodRow(period=p, record=by_day.get(p.period_end), run_id=runs.get(p.period_end)) for p in periods]


def _details(period: engine.Period) -> dict[str, Any]:
    text = lambda v: None if v is None else str(v)  # noqa: E731
    return {
        "period_end": period.period_end.isoformat(),
        "opening": text(period.opening),
        "expected": text(period.expected),
        "reported_closing": text(period.reported_closing),
        "unreconciled": text(period.unreconciled),
        "allowed": text(period.allowed),
        "summary": _("Roll-forward to %(date)s: %(amount)s unreconciled, beyond the tolerance of %(allowed)s.")
        % {
            "date": period.period_end.isoformat(),
            "amount": text(period.unreconciled),
            "allowed": text(period.allowed.quantize(CENT) if period.allowed is not None else None),
        },
    }


def evaluate_alert(facility: Facility) -> Alert | None:
    """Make the facility's "roll-forward unreconciled" alert follow its latest reconciled period."""
    from valuation.pipeline.alerting import raise_or_resolve

    rows = facility_periods(facility)
    latest = engine.latest_reconciled(row.period for row in rows)
    if latest is None or not latest.beyond:
        return raise_or_resolve(facility, ROLLFORWARD_UNRECONCILED, False)
    run_id = next((row.run_id for row in rows if row.period is latest), None)
    run = ValuationRun.objects.filter(pk=run_id).first() if run_id else None
    return raise_or_resolve(facility, ROLLFORWARD_UNRECONCILED, True, _details(latest), run=run)


def evaluate_alert_safely(facility: Facility) -> None:
    """The valuation pipeline's hook: a roll-forward alert never fails a valuation."""
    try:
        evaluate_alert(facility)
    except Exception:  # noqa: BLE001 - logged; the valuation itself is stored and correct
        log.exception("roll-forward alert evaluation failed", extra={"facility": facility.pk})


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except Exception:  # noqa: BLE001 - any unreadable value is the same user error
        raise DomainError(_("Enter an amount."), field=field) from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise DomainError(_("Enter an amount."), field=field)
    if amount != amount.quantize(CENT):
        raise DomainError(_("Enter an amount to the cent at most."), field=field)
    return amount.quantize(CENT)


def _check_period_end(period_end: dt.date) -> None:
    if period_end > timezone.localdate():
        raise DomainError(_("The period cannot end in the future."), field="period_end")


def _snapshot(record: RollforwardPeriod) -> dict[str, Any]:
    return {
        **{name: str(getattr(record, name)) for name in INPUT_FIELDS},
        "source": record.source,
        "ledger_name": record.ledger_name,
        "ledger_checksum": record.ledger_checksum,
        "note": record.note,
    }


def _store(
    *,
    facility: Facility,
    period_end: dt.date,
    amounts: dict[str, Decimal],
    note: str,
    by: User,
    source: str,
    ledger: dict[str, Any] | None = None,
) -> RollforwardPeriod:
    record = RollforwardPeriod.objects.select_for_update().filter(facility=facility, period_end=period_end).first()
    before = _snapshot(record) if record is not None else None
    if record is None:
        record = RollforwardPeriod(facility=facility, period_end=period_end, entered_by=by)
    for name, value in amounts.items():
        setattr(record, name, value)
    record.note = note[:500]
    record.source = source
    record.entered_by = by
    if ledger is None:
        record.ledger_name, record.ledger_checksum, record.ledger_rows, record.ledger_ignored = "", "", [], 0
        record.ledger_file = ""
    else:
        record.ledger_name = ledger["name"]
        record.ledger_checksum = ledger["checksum"]
        record.ledger_rows = ledger["rows"]
        record.ledger_ignored = ledger["ignored"]
        record.ledger_file.save(ledger["name"], ContentFile(ledger["data"]), save=False)
    record.save()
    audit.record(
        actor=by,
        action="enter-rollforward" if source == RollforwardSource.ENTERED else "import-rollforward-ledger",
        instance=record,
        before=before,
        after=_snapshot(record),
    )
    evaluate_alert(facility)
    return record


@transaction.atomic
def save_inputs(
    *,
    facility: Facility,
    period_end: dt.date,
    purchases: Any,
    production: Any,
    cost_of_goods_sold: Any,
    adjustments: Any,
    note: str = "",
    by: User,
) -> RollforwardPeriod:
    """Enter (or correct) one period's movements by hand; audited; the alert follows."""
    _check_period_end(period_end)
    amounts = {
        "purchases": _amount(purchases, "purchases"),
        "production": _amount(production, "production"),
        "cost_of_goods_sold": _amount(cost_of_goods_sold, "cost_of_goods_sold"),
        "adjustments": _amount(adjustments, "adjustments"),
    }
    return _store(
        facility=facility,
        period_end=period_end,
        amounts=amounts,
        note=note,
        by=by,
        source=RollforwardSource.ENTERED,
    )


@transaction.atomic
def import_ledger(
    *, facility: Facility, period_end: dt.date, data: bytes, filename: str, by: User
) -> RollforwardPeriod:
    """Read one period's movements from a general-ledger extract (CSV or XLSX), keep the file
    with its SHA-256 and the rows behind each figure; audited; the alert follows. A file that
    cannot be read changes nothing and raises a ``DomainError`` naming what is wrong."""
    _check_period_end(period_end)
    if len(data) > LEDGER_LIMITS.max_bytes:
        raise DomainError(
            _("The file is too large: a ledger extract may be at most %(mb)s MB.")
            % {"mb": LEDGER_LIMITS.max_bytes // (1024 * 1024)},
            field="file",
        )
    try:
        extract = read_ledger_extract(data, filename)
    except ImportRejected as error:
        raise DomainError(str(error), field="file", code=getattr(error, "kind", "invalid")) from None
    amounts = {name: extract.totals[name].quantize(CENT) for name in INPUT_FIELDS}
    for name, value in amounts.items():
        if abs(value) > MAX_AMOUNT:
            raise DomainError(_("The extract's %(field)s are too large.") % {"field": name}, field="file")
    ledger = {
        "name": filename[-255:],
        "checksum": hashlib.sha256(data).hexdigest(),
        "rows": [[r.row, r.account, r.label, r.bucket, str(r.amount)] for r in extract.rows],
        "ignored": extract.ignored,
        "data": data,
    }
    return _store(
        facility=facility,
        period_end=period_end,
        amounts=amounts,
        note="",
        by=by,
        source=RollforwardSource.LEDGER,
        ledger=ledger,
    )


@transaction.atomic
def set_tolerance(*, facility: Facility, amount: Any, pct: Any, by: User) -> Facility:
    """Change the facility's roll-forward tolerance (advisors); audited; the alert follows."""
    new_amount = _amount(amount, "rollforward_tolerance_amount")
    if new_amount < 0:
        raise DomainError(_("The tolerance cannot be negative."), field="rollforward_tolerance_amount")
    try:
        new_pct = Decimal(str(pct if pct not in (None, "") else "0"))
    except Exception:  # noqa: BLE001
        raise DomainError(_("Enter a percentage."), field="rollforward_tolerance_pct") from None
    if not new_pct.is_finite() or not (Decimal("0") <= new_pct <= Decimal("100")):
        raise DomainError(_("Enter a percentage between 0 and 100."), field="rollforward_tolerance_pct")
    if new_pct != new_pct.quantize(Decimal("0.001")):
        raise DomainError(_("Enter a percentage with at most three decimals."), field="rollforward_tolerance_pct")
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    before = {
        "rollforward_tolerance_amount": str(facility.rollforward_tolerance_amount),
        "rollforward_tolerance_pct": str(facility.rollforward_tolerance_pct),
    }
    facility.rollforward_tolerance_amount = new_amount
    facility.rollforward_tolerance_pct = new_pct
    facility.save(update_fields=["rollforward_tolerance_amount", "rollforward_tolerance_pct", "updated_at"])
    audit.record(
        actor=by,
        action="change-rollforward-tolerance",
        instance=facility,
        before=before,
        after={"rollforward_tolerance_amount": str(new_amount), "rollforward_tolerance_pct": str(new_pct)},
    )
    evaluate_alert(facility)
    return facility
