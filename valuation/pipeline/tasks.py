"""Celery tasks: load by id, call a service. Late ack + reject on worker loss: a killed worker's
job is delivered again, and the claim (a lease) makes the re-delivery harmless."""

from __future__ import annotations

import logging

import psycopg
from celery import shared_task
from django.db import InterfaceError, OperationalError, connections

from valuation.models import JobBusy, StockUpload, ValuationRun
from valuation.pipeline import services

log = logging.getLogger("stockpledge.tasks")

# Errors a retry can cure: a database or broker connection dropped or refused. The binary COPY
# writes through psycopg's own cursor, whose errors Django does not wrap: they count too.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, psycopg.OperationalError, psycopg.InterfaceError)
TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
    "soft_time_limit": 840,
    "time_limit": 900,
}


@shared_task(name="valuation.process_upload", **TASK_OPTIONS)
def process_upload(self, upload_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        services.process_upload(upload_id=upload_id)
    except JobBusy:
        # Another worker holds the lease (or held it before dying): look again once it may lapse.
        raise self.retry(countdown=services.lease_seconds(), max_retries=20) from None
    except TRANSIENT:
        _give_back(StockUpload, upload_id)
        raise
    except Exception:
        log.exception("upload processing crashed", extra={"object": f"upload:{upload_id}", "outcome": "failed"})
        services.fail_upload(upload_id=upload_id)
        raise


@shared_task(name="valuation.compute_run", **TASK_OPTIONS)
def compute_run(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        services.compute_run(run_id=run_id)
    except JobBusy:
        raise self.retry(countdown=services.lease_seconds(), max_retries=20) from None
    except TRANSIENT:
        _give_back(ValuationRun, run_id)
        raise
    except Exception:
        log.exception("valuation crashed", extra={"object": f"run:{run_id}", "outcome": "failed"})
        services.fail_run(run_id=run_id)
        raise


def _give_back(model: type[StockUpload] | type[ValuationRun], pk: int) -> None:
    """After a transient error, hand the job's claim back so the retry takes it at once instead
    of waiting out the lease (its transaction was rolled back: nothing of it is stored). The dead
    connection is closed first so the next query opens a new one; if the database is still out of
    reach the lease simply lapses, and the retry or the sweep takes the job then."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()
    try:
        model.objects.release(pk)
    except TRANSIENT:
        log.warning("claim not handed back", extra={"object": f"{model._meta.label}:{pk}", "outcome": "lease"})


@shared_task(name="valuation.sweep_stuck_jobs", acks_late=True)
def sweep_stuck_jobs() -> int:
    """Re-queue jobs left 'queued' (their message lost) or 'running' with a lapsed lease."""
    return services.sweep_stuck_jobs()


@shared_task(
    name="valuation.sweep_calendars", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3
)
def sweep_calendars() -> dict[str, int]:
    """Daily: late deliverables become alerts; due and late periods are notified (idempotent)."""
    from valuation.pipeline import monitoring

    return monitoring.sweep_calendars()


@shared_task(
    name="valuation.check_credit_documents",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def check_credit_documents(client_id: int | None = None) -> dict[str, int]:
    """After a change to a client's credit file: its document alerts follow at once (idempotent)."""
    from valuation.pipeline import monitoring

    return monitoring.check_credit_documents(client_id=client_id)


@shared_task(name="valuation.revalue_stale", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def revalue_stale(client_id: int | None = None, firm_id: int | None = None, facility_id: int | None = None) -> int:
    """Queue the valuations an edit made stale (``services.revalue_stale``); each is its own job."""
    return len(services.revalue_stale(client_id=client_id, firm_id=firm_id, facility_id=facility_id))


# ------------------------------------------------------------------------------------ covenants


@shared_task(
    name="valuation.test_covenants", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
)
def test_covenants(facility_id: int, statement_id: int | None = None) -> int:
    """A financial statement was saved: test it; a covenant was saved: test what has no test yet."""
    from valuation.pipeline import covenants

    if statement_id is not None:
        return len(covenants.test_statement(statement_id))
    return len(covenants.test_facility(facility_id))


@shared_task(
    name="valuation.sweep_covenant_waivers", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3
)
def sweep_covenant_waivers() -> int:
    """Daily: the facilities whose covenant waiver expired yesterday follow their alert again."""
    from valuation.pipeline import covenants

    return covenants.sweep_expired_waivers()
