"""Benchmark: the whole upload pipeline against PostgreSQL, next to the physical floor.

Run: ``.venv/bin/python -m bench.pipeline_bench`` (``--sizes 10000 100000 1000000``, ``--repeat 3``,
``--profile N`` for a cProfile of one 100k/1M pipeline run). Needs PostgreSQL (``DATABASE_URL``).

Inputs: seeded synthetic lines (``bench.synthetic``) written once as a French ERP export
(``;``, comma decimals, no-break-space thousands, Windows-1252, title block and total row) and as
XLSX (up to 100k lines), cached under ``--cache``. Writing a 1M-line export takes ~35 s, so the
files are reused between runs; the generation is never timed.

Pipeline: in a fresh interpreter per measurement, Django with ``config.settings.test`` (tasks run
eagerly in-process) on a dedicated database ``stockpledge_bench`` (created and migrated here; the
dev and test databases are never touched), one firm / client / 20 warehouses / a pledge and a
borrowing-base facility / a client user. ``valuation.pipeline.services.create_upload`` gets the file as an
``UploadedFile``; on commit the eager task runs ``services.process_upload``. The stages are timed
by wrapping the service's own stage functions (production code is not edited). After a warm-up
upload of 1,000 lines, each of ``--repeat`` runs is timed; we report the median and the highest
whole-process RSS (psutil, sampled every 2 ms) seen during any run. Every run is checked: upload
ACCEPTED, ``line_count == n``, n lines stored, every run DONE with the file's book value total.

Floor, measured in the same invocation: (a) what an analyst writes in pandas: ``read_csv`` of the
same French file, then the same masks, liquidation value and group totals in floats
(``bench.engine_bench.baseline``); (b) a raw COPY of the same lines as canonical CSV text into a
bare table (the stock-line columns, no id, no index, no FK), commit included. floor = (a) + (b).
For information, (c) the same COPY into a table shaped like ``valuation_stockline`` (identity
key and the ``(upload, row)`` index).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

BENCH_DB = "stockpledge_bench"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
XLSX_TIMED_LINES = 100_000  # the XLSX size with a time goal
XLSX_TURNS_LINES = 1_000_000  # from this size XLSX is measured in turns with its floor, as CSV
LINES_SEED = 42  # the synthetic lines
STYLE_SEED = 3  # the export's conventions: French headers, d/m/Y dates, title block, total row
WARMUP_LINES = 1_000
MAX_FILE_BYTES = 512 * 2**20  # the 1M-line French CSV is 156 MB, above the default 100 MiB cap
COPY_CHUNK_BYTES = 8 * 2**20
BARE_TABLE = "bench_floor_bare"
INDEXED_TABLE = "bench_floor_indexed"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "stockpledge-bench"

# Goals (bench/README.md).
TARGET_RATIO = 1.5  # pipeline / floor at 1M CSV lines, and at 1M XLSX lines
TARGET_PEAK_MB = 1536  # worker peak RSS
TARGET_XLSX_SECONDS = 10.0  # 100k-line XLSX, whole pipeline

# Stage names, in display order; nested ones are indented in the breakdown.
STAGES = (
    ("receive", "receive: checksum + save file", 0),
    ("read_grid", "open: parse the grid of text cells", 0),
    ("store", "slices: validate, check, COPY; then value", 0),
    ("build_lines", "map + validate", 1),
    ("to_pandas", "to pandas", 1),
    ("prepare", "prepare lines (engine)", 1),
    ("encode", "binary COPY slices", 1),
    ("copy", "encode + send slices", 1),
    ("value_thread", "valuing thread (during COPY's end)", 0),
    ("valuate", "valuate x facilities", 1),
    ("parquet", "per-line Parquet", 1),
    ("save_runs", "save runs", 0),
    ("commit", "commit", 0),
    ("other", "claim, terms, wait, other", 0),
    ("total", "TOTAL", 0),
)


# ------------------------------------------------------------------------------------- inputs


def bench_database_url() -> str:
    """The bench database on the server ``DATABASE_URL`` points at (never the dev/test database)."""
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/stockpledge"
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"the pipeline bench needs PostgreSQL; DATABASE_URL is {parts.scheme}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def bench_env(media_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=bench_database_url(),
        DJANGO_SETTINGS_MODULE="config.settings.test",
        MEDIA_ROOT=str(media_root),
        STOCK_FILE_MAX_BYTES=str(MAX_FILE_BYTES),
        STOCK_UPLOADS_PER_HOUR="0",  # one bench user sends every measured file
        LOG_LEVEL="WARNING",
    )
    return env


def input_files(n: int, cache: Path, *, xlsx: bool) -> tuple[Path, Path, Path]:
    """(export, warm-up export, canonical COPY text) for n lines, written once and cached."""
    from bench.exports import write_french_csv, write_xlsx
    from bench.synthetic import synthetic_lines

    cache.mkdir(parents=True, exist_ok=True)
    suffix = "xlsx" if xlsx else "csv"
    writer = write_xlsx if xlsx else write_french_csv
    paths = []
    for count in (n, WARMUP_LINES):
        path = cache / f"stock-{count}-{LINES_SEED}-{STYLE_SEED}.{suffix}"
        expected = path.with_suffix(f".{suffix}.json")
        if not (path.exists() and expected.exists()):
            lines = synthetic_lines(count, LINES_SEED)
            partial = path.with_suffix(".partial")
            writer(lines, partial, seed=STYLE_SEED)
            partial.rename(path)
            expected.write_text(json.dumps({"lines": count, "book_cents": _book_cents(lines)}))
            if not xlsx:
                _write_canonical(lines, cache / f"canonical-{count}-{LINES_SEED}.csv")
        paths.append(path)
    canonical = cache / f"canonical-{n}-{LINES_SEED}.csv"
    if not canonical.exists():
        _write_canonical(synthetic_lines(n, LINES_SEED), canonical)
    return paths[0], paths[1], canonical


def _book_cents(lines: Any) -> int:
    import polars as pl

    book = pl.from_pandas(lines["book_value"]).str.replace(".", "", literal=True).cast(pl.Int64)
    return int(book.sum())


def _write_canonical(lines: Any, path: Path) -> None:
    """The same lines as the CSV text COPY takes: dot decimals, ISO dates, t/f, a header row."""
    import polars as pl

    from bench.exports import to_polars
    from valuation.engine.columns import COLUMNS, DATE, FLAG

    frame = to_polars(lines)
    exprs = [pl.lit(1, dtype=pl.Int64).alias("upload_id"), pl.int_range(2, frame.height + 2).alias("row")]
    for name in frame.columns:
        kind = COLUMNS.get(name)
        if kind == DATE:
            exprs.append(pl.col(name).cast(pl.String))
        elif kind == FLAG:
            exprs.append(pl.when(pl.col(name)).then(pl.lit("t")).when(~pl.col(name)).then(pl.lit("f")).alias(name))
        elif kind is not None:
            exprs.append(pl.col(name).cast(pl.String))
    partial = path.with_suffix(".partial")
    frame.select(exprs).write_csv(partial, null_value="")
    partial.rename(path)


# ---------------------------------------------------------------------------------- database


def ensure_database() -> None:
    """Create the bench database when missing (connecting to the server's ``postgres`` database)."""
    import psycopg

    admin = urlunsplit(urlsplit(bench_database_url())._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _django() -> None:
    import django

    django.setup()


def setup_world() -> None:
    """Migrate the bench database; create the bench parties, facilities and floor tables."""
    from django.core.management import call_command
    from django.db import connection

    _django()
    call_command("migrate", verbosity=0, interactive=False)
    world()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}, {INDEXED_TABLE}")
        cursor.execute(f"CREATE TABLE {BARE_TABLE} (LIKE valuation_stockline)")
        cursor.execute(f"ALTER TABLE {BARE_TABLE} DROP COLUMN IF EXISTS id")
        cursor.execute(f"CREATE TABLE {INDEXED_TABLE} (LIKE valuation_stockline INCLUDING ALL)")


def world() -> tuple[Any, Any]:
    """(client, user) of the bench, created on first use."""
    from decimal import Decimal

    from borrowers.models import ClientCompany, Firm, Role, StockCategory, Tenure, User, Warehouse
    from facilities.models import Facility, Lender, Structure

    firm, _ = Firm.objects.get_or_create(name="Bench Advisory")
    client, _ = ClientCompany.objects.get_or_create(firm=firm, legal_name="Bench Industries", currency="EUR")
    for i in range(1, 21):
        tenure = Tenure.LEASED if i == 19 else Tenure.THIRD_PARTY if i == 20 else Tenure.OWNED
        Warehouse.objects.get_or_create(
            client=client, code=f"W{i:02d}", defaults={"name": f"Site {i}", "tenure": tenure}
        )
    for code, base, liquidity in (
        ("MP", "raw_material", "high"),
        ("EC", "wip", "low"),
        ("PF", "finished_good", "medium"),
    ):
        StockCategory.objects.get_or_create(
            firm=firm,
            code=code,
            defaults={"name": code, "base_category": base, "liquidity_class": liquidity, "selling_costs_pct": 10},
        )
    lender, _ = Lender.objects.get_or_create(firm=firm, name="Bench Bank")
    Facility.objects.get_or_create(
        client=client, lender=lender, name="Pledge", defaults={"structure": Structure.PLEDGE_WITHOUT_DISPOSSESSION}
    )
    Facility.objects.get_or_create(
        client=client,
        lender=lender,
        name="Borrowing base",
        defaults={"structure": Structure.BORROWING_BASE, "facility_limit": Decimal("50000000")},
    )
    user = User.objects.filter(email="cfo@bench.test").first() or User.objects.create_user(
        "cfo@bench.test", "bench-password-not-secret", role=Role.CLIENT, firm=firm, client=client
    )
    return client, user


def clean(client: Any) -> None:
    """Forget the bench client's earlier uploads, then checkpoint so a checkpoint does not land mid-run."""
    import shutil

    from django.conf import settings
    from django.db import connection

    from valuation.models import StockUpload

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE valuation_stockline")
        StockUpload.objects.filter(client=client).delete()
        cursor.execute("CHECKPOINT")
    for child in Path(settings.MEDIA_ROOT).glob("*"):
        shutil.rmtree(child, ignore_errors=True)


# -------------------------------------------------------------------------------- measurement


class Stages:
    """Accumulates seconds per stage by wrapping module attributes (restored on exit)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attribute: str, stage: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.seconds[stage] += end - start
                self.intervals[stage].append((start, end))

        self._undo.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    def __enter__(self) -> Stages:
        from django.db import connections

        from valuation.imports import reader, validate
        from valuation.pipeline import services, storage

        self.wrap(services, "process_upload", "process")
        self.wrap(reader, "_open", "read_grid")
        self.wrap(validate.LineBuilder, "_build", "build_lines")
        self.wrap(reader, "to_pandas", "to_pandas")
        self.wrap(services, "prepare_lines", "prepare")
        self.wrap(services, "valuate_converted", "valuate")  # the engine, with the currency conversion
        self.wrap(services, "_compute", "value_thread")
        self.wrap(services, "_store_and_value", "store")
        self.wrap(storage, "encode_slice", "encode")
        self.wrap(storage.LineCopy, "write", "copy")
        self.wrap(services, "_save_run", "save_runs")
        self.wrap(services, "_lines_parquet", "parquet")
        self.wrap(connections["default"], "commit", "commit")  # Atomic.__exit__ calls connection.commit()
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)

    def result(self, total: float) -> dict[str, float]:
        out = dict(self.seconds)
        out["total"] = total
        out["receive"] = total - out.get("process", 0.0)
        # The valuing thread runs while the lines are stored: it is not added to the total.
        top = ("read_grid", "store", "save_runs", "commit")
        out["other"] = out.get("process", 0.0) - sum(out.get(k, 0.0) for k in top)
        return out


class RssTimeline:
    """Samples this process's RSS every 2 ms, keeping (time, rss) to find each stage's peak.

    With ``children``, each sample adds the RSS of the process's children: a spreadsheet is
    parsed in a child process (``valuation/imports/spreadsheet.py``), and the worker's memory
    is both. Only XLSX runs ask for it: listing children reads /proc, CPU the CSV run keeps.
    """

    def __init__(self, interval: float = 0.002, *, children: bool = False) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.children = children
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        rss = self.process.memory_info().rss
        if self.children:
            for child in self.process.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # it ended between the listing and the reading
                    rss += child.memory_info().rss
        return rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self._rss()))
            time.sleep(self.interval)

    def __enter__(self) -> RssTimeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter(), self._rss()))

    @property
    def peak(self) -> int:
        return max(rss for _, rss in self.samples)

    def peak_within(self, intervals: list[tuple[float, float]]) -> int:
        return max((rss for t, rss in self.samples if any(a <= t <= b for a, b in intervals)), default=0)


def upload_once(
    path: Path, client: Any, user: Any, expected: dict[str, int]
) -> tuple[dict[str, float], dict[str, list[tuple[float, float]]], list[str]]:
    """Upload and process one file; return stage seconds and intervals, and what is wrong."""
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models import Count, Sum

    from bench.synthetic import SYNTHETIC_AS_OF
    from valuation.models import RunStatus, StockLine, UploadStatus
    from valuation.pipeline import services

    with Stages() as stages, path.open("rb") as handle:
        start = time.perf_counter()
        upload = services.create_upload(
            client=client,
            by=user,
            file=UploadedFile(handle, name=path.name, size=path.stat().st_size),
            as_of=SYNTHETIC_AS_OF,
        )
        end = time.perf_counter()
        seconds = stages.result(end - start)
        intervals = dict(stages.intervals)
        intervals["total"] = [(start, end)]
    upload.refresh_from_db()
    n, book = expected["lines"], expected["book_cents"]
    wrong = []
    if upload.status != UploadStatus.ACCEPTED:
        problems = upload.report.get("problems", [])[:3] if upload.report else []
        wrong.append(f"upload {upload.status}: {upload.failure_reason} {problems}")
    if upload.line_count != n:
        wrong.append(f"line_count {upload.line_count} != {n}")
    stored = StockLine.objects.filter(upload=upload).aggregate(count=Count("row"), book=Sum("book_value"))
    if stored["count"] != n or stored["book"] is None or int(stored["book"] * 100) != book:
        wrong.append(f"stored {stored} != {n} lines, book {book / 100:.2f}")
    runs = list(upload.runs.all())
    if len(runs) != 2:
        wrong.append(f"{len(runs)} runs, expected 2")
    for run in runs:
        if run.status != RunStatus.DONE:
            wrong.append(f"run {run.pk} {run.status}: {run.failure_reason}")
        elif run.book_value is None or int(run.book_value * 100) != book or not run.lines_file:
            wrong.append(f"run {run.pk} book {run.book_value} != {book / 100:.2f} or no Parquet")
    return seconds, intervals, wrong


def measure_pipeline(path: Path, warmup: Path, repeat: int, profile: bool = False) -> dict[str, Any]:
    _django()
    client, user = world()
    clean(client)
    read = json.loads
    upload_once(warmup, client, user, read(warmup.with_suffix(warmup.suffix + ".json").read_text()))
    expected = read(path.with_suffix(path.suffix + ".json").read_text())
    runs, peaks, increments, wrong = [], [], [], []
    stage_peaks: dict[str, float] = defaultdict(float)
    for _ in range(repeat):
        clean(client)
        gc.collect()
        before = psutil.Process().memory_info().rss
        profiler = cProfile.Profile() if profile else None
        with RssTimeline(children=path.suffix == ".xlsx") as rss:
            if profiler:
                profiler.enable()
            seconds, intervals, problems = upload_once(path, client, user, expected)
            if profiler:
                profiler.disable()
        if profiler:
            _print_profile(profiler)
        runs.append(seconds)
        peaks.append(rss.peak)
        increments.append(rss.peak - before)
        for stage, spans in intervals.items():
            stage_peaks[stage] = max(stage_peaks[stage], rss.peak_within(spans) / 2**20)
        wrong += problems
    clean(client)
    stages = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in {k for r in runs for k in r}}
    # The largest child's own peak, from the kernel (Linux counts ru_maxrss in KiB).
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": stages["total"],
        "stages": stages,
        "peak_mb": max(peaks) / 2**20,
        "child_peak_mb": child_peak_mb,
        "increment_mb": max(increments) / 2**20,
        "stage_peak_mb": stage_peaks,
        "wrong": wrong,
    }


def _print_profile(profiler: cProfile.Profile) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)
    print(out.getvalue(), file=sys.stderr)


def analyst_read(path: Path) -> Any:
    """The French export as an analyst reads it with pandas, in canonical names and types."""
    import pandas as pd

    from bench.exports import _style
    from valuation.engine.columns import COLUMNS, DATE, FLAG

    style = _style(STYLE_SEED, french=True)
    # pandas' C parser compares `thousands` with the UTF-8 text it transcodes to, so a one-byte
    # Windows-1252 no-break space never matches and the whole column stays text: drop it first.
    data = io.BytesIO(path.read_bytes().replace(b"\xa0", b""))
    frame = pd.read_csv(data, sep=";", decimal=",", encoding="cp1252", skiprows=2 if style.title else 0)
    frame = frame.rename(columns={v: k for k, v in style.headers.items()})
    if style.total_row and len(frame) and frame["sku"].iloc[-1] == "Total":
        frame = frame.iloc[:-1]  # a slice: filtering with a mask would copy every column
    frame["category"] = frame["category"].map({v: k for k, v in style.categories.items()})
    for name in frame.columns:
        if COLUMNS.get(name) == DATE:
            # to_datetime's own cache does not kick in on Arrow strings (0.4 s per 100k): parse
            # each distinct date once, as the cache would.
            distinct = frame[name].dropna().unique()
            parsed = dict(zip(distinct, pd.to_datetime(distinct, format=style.date_format), strict=True))
            frame[name] = pd.to_datetime(frame[name].map(parsed))
        elif COLUMNS.get(name) == FLAG:
            frame[name] = frame[name] == style.yes  # a blank flag counts as "no", as in the baseline
    return frame


def measure_floor_pandas(path: Path, repeat: int) -> dict[str, Any]:
    """Floor (a): pandas read + the analyst's masks, liquidation value and group totals."""
    from bench.engine_bench import PeakRss, baseline
    from bench.synthetic import SYNTHETIC_AS_OF

    expected = json.loads(path.with_suffix(path.suffix + ".json").read_text())
    baseline(analyst_read(path).head(1000), SYNTHETIC_AS_OF)  # imports outside the timing
    times, peaks, wrong = [], [], []
    for _ in range(repeat):
        gc.collect()
        with PeakRss() as rss:
            start = time.perf_counter()
            frame = analyst_read(path)
            totals = baseline(frame, SYNTHETIC_AS_OF)
            times.append(time.perf_counter() - start)
        peaks.append(rss.peak)
        if len(frame) != expected["lines"] or abs(totals["book"].sum() * 100 - expected["book_cents"]) > 1000:
            wrong.append(f"pandas floor: {len(frame)} lines, book {totals['book'].sum():.2f}")
        del frame, totals
    return {"seconds": statistics.median(times), "peak_mb": max(peaks) / 2**20, "wrong": wrong}


def measure_floor_fastexcel(path: Path, repeat: int) -> dict[str, Any]:
    """Floor (a) for XLSX: the sheet read by fastexcel into a polars frame, columns typed by
    fastexcel itself (what an analyst gets from ``fastexcel.read_excel(...).load_sheet``)."""
    import fastexcel

    from bench.engine_bench import PeakRss
    from bench.exports import _style

    style = _style(STYLE_SEED, french=True)
    header_row = 2 if style.title else 0  # 0-based: a title row and a blank row above the header
    expected = json.loads(path.with_suffix(path.suffix + ".json").read_text())
    times, peaks, wrong = [], [], []
    for _ in range(repeat):
        gc.collect()
        with PeakRss() as rss:
            start = time.perf_counter()
            frame = fastexcel.read_excel(path).load_sheet(0, header_row=header_row).to_polars()
            times.append(time.perf_counter() - start)
        peaks.append(rss.peak)
        lines = frame.height - (1 if style.total_row else 0)
        if lines != expected["lines"]:
            wrong.append(f"fastexcel floor: {lines} lines, expected {expected['lines']}")
        del frame
    return {"seconds": statistics.median(times), "peak_mb": max(peaks) / 2**20, "wrong": wrong}


def measure_floor_copy(path: Path, repeat: int, table: str) -> dict[str, Any]:
    """Floor (b): COPY of the canonical CSV text into a table, commit included (text read untimed)."""
    import psycopg

    data = path.read_bytes()
    header = data[: data.index(b"\n")].decode()
    sql = f"COPY {table} ({header}) FROM STDIN WITH (FORMAT csv, HEADER true)"
    times = []
    with psycopg.connect(bench_database_url(), autocommit=True) as conn:
        for _ in range(repeat):
            conn.execute(f"TRUNCATE {table}")
            conn.execute("CHECKPOINT")
            start = time.perf_counter()
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(sql) as copy:
                view = memoryview(data)
                for offset in range(0, len(data), COPY_CHUNK_BYTES):
                    copy.write(view[offset : offset + COPY_CHUNK_BYTES])
            times.append(time.perf_counter() - start)
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - our table
        conn.execute(f"TRUNCATE {table}")
    expected = data.count(b"\n") - 1
    wrong = [] if count == expected else [f"COPY floor stored {count} lines, expected {expected}"]
    return {"seconds": statistics.median(times), "wrong": wrong}


def measure(kind: str, path: Path, warmup: Path, repeat: int, profile: bool) -> dict[str, Any]:
    kinds: dict[str, Callable[[], dict[str, Any]]] = {
        "pipeline": lambda: measure_pipeline(path, warmup, repeat, profile),
        "floor_pandas": lambda: measure_floor_pandas(path, repeat),
        "floor_fastexcel": lambda: measure_floor_fastexcel(path, repeat),
        "floor_copy": lambda: measure_floor_copy(path, repeat, BARE_TABLE),
        "floor_copy_indexed": lambda: measure_floor_copy(path, repeat, INDEXED_TABLE),
    }
    return kinds[kind]()


def run_in_subprocess(
    kind: str, path: Path, repeat: int, env: dict[str, str], warmup: Path | None = None, profile: bool = False
) -> dict[str, Any]:
    """One measurement per fresh interpreter, so memory figures do not leak into each other."""
    command = [sys.executable, "-m", "bench.pipeline_bench", "--one", kind, str(path), str(warmup or path), str(repeat)]
    if profile:
        command.append("--cprofile")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"seconds": float("nan"), "wrong": [f"{kind} crashed: {done.stderr.strip()[-2000:]}"]}
    if profile:
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------ driver


