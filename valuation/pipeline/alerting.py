"""Stateful alerts: after each completed valuation, raise what became true and resolve what no
longer is (``evaluate_run``); other monitoring (the deliverables calendar) calls
``raise_or_resolve`` for its own kinds.

What is true is decided by the pure ``valuation.engine.alerting.evaluate``; this module only keeps
the state: one unresolved alert per facility and kind (open or acknowledged), a history row for
every change of state (``AlertEvent``, ``by`` empty for the system), an audit entry for each.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from borrowers.common import audit
from borrowers.models import User
from facilities.models import Facility
from valuation.engine import alerting as rules
from valuation.models import Alert, AlertEvent, AlertState, AlertThresholds, RunStatus, ValuationRun

log = logging.getLogger("stockpledge.alerts")

THRESHOLD_FIELDS = (
    "collateral_change_pct",
    "ltv_max_pct",
    "rotation_slowdown_days",
    "site_concentration_pct",
    "category_concentration_pct",
    "sku_concentration_pct",
)


def on_alert_opened(alert: Alert) -> None:
    """Called (after commit) for every alert newly opened: its advisors and following banks are
    told (``monitoring.notify_alert_opened``); a failure to tell is logged, never raised."""
    from valuation.pipeline import monitoring

    try:
        monitoring.notify_alert_opened(alert)
    except Exception:
        log.exception("alert not notified", extra={"object": f"alert:{alert.pk}"})


def thresholds_for(facility: Facility) -> rules.Thresholds:
    """The facility's override if it has one, else its firm's thresholds, else the defaults."""
    rows = {
        row.facility_id: row
        for row in AlertThresholds.objects.filter(
            Q(facility=facility) | Q(facility__isnull=True), firm_id=facility.client.firm_id
        )
    }
    row = rows.get(facility.pk) or rows.get(None)
    if row is None:
        return rules.Thresholds()
    return rules.Thresholds(**{name: getattr(row, name) for name in THRESHOLD_FIELDS})


def run_figures(run: ValuationRun) -> rules.RunFigures:
    return rules.figures_from_result(
        run.result,
        eligible=run.eligible_value,
        financing=run.financing,
        jumps=list(run.jumps or []),
        as_of=run.as_of.isoformat(),
    )


def record_event(alert: Alert, *, by: User | None, from_state: str, note: str = "", action: str) -> AlertEvent:
    event = AlertEvent.objects.create(alert=alert, by=by, from_state=from_state, to_state=alert.state, note=note)
    audit.record(
        actor=by,
        action=action,
        instance=alert,
        before={"state": from_state} if from_state else None,
        after={"state": alert.state, "kind": alert.kind, "note": note[:500]},
    )
    return event


def open_alert(facility: Facility, kind: str) -> Alert | None:
    """The facility's unresolved alert of this kind (open or acknowledged), if any."""
    return Alert.objects.filter(facility=facility, kind=kind).exclude(state=AlertState.RESOLVED).first()


@transaction.atomic
def raise_or_resolve(
    facility: Facility,
    kind: str,
    active: bool,
    details: dict[str, Any] | None = None,
    *,
    run: ValuationRun | None = None,
) -> Alert | None:
    """Make the facility's alert of ``kind`` follow the condition: ``active`` opens one when none
    is unresolved (or refreshes the details of the one that is); not active resolves the
    unresolved one, by the system. Returns the alert touched, None when nothing changed."""
    if kind not in rules.KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    current = (
        Alert.objects.select_for_update()
        .filter(facility=facility, kind=kind)
        .exclude(state=AlertState.RESOLVED)
        .first()
    )
    details = details or {}
    if active:
        if current is not None:
            current.details = details
            current.run = run or current.run
            current.save(update_fields=["details", "run"])
            return current
        alert = Alert.objects.create(facility=facility, kind=kind, details=details, run=run, state=AlertState.OPEN)
        record_event(alert, by=None, from_state="", action="open-alert")
        transaction.on_commit(lambda: on_alert_opened(alert), robust=True)
        return alert
    if current is None:
        return None
    before = current.state
    current.state = AlertState.RESOLVED
    current.resolved_at = timezone.now()
    current.resolved_note = ""
    current.save(update_fields=["state", "resolved_at", "resolved_note"])
    record_event(current, by=None, from_state=before, action="auto-resolve-alert")
    return current


