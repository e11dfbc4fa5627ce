"""The web bench's arithmetic and table (`bench/web_bench.py`), without starting anything: the
whole part needs gunicorn, a Celery worker and a 1M-line upload, minutes rather than seconds."""

from __future__ import annotations

from bench import web_bench
from bench.web_bench import Sample


def test_percentile_is_nearest_rank():
    """p95 of 1..100 ms is 95 ms; of 1..10 it is the largest but none above; empty is NaN."""
    assert web_bench.percentile([float(v) for v in range(100, 0, -1)], 95) == 95.0
    assert web_bench.percentile([float(v) for v in range(1, 11)], 95) == 10.0
    assert web_bench.percentile([float(v) for v in range(1, 11)], 50) == 5.0
    assert web_bench.percentile([], 95) != web_bench.percentile([], 95)  # NaN


def test_figures_are_per_page_in_milliseconds():
    samples = [Sample("dashboard", 0.0, s / 1000, 200) for s in (10, 20, 30)]
    samples.append(Sample("dossier", 0.0, 0.5, 200))
    out = web_bench.figures(samples)
    assert out["dashboard"] == {"n": 3, "p50": 20.0, "p95": 30.0, "max": 30.0}
    assert out["dossier"]["n"] == 1 and out["dossier"]["p95"] == 500.0


def test_table_marks_each_target_and_lists_what_went_wrong():
    """Idle p95 is judged against 200 ms and loaded p95 against 500 ms, each PASS or FAIL."""
    fast = {"n": 50, "p50": 40.0, "p95": 150.0, "max": 180.0}
    slow = {"n": 50, "p50": 300.0, "p95": 650.0, "max": 900.0}
    result = {
        "lines": 100_000,
        "sessions": 8,
        "think": 0.25,
        "idle": {"dashboard": fast, "dossier": fast},
        "loaded": {"dashboard": slow, "dossier": fast},
        "wrong": ["upload rejected: bad file"],
    }
    table = web_bench.format_table(result)
    dashboard, dossier = (line for line in table.splitlines() if line.startswith(("/dashboard/", "/facilities/")))
    assert "idle < 200 PASS" in dashboard and "loaded < 500 FAIL" in dashboard
    assert "idle < 200 PASS" in dossier and "loaded < 500 PASS" in dossier
    assert "WRONG: upload rejected: bad file" in table
