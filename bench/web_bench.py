"""Benchmark: dashboard and dossier latency under gunicorn, idle and while a worker values a big upload.

Run: ``.venv/bin/python -m bench.web_bench`` (``--lines 1000000``, ``--quick`` for a 100k-line
upload, ``--sessions 8``, ``--think 0.25``, ``--idle-seconds 20``), or ``bench.run --only web``.
Needs PostgreSQL and Redis (``DATABASE_URL`` / ``REDIS_URL``, as ``scripts/test-env.sh`` sets them).

What runs, all on this machine and torn down at the end, failure or not:

- a database of its own, ``stockpledge_bench_web`` (dropped and created here, dropped at the end;
  the dev and test databases are never touched) and Redis database 7 (flushed before and after);
- ``manage.py migrate``, then ``seed_demo`` and more, with tasks run in-process so the data is
  valued before the web starts: the demo firm, 7 more advisors, 24 more clients with 20 sites
  and two facilities each, valued from a 2,000-line file, and "Bench Industries", whose two
  facilities are valued from a 100,000-line file (their dossiers are the ones measured, with the
  demo client's two);
- ``gunicorn config.wsgi --workers 4`` on a free loopback port and ``celery -A config worker
  --concurrency 2``, both with ``config.settings.production`` (DEBUG off, ``SECRET_KEY`` random,
  ``ALLOWED_HOSTS=127.0.0.1``, static files collected once into a cache, WhiteNoise's manifest);
  requests carry ``X-Forwarded-Proto: https`` as a TLS-terminating load balancer's would;
- ``--sessions`` advisors log in through the ``/login/`` form (CSRF token, session cookie); one
  thread per session then loops: ``GET /dashboard/``, think, ``GET /facilities/<pk>/`` (the four
  dossiers in turn), think; think times are uniform in [0, 2 × ``--think``] seconds. First a
  warm-up (not counted), then ``--idle-seconds`` of idle load, then the loaded phase: the bench
  client's user sends the ``--lines`` French CSV through ``POST /api/uploads/`` (the gunicorn
  worker receives it and enqueues it) and the sessions keep going until the Celery worker has
  accepted it. Loaded figures count the requests *started* between the first poll that sees the
  job running and its ``finished_at``; the database is polled every 0.1 s.

After the idle phase, "dossier with 36 monthly runs": each session, without think time, asks
``HISTORY_ROUNDS`` times for a one-run dossier (the baseline) then the dossier of "History
Industries", whose pledge has 36 monthly runs (copies of the 100,000-line run's result), so its
history section reads 36 runs; its p95 is printed beside the baseline's and the 300 ms target.
``BENCH_WEB_DB`` and ``BENCH_WEB_REDIS_DB`` choose another database and Redis database, so two
runs on one machine do not drop each other's.

Latency is measured by the client, from before the connection opens to the response's last byte
(gunicorn's sync workers close each connection). The load generator runs on the same 2 cores as
everything else. Nothing is asserted: targets are printed PASS or FAIL; ``wrong`` lists what makes
``bench.run`` exit 1 (a page not answering 200, the upload not accepted with its lines and book
value, the window not overlapping the processing).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
# Overridable so two people (or worktrees) can run the bench on one machine at once.
BENCH_DB = os.environ.get("BENCH_WEB_DB", "stockpledge_bench_web")
REDIS_DB = int(os.environ.get("BENCH_WEB_REDIS_DB", "7"))  # dev uses 0, the pipeline tests 8-15
DEFAULT_LINES = 1_000_000
QUICK_LINES = 100_000
PREVIOUS_LINES = 100_000  # the bench client's current valuation while the big file is processed
PREVIOUS_SEED = 7  # not the big file's seed: a different file, not a duplicate
SMALL_LINES = 2_000  # each other client's file
OTHER_CLIENTS = 24
SESSIONS = 8
WEB_WORKERS = 4
CELERY_CONCURRENCY = 2
THINK_SECONDS = 0.25  # mean think time between a session's requests
IDLE_SECONDS = 20.0
WARMUP_ROUNDS = 2  # per session, not counted
LOADED_TIMEOUT = 180.0  # the loaded phase gives up after this long
POLL_SECONDS = 0.1
PASSWORD = "bench-web-password-not-secret"  # noqa: S105 - a throwaway database
ADVISOR_EMAIL = "advisor@demo.stockpledge.test"
DEMO_PASSWORD = "demo-stockpledge-2026"  # noqa: S105 - seed_demo's, printed by `make run`
CLIENT_EMAIL = "cfo@bench-web.test"

TARGET_IDLE_MS = 200.0  # p95, issue 13
TARGET_LOADED_MS = 500.0  # p95 while the worker processes the upload
HISTORY_RUNS = 36  # "dossier with 36 monthly runs": its history section reads them all
HISTORY_ROUNDS = 10  # per session, each round one plain dossier (the baseline) and the 36-run one
TARGET_HISTORY_MS = 300.0  # p95, issue 15
PAGES = ("dashboard", "dossier")


# ------------------------------------------------------------------------------ environment


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/stockpledge"
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"the web bench needs PostgreSQL; DATABASE_URL is {parts.scheme}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def bench_redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return urlunsplit(urlsplit(url)._replace(path=f"/{REDIS_DB}"))


def web_env(*, port: int, media: Path, static: Path) -> dict[str, str]:
    """Production settings on the bench database and Redis database; the upload cap raised for
    the 1M-line file (156 MB is under the 256 MiB default, kept explicit for bigger --lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=bench_database_url(),
        REDIS_URL=bench_redis_url(),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        MEDIA_ROOT=str(media),
        STATIC_ROOT=str(static),
        STOCK_FILE_MAX_BYTES=str(512 * 2**20),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(BASE_DIR),
    )
    return env


