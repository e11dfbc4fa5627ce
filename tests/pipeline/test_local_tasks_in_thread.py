"""`make run` without Redis (LOCAL_TASKS_IN_THREAD, config/settings/local.py): an upload's task
runs in a background thread once the request has committed, so the status page polls and shows
its stages as with a worker. The test settings keep tasks synchronous; this test turns it on."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import override_settings

from borrowers.common import queueing
from tests.conftest import World
from tests.pipeline.conftest import AS_OF, GOOD_CSV, GOOD_LINES, csv_file
from valuation.models import StockUpload, UploadStatus
from valuation.pipeline import services


# The thread has its own database connection: it sees committed rows only.
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_processed_in_a_thread_after_the_request_and_its_connection_closed(world: World, monkeypatch):
    gate, started = threading.Event(), threading.Event()
    process = services.process_upload

    def held_process_upload(*, upload_id: int) -> None:
        started.set()
        assert gate.wait(30), "the test never let the task go on"
        process(upload_id=upload_id)

    closed_in: list[str] = []

    class Connections:
        def close_all(self) -> None:
            closed_in.append(threading.current_thread().name)
            connections.close_all()

    monkeypatch.setattr(services, "process_upload", held_process_upload)
    monkeypatch.setattr(queueing, "connections", Connections())

    with override_settings(LOCAL_TASKS_IN_THREAD=True):
        upload = services.create_upload(
            client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF
        )
        # create_upload has returned (the response would go now) and the task waits in its thread:
        # the page sees the upload queued, then polls.
        assert started.wait(30)
        worker = next(t for t in threading.enumerate() if t.name == "task-valuation.process_upload")
        assert worker is not threading.current_thread()
        assert StockUpload.objects.get(pk=upload.pk).status == UploadStatus.QUEUED
        gate.set()
        worker.join(60)

    assert not worker.is_alive()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED, upload.failure_reason
    assert upload.line_count == GOOD_LINES
    # Each task thread closes its own connections (the upload's, and the notification e-mails it
    # sends in threads of their own); the request's thread never closes them.
    assert "task-valuation.process_upload" in closed_in
    assert all(name.startswith("task-") for name in closed_in), closed_in


@pytest.mark.django_db(transaction=True)
def test_in_this_thread_keeps_tasks_synchronous_under_the_local_setting(world: World):
    """What `seed_demo` relies on: its uploads are processed before it goes on."""
    with override_settings(LOCAL_TASKS_IN_THREAD=True), queueing.in_this_thread():
        upload = services.create_upload(
            client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF
        )
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED, upload.failure_reason
