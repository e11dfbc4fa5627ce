"""The upload pipeline through a real Celery worker process and Redis, including a worker killed
with SIGKILL in the middle of a job (acks_late and the visibility timeout bring it back).

The worker is a subprocess on the committed test database (hence transaction=True), on a Redis
database of its own (15, or 15 - n under pytest-xdist) that is flushed before and after, so a
developer's worker on the default database never sees these tasks. Its lease (5 s) and
visibility timeout (10 s) are short so a killed worker's job comes back within seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import polars as pl
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from bench.synthetic import SYNTHETIC_AS_OF, synthetic_lines
from config.celery_app import app as celery_app
from valuation.models import RunStatus, StockLine, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import services

from .conftest import AS_OF, BOOK, ELIGIBLE, FINANCING, GOOD_CSV, GOOD_LINES, csv_file, drop_broker_connections

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
LEASE_SECONDS = 5
VISIBILITY_TIMEOUT = 10
# Big enough that storing the lines (COPY) lasts about 2 s here, a wide window to kill the worker
# in; small enough that the whole re-run after the kill takes under 10 s.
BIG_FILE_LINES = 300_000
FINISHED = (UploadStatus.ACCEPTED, UploadStatus.REJECTED, UploadStatus.FAILED)


def redis_test_url() -> str:
    """The configured Redis, on a database number reserved for these tests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 15 - int(worker.removeprefix("gw") or 0) % 8
    return urlunsplit(urlsplit(django_settings.REDIS_URL)._replace(path=f"/{number}"))


def database_url() -> str:
    """pytest-django's test database, for the worker process."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


@pytest.fixture
def broker() -> Iterator[str]:
    """Send tasks from this process to the test Redis database instead of running them eagerly."""
    if not django_settings.REDIS_URL:
        pytest.skip("needs Redis for a real worker: set REDIS_URL (scripts/test-env.sh does when Redis answers)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot see the test's SQLite database (set DATABASE_URL)")
    import redis

    url = redis_test_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "broker_url", "result_backend")}
    # The result backend is cached on the app (per thread unless thread-safe): swap it too.
    saved_backend = (celery_app._backend_cache, getattr(celery_app._local, "backend", None))
    drop_broker_connections()
    conf.task_always_eager = False
    conf.broker_url = url
    conf.result_backend = url
    celery_app._backend_cache = celery_app._local.backend = None
    try:
        yield url
    finally:
        drop_broker_connections()
        for key, value in saved.items():
            conf[key] = value
        celery_app._backend_cache, celery_app._local.backend = saved_backend
        client.flushdb()
        client.close()


class Worker:
    """One `celery worker` process group; SIGKILL takes the parent and its pool child at once."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"pipeline-test-{os.getpid()}-{log.stem}@%h",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # the group may be gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def workers(db, broker, settings, tmp_path) -> Iterator[Callable[[], Worker]]:
    """Start workers on demand; every one is killed at teardown, before the database is flushed."""
    env = {
        **os.environ,
        "PYTHONPATH": str(BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "tests.pipeline.worker_settings",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "LOG_LEVEL": "INFO",
    }
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(env, tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


def worker_logs(tmp_path: Path) -> str:
    tails = [f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}" for log in sorted(tmp_path.glob("*.log"))]
    return "\n".join(tails)


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, tmp_path: Path) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout} s\n{worker_logs(tmp_path)}")


def status_of(upload: StockUpload) -> str:
    return StockUpload.objects.values_list("status", flat=True).get(pk=upload.pk)


def finished(upload: StockUpload) -> bool:
    return status_of(upload) in FINISHED


def test_worker_processes_an_upload_end_to_end(world, workers, tmp_path):
    """An upload committed in the web process is processed by a separate worker through Redis:
    accepted, lines stored and the facility valued with the hand-worked figures."""
    workers()

    upload = services.create_upload(client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF)
    wait_for(lambda: finished(upload), timeout=60, what="finished upload", tmp_path=tmp_path)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED, (upload.failure_reason, upload.report, worker_logs(tmp_path))
    assert upload.attempts == 1
    assert upload.line_count == GOOD_LINES
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES
    run = ValuationRun.objects.get(upload=upload, facility=world.facility_x)
    assert run.status == RunStatus.DONE
    assert (run.book_value, run.eligible_value, run.financing) == (BOOK, ELIGIBLE, FINANCING)
    assert Path(run.lines_file.path).is_file()  # written by the worker under the same MEDIA_ROOT
    assert services.current_run(world.facility_x) == run