def collect(
    sizes: list[int], repeat: int, cache: Path = DEFAULT_CACHE, log: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Measure pipeline and floor for each size, CSV and XLSX (XLSX without floor below 1M lines)."""
    media = Path(tempfile.mkdtemp(prefix="stockpledge-bench-media-"))
    env = bench_env(media)
    ensure_database()
    subprocess.run([sys.executable, "-m", "bench.pipeline_bench", "--setup"], check=True, env=env)
    results = []
    try:
        for fmt in ("csv", "xlsx"):
            for n in sizes:
                log(f"  pipeline bench: {n:,} lines {fmt.upper()}: preparing files…")
                path, warmup, canonical = input_files(n, cache, xlsx=fmt == "xlsx")
                row: dict[str, Any] = {"format": fmt, "lines": n, "bytes": path.stat().st_size}
                log(f"  pipeline bench: {n:,} lines {fmt.upper()}: measuring…")
                if fmt == "csv":
                    row.update(interleaved(path, warmup, canonical, repeat, env))
                elif n >= XLSX_TURNS_LINES:
                    row.update(interleaved(path, warmup, canonical, repeat, env, reader="floor_fastexcel"))
                else:
                    row["pipeline"] = run_in_subprocess("pipeline", path, repeat, env, warmup)
                row["wrong"] = [w for k in row if isinstance(row[k], dict) for w in row[k].get("wrong", [])]
                results.append(row)
    finally:
        import shutil

        shutil.rmtree(media, ignore_errors=True)
    return results


def interleaved(
    path: Path, warmup: Path, canonical: Path, rounds: int, env: dict[str, str], reader: str = "floor_pandas"
) -> dict[str, Any]:
    """Pipeline and floor measured in turns, one run of each per round, so both see the same
    machine: on a shared VM a busy minute otherwise lands on one side only. The ratio is the
    median of the rounds' ratios; each figure is the median of its runs (peaks: the highest).
    ``reader`` is the floor's read: pandas for CSV, fastexcel for XLSX; its figures are kept
    under "floor_pandas" so both rows print alike."""
    kinds = ("pipeline", "floor_pandas", "floor_copy", "floor_copy_indexed")
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for _ in range(rounds):
        runs["pipeline"].append(run_in_subprocess("pipeline", path, 1, env, warmup))
        runs["floor_pandas"].append(run_in_subprocess(reader, path, 1, env))
        runs["floor_copy"].append(run_in_subprocess("floor_copy", canonical, 1, env))
        runs["floor_copy_indexed"].append(run_in_subprocess("floor_copy_indexed", canonical, 1, env))
    ratios = [
        pipe["seconds"] / (read["seconds"] + copy["seconds"])
        for pipe, read, copy in zip(runs["pipeline"], runs["floor_pandas"], runs["floor_copy"], strict=True)
    ]
    row: dict[str, Any] = {kind: _combine(results) for kind, results in runs.items()}
    row["floor"] = row["floor_pandas"]["seconds"] + row["floor_copy"]["seconds"]
    row["ratios"] = ratios
    row["ratio"] = statistics.median(ratios)
    return row


def _combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One measurement from several: median seconds and stages, highest peaks, every problem."""
    combined: dict[str, Any] = {
        "seconds": statistics.median(r["seconds"] for r in results),
        "wrong": [w for r in results for w in r.get("wrong", [])],
    }
    for key in ("peak_mb", "increment_mb", "child_peak_mb"):
        if any(key in r for r in results):
            combined[key] = max(r.get(key, 0.0) for r in results)
    if any("stages" in r for r in results):
        names = {k for r in results for k in r.get("stages", {})}
        combined["stages"] = {k: statistics.median(r.get("stages", {}).get(k, 0.0) for r in results) for k in names}
        peaks = {k for r in results for k in r.get("stage_peak_mb", {})}
        combined["stage_peak_mb"] = {k: max(r.get("stage_peak_mb", {}).get(k, 0.0) for r in results) for k in peaks}
    return combined


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def format_tables(results: list[dict[str, Any]]) -> str:
    """The pipeline against its floor and targets, then the stage breakdown."""
    lines = []
    header = (
        f"{'file':<12} {'MB':>5} | {'pipeline s':>10} {'peak MB':>7} | {'pandas s':>8} {'COPY s':>6} "
        f"{'floor s':>7} {'ratio':>6} | {'COPY idx s':>10} | targets"
    )
    lines += [header, "-" * len(header)]
    for row in results:
        pipe = row["pipeline"]
        label = f"{row['lines']:,} {row['format'].upper()}"
        targets = []
        peak = pipe.get("peak_mb", float("nan"))
        if "ratio" in row:
            ratio = row["ratio"]
            floor = (
                f"{row['floor_pandas']['seconds']:>8.2f} {row['floor_copy']['seconds']:>6.2f} "
                f"{row['floor']:>7.2f} {ratio:>5.2f}x | {row['floor_copy_indexed']['seconds']:>10.2f}"
            )
            if row["lines"] >= 1_000_000:
                targets.append(f"ratio <= {TARGET_RATIO}x {_mark(ratio <= TARGET_RATIO)}")
        else:
            floor = f"{'—':>8} {'—':>6} {'—':>7} {'—':>6} | {'—':>10}"
        if row["format"] == "xlsx":
            if "child_peak_mb" in pipe:
                targets.append(f"sheet reader child {pipe['child_peak_mb']:,.0f} MB")
            if row["lines"] == XLSX_TIMED_LINES:
                targets.append(f"< {TARGET_XLSX_SECONDS:.0f} s {_mark(pipe['seconds'] < TARGET_XLSX_SECONDS)}")
        targets.append(f"peak < {TARGET_PEAK_MB / 1024:.1f} GB {_mark(peak < TARGET_PEAK_MB)}")
        if row["wrong"]:
            targets.append("WRONG RESULT")
        lines.append(
            f"{label:<12} {row['bytes'] / 1e6:>5.0f} | {pipe['seconds']:>10.2f} {peak:>7.0f} | {floor} | "
            + "; ".join(targets)
        )
    lines.append("")
    for row in results:
        if "ratios" in row:
            rounds = " ".join(f"{r:.2f}x" for r in row["ratios"])
            fmt = row["format"].upper()
            lines.append(f"{row['lines']:,} {fmt}: ratio per round (pipeline and floor measured in turns): {rounds}")
    if any(r["format"] == "xlsx" and "ratio" in r for r in results):
        lines.append(
            "XLSX rows: 'pandas s' is the fastexcel read of the sheet into a polars frame; peak MB is the "
            "worker with its sheet-reading child, sampled together"
        )
    lines.append("")
    labels = [f"{r['lines'] // 1000:,}k {r['format'].upper()}" for r in results]
    header = f"{'stage: median s, peak RSS MB':<34}" + "".join(f"{label:>16}" for label in labels)
    lines += [header, "-" * len(header)]
    for key, name, depth in STAGES:
        cells = ""
        for row in results:
            seconds = row["pipeline"].get("stages", {}).get(key, float("nan"))
            peak = row["pipeline"].get("stage_peak_mb", {}).get(key)
            cells += f"{seconds:>9.2f}" + (f"{peak:>7,.0f}" if peak else " " * 7)
        lines.append(f"{'  ' * depth + name:<34}{cells}")
    for row in results:
        for problem in row["wrong"]:
            lines.append(f"WRONG {row['lines']:,} {row['format']}: {problem}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where generated exports are kept")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile one pipeline run of an N-line CSV")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one", nargs=4, metavar=("KIND", "PATH", "WARMUP", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup_world()
        return
    if args.one:
        kind, path, warmup, repeat = args.one
        print(json.dumps(measure(kind, Path(path), Path(warmup), int(repeat), args.cprofile)))
        return
    if args.profile:
        media = Path(tempfile.mkdtemp(prefix="stockpledge-bench-media-"))
        env = bench_env(media)
        ensure_database()
        subprocess.run([sys.executable, "-m", "bench.pipeline_bench", "--setup"], check=True, env=env)
        path, warmup, _ = input_files(args.profile, args.cache, xlsx=False)
        print(json.dumps(run_in_subprocess("pipeline", path, 1, env, warmup, profile=True), indent=1))
        return
    results = collect(args.sizes, args.repeat, args.cache)
    print(format_tables(results))
    sys.exit(1 if any(r["wrong"] for r in results) else 0)


if __name__ == "__main__":
    main()
