"""Rendering the financing report PDF for a large run (issue 6: under 5 s at any stock size).

A synthetic n-line stock file is valued by the engine and its per-line results written to a
Parquet lines file, as the pipeline stores a run (untimed). Then, timed:
- ``annex``: the report's annex, the largest ineligible lines read from the Parquet lines file
  (done once, when the version is issued);
- ``render``: the PDF from the frozen context (HTML template, waterfall chart, WeasyPrint) — what the
  render task does.
Peak = RSS above the RSS before the timed step. Needs no database.

Run: ``.venv/bin/python -m bench.report_bench [--lines 1000000] [--repeat 3]`` or
``.venv/bin/python -m bench.run --only report``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

TARGET_SECONDS = 5.0


class _LinesFile:
    """The part of a Django FieldFile the annex reader uses."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, mode: str = "rb"):  # noqa: ANN201
        return self.path.open(mode)


def measure(n: int, repeat: int) -> dict[str, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pypdf

    from bench.engine_bench import TERMS, PeakRss
    from bench.synthetic import SYNTHETIC_AS_OF, synthetic_lines
    from reports import context as report_context
    from reports import rendering
    from valuation.engine import terms_from_dict, valuate
    from valuation.engine.serialize import result_to_dict

    frame = synthetic_lines(n)
    result = valuate(frame, terms_from_dict(TERMS), as_of=SYNTHETIC_AS_OF)
    descriptions = (
        dict(zip(result.lines["row"].to_numpy(), frame["description"].to_numpy(), strict=False))
        if ("description" in frame)
        else {}
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lines.parquet"
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(result.lines, preserve_index=False), buffer, compression="zstd")
        path.write_bytes(buffer.getvalue())
        parquet_mb = path.stat().st_size / 2**20
        del buffer, frame

        def annex() -> tuple:
            top = report_context.largest_ineligible_lines(_LinesFile(path))
            return tuple(
                report_context.AnnexLine(
                    row=line["row"],
                    sku=f"SKU{line['row']}",
                    description=str(descriptions.get(line["row"], "")),
                    category=str(line["category"]),
                    warehouse=str(line["warehouse"]),
                    book_value=report_context.cents_text(line["book_value_cents"]),
                    ineligible=report_context.cents_text(line["ineligible_cents"]),
                    reason=str(line["first_reason"]),
                )
                for line in top
            )

        frozen = report_context.ReportContext(
            kind="financing_report",
            language="fr",
            number=1,
            title="Rapport de financement – bench",
            issued_on=SYNTHETIC_AS_OF.isoformat(),
            author_name="Bench",
            client_name="Synthétique SAS",
            branding=report_context.Branding("Alpha Advisory", "1 rue de la Paix\n75002 Paris", "#1f4e79", ""),
            registration_number="",
            facility_name="Bench",
            lender_name="Banque",
            currency="EUR",
            as_of=SYNTHETIC_AS_OF.isoformat(),
            terms=TERMS,
            result=result_to_dict(result),
            annex=annex(),
        ).as_json()
        rendering.render_report_pdf(frozen)  # warm up fonts and templates outside the timing
        timings: dict[str, list[float]] = {"annex": [], "render": []}
        peaks: dict[str, list[int]] = {"annex": [], "render": []}
        pages = 0
        for _ in range(repeat):
            for step, func in (("annex", annex), ("render", lambda: rendering.render_report_pdf(frozen))):
                before = psutil.Process().memory_info().rss
                with PeakRss() as rss:
                    start = time.perf_counter()
                    out = func()
                    timings[step].append(time.perf_counter() - start)
                peaks[step].append(rss.peak - before)
                if step == "render":
                    pages = len(pypdf.PdfReader(io.BytesIO(out)).pages)
    return {
        "lines": n,
        "groups": len(frozen["result"]["eligibility"]["groups"]),
        "parquet_mb": parquet_mb,
        "annex_seconds": statistics.median(timings["annex"]),
        "annex_peak_mb": max(peaks["annex"]) / 2**20,
        "render_seconds": statistics.median(timings["render"]),
        "render_peak_mb": max(peaks["render"]) / 2**20,
        "process_peak_mb": psutil.Process().memory_info().rss / 2**20,
        "pages": pages,
    }


def run_in_subprocess(n: int, repeat: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.report_bench", "--json", "--lines", str(n), "--repeat", str(repeat)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def table(sizes: list[int], repeat: int) -> str:
    header = (
        f"{'lines':>9} | {'groups':>6} | {'annex s':>7} {'MB':>5} | {'render s':>8} {'MB':>5} | {'pages':>5} | target"
    )
    rows = [header, "-" * len(header)]
    for n in sizes:
        print(f"  report bench: {n:,} lines…", file=sys.stderr)
        r = run_in_subprocess(n, repeat)
        total = r["annex_seconds"] + r["render_seconds"]
        rows.append(
            f"{n:>9,} | {r['groups']:>6} | {r['annex_seconds']:>7.3f} {r['annex_peak_mb']:>5.0f} | "
            f"{r['render_seconds']:>8.3f} {r['render_peak_mb']:>5.0f} | {r['pages']:>5} | "
            f"render < {TARGET_SECONDS:.0f} s: {'met' if r['render_seconds'] < TARGET_SECONDS else 'MISSED'}"
            f" (with annex {total:.2f} s)"
        )
    rows.append("annex = largest ineligible lines from the Parquet lines file (at issue); render = the PDF task.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.lines, args.repeat)))
        return
    print(table([args.lines], args.repeat))


if __name__ == "__main__":
    main()
