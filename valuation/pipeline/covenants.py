"""Covenant tests: after each completed valuation and each financial statement, test the
facility's covenants and keep the ``covenant_breach`` alert in step; the bank's waiver.

A run metric (availability, LTV, pledge cover, days of stock) is tested on the facility's
current run, at the end of the covenant's test period containing the run's stock date; a later
run of the same period replaces the test (the period is tested on its latest figures). A statement
metric is tested on the latest statement of the period. What the state is comes from the pure
``valuation.engine.covenants``; a test keeps the threshold, direction and headroom it was tested
under, so a later change of the covenant never rewrites a past test.

The alert is open while any active covenant's latest test is breached and not waived (a waiver
in force until its expiry date, included).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common import access, audit, formatting
from borrowers.models import User
from facilities import calendar
from facilities.models import Covenant, Facility, FinancialStatement
from valuation.engine import alerting as alert_rules
from valuation.engine import covenants as rules
from valuation.models import CovenantState, CovenantTest, CovenantWaiver, RunStatus, ValuationRun
from valuation.pipeline import alerting

log = logging.getLogger("stockpledge.covenants")

MAX_WAIVER_DAYS = 3 * 366  # a waiver lasts at most about three years
# CovenantTest.value holds 30 digits, 10 of them decimals.
VALUE_LIMIT = Decimal(10) ** 20
VALUE_PLACES = Decimal("1e-10")


def _state(value: Decimal | None, covenant: Covenant) -> str:
    return str(
        rules.raw_state(
            value, threshold=covenant.threshold, direction=covenant.direction, headroom_pct=covenant.headroom_pct
        )
    )


def _record(
    covenant: Covenant,
    *,
    as_of: dt.date,
    value: Decimal | None,
    run: ValuationRun | None = None,
    statement: FinancialStatement | None = None,
    details: dict[str, Any],
    keep_existing: bool = False,
) -> CovenantTest | None:
    test_date = calendar.period_covering(covenant.frequency, as_of)
    if value is not None and abs(value) >= VALUE_LIMIT:
        # A figure the test record cannot hold (a formula's 1e400) is not a figure to rely on.
        value, details = None, {**details, "out_of_range": True}
    state = _state(value, covenant)  # on the exact figure, before it is stored to 10 places
    stored = None if value is None else value.quantize(VALUE_PLACES, rounding=ROUND_HALF_UP)
    if keep_existing and CovenantTest.objects.filter(covenant=covenant, test_date=test_date).exists():
        return None  # a saved covenant is tested on what has no test yet; past tests stand
    test, _created = CovenantTest.objects.update_or_create(
        covenant=covenant,
        test_date=test_date,
        defaults={
            "facility_id": covenant.facility_id,
            "as_of": as_of,
            "value": stored,
            "threshold": covenant.threshold,
            "direction": covenant.direction,
            "headroom_pct": covenant.headroom_pct,
            "raw_state": state,
            "run": run,
            "statement": statement,
            "details": details,
            "tested_at": timezone.now(),
        },
    )
    return test


def _test_on_run(covenants: list[Covenant], run: ValuationRun, *, keep_existing: bool = False) -> list[CovenantTest]:
    tests = []
    for covenant in covenants:
        value = rules.run_metric(covenant.metric, run.result, availability=run.availability)
        details = {"currency": run.currency}
        test = _record(covenant, as_of=run.as_of, value=value, run=run, details=details, keep_existing=keep_existing)
        tests += [test] if test else []
    return tests


def _latest_statement_of_period(covenant: Covenant, day: dt.date) -> FinancialStatement | None:
    end = calendar.period_covering(covenant.frequency, day)
    start = calendar.previous_period_end(covenant.frequency, end)
    return (
        FinancialStatement.objects.filter(facility_id=covenant.facility_id, period_end__gt=start, period_end__lte=end)
        .prefetch_related("lines")
        .order_by("-period_end")
        .first()
    )


def _test_on_statement(
    covenants: list[Covenant], statement: FinancialStatement, *, keep_existing: bool = False
) -> list[CovenantTest]:
    tests = []
    inputs = statement.inputs()
    for covenant in covenants:
        latest = _latest_statement_of_period(covenant, statement.period_end)
        if latest is not None and latest.pk != statement.pk:
            continue  # a later statement of the same test period stands
        outcome = rules.statement_metric(covenant.metric, inputs, covenant.formula)
        details = {
            "currency": statement.currency,
            "inputs": {name: str(amount) for name, amount in sorted(inputs.items())},
            "missing": list(outcome.missing),
            "division_by_zero": outcome.division_by_zero,
        }
        test = _record(
            covenant,
            as_of=statement.period_end,
            value=outcome.value,
            statement=statement,
            details=details,
            keep_existing=keep_existing,
        )
        tests += [test] if test else []
    return tests


def _active(facility: Facility, *, from_runs: bool) -> list[Covenant]:
    covenants = Covenant.objects.filter(facility=facility, active=True)
    if from_runs:
        return list(covenants.filter(metric__in=rules.RUN_METRICS))
    return list(covenants.exclude(metric__in=rules.RUN_METRICS))


@transaction.atomic
def test_run(run_id: int) -> list[CovenantTest]:
    """After a run is saved DONE: when it is the facility's current valuation, test the run
    covenants on it, then follow the alert. Any other run changes nothing."""
    from valuation.pipeline.services import current_run

    run = ValuationRun.objects.select_related("facility__client").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.DONE:
        return []
    current = current_run(run.facility)
    if current is None or current.pk != run.pk:
        return []
    tests = _test_on_run(_active(run.facility, from_runs=True), run)
    refresh_alert(run.facility)
    return tests


@transaction.atomic
def test_statement(statement_id: int) -> list[CovenantTest]:
    """After a statement is entered: test the statement covenants on it, then follow the alert."""
    statement = FinancialStatement.objects.select_related("facility__client").filter(pk=statement_id).first()
    if statement is None:
        return []
    tests = _test_on_statement(_active(statement.facility, from_runs=False), statement)
    refresh_alert(statement.facility)
    return tests


@transaction.atomic
def test_facility(facility_id: int) -> list[CovenantTest]:
    """After a covenant is saved: test the run covenants on the current run and the statement
    covenants on the latest statement where the period has no test yet (a change of terms never
    rewrites a test already made), then follow the alert."""
    from valuation.pipeline.services import current_run

    facility = Facility.objects.select_related("client").filter(pk=facility_id).first()
    if facility is None:
        return []
    tests: list[CovenantTest] = []
    run = current_run(facility)
    if run is not None:
        tests += _test_on_run(_active(facility, from_runs=True), run, keep_existing=True)
    statement = FinancialStatement.objects.filter(facility=facility).order_by("-period_end").first()
    if statement is not None:
        tests += _test_on_statement(_active(facility, from_runs=False), statement, keep_existing=True)
    refresh_alert(facility)
    return tests


def test_run_safely(run_id: int) -> None:
    """The pipeline's hook (after commit): covenant tests never fail a valuation."""
    try:
        test_run(run_id)
    except Exception:  # noqa: BLE001 - logged; the valuation itself is stored and correct
        log.exception("covenant test failed", extra={"run": run_id})