def admin_url() -> str:
    return urlunsplit(urlsplit(bench_database_url())._replace(path="/postgres"))


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(bench_redis_url())
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stock_file(n: int, seed: int, cache: Path) -> tuple[Path, dict[str, int]]:
    """The French export of ``n`` synthetic lines, cached as the pipeline bench caches it."""
    from bench import pipeline_bench
    from bench.exports import write_french_csv
    from bench.synthetic import synthetic_lines

    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"stock-{n}-{seed}-{pipeline_bench.STYLE_SEED}.csv"
    expected = path.with_suffix(".csv.json")
    if not (path.exists() and expected.exists()):
        lines = synthetic_lines(n, seed)
        partial = path.with_suffix(".partial")
        write_french_csv(lines, partial, seed=pipeline_bench.STYLE_SEED)
        partial.rename(path)
        expected.write_text(json.dumps({"lines": n, "book_cents": pipeline_bench._book_cents(lines)}))
    return path, json.loads(expected.read_text())


def collected_static(cache: Path, env: dict[str, str]) -> Path:
    """``collectstatic`` once per state of the static files (it takes ~30 s: the API docs' assets
    are compressed), kept in the cache and reused while nothing under static/ changed."""
    from importlib.metadata import version

    packages = ("whitenoise", "django", "djangorestframework", "drf-spectacular-sidecar")
    digest = hashlib.sha256(" ".join(f"{name} {version(name)}" for name in packages).encode())
    for path in sorted((BASE_DIR / "static").rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(BASE_DIR)} {path.stat().st_size} {path.stat().st_mtime_ns}".encode())
    target = cache / f"static-{digest.hexdigest()[:16]}"
    if (target / "staticfiles.json").exists():
        return target
    for old in cache.glob("static-*"):
        shutil.rmtree(old, ignore_errors=True)
    partial = target.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**env, "STATIC_ROOT": str(partial)},
        check=True,
    )
    partial.rename(target)
    return target


# ------------------------------------------------------------------------------------ seeding


