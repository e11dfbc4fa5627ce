"""Benchmark: ``valuate`` against a plain-pandas float baseline doing the same computation.

Run: ``.venv/bin/python -m bench.engine_bench`` (sizes with ``--sizes 10000 100000 1000000``).
Each measurement runs in its own subprocess: the synthetic frame is built first (not timed),
then the computation runs ``--repeat`` times; we report the median seconds and the peak RSS
reached during the computation above the RSS before it (psutil, sampled every 2 ms), plus the
process's whole peak RSS. The baseline is what an analyst would write: floats, masks,
liquidation value, group totals; no validation, no exactness, no levers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import psutil

from bench.synthetic import SYNTHETIC_AS_OF, synthetic_lines

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
TERMS = {
    "structure": "borrowing_base",
    "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85"},
    "categories": [
        {
            "category": "raw_material",
            "liquidity_class": "high",
            "transport_pct": "3",
            "storage_pct": "2",
            "commission_pct": "5",
        },
        {"category": "wip", "liquidity_class": "low", "transport_pct": "3", "storage_pct": "2", "commission_pct": "5"},
        {
            "category": "finished_good",
            "liquidity_class": "medium",
            "transport_pct": "3",
            "storage_pct": "2",
            "commission_pct": "5",
        },
    ],
}


def plain_float(series: pd.Series) -> pd.Series:
    """What most analysts write; pandas parses Arrow-backed text to float slowly (~0.27 s/1M)."""
    return series.astype(float)


def arrow_float(series: pd.Series) -> pd.Series:
    """The fastest text-to-float pandas offers (Arrow's cast kernel), for a stricter baseline."""
    return series.astype("float64[pyarrow]").astype(float)


def baseline(frame: pd.DataFrame, as_of: date, to_float=plain_float) -> pd.DataFrame:
    """The analyst's float version: eligibility masks, liquidation value, group totals."""
    qty = to_float(frame["quantity"])
    cost = to_float(frame["unit_cost"])
    book = to_float(frame["book_value"]).fillna(qty * cost)
    today = pd.Timestamp(as_of)

    def flag(name: str) -> pd.Series:
        return frame[name].fillna(False).astype(bool)

    wip = frame["category"] == "wip"
    shelf_days = (frame["expiry_date"] - today).dt.days
    idle_days = (today - frame["last_movement_date"]).dt.days
    turns = to_float(frame["annual_consumption_qty"]) / qty
    reasons = [
        ("not_owned", flag("supplier_consignment")),
        ("reverse_factoring", flag("reverse_factoring")),
        ("defective", flag("defective")),
        ("perishable", shelf_days < 30),
        ("in_transit", flag("in_transit")),
        ("customer_return", flag("customer_return")),
        ("wip", wip & ~(flag("firm_order") | flag("sellable_as_is"))),
        ("obsolete", idle_days >= 365),
        ("slow_moving", turns < 1),
    ]
    excluded = np.select([m.to_numpy() for _, m in reasons], [r for r, _ in reasons], "")
    unpaid = to_float(frame["unpaid_amount"]).fillna(0).where(flag("retention_of_title"), 0)
    eligible = np.where(excluded == "", (book - unpaid).clip(lower=0), 0.0)

    price = to_float(frame["resale_unit_price"])
    resale = qty * price
    costs = sum(
        to_float(frame[name]).fillna(resale * pct)
        for name, pct in (("transport_cost", 0.03), ("storage_cost", 0.02), ("commission_cost", 0.05))
    )
    nrv = (resale - costs).clip(lower=0).fillna(0)
    eligible_nrv = np.where(book > 0, nrv * eligible / book.where(book > 0, 1), 0)
    out = pd.DataFrame(
        {
            "category": frame["category"],
            "warehouse": frame["warehouse"],
            "reason": excluded,
            "book": book,
            "eligible": eligible,
            "nrv": nrv,
            "eligible_nrv": eligible_nrv,
        }
    )
    return out.groupby(["category", "warehouse", "reason"]).sum()


def baseline_arrow(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The same baseline with Arrow's text-to-float cast."""
    return baseline(frame, as_of, to_float=arrow_float)


def engine(frame: pd.DataFrame, as_of: date) -> object:
    """The engine under test."""
    from valuation.engine import terms_from_dict, valuate

    return valuate(frame, terms_from_dict(TERMS), as_of=as_of)


class PeakRss:
    """Samples this process's RSS in a thread; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 0.002) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def measure(kind: str, n: int, repeat: int) -> dict[str, float]:
    """Run one kind ``repeat`` times on a fresh n-line frame (in this process)."""
    kinds: dict[str, Callable[[pd.DataFrame, date], object]] = {
        "engine": engine,
        "baseline": baseline,
        "baseline_arrow": baseline_arrow,
    }
    func = kinds[kind]
    frame = synthetic_lines(n)
    func(frame.head(1000), SYNTHETIC_AS_OF)  # import and warm up outside the timing
    times, increments = [], []
    for _ in range(repeat):
        before = psutil.Process().memory_info().rss
        with PeakRss() as rss:
            start = time.perf_counter()
            func(frame, SYNTHETIC_AS_OF)
            times.append(time.perf_counter() - start)
        increments.append(rss.peak - before)
    return {
        "seconds": statistics.median(times),
        "peak_mb": max(increments) / 2**20,
        "process_peak_mb": psutil.Process().memory_info().rss / 2**20,
    }


def run_in_subprocess(kind: str, n: int, repeat: int) -> dict[str, float]:
    """One measurement per fresh interpreter, so memory figures do not leak into each other."""
    command = [sys.executable, "-m", "bench.engine_bench", "--one", kind, str(n), str(repeat)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=3, metavar=("KIND", "N", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, n, repeat = args.one
        print(json.dumps(measure(kind, int(n), int(repeat))))
        return
    header = (
        f"{'lines':>9} | {'engine s':>8} {'MB':>5} | {'pandas s':>8} {'MB':>5} {'ratio':>6} | "
        f"{'arrow-cast pandas s':>19} {'MB':>5} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        eng = run_in_subprocess("engine", n, args.repeat)
        base = run_in_subprocess("baseline", n, args.repeat)
        fast = run_in_subprocess("baseline_arrow", n, args.repeat)
        print(
            f"{n:>9,} | {eng['seconds']:>8.3f} {eng['peak_mb']:>5.0f} | "
            f"{base['seconds']:>8.3f} {base['peak_mb']:>5.0f} "
            f"{eng['seconds'] / base['seconds']:>5.2f}x | "
            f"{fast['seconds']:>19.3f} {fast['peak_mb']:>5.0f} "
            f"{eng['seconds'] / fast['seconds']:>5.2f}x"
        )


if __name__ == "__main__":
    main()
