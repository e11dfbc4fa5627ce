"""Following facilities between stock files: who is told when an alert opens, and the daily sweep
of the reporting calendars (late deliverables become alerts; due and late items are notified).

The pipeline's floor may import the floors below (facilities' calendar, borrowers' notify); the
pages above read the alerts and the calendar themselves."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common.notify import client_users, firm_advisors, notify
from borrowers.models import NotificationKind, Role, User
from facilities import calendar_services, credit_file
from facilities.models import CreditDocument, Deliverable, Facility
from valuation.engine import alerting as rules
from valuation.models import Alert, AlertKind, AlertState

log = logging.getLogger("stockpledge.monitoring")

# A deliverable due within this many days is announced to the client's users (once per period).
DUE_SOON_DAYS = 5


def followers(facility: Facility) -> list[User]:
    """The firm's active advisors and the active bank users of every lender the facility has a
    rendered report shared with (not withdrawn): who follows the facility."""
    lenders = facility.reports.filter(shares__withdrawn_at__isnull=True, render_status="ready").values(
        "shares__lender_id"
    )
    return list(
        User.objects.filter(is_active=True, firm_id=facility.client.firm_id).filter(
            Q(role=Role.ADVISOR) | Q(role=Role.BANK, lender_id__in=lenders)
        )
    )


def notify_alert_opened(alert: Alert) -> None:
    """An alert opened: its facility's advisors and the banks that follow it are told once."""
    facility = Facility.objects.select_related("client").get(pk=alert.facility_id)
    names = {"client": facility.client.legal_name, "facility": facility.name}
    summary = str((alert.details or {}).get("summary") or "")

    def title() -> str:
        return _("%(client)s – %(facility)s: alert “%(kind)s”") % {
            **names,
            "kind": AlertKind(alert.kind).label,
        }

    notify(
        users=followers(facility),
        kind=NotificationKind.ALERT_RAISED,
        title=title,
        body=summary,
        url=reverse("valuation:facility-alerts", args=[facility.pk]),
        subject_key=f"alert:{alert.pk}:opened",
    )


def sweep_calendars(today: dt.date | None = None) -> dict[str, int]:
    """Once a day: for every facility with an active deliverable, its late items open (or keep)
    a "late deliverable" alert and resolve it once none is late; each late period is notified
    to the advisors and the client's users, each period due within DUE_SOON_DAYS to the client's
    users, once per period (the subject key names it)."""
    from valuation.pipeline import alerting  # imported here: alerting imports this module's hook

    today = today or timezone.localdate()
    facility_ids = Deliverable.objects.filter(active=True).values("facility_id")
    facilities = list(Facility.objects.filter(pk__in=facility_ids).select_related("client"))
    late, upcoming = calendar_services.late_and_next_due(facilities, today)
    late_by_facility: dict[int, list] = {}
    for row in late:
        late_by_facility.setdefault(row.facility.pk, []).append(row)
    counts = {"late": len(late), "due_soon": 0, "alerts_open": 0}
    for facility in facilities:
        rows = late_by_facility.get(facility.pk, [])
        summary = "; ".join(
            f"{row.deliverable.get_kind_display()} {row.period_end.isoformat()} (+{row.late_by} d)" for row in rows
        )
        with transaction.atomic():
            alert = alerting.raise_or_resolve(facility, rules.LATE_DELIVERABLE, bool(rows), {"summary": summary})
        if rows and alert is not None:
            counts["alerts_open"] += 1
        for row in rows:
            people = [*firm_advisors(facility.client.firm_id), *client_users(facility.client_id)]
            _notify_period(row, NotificationKind.DELIVERABLE_LATE, people)
    for row in upcoming:
        if 0 <= row.days_to_due <= DUE_SOON_DAYS:
            counts["due_soon"] += 1
            _notify_period(row, NotificationKind.DELIVERABLE_DUE, list(client_users(row.facility.client_id)))
    counts.update(check_credit_documents(today=today))  # the credit file's dates (issue 16, part 4)
    return counts


def _notify_period(row: calendar_services.PeriodRow, kind: str, users: list[User]) -> None:
    facility = row.facility
    values = {
        "client": facility.client.legal_name,
        "facility": facility.name,
        "period": row.period_end.isoformat(),
        "due": row.due_date.isoformat(),
    }

    def title() -> str:
        deliverable = row.deliverable.get_kind_display()
        if kind == NotificationKind.DELIVERABLE_LATE:
            return _("%(client)s – %(facility)s: %(deliverable)s for %(period)s is late (due %(due)s)") % {
                **values,
                "deliverable": deliverable,
            }
        return _("%(client)s – %(facility)s: %(deliverable)s for %(period)s is due on %(due)s") % {
            **values,
            "deliverable": deliverable,
        }

    notify(
        users=users,
        kind=kind,
        title=title,
        url=reverse("facilities:calendar", args=[facility.pk]),
        subject_key=f"deliverable:{row.deliverable.pk}:{row.period_end.isoformat()}:{kind}",
    )


# --- the credit file (issue 16, part 4) ---------------------------------------------------------


def check_credit_documents(*, client_id: int | None = None, today: dt.date | None = None) -> dict[str, int]:
    """For every facility with credit-file documents (of one client, or all), or with a document
    alert still unresolved: a current document lapsing within the warning days opens (or keeps)
    a "document expiring" alert, a lapsed one a "document lapsed" alert; each resolves once no
    current document is in that state (a renewal or a newer version was filed). Called by the
    daily sweep and, for one client, after every change to its credit file."""
    from valuation.pipeline import alerting  # imported here: alerting imports this module's hook

    today = today or timezone.localdate()
    kinds = (rules.DOCUMENT_EXPIRING, rules.DOCUMENT_EXPIRED)
    # Every facility of a client with a document (its own, or the client's kept outside any
    # facility), and any facility whose document alert is still unresolved.
    with_documents = CreditDocument.objects.values("client_id")
    with_alerts = Alert.objects.filter(kind__in=kinds).exclude(state=AlertState.RESOLVED).values("facility_id")
    facilities = Facility.objects.filter(Q(client_id__in=with_documents) | Q(pk__in=with_alerts))
    if client_id is not None:
        facilities = facilities.filter(client_id=client_id)
    days = credit_file.warning_days()
    counts = {"documents_expiring": 0, "documents_lapsed": 0}
    for facility in facilities.select_related("client"):
        found = credit_file.facility_expiries(facility, today)
        counts["documents_expiring"] += len(found.expiring)
        counts["documents_lapsed"] += len(found.lapsed)
        with transaction.atomic():
            alerting.raise_or_resolve(
                facility,
                rules.DOCUMENT_EXPIRING,
                bool(found.expiring),
                {"summary": credit_file.summary(found.expiring), "warning_days": days},
            )
            alerting.raise_or_resolve(
                facility, rules.DOCUMENT_EXPIRED, bool(found.lapsed), {"summary": credit_file.summary(found.lapsed)}
            )
    return counts


# --- end of the credit file ---------------------------------------------------------------------