def seed(previous: Path, small: Path) -> dict[str, Any]:
    """In-process tasks (CELERY_TASK_ALWAYS_EAGER=1): seed_demo, the advisors, the other clients
    valued from ``small``, the bench client valued from ``previous``. Returns the ids the load
    needs."""
    import django

    django.setup()
    from decimal import Decimal

    from django.core.files.uploadedfile import UploadedFile
    from django.core.management import call_command

    from bench.synthetic import SYNTHETIC_AS_OF, WAREHOUSES
    from borrowers.models import ClientCompany, Firm, Role, Tenure, User, Warehouse
    from facilities.models import Facility, Lender, Structure
    from valuation.models import UploadStatus
    from valuation.pipeline import services

    call_command("seed_demo", stdout=io.StringIO())
    firm = Firm.objects.get(name="Demo Advisory Partners")
    lender = Lender.objects.get(firm=firm, name="Banque Exemple")
    for i in range(1, SESSIONS):
        User.objects.create_user(f"advisor{i}@bench-web.test", PASSWORD, role=Role.ADVISOR, firm=firm)
    advisor = User.objects.get(email=ADVISOR_EMAIL)

    def client_with_facilities(name: str) -> tuple[ClientCompany, list[Facility]]:
        client = ClientCompany.objects.create(firm=firm, legal_name=name, currency="EUR")
        Warehouse.objects.bulk_create(
            Warehouse(
                client=client, code=code, name=f"Site {code}", tenure=Tenure.LEASED if code == "W19" else Tenure.OWNED
            )
            for code in WAREHOUSES
        )
        facilities = [
            Facility.objects.create(
                client=client, lender=lender, name="Pledge", structure=Structure.PLEDGE_WITHOUT_DISPOSSESSION
            ),
            Facility.objects.create(
                client=client,
                lender=lender,
                name="Borrowing base",
                structure=Structure.BORROWING_BASE,
                facility_limit=Decimal("50000000"),
                outstanding=Decimal("20000000"),
            ),
        ]
        return client, facilities

    def upload(client: ClientCompany, by: User, path: Path) -> None:
        with path.open("rb") as handle:
            made = services.create_upload(
                client=client,
                by=by,
                file=UploadedFile(handle, name=path.name, size=path.stat().st_size),
                as_of=SYNTHETIC_AS_OF,
            )
        made.refresh_from_db()
        if made.status != UploadStatus.ACCEPTED:
            raise RuntimeError(f"seed upload {path.name} for {client}: {made.status} {made.failure_reason}")

    for i in range(1, OTHER_CLIENTS + 1):
        client, _ = client_with_facilities(f"Client {i:02d} SA")
        upload(client, advisor, small)
    bench, bench_facilities = client_with_facilities("Bench Industries")
    cfo = User.objects.create_user(CLIENT_EMAIL, PASSWORD, role=Role.CLIENT, firm=firm, client=bench)
    upload(bench, cfo, previous)
    demo = Facility.objects.filter(client__legal_name="Atelier Lumière SAS").order_by("pk")
    return {
        "history": history_facility(firm, lender, advisor, template=bench_facilities[0]),
        "dossiers": [f.pk for f in bench_facilities] + [f.pk for f in demo],
        "client": bench.pk,
        "advisors": [ADVISOR_EMAIL] + [f"advisor{i}@bench-web.test" for i in range(1, SESSIONS)],
        "facilities": Facility.objects.filter(client__firm=firm).count(),
        "clients": ClientCompany.objects.filter(firm=firm).count(),
    }