# ------------------------------------------------------------------------------ the state today


def latest_waiver(test: CovenantTest) -> CovenantWaiver | None:
    waivers = getattr(test, "_prefetched_objects_cache", {}).get("waivers")
    if waivers is not None:
        return waivers[0] if waivers else None
    return test.waivers.order_by("-created_at", "-id").first()


def state_of(test: CovenantTest, today: dt.date) -> str:
    """The test's state on ``today``: its stored state, waived while the latest waiver is in force."""
    waiver = latest_waiver(test)
    waivable = test.raw_state in (CovenantState.BREACHED, CovenantState.AT_RISK)
    if waivable and waiver is not None and rules.waiver_in_force(waiver.expires_on, today):
        return str(CovenantState.WAIVED)
    return test.raw_state


def latest_tests(facility: Facility) -> dict[int, CovenantTest]:
    """Each covenant's latest test (by test date), keyed by covenant id."""
    latest: dict[int, CovenantTest] = {}
    for test in CovenantTest.objects.filter(facility=facility).prefetch_related("waivers").order_by("-test_date"):
        latest.setdefault(test.covenant_id, test)
    return latest


def refresh_alert(facility: Facility, today: dt.date | None = None) -> None:
    """Open (or refresh) the facility's ``covenant_breach`` alert while an active covenant's latest
    test is breached and not waived; resolve it otherwise."""
    today = today or timezone.localdate()
    active_ids = set(Covenant.objects.filter(facility=facility, active=True).values_list("pk", flat=True))
    breached = [
        test
        for covenant_id, test in latest_tests(facility).items()
        if covenant_id in active_ids and state_of(test, today) == CovenantState.BREACHED
    ]
    breached.sort(key=lambda t: t.covenant_id)
    details = {
        "breaches": [
            {
                "covenant": str(test.covenant),
                "test_date": test.test_date.isoformat(),
                "value": None if test.value is None else str(test.value),
                "threshold": str(test.threshold),
                "direction": test.direction,
            }
            for test in breached
        ]
    }
    # The notification's body (monitoring.notify_alert_opened reads "summary").
    details["summary"] = "; ".join(
        f"{test.covenant} ({test.test_date.isoformat()}): "
        f"{'—' if test.value is None else formatting.number(test.value)} "
        f"{'≥' if test.direction == rules.MIN else '≤'} {formatting.number(test.threshold)} ✗"
        for test in breached
    )
    run = next((t.run for t in breached if t.run_id), None)
    alerting.raise_or_resolve(facility, alert_rules.COVENANT_BREACH, bool(breached), details, run=run)


