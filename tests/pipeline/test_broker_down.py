"""With the broker unreachable, an upload is still answered 202 at once and kept queued; the
sweep sends it once the broker is back. No 500, no lost file, no reason to upload it twice."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.celery_app import app
from tests.api.conftest import token_client
from tests.conftest import World
from tests.pipeline.conftest import AS_OF, GOOD_CSV, drop_broker_connections
from valuation.models import StockUpload, UploadStatus
from valuation.pipeline import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery pointed at a port where nothing listens, messages really sent (not run in-process)."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    drop_broker_connections()
    try:
        yield
    finally:
        app.conf.update(saved)
        drop_broker_connections()


def test_an_upload_with_the_broker_down_is_answered_202_and_swept_later(
    world: World, broker_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        answer = token_client(world.client_user_x).post(
            "/api/uploads/",
            {
                "client": world.client_x.pk,
                "file": SimpleUploadedFile("stock.csv", GOOD_CSV),
                "as_of": AS_OF.isoformat(),
            },
        )
    elapsed = time.monotonic() - started
    assert answer.status_code == 202, answer.content
    assert elapsed < 10, f"the answer took {elapsed:.1f} s"
    assert any(r.getMessage() == "task not sent: the sweep will send it" for r in caplog.records)
    upload = StockUpload.objects.get(pk=answer.json()["id"])
    assert upload.status == UploadStatus.QUEUED and StockUpload.objects.count() == 2  # the world's and this one
    # The sweep finds nothing it can send while the broker is down, and says so.
    assert services.sweep_stuck_jobs(older_than_seconds=0) == 0


def test_the_sweep_sends_a_queued_upload_once_the_broker_is_back(world: World, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the message is lost: never sent
        answer = token_client(world.client_user_x).post(
            "/api/uploads/",
            {
                "client": world.client_x.pk,
                "file": SimpleUploadedFile("stock.csv", GOOD_CSV),
                "as_of": AS_OF.isoformat(),
            },
        )
    upload = StockUpload.objects.get(pk=answer.json()["id"])
    assert upload.status == UploadStatus.QUEUED
    assert services.sweep_stuck_jobs(older_than_seconds=0) >= 1  # in-process here: processed at once
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