def history_facility(firm: Any, lender: Any, by: Any, *, template: Any) -> int:
    """A client whose pledge has ``HISTORY_RUNS`` monthly runs, each a copy of the template
    facility's 100,000-line run (its full result JSON) with the book value varied month by month;
    the files are not stored (the dossier never reads them). Returns the facility's pk."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from bench.synthetic import SYNTHETIC_AS_OF
    from borrowers.models import ClientCompany
    from facilities.models import Facility, Structure
    from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun

    source = ValuationRun.objects.filter(facility=template).current().first()
    client = ClientCompany.objects.create(firm=firm, legal_name="History Industries", currency="EUR")
    facility = Facility.objects.create(
        client=client, lender=lender, name="Pledge, 36 months", structure=Structure.PLEDGE_WITHOUT_DISPOSSESSION
    )
    for i in range(HISTORY_RUNS):
        month = (SYNTHETIC_AS_OF.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # the last whole month
        for _ in range(HISTORY_RUNS - 1 - i):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        as_of = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        upload = StockUpload(
            client=client,
            original_name=f"history-{as_of}.csv",
            checksum=hashlib.sha256(f"history-{i}".encode()).hexdigest(),
            size=1,
            uploaded_by=by,
            as_of=as_of,
            status=UploadStatus.ACCEPTED,
        )
        upload.file.name = f"stock-files/{client.pk}/history-{as_of}.csv"
        upload.save()
        scale = Decimal(90 + i) / Decimal(100)
        ValuationRun.objects.create(
            facility=facility,
            upload=upload,
            as_of=as_of,
            terms=source.terms,
            terms_hash=source.terms_hash,
            status=RunStatus.DONE,
            result=source.result,
            currency=source.currency,
            **{
                name: (getattr(source, name) * scale).quantize(Decimal("0.01"))
                for name in ("book_value", "eligible_value", "liquidation_value", "financing", "availability")
                if getattr(source, name) is not None
            },
            engine_version=source.engine_version,
            inputs_digest=source.inputs_digest,
            history_figures=source.history_figures,
            finished_at=timezone.now(),
        )
    return facility.pk


def measure_history(clients: list[Client], *, history_pk: int, baseline_pk: int, rounds: int) -> dict[str, Any]:
    """Each session, no think time, ``rounds`` times: a one-run dossier (the baseline), then the
    36-run one. Per page: count, p50, p95, max in milliseconds."""
    samples: dict[str, list[float]] = {"baseline": [], "history": []}
    errors: list[str] = []
    lock = threading.Lock()

    def loop(client: Client) -> None:
        for _ in range(rounds):
            for page, pk in (("baseline", baseline_pk), ("history", history_pk)):
                begin = time.perf_counter()
                status, _, body = client.request("GET", f"/facilities/{pk}/")
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    samples[page].append(elapsed)
                    if status != 200 or (page == "history" and b'id="history"' not in body):
                        errors.append(f"GET /facilities/{pk}/: {status} (history section missing?)")

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    out: dict[str, Any] = {"errors": errors[:5]}
    for page, ms in samples.items():
        out[page] = {
            "n": len(ms),
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "max": max(ms) if ms else float("nan"),
        }
    return out


# ------------------------------------------------------------------------------------ processes


class Service:
    """A server process in its own process group (gunicorn's master and workers, Celery's parent
    and pool), logging to a file; stopped by its group id."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # the group's stragglers
            os.killpg(self.process.pid, signal.SIGKILL)


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, services: list[Service]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for service in services:
            if not service.alive():
                raise RuntimeError(f"{service.name} ended before {what}:\n{service.tail()}")
        with contextlib.suppress(OSError):
            if predicate():
                return
        time.sleep(0.2)
    raise RuntimeError(f"no {what} within {timeout:.0f} s:\n" + "\n".join(s.tail() for s in services))


# --------------------------------------------------------------------------------------- HTTP


