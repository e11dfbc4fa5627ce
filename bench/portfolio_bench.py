"""Benchmark: the bank portfolio page with 200 facilities (p50/p95 and its query count).

Run: ``.venv/bin/python -m bench.portfolio_bench [--facilities 200] [--runs 6] [--requests 60]``, or
``bench.run --only portfolio``. Needs PostgreSQL (``DATABASE_URL``; SQLite is refused): a database of
its own, ``test_stockpledge_bench_portfolio``, is created, migrated and dropped at the end (the dev
and test databases are never touched).

What is measured, in-process with Django's test client (no gunicorn: the page's own cost): one
firm, one lender and its bank user; ``--facilities`` facilities of as many clients, a quarter of
them in USD (converted at dated EUR/USD rates, one a day over the year) and one in ten in GBP with
no rate; each facility has ``--runs`` monthly valuations, each with a rendered report shared with
the lender, a stored result of realistic size, and two unresolved alerts; a monthly stock-file
deliverable received for the valued months, so the months since are late. ``GET /bank/portfolio/``
is requested 5 times to warm up, then ``--requests`` times (alternating sorts). The query count is
taken once for the 200-facility portfolio and once for a second lender following 2 of the
facilities: they must be equal. Target: p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_P95_MS = 300.0
BENCH_DB = "stockpledge_bench_portfolio"
SORTS = ("", "-financing", "ltv", "-alerts", "client", "-as_of")


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/stockpledge"
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"the portfolio bench needs PostgreSQL; DATABASE_URL is {parts.scheme}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _result(i: int) -> dict[str, Any]:
    """A stored result of the size a real one has (groups per category and site)."""
    groups = [
        {"category": c, "warehouse": f"W{w:02d}", "book_value": "10000.00", "eligible": "8000.00", "ineligible": []}
        for c in ("raw_material", "finished_goods", "wip")
        for w in range(20)
    ]
    return {
        "eligibility": {"groups": groups, "book_value": "600000.00", "eligible": "480000.00"},
        "financing": {"ltv": {"ltv_pct": str(Decimal(40) + Decimal(i % 30)), "exceeded": False}},
        "working_capital": {"days_of_stock": "92.5"},
    }


def seed(facilities: int, runs: int) -> dict[str, Any]:
    from django.utils import timezone

    from borrowers.models import ClientCompany, ExchangeRate, Firm, Role, User
    from facilities import calendar
    from facilities.models import Deliverable, DeliverableKind, DeliverablePeriod, Facility, Lender, Structure
    from reports.models import RenderStatus, ReportShare, ReportVersion
    from valuation.models import Alert, RunStatus, StockUpload, UploadStatus, ValuationRun

    firm = Firm.objects.create(name="Bench Advisory")
    lender = Lender.objects.create(firm=firm, name="Bench Bank")
    small = Lender.objects.create(firm=firm, name="Small Bank")
    advisor = User.objects.create_user("advisor@bench.test", "x", role=Role.ADVISOR, firm=firm)
    bank = User.objects.create_user("analyst@bench.test", "x", role=Role.BANK, firm=firm, lender=lender)
    small_bank = User.objects.create_user("analyst@small.test", "x", role=Role.BANK, firm=firm, lender=small)
    start = date(2026, 1, 1)
    ExchangeRate.objects.bulk_create(
        ExchangeRate(
            firm=firm,
            day=start + timedelta(days=d),
            base="EUR",
            quote="USD",
            rate=Decimal("1.0800") + Decimal(d % 50) / 1000,
            source="ECB",
        )
        for d in range(365)
    )
    currencies = ["USD" if i % 4 == 0 else "GBP" if i % 10 == 3 else "EUR" for i in range(facilities)]
    clients = ClientCompany.objects.bulk_create(
        ClientCompany(firm=firm, legal_name=f"Client {i:03d}", currency=currencies[i]) for i in range(facilities)
    )
    facility_rows = Facility.objects.bulk_create(
        Facility(
            client=c,
            lender=lender,
            name=f"Facility {i:03d}",
            currency=currencies[i],
            structure=Structure.BORROWING_BASE if i % 2 else Structure.PLEDGE_WITHOUT_DISPOSSESSION,
        )
        for i, c in enumerate(clients)
    )
    uploads = StockUpload.objects.bulk_create(
        StockUpload(
            client=f.client,
            file=f"stock-files/bench/{f.pk}-{m}.csv",
            original_name="stock.csv",
            checksum=f"{f.pk:032d}{m:032d}",
            size=1,
            uploaded_by=advisor,
            as_of=date(2026, 1 + m, 28),
            status=UploadStatus.ACCEPTED,
        )
        for f in facility_rows
        for m in range(runs)
    )
    run_rows = ValuationRun.objects.bulk_create(
        ValuationRun(
            facility_id=facility_rows[n // runs].pk,
            upload=u,
            as_of=u.as_of,
            terms_hash=f"bench{n}",
            status=RunStatus.DONE,
            currency=currencies[n // runs],
            result=_result(n),
            book_value=Decimal("600000.00") + n,
            eligible_value=Decimal("480000.00") + n,
            liquidation_value=Decimal("300000.00"),
            financing=Decimal("240000.00") + n * 7,
            availability=Decimal("20000.00"),
        )
        for n, u in enumerate(uploads)
    )
    reports = ReportVersion.objects.bulk_create(
        ReportVersion(
            run=r,
            facility_id=r.facility_id,
            number=n % runs + 1,
            title="Financing report",
            author=advisor,
            render_status=RenderStatus.READY,
        )
        for n, r in enumerate(run_rows)
    )
    ReportShare.objects.bulk_create(ReportShare(report=rv, lender=lender, shared_by=advisor) for rv in reports)
    # The second lender follows two facilities (their latest report only).
    latest = [rv for n, rv in enumerate(reports) if n % runs == runs - 1][:2]
    ReportShare.objects.bulk_create(ReportShare(report=rv, lender=small, shared_by=advisor) for rv in latest)
    Alert.objects.bulk_create(
        Alert(facility=f, kind=kind) for f in facility_rows for kind in ("site_concentration", "ltv_above_cap")
    )
    # A monthly stock file per facility, its periods received up to the last valuation: the
    # months after it are late (the portfolio's "Late items").
    deliverables = Deliverable.objects.bulk_create(
        Deliverable(facility=f, kind=DeliverableKind.STOCK_FILE, start=start) for f in facility_rows
    )
    received = timezone.now()
    month_ends = [calendar.period_covering("monthly", date(2026, 1 + m, 28)) for m in range(runs)]
    DeliverablePeriod.objects.bulk_create(
        DeliverablePeriod(deliverable=d, period_end=end, due_date=calendar.due_date(end, 20), received_at=received)
        for d in deliverables
        for end in month_ends
    )
    return {"bank": bank, "small_bank": small_bank}


def child(facilities: int, runs: int, requests: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    from config.warmup import load_and_freeze

    load_and_freeze()  # as config/wsgi.py does in every web process
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        users = seed(facilities, runs)
        client = Client()
        client.force_login(users["bank"])
        for _ in range(5):
            assert client.get("/bank/portfolio/").status_code == 200
        times = []
        for i in range(requests):
            sort = SORTS[i % len(SORTS)]
            started = time.perf_counter()
            response = client.get("/bank/portfolio/", {"sort": sort} if sort else {})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        body = client.get("/bank/portfolio/").content.decode()
        with CaptureQueriesContext(connection) as big:
            client.get("/bank/portfolio/")
        big_count = len(big.captured_queries)  # now: the context reads the connection's log lazily
        small_client = Client()
        small_client.force_login(users["small_bank"])
        small_client.get("/bank/portfolio/")
        with CaptureQueriesContext(connection) as small:
            small_client.get("/bank/portfolio/")
        small_count = len(small.captured_queries)
        times.sort()
        from valuation.workspace import portfolio

        selector = []
        for _ in range(20):
            started = time.perf_counter()
            portfolio.portfolio_rows(users["bank"])
            selector.append((time.perf_counter() - started) * 1000)
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        client.get("/bank/portfolio/")
        profile.disable()
        if os.environ.get("PORTFOLIO_PROFILE"):
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(18)
        return {
            "selector_p50_ms": statistics.median(selector),
            "facilities": facilities,
            "runs": runs,
            "requests": requests,
            "p50_ms": statistics.median(times),
            "p95_ms": times[max(0, int(len(times) * 0.95) - 1)],
            "max_ms": times[-1],
            "queries": big_count,
            "queries_small": small_count,
            "rows": body.count("<tr data-facility="),
            "no_rate": body.count('class="no-rate"'),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def measure(facilities: int = 200, runs: int = 6, requests: int = 60) -> dict[str, Any]:
    """Run the bench in a child process (its own settings and database); the figures as a dict."""
    with tempfile.TemporaryDirectory() as media:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=bench_database_url(),
            DJANGO_SETTINGS_MODULE="config.settings.test",
            MEDIA_ROOT=media,
            LOG_LEVEL="ERROR",
        )
        env.pop("REDIS_URL", None)
        out = subprocess.run(
            [sys.executable, "-m", "bench.portfolio_bench", "--child", str(facilities), str(runs), str(requests)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def format_table(r: dict[str, Any]) -> str:
    verdict = "PASS" if r["p95_ms"] <= TARGET_P95_MS else "FAIL"
    fixed = "fixed" if r["queries"] == r["queries_small"] else "NOT FIXED"
    wrong = [] if r["rows"] == r["facilities"] else [f"{r['rows']} rows shown for {r['facilities']} facilities"]
    rows = [
        f"{'facilities':>10} | {'runs each':>9} | {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} | "
        "queries (200 / 2) | target",
        "-" * 86,
        f"{r['facilities']:>10} | {r['runs']:>9} | {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['max_ms']:>7.1f} | "
        f"{r['queries']:>7} / {r['queries_small']:<3} {fixed:<5} | p95 ≤ {TARGET_P95_MS:.0f} ms {verdict}",
        f"{r['requests']} requests after 5 warm-ups; the selector alone (portfolio_rows): "
        f"p50 {r['selector_p50_ms']:.1f} ms; {r['no_rate']} amounts shown as “no rate” (GBP, no rate).",
    ]
    if wrong:
        rows.append("WRONG: " + "; ".join(wrong))
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        facilities, runs, requests = (int(v) for v in sys.argv[2:5])
        print(json.dumps(child(facilities, runs, requests)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    print(format_table(measure(args.facilities, args.runs, args.requests)))


if __name__ == "__main__":
    main()