def write_big_french_csv(path: Path, lines: int) -> None:
    """A French export (; separator, comma decimals, French headers) of `lines` synthetic stock
    lines from bench.synthetic, written with polars in about a second."""
    frame = pl.from_pandas(
        synthetic_lines(lines, seed=7)[
            ["sku", "description", "category", "warehouse", "quantity", "unit_cost", "last_movement_date"]
        ]
    )
    french = {"raw_material": "MP", "wip": "En cours", "finished_good": "PF"}
    export = frame.select(
        pl.col("sku").alias("Code article"),
        pl.col("description").alias("Désignation"),
        pl.col("category").replace_strict(french).alias("Famille"),
        pl.col("warehouse").alias("Dépôt"),
        pl.col("quantity").str.replace(".", ",", literal=True).alias("Qté"),
        pl.col("unit_cost").str.replace(".", ",", literal=True).alias("PU HT"),
        pl.col("last_movement_date").dt.strftime("%d/%m/%Y").alias("Date dernier mouvement"),
    )
    export.write_csv(path, separator=";")


def test_worker_killed_mid_task_is_redelivered_and_runs_exactly_once(world, workers, tmp_path):
    """SIGKILL of the whole worker while it stores an upload's lines loses nothing and doubles
    nothing: the message comes back after the visibility timeout, a new worker re-claims the job
    once its lease lapsed, and the result is one set of lines, one run and an accepted upload."""
    path = tmp_path / "etat-stock.csv"
    write_big_french_csv(path, BIG_FILE_LINES)
    first = workers()
    upload = services.create_upload(
        client=world.client_x,
        by=world.client_user_x,
        file=SimpleUploadedFile("etat-stock.csv", path.read_bytes(), content_type="text/csv"),
        as_of=SYNTHETIC_AS_OF,
    )
    seen: list[tuple[float, str, str]] = []
    started = time.monotonic()

    def late_stage() -> bool:
        status, stage = StockUpload.objects.values_list("status", "stage").get(pk=upload.pk)
        if not seen or seen[-1][1:] != (status, stage):
            seen.append((round(time.monotonic() - started, 2), status, stage))
        # Kill while the lines are being written (COPY inside the one transaction); stop waiting
        # too if the job got past it, and let the assertion below say so.
        return (status == UploadStatus.RUNNING and stage == "storing") or status in FINISHED

    wait_for(late_stage, timeout=90, what="upload being stored", tmp_path=tmp_path)
    first.kill()
    killed_at = time.monotonic()

    # The kill landed mid-task: nothing of the job was committed.
    assert status_of(upload) == UploadStatus.RUNNING, (seen, worker_logs(tmp_path))
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()

    workers()
    wait_for(lambda: finished(upload), timeout=120, what="finished upload after the kill", tmp_path=tmp_path)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED, (upload.failure_reason, worker_logs(tmp_path))
    assert time.monotonic() - killed_at >= VISIBILITY_TIMEOUT - 1  # redelivered, not resumed
    assert upload.attempts == 2
    assert upload.line_count == BIG_FILE_LINES
    assert StockLine.objects.filter(upload=upload).count() == BIG_FILE_LINES
    assert StockLine.objects.filter(upload=upload).values("row").distinct().count() == BIG_FILE_LINES
    runs = ValuationRun.objects.filter(upload=upload, facility=world.facility_x)
    assert runs.count() == 1
    assert runs.get().status == RunStatus.DONE


def test_a_database_connection_cut_during_the_copy_is_retried_not_failed(world, workers, tmp_path):
    """PostgreSQL ends the worker's connection (pg_terminate_backend) while the lines are copied:
    the transaction rolls back, the task hands its claim back and retries on a new connection, and
    the upload ends accepted with one set of lines, instead of failed for good."""
    path = tmp_path / "etat-stock.csv"
    write_big_french_csv(path, BIG_FILE_LINES)
    workers()
    upload = services.create_upload(
        client=world.client_x,
        by=world.client_user_x,
        file=SimpleUploadedFile("etat-stock.csv", path.read_bytes(), content_type="text/csv"),
        as_of=SYNTHETIC_AS_OF,
    )

    def copying_backend() -> int | bool:
        if finished(upload):
            return True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND query LIKE 'COPY valuation_stockline%%' AND state = 'active'"
            )
            row = cursor.fetchone()
        return row[0] if row else False

    pid = wait_for(copying_backend, timeout=90, what="COPY of the lines", tmp_path=tmp_path)
    assert pid is not True, "the upload finished before its COPY could be cut"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True

    wait_for(lambda: finished(upload), timeout=120, what="finished upload after the cut", tmp_path=tmp_path)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED, (upload.failure_reason, worker_logs(tmp_path))
    assert upload.attempts == 2
    assert StockLine.objects.filter(upload=upload).count() == BIG_FILE_LINES
    assert ValuationRun.objects.filter(upload=upload, facility=world.facility_x, status=RunStatus.DONE).count() == 1
