"""Celery tasks for reports: load by id, call a service. Late ack + reject on worker loss, and a
claim (a lease on the version row) so a re-delivered render is harmless."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reports import services

log = logging.getLogger("stockpledge.tasks")

TRANSIENT = (OperationalError, InterfaceError, ConnectionError)


@shared_task(
    name="reports.render_report",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def render_report(self, report_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        services.render_pdf(report_id=report_id)
    except TRANSIENT:
        # Give the claim back so the retry can take it at once instead of waiting for the lease.
        services.release_render(report_id=report_id)
        raise
    except Exception:
        log.exception("report rendering crashed", extra={"object": f"report:{report_id}", "outcome": "failed"})
        services.fail_render(report_id=report_id)
        raise


@shared_task(
    name="reports.render_client_copy",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def render_client_copy(report_id: int) -> None:
    services.render_client_copy(report_id=report_id)
