"""All benchmarks, one table each, figures next to their baseline and the targets.

Run: ``make bench`` or ``.venv/bin/python -m bench.run [--sizes 10000,100000,1000000] [--quick]``.
``--quick`` measures 10k and 100k lines only. ``--only web`` measures the dashboard and dossier
under gunicorn while a Celery worker processes an upload of the largest size (``bench.web_bench``).
Nothing here asserts a time: the figures are printed and each target is marked met or MISSED
(PASS or FAIL for the web pages). The exit status is 1 only when a benchmark crashed or produced a
wrong result (an upload not accepted, lines or totals that do not match, a page not answering 200).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pandas as pd
import polars as pl
import psutil

from bench import engine_bench, pipeline_bench, portfolio_bench, report_bench, web_bench

QUICK_SIZES = (10_000, 100_000)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    server = "PostgreSQL ?"
    try:
        import psycopg

        with psycopg.connect(pipeline_bench.bench_database_url().rsplit("/", 1)[0] + "/postgres") as conn:
            server = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:  # noqa: BLE001, S110 - only a label for the header
        pass
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores ({cpu}), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM; Python {platform.python_version()}, "
        f"pandas {pd.__version__}, polars {pl.__version__}, {server}; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )


def engine_table(sizes: list[int], repeat: int) -> str:
    """``valuate`` against the analyst's float pandas (no target is set for the engine alone)."""
    header = (
        f"{'lines':>9} | {'engine s':>8} {'MB':>5} | {'pandas s':>8} {'MB':>5} {'ratio':>6} | "
        f"{'arrow-cast pandas s':>19} {'ratio':>6} | target"
    )
    rows = [header, "-" * len(header)]
    for n in sizes:
        print(f"  engine bench: {n:,} lines…", file=sys.stderr)
        eng = engine_bench.run_in_subprocess("engine", n, repeat)
        base = engine_bench.run_in_subprocess("baseline", n, repeat)
        fast = engine_bench.run_in_subprocess("baseline_arrow", n, repeat)
        rows.append(
            f"{n:>9,} | {eng['seconds']:>8.3f} {eng['peak_mb']:>5.0f} | "
            f"{base['seconds']:>8.3f} {base['peak_mb']:>5.0f} {eng['seconds'] / base['seconds']:>5.2f}x | "
            f"{fast['seconds']:>19.3f} {eng['seconds'] / fast['seconds']:>5.2f}x | none set (information)"
        )
    rows.append("MB = peak RSS above the RSS before the computation (the frame is built first, untimed).")
    return "\n".join(rows)


def pipeline_summary(results: list[dict[str, Any]]) -> str:
    """The three goals in one line each, from the pipeline results."""
    lines = []
    big = [r for r in results if "ratio" in r and r["lines"] >= 1_000_000]
    for row in big:
        ratio = row["ratio"]
        lines.append(
            f"goal pipeline <= {pipeline_bench.TARGET_RATIO}x floor at {row['lines']:,} {row['format'].upper()} lines: "
            f"{row['pipeline']['seconds']:.2f} s against {row['floor']:.2f} s, median of the rounds' ratios "
            f"{ratio:.2f}x -> {'met' if ratio <= pipeline_bench.TARGET_RATIO else 'MISSED'}"
        )
    peak = max((r["pipeline"].get("peak_mb", 0.0) for r in results), default=0.0)
    lines.append(
        f"goal worker peak < {pipeline_bench.TARGET_PEAK_MB / 1024:.1f} GB: highest {peak:,.0f} MB -> "
        f"{'met' if peak < pipeline_bench.TARGET_PEAK_MB else 'MISSED'}"
    )
    for row in results:
        if row["format"] == "xlsx" and row["lines"] == pipeline_bench.XLSX_TIMED_LINES:
            seconds = row["pipeline"]["seconds"]
            lines.append(
                f"goal {row['lines']:,}-line XLSX < {pipeline_bench.TARGET_XLSX_SECONDS:.0f} s: {seconds:.2f} s -> "
                f"{'met' if seconds < pipeline_bench.TARGET_XLSX_SECONDS else 'MISSED'}"
            )
    if not big:
        lines.append("(the 1.5x goal is judged at 1M lines: run without --quick)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in pipeline_bench.DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true", help="10k and 100k lines only")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median reported)")
    parser.add_argument(
        "--only", choices=("engine", "pipeline", "report", "web", "portfolio"), help="run one benchmark"
    )
    args = parser.parse_args()
    sizes = list(QUICK_SIZES) if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    started = time.perf_counter()
    print(f"StockPledge benchmarks — {machine()}")
    failed = False
    if args.only in (None, "engine"):
        print("\n## Engine: valuate() vs plain pandas (median of", args.repeat, "runs, subprocess each)\n")
        try:
            print(engine_table(sizes, args.repeat), flush=True)
        except subprocess.CalledProcessError as error:
            print(f"engine bench crashed:\n{error.stderr}")
            failed = True
    if args.only in (None, "pipeline"):
        print(
            "\n## Upload pipeline on PostgreSQL vs floor = pandas read+compute (a) + COPY into a bare table (b)",
            f"(CSV, and XLSX from 1M lines with fastexcel's read as (a): {args.repeat} rounds of one pipeline run and "
            f"one run of each floor, taken in turns; smaller XLSX: median of {args.repeat} runs; peak = whole-process "
            "RSS, with the sheet-reading child for XLSX)\n",
        )
        results = pipeline_bench.collect(sizes, args.repeat, log=lambda text: print(text, file=sys.stderr))
        print(pipeline_bench.format_tables(results))
        print()
        print(pipeline_summary(results))
        failed = failed or any(r["wrong"] for r in results)
    if args.only in (None, "report"):
        print("\n## Financing report PDF for the largest run (median of", args.repeat, "runs, subprocess)\n")
        try:
            print(report_bench.table([max(sizes)], args.repeat), flush=True)
        except subprocess.CalledProcessError as error:
            print(f"report bench crashed:\n{error.stderr}")
            failed = True
    if args.only in (None, "web"):
        lines = max(sizes)
        print(
            f"\n## Dashboard and dossier under gunicorn ({web_bench.WEB_WORKERS} workers), {web_bench.SESSIONS} "
            f"advisor sessions, idle and while a Celery worker processes a {lines:,}-line upload\n"
        )
        web = web_bench.measure(
            lines=lines,
            sessions=web_bench.SESSIONS,
            think=web_bench.THINK_SECONDS,
            idle_seconds=web_bench.IDLE_SECONDS if lines >= web_bench.DEFAULT_LINES else 10.0,
            cache=pipeline_bench.DEFAULT_CACHE,
            log=lambda text: print(text, file=sys.stderr),
        )
        print(web_bench.format_table(web), flush=True)
        failed = failed or bool(web["wrong"])
    if args.only in (None, "portfolio"):
        print("\n## Bank portfolio with 200 facilities (in-process, PostgreSQL)\n")
        try:
            portfolio = portfolio_bench.measure()
            print(portfolio_bench.format_table(portfolio), flush=True)
            failed = (
                failed
                or portfolio["rows"] != portfolio["facilities"]
                or portfolio["queries"] != portfolio["queries_small"]
            )
        except subprocess.CalledProcessError as error:
            print(f"portfolio bench crashed:\n{error.stderr}")
            failed = True
    print(f"\n(benchmarks took {time.perf_counter() - started:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