@dataclass
class Client:
    """One browser: its cookies, sent to gunicorn over loopback as a load balancer would forward it."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "User-Agent": "stockpledge-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        return {**headers, **(extra or {})}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=self.headers(headers))
            response = conn.getresponse()
            data = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(cookie).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers), data
        finally:
            conn.close()

    def login(self, email: str, password: str) -> None:
        status, _, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None or "csrftoken" not in self.cookies:
            raise RuntimeError(f"log-in page answered {status} without a CSRF token")
        origin = f"https://127.0.0.1:{self.port}"
        form = urlencode({"username": email, "password": password, "csrfmiddlewaretoken": match.group(1).decode()})
        status, headers, _ = self.request(
            "POST",
            "/login/",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": f"{origin}/login/"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"log-in of {email} answered {status} {headers.get('Location')}")

    def obtain_token(self, email: str, password: str) -> None:
        body = json.dumps({"email": email, "password": password}).encode()
        status, _, data = self.request("POST", "/api/auth/token/", body, {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"token for {email}: {status} {data[:300]!r}")
        self.token = json.loads(data)["token"]

    def upload(self, path: Path, *, client: int, as_of: str) -> tuple[int, dict[str, Any]]:
        """``POST /api/uploads/`` as multipart, the file streamed from disk (not held in memory)."""
        boundary = f"stockpledge-bench-{secrets.token_hex(8)}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="client"\r\n\r\n{client}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="as_of"\r\n\r\n{as_of}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.putrequest("POST", "/api/uploads/", skip_host=True, skip_accept_encoding=True)
            headers = self.headers(
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(len(head) + path.stat().st_size + len(tail)),
                }
            )
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            conn.send(head)
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    conn.send(chunk)
            conn.send(tail)
            response = conn.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data.startswith(b"{") else {"body": data[:500].decode()}
        finally:
            conn.close()


@dataclass
class Sample:
    page: str
    started: float  # time.time(), to compare with the database's timestamps
    seconds: float
    status: int


class Session(threading.Thread):
    """One logged-in advisor clicking: the dashboard, then a dossier, with think times."""

    def __init__(self, client: Client, dossiers: list[int], think: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.dossiers = dossiers
        self.think = think
        self.rng = random.Random(seed)
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.rounds = -1  # run until stopped
        self.turn = seed  # sessions start on different dossiers

    def one(self, page: str) -> Sample:
        path = "/dashboard/" if page == "dashboard" else f"/facilities/{self.dossiers[self.turn % len(self.dossiers)]}/"
        if page == "dossier":
            self.turn += 1
        started, begin = time.time(), time.perf_counter()
        try:
            status, _, body = self.client.request("GET", path)
        except OSError as error:
            status, body = 0, str(error).encode()
        sample = Sample(page, started, time.perf_counter() - begin, status)
        if status != 200:
            self.errors.append(f"GET {path}: {status} {body[:200]!r}")
        return sample

    def run(self) -> None:
        done = 0
        while not self.stop.is_set() and done != self.rounds:
            for page in PAGES:
                self.samples.append(self.one(page))
                if self.think:
                    self.stop.wait(self.rng.uniform(0, 2 * self.think))
            done += 1


def run_sessions(sessions: list[Session], *, seconds: float | None = None, rounds: int = -1) -> list[Sample]:
    """Run every session (for ``seconds`` or ``rounds`` each) and return their samples."""
    for i, session in enumerate(list(sessions)):
        fresh = Session(session.client, session.dossiers, session.think, seed=i)
        fresh.rounds = rounds
        sessions[i] = fresh
        fresh.start()
    if seconds is not None:
        time.sleep(seconds)
        for session in sessions:
            session.stop.set()
    for session in sessions:
        session.join(timeout=180)
    return [s for session in sessions for s in session.samples]


class LoadInBackground:
    """The sessions running until ``stop()``: the loaded phase."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = [Session(s.client, s.dossiers, s.think, seed=100 + i) for i, s in enumerate(sessions)]
        self.started = self.ended = 0.0

    def __enter__(self) -> LoadInBackground:
        self.started = time.time()
        for session in self.sessions:
            session.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for session in self.sessions:
            session.stop.set()
        for session in self.sessions:
            session.join(timeout=180)
        self.ended = time.time()

    @property
    def samples(self) -> list[Sample]:
        return [s for session in self.sessions for s in session.samples]

    @property
    def errors(self) -> list[str]:
        return [e for session in self.sessions for e in session.errors]


# -------------------------------------------------------------------------------- measurement


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value that ``pct`` % of the samples do not exceed)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil(n × pct / 100)
    return ordered[int(rank) - 1]


def figures(samples: list[Sample]) -> dict[str, dict[str, float]]:
    """Per page: count, p50, p95 and max in milliseconds."""
    out = {}
    for page in PAGES:
        ms = [s.seconds * 1000 for s in samples if s.page == page]
        out[page] = {
            "n": len(ms),
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "max": max(ms) if ms else float("nan"),
        }
    return out


def watch_upload(upload_id: int, timeout: float) -> dict[str, Any]:
    """Poll the upload's row until it ends: when it was first seen running, and its end."""
    import psycopg

    seen_running = claimed = None
    deadline = time.monotonic() + timeout
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            status, claimed_at, finished_at, lines, reason = conn.execute(
                "SELECT status, claimed_at, finished_at, line_count, failure_reason "
                "FROM valuation_stockupload WHERE id = %s",
                [upload_id],
            ).fetchone()
            if status == "running" and seen_running is None:
                seen_running = time.time()
                claimed = claimed_at.timestamp() if claimed_at else seen_running
            if status in ("accepted", "rejected", "failed"):
                end = finished_at.timestamp() if finished_at else time.time()
                start = min(claimed or end, seen_running or end)
                book = conn.execute(
                    "SELECT sum(book_value) FROM valuation_stockline WHERE upload_id = %s", [upload_id]
                ).fetchone()[0]
                runs = conn.execute(
                    "SELECT status, book_value FROM valuation_valuationrun WHERE upload_id = %s", [upload_id]
                ).fetchall()
                return {
                    "status": status,
                    "started": start,
                    "ended": end,
                    "line_count": lines,
                    "book_cents": int(book * 100) if book is not None else None,
                    "runs": [(s, int(b * 100) if b is not None else None) for s, b in runs],
                    "reason": reason,
                }
            time.sleep(POLL_SECONDS)
    return {"status": "timeout", "started": seen_running, "ended": None}