def _previous_run(run: ValuationRun) -> ValuationRun | None:
    from valuation.pipeline.services import previous_run

    return previous_run(facility=run.facility, upload=run.upload)


# The last approved borrowing base certificate. Certificates are the reports floor's, and this floor
# may not import it; but the reports models declare their relations to ValuationRun, so the ORM
# reaches them from here by the relation names alone ("reports": ReportVersion.run, and
# "certification": the client signatory's one-to-one Certification), with no import climbing. The
# reports floor tells this one when a certificate gets certified (``reports.services.certify``
# calls ``evaluate_run_safely`` on commit), so the comparison moves to the new certificate at once.
# "Approved" is the client's signatory's certification: the step after which a certificate is
# the borrower's statement of its collateral and may be shared with the lender.
CERTIFICATE_KIND = "borrowing_base_certificate"  # reports.models.ReportKind.BORROWING_BASE_CERTIFICATE


def certified_run(facility: Facility) -> tuple[ValuationRun, int] | None:
    """The run the facility's latest certified borrowing base certificate was issued from, with
    that certificate's number; None when no certificate of the facility was ever certified."""
    row = (
        ValuationRun.objects.filter(
            reports__facility=facility,
            reports__kind=CERTIFICATE_KIND,
            reports__certification__isnull=False,
        )
        .annotate(certificate_number=F("reports__number"))
        .only("id", "as_of", "eligible_value", "financing")
        .order_by("-reports__issued_at", "-reports__number")
        .first()
    )
    return None if row is None else (row, row.certificate_number)


def _certificate_figures(facility: Facility) -> rules.CertifiedFigures | None:
    found = certified_run(facility)
    if found is None:
        return None
    run, number = found
    # Only what the collateral change compares: the run's key figures (its result is not read).
    figures = rules.RunFigures(eligible=run.eligible_value, financing=run.financing, as_of=run.as_of.isoformat())
    return rules.CertifiedFigures(number=number, figures=figures)


def _appraisal_expiry(facility: Facility, today: Any) -> Any:
    # The latest effective appraisal (effective on or before today): its expiry date.
    latest = facility.appraisals.filter(effective_date__lte=today).aggregate(last=Max("effective_date"))["last"]
    if latest is None:
        return None
    return (
        facility.appraisals.filter(effective_date=latest).order_by("-expiry_date").values_list("expiry_date", flat=True)
    ).first()


def evaluate_run(run_id: int) -> list[Alert]:
    """After a run is saved DONE: if it is the facility's current valuation, raise or resolve each
    kind the valuation decides. A run that is not current (an older file finishing late) changes
    nothing."""
    from valuation.pipeline.services import current_run

    run = ValuationRun.objects.select_related("facility__client__firm", "upload").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.DONE:
        return []
    facility = run.facility
    current = current_run(facility)
    if current is None or current.pk != run.pk:
        return []
    previous = _previous_run(run)
    today = timezone.localdate()
    evaluations = rules.evaluate(
        current=run_figures(run),
        previous=run_figures(previous) if previous is not None else None,
        thresholds=thresholds_for(facility),
        appraisal_expiry=_appraisal_expiry(facility, today),
        today=today,
        jump_threshold_pct=facility.client.firm.jump_threshold_pct,
        certificate=_certificate_figures(facility),
    )
    touched = []
    for evaluation in evaluations:
        alert = raise_or_resolve(facility, evaluation.kind, evaluation.active, evaluation.details, run=run)
        if alert is not None:
            touched.append(alert)
    return touched


def evaluate_run_safely(run_id: int) -> None:
    """The pipeline's hook (after commit): alerts never fail a valuation."""
    try:
        evaluate_run(run_id)
    except Exception:  # noqa: BLE001 - logged; the valuation itself is stored and correct
        log.exception("alert evaluation failed", extra={"run": run_id})
    # roll-forward (issue 16): any new valuation may change a period's opening or closing stock.
    from valuation.pipeline import rollforward

    facility = Facility.objects.filter(runs__pk=run_id).first()
    if facility is not None:
        rollforward.evaluate_alert_safely(facility)
