"""Sending background work to the broker without ever failing the request that asked for it.

A job (an upload to process, a run to compute, a PDF to render) is first a row in the database
with its status "queued"; the message to the broker only says "look at row N". So when the broker
is unreachable the request still answers (202 for an upload), the row stays queued, and the
periodic sweep (valuation.sweep_stuck_jobs) sends it again once the broker is back: nothing is
lost, and the client has no reason to send the file twice.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger("stockpledge.tasks")

# Set by `in_this_thread()`: in-process tasks run where they are sent, whatever the settings.
_inline = contextvars.ContextVar("stockpledge_tasks_inline", default=False)


@contextlib.contextmanager
def in_this_thread() -> Iterator[None]:
    """Run in-process tasks sent inside the block before `send` returns, even where the local
    settings run them in a background thread (a command such as `seed_demo` needs their results)."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def _in_background_thread(task: Any) -> bool:
    """Local development only (config/settings/local.py, no REDIS_URL): tasks run in-process, and
    run inside the request they would finish before the response, so the upload and report pages
    would never show their processing stages. Run them in a thread instead, as a worker would."""
    return (
        bool(getattr(settings, "LOCAL_TASKS_IN_THREAD", False))
        and bool(task._get_app().conf.task_always_eager)
        and not _inline.get()
    )


def _run_in_thread(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    def run() -> None:
        try:
            task.apply(args=args, kwargs=kwargs)  # failures are logged and recorded by the task
        finally:
            connections.close_all()  # this thread's own connections

    # A daemon: stopping or reloading the development server abandons a task under way (its row
    # stays queued or running). Local development only, never with a worker.
    threading.Thread(target=run, name=f"task-{task.name}", daemon=True).start()


def send(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send `task(*args, **kwargs)` now, once, without the client's retry loop; False when the
    broker did not take it (logged; the row stays queued for the sweep, or a stale figure stays
    flagged)."""
    if _in_background_thread(task):
        _run_in_thread(task, args, kwargs)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception as error:  # noqa: BLE001 - kombu, redis and socket errors alike: the row is the record
        log.warning(
            "task not sent: the sweep will send it",
            extra={
                "action": task.name,
                "object": str(args or kwargs),
                "outcome": "broker_unreachable",
                "error": str(error),
            },
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

        send(current_app.tasks[name], **kwargs)

    transaction.on_commit(send_it)