def measure(
    *,
    lines: int,
    sessions: int,
    think: float,
    idle_seconds: float,
    cache: Path,
    log: Callable[[str], None],
    worker_nice: int = 0,
) -> dict[str, Any]:
    """Set up, measure idle then loaded, tear down. Returns the figures and what went wrong."""
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="stockpledge-bench-web-"))
    media, logs = work / "media", work / "logs"
    media.mkdir()
    logs.mkdir()
    port = free_port()
    env = web_env(port=port, media=media, static=cache / "static-pending")
    services: list[Service] = []
    result: dict[str, Any] = {"lines": lines, "sessions": sessions, "think": think, "nice": worker_nice, "wrong": []}
    try:
        log(f"  web bench: files ({lines:,}-line upload, {PREVIOUS_LINES:,}-line and {SMALL_LINES:,}-line seeds)…")
        big, expected = stock_file(lines, 42, cache)
        previous, _ = stock_file(PREVIOUS_LINES, PREVIOUS_SEED, cache)
        small, _ = stock_file(SMALL_LINES, PREVIOUS_SEED, cache)
        result["bytes"] = big.stat().st_size
        log("  web bench: static files, database, migrate, seed…")
        env["STATIC_ROOT"] = str(collected_static(cache, env))
        recreate_database()
        flush_redis()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.web_bench", "--seed", str(previous), str(small)],
            cwd=BASE_DIR,
            env={**env, "CELERY_TASK_ALWAYS_EAGER": "1", "STOCK_UPLOADS_PER_HOUR": "0"},
            capture_output=True,
            text=True,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr[-3000:]}")
        world = json.loads(seeded.stdout.strip().splitlines()[-1])
        result.update(clients=world["clients"], facilities=world["facilities"])
        log(f"  web bench: gunicorn ({WEB_WORKERS} workers) on 127.0.0.1:{port} and a Celery worker…")
        bin_dir = Path(sys.executable).parent
        gunicorn = [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(WEB_WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        celery = [
            *(["nice", "-n", str(worker_nice)] if worker_nice else []),
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency",
            str(CELERY_CONCURRENCY),
            "--loglevel",
            "INFO",
            "-n",
            f"bench-web-{os.getpid()}@%h",
        ]
        result["gunicorn"] = " ".join(gunicorn[1:])
        services.append(Service("gunicorn", gunicorn, env, logs / "gunicorn.log"))
        services.append(Service("celery", celery, env, logs / "celery.log"))
        probe = Client(port)
        wait_until(
            lambda: probe.request("GET", "/health/")[0] == 200, timeout=60, what="gunicorn answering", services=services
        )
        wait_until(lambda: " ready." in services[1].tail(20000), timeout=60, what="Celery ready", services=services)
        clients = []
        for email in world["advisors"][:sessions]:
            client = Client(port)
            client.login(email, DEMO_PASSWORD if email == ADVISOR_EMAIL else PASSWORD)
            clients.append(client)
        runners = [Session(c, world["dossiers"], think, seed=i) for i, c in enumerate(clients)]
        log(f"  web bench: warm-up, then {idle_seconds:.0f} s of idle load ({sessions} sessions)…")
        run_sessions(runners, rounds=WARMUP_ROUNDS)
        warm_errors = [e for r in runners for e in r.errors]
        idle_started = time.time()
        result["load_average"] = [os.getloadavg()[0]]
        idle = run_sessions(runners, seconds=idle_seconds)
        result["load_average"].append(os.getloadavg()[0])
        result["idle"] = figures(idle)
        result["idle_seconds"] = time.time() - idle_started
        result["wrong"] += [e for r in runners for e in r.errors][:5] + warm_errors[:5]
        log(f"  web bench: the dossier with {HISTORY_RUNS} monthly runs, {HISTORY_ROUNDS} rounds a session…")
        result["history"] = measure_history(
            clients, history_pk=world["history"], baseline_pk=world["dossiers"][0], rounds=HISTORY_ROUNDS
        )
        result["wrong"] += result["history"]["errors"]

        log(f"  web bench: loaded: {lines:,}-line upload through the API while the sessions go on…")
        uploader = Client(port)
        uploader.obtain_token(CLIENT_EMAIL, PASSWORD)
        from bench.synthetic import SYNTHETIC_AS_OF

        with LoadInBackground(runners) as load:
            time.sleep(1.0)  # the sessions are going before the file is sent
            sent = time.time()
            status, body = uploader.upload(big, client=world["client"], as_of=SYNTHETIC_AS_OF.isoformat())
            received = time.time()
            if status != 202:
                raise RuntimeError(f"upload answered {status}: {body}")
            job = watch_upload(int(body["id"]), LOADED_TIMEOUT)
            time.sleep(0.5)
            result["load_average"].append(os.getloadavg()[0])
        loaded = [
            s
            for s in load.samples
            if job.get("started") and job.get("ended") and job["started"] <= s.started <= job["ended"]
        ]
        result["loaded"] = figures(loaded)
        result["wrong"] += load.errors[:5]
        result["upload"] = {
            "post_seconds": received - sent,
            "queued_seconds": (job["started"] or received) - received,
            "processing_seconds": (job["ended"] or time.time()) - (job["started"] or received),
            "status": job["status"],
            "load_from": load.started - (job["started"] or load.started),
            "load_to": load.ended - (job["ended"] or load.ended),
        }
        if job["started"] and job["ended"]:
            covered = min(load.ended, job["ended"]) - max(load.started, job["started"])
            result["upload"]["overlap"] = covered / max(job["ended"] - job["started"], 1e-9)
        else:
            result["upload"]["overlap"] = 0.0
        result["wrong"] += check_upload(job, expected)
        if result["upload"]["overlap"] < 0.999:
            result["wrong"].append(f"the load covered only {result['upload']['overlap']:.0%} of the processing")
        for page in PAGES:
            if result["loaded"][page]["n"] < 10:
                result["wrong"].append(f"only {result['loaded'][page]['n']} {page} requests during the processing")
    except Exception as error:  # noqa: BLE001 - reported in the table, the rest of make bench goes on
        result["wrong"].append(f"web bench crashed: {error}")
    finally:
        for service in reversed(services):
            service.stop()
        with contextlib.suppress(Exception):
            drop_database()
        with contextlib.suppress(Exception):
            flush_redis()
        if result["wrong"]:
            for service in services:
                result["wrong"].append(f"--- {service.name} log tail:\n{service.tail(1500)}")
        shutil.rmtree(work, ignore_errors=True)
        result["seconds"] = time.perf_counter() - started
    return result


def check_upload(job: dict[str, Any], expected: dict[str, int]) -> list[str]:
    wrong = []
    if job["status"] != "accepted":
        wrong.append(f"upload {job['status']}: {job.get('reason', '')}")
        return wrong
    if job["line_count"] != expected["lines"] or job["book_cents"] != expected["book_cents"]:
        wrong.append(f"upload stored {job['line_count']} lines, book {job['book_cents']}; expected {expected}")
    for status, book in job["runs"]:
        if status != "done" or book != expected["book_cents"]:
            wrong.append(f"run {status} with book {book}, expected {expected['book_cents']}")
    if len(job["runs"]) != 2:
        wrong.append(f"{len(job['runs'])} runs, expected 2")
    return wrong


# ------------------------------------------------------------------------------------- output


def _mark(value: float, target: float) -> str:
    return "PASS" if value < target else "FAIL"


def format_table(result: dict[str, Any]) -> str:
    """Idle and loaded p50/p95/max per page beside the targets, then the upload's timing."""
    header = (
        f"{'page':<17} | {'idle n':>6} {'p50':>6} {'p95':>6} {'max':>6} | "
        f"{'loaded n':>8} {'p50':>6} {'p95':>6} {'max':>6} | targets (p95, ms)"
    )
    lines = [header, "-" * len(header)]
    nan = {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    for page in PAGES:
        idle = result.get("idle", {}).get(page, nan)
        loaded = result.get("loaded", {}).get(page, nan)
        lines.append(
            f"{'/dashboard/' if page == 'dashboard' else '/facilities/<pk>/':<17} | "
            f"{idle['n']:>6} {idle['p50']:>6.0f} {idle['p95']:>6.0f} {idle['max']:>6.0f} | "
            f"{loaded['n']:>8} {loaded['p50']:>6.0f} {loaded['p95']:>6.0f} {loaded['max']:>6.0f} | "
            f"idle < {TARGET_IDLE_MS:.0f} {_mark(idle['p95'], TARGET_IDLE_MS)}; "
            f"loaded < {TARGET_LOADED_MS:.0f} {_mark(loaded['p95'], TARGET_LOADED_MS)}"
        )
    history = result.get("history")
    if history:
        h, b = history["history"], history["baseline"]
        lines.append(
            f"{'dossier, 36 runs':<17} | {h['n']:>6} {h['p50']:>6.0f} {h['p95']:>6.0f} {h['max']:>6.0f} | "
            f"baseline (1-run dossier, same load) p95 {b['p95']:.0f} | "
            f"< {TARGET_HISTORY_MS:.0f} {_mark(h['p95'], TARGET_HISTORY_MS)}"
        )
    lines.append("(milliseconds, client-side, connection to last byte)")
    upload = result.get("upload")
    if upload:
        lines.append(
            f"upload of {result['lines']:,} lines ({result.get('bytes', 0) / 1e6:.0f} MB CSV): "
            f"POST {upload['post_seconds']:.1f} s, "
            f"queued {max(upload['queued_seconds'], 0.0):.1f} s, "
            f"processed by the worker in {upload['processing_seconds']:.1f} s "
            f"({upload['status']}); the load ran from {-upload['load_from']:.1f} s before the processing to "
            f"{upload['load_to']:.1f} s after it: {upload['overlap']:.0%} of the processing covered"
        )
    if "clients" in result:
        nice = f" under nice -n {result['nice']}" if result.get("nice") else ""
        lines.append(
            f"{result['sessions']} advisor sessions, think time uniform 0–{2 * result['think']:.2f} s, "
            f"{result['clients']} clients / {result['facilities']} facilities on the dashboard; "
            f"`gunicorn {result.get('gunicorn', '')}`, celery --concurrency {CELERY_CONCURRENCY}{nice}; "
            f"part took {result['seconds']:.0f} s"
        )
    if "load_average" in result:
        averages = ", ".join(f"{v:.2f}" for v in result["load_average"])
        lines.append(f"load average (1 min) before idle, after idle, after loaded: {averages}")
    for problem in result["wrong"]:
        lines.append(f"WRONG: {problem}")
    return "\n".join(lines)


def main() -> None:
    from bench import pipeline_bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="lines of the upload processed under load")
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_LINES:,}-line upload, 10 s idle")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--think", type=float, default=THINK_SECONDS, help="mean think time, seconds (0: none)")
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS)
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="start the Celery worker under `nice -n N` (web and worker on 1 box)"
    )
    parser.add_argument("--cache", type=Path, default=pipeline_bench.DEFAULT_CACHE)
    parser.add_argument("--seed", nargs=2, metavar=("PREVIOUS", "SMALL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        print(json.dumps(seed(Path(args.seed[0]), Path(args.seed[1]))))
        return
    lines, idle = (QUICK_LINES, 10.0) if args.quick else (args.lines, args.idle_seconds)
    result = measure(
        lines=lines,
        sessions=min(args.sessions, SESSIONS),
        think=args.think,
        idle_seconds=idle,
        cache=args.cache,
        log=lambda text: print(text, file=sys.stderr),
        worker_nice=args.worker_nice,
    )
    print(format_table(result))
    sys.exit(1 if result["wrong"] else 0)


if __name__ == "__main__":
    main()