# ------------------------------------------------------------------------------------ waivers


@transaction.atomic
def waive_test(*, by: User, test: CovenantTest, reason: str, expires_on: dt.date) -> CovenantWaiver:
    """A bank following the facility waives a breached or at-risk test until ``expires_on``
    (included). Audited; the alert follows."""
    if not access.can(by, "change", test):
        raise ValidationError(_("Only a bank following this facility may waive its covenant tests."))
    if test.raw_state not in (CovenantState.BREACHED, CovenantState.AT_RISK):
        raise ValidationError(_("Only a breached or at-risk test can be waived."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the waiver.")})
    today = timezone.localdate()
    if expires_on < today:
        raise ValidationError({"expires_on": _("The expiry date is in the past.")})
    if (expires_on - today).days > MAX_WAIVER_DAYS:
        raise ValidationError({"expires_on": _("A waiver lasts at most three years.")})
    previous = latest_waiver(test)
    waiver = CovenantWaiver.objects.create(test=test, by=by, reason=reason[:500], expires_on=expires_on)
    audit.record(
        actor=by,
        action="waive-covenant-test",
        instance=test.covenant,
        before=(
            {"test": test.pk, "expires_on": previous.expires_on.isoformat(), "reason": previous.reason}
            if previous
            else None
        ),
        after={
            "test": test.pk,
            "test_date": test.test_date.isoformat(),
            "expires_on": expires_on.isoformat(),
            "reason": reason[:500],
        },
    )
    refresh_alert(test.facility, today)
    return waiver


def sweep_expired_waivers(today: dt.date | None = None) -> int:
    """The facilities with a waiver that expired in the last week (the sweep runs daily; a week
    covers missed days) follow their alert again: an expired waiver no longer waives."""
    today = today or timezone.localdate()
    facility_ids = set(
        CovenantWaiver.objects.filter(expires_on__lt=today, expires_on__gte=today - dt.timedelta(days=7)).values_list(
            "test__facility_id", flat=True
        )
    )
    for facility in Facility.objects.filter(pk__in=facility_ids).select_related("client"):
        refresh_alert(facility, today)
    return len(facility_ids)


# ------------------------------------------------------------------------------------ selectors


@dataclass(frozen=True)
class CovenantRow:
    """A covenant with its tests, newest first, and its latest state today."""

    covenant: Covenant
    tests: list[CovenantTest]
    today: dt.date

    @property
    def latest(self) -> CovenantTest | None:
        return self.tests[0] if self.tests else None

    @property
    def state(self) -> str:
        return state_of(self.latest, self.today) if self.latest else ""


def covenant_rows(
    facility: Facility, *, today: dt.date | None = None, until: dt.date | None = None
) -> list[CovenantRow]:
    """The facility's covenants (active first) with their tests; ``until`` keeps only tests of
    figures at or before that date (a bank sees nothing newer than what was shared with it)."""
    today = today or timezone.localdate()
    tests = (
        CovenantTest.objects.filter(facility=facility)
        .select_related("run", "statement")
        .prefetch_related("waivers__by")
        .order_by("-test_date")
    )
    if until is not None:
        tests = tests.filter(as_of__lte=until)
    by_covenant: dict[int, list[CovenantTest]] = {}
    for test in tests:
        test.state = state_of(test, today)  # type: ignore[attr-defined]
        by_covenant.setdefault(test.covenant_id, []).append(test)
    covenants = (
        Covenant.objects.filter(facility=facility)
        .prefetch_related("revisions__changed_by")
        .order_by("-active", "metric", "id")
    )
    return [CovenantRow(covenant, by_covenant.get(covenant.pk, []), today) for covenant in covenants]


def state_counts(facilities: Any, today: dt.date | None = None) -> dict[str, int]:
    """How many active covenants of ``facilities`` are breached and at risk on their latest test."""
    counts = {str(CovenantState.BREACHED): 0, str(CovenantState.AT_RISK): 0}
    for per_state in counts_per_facility(facilities, today).values():
        for state, n in per_state.items():
            counts[state] += n
    return counts


def counts_per_facility(facilities: Any, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """Per facility id (only those with any): its active covenants breached and at risk on their
    latest test, today. One query."""
    today = today or timezone.localdate()
    latest: dict[int, CovenantTest] = {}
    tests = (
        CovenantTest.objects.filter(facility__in=facilities, covenant__active=True)
        .prefetch_related("waivers")
        .order_by("-test_date")
    )
    for test in tests:
        latest.setdefault(test.covenant_id, test)
    out: dict[int, dict[str, int]] = {}
    for test in latest.values():
        state = state_of(test, today)
        if state in (CovenantState.BREACHED, CovenantState.AT_RISK):
            per_state = out.setdefault(
                test.facility_id, {str(CovenantState.BREACHED): 0, str(CovenantState.AT_RISK): 0}
            )
            per_state[state] += 1
    return out
