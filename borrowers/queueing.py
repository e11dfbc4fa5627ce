"""Sending background work to the broker without ever failing the request that asked for it.

A job (an upload to process, a run to compute, a PDF to render) is first a row in the database
with its status "queued"; the message to the broker only says "look at row N". So when the broker
is unreachable the request still answers (202 for an upload), the row stays queued, and the
periodic sweep (valuation.sweep_stuck_jobs) sends it again once the broker is back: nothing is
lost, and the client has no reason to send the file twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger("stockpledge.tasks")


def send(task: Any, *args: Any) -> bool:
    """Send `task(*args)` now, once, without the client's retry loop; False when the broker did
    not take it (logged)."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception as error:  # noqa: BLE001 - kombu, redis and socket errors alike: the row is the record
        log.warning(
            "task not sent: the sweep will send it",
            extra={"action": task.name, "object": str(args), "outcome": "broker_unreachable", "error": str(error)},
        )
        return False
    return True


def send_on_commit(task: Any, *args: Any) -> None:
    """Send `task(*args)` once the current transaction commits (the row it reads is then there)."""
    transaction.on_commit(lambda: send(task, *args))


def send_named_on_commit(name: str, **kwargs: Any) -> None:
    """Send the task registered under ``name`` once the transaction commits.

    For a lower floor asking a higher one to do work (the client's facts changed: revalue its
    facilities) without importing it: the task is found in the Celery app's registry by name."""

    def send_it() -> None:
        from celery import current_app

        task = current_app.tasks[name]
        try:
            task.apply_async(kwargs=kwargs, retry=False)
        except Exception as error:  # noqa: BLE001 - as in send(): the stale figures stay flagged
            log.warning(
                "task not sent",
                extra={"action": name, "object": str(kwargs), "outcome": "broker_unreachable", "error": str(error)},
            )

    transaction.on_commit(send_it)
