"""The dossier and the drill-down cost a few queries whatever the size of the run and the number
of runs: figures come from the stored result, lines from the Parquet file."""

from __future__ import annotations

import io
from decimal import Decimal

import polars as pl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from valuation.models import RunStatus, ValuationRun

WAREHOUSES = 300
CATEGORIES = ("raw_material", "wip", "finished_good")
REASONS = ("not_owned", "defective", "wip", "obsolete", "slow_moving", "location")
LINES = 200_000


def big_result() -> dict:
    """900 category × warehouse groups, six reasons, six levers: the shape of a large file."""
    groups = []
    for w in range(WAREHOUSES):
        for category in CATEGORIES:
            groups.append(
                {
                    "category": category,
                    "warehouse": f"W{w:03d}",
                    "book_value": "1000.00",
                    "eligible": "700.00",
                    "ineligible": [{"reason": r, "amount": "50.00"} for r in REASONS],
                }
            )
    total = Decimal("1000.00") * len(groups)
    reason_total = str(Decimal("50.00") * len(groups))
    return {
        "as_of": "2026-11-15",
        "line_count": LINES,
        "eligibility": {
            "book_value": str(total),
            "eligible": str(Decimal("700.00") * len(groups)),
            "ineligible": str(Decimal("300.00") * len(groups)),
            "by_reason": [{"reason": r, "amount": reason_total} for r in REASONS],
            "groups": groups,
            "rules": [
                {"reason": r, "status": "applied", "amount": reason_total, "lines": 1000, "missing_columns": []}
                for r in REASONS
            ],
            "discounts": [],
        },
        "liquidation": {"liquidation_value": "1.00", "eligible_liquidation_value": "1.00", "by_category": []},
        "financing": {"financing": "100.00", "outstanding": "0.00", "availability": "100.00", "ltv": {}},
        "working_capital": {},
        "financing_cost": {},
        "levers": [
            {"kind": "rule", "reason": r, "amount_made_eligible": "10.00", "financing_gain": str(i)}
            for i, r in enumerate(REASONS)
        ],
        "warnings": [f"warning {i}" for i in range(20)],
    }


def parquet(rows: int) -> bytes:
    """Line i (row i + 2) is in warehouse W{i mod 300}; every line has the same amounts."""
    index = pl.int_range(0, rows, eager=True)
    frame = pl.DataFrame({"row": index + 2}).with_columns(
        pl.Series("category", CATEGORIES).gather(index % 3).cast(pl.Categorical),
        (pl.lit("W") + (index % WAREHOUSES).cast(pl.String).str.zfill(3)).cast(pl.Categorical).alias("warehouse"),
        pl.lit(100_000, pl.Int64).alias("book_value_cents"),
        pl.lit(70_000, pl.Int64).alias("eligible_cents"),
        pl.lit(30_000, pl.Int64).alias("ineligible_cents"),
        pl.Series("first_reason", REASONS).gather(index % 6).cast(pl.Categorical),
        pl.lit(0, pl.Int64).alias("nrv_cents"),
        pl.lit(0, pl.Int64).alias("eligible_nrv_cents"),
        pl.lit("no_value").cast(pl.Categorical).alias("nrv_basis"),
        *[pl.lit(5_000, pl.Int64).alias(f"ineligible_{r}_cents") for r in REASONS],
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@pytest.fixture
def big_run(world) -> ValuationRun:
    """facility_x with 60 older runs and a current run of 200,000 lines across 300 warehouses."""
    result = big_result()
    ValuationRun.objects.bulk_create(
        ValuationRun(
            facility=world.facility_x,
            upload=world.upload_x,
            as_of=world.upload_x.as_of,
            terms_hash=f"old-{i}",
            status=RunStatus.DONE,
            result={"eligibility": {"book_value": "1.00", "groups": result["eligibility"]["groups"][:50]}},
            financing=Decimal("1.00"),
        )
        for i in range(60)
    )
    run = ValuationRun.objects.create(
        facility=world.facility_x,
        upload=world.upload_x,
        as_of="2026-11-15",
        terms_hash="big",
        status=RunStatus.DONE,
        result=result,
        book_value=Decimal("900000.00"),
        eligible_value=Decimal("630000.00"),
        financing=Decimal("100.00"),
    )
    run.lines_file.save("big.parquet", ContentFile(parquet(LINES)))
    return run


def test_dossier_page_of_a_large_run_among_many_takes_a_few_queries(
    client, world, big_run, django_assert_max_num_queries
):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-detail", args=[world.facility_x.pk])
    # 6, and 4 for "are these figures current?": the terms as a valuation would read them now (the
    # firm's categories, the appraisal at the stock date, the client's sites) and, this run's being
    # out of date, its revaluation; 1 for the history of the facility's figures; 1 for the
    # reporting calendar's summary (the deliverables; their closed periods would be a second);
    # 1 for the unread-notifications badge; 1 for the box of the facility's unresolved alerts.
    # roll-forward (issue 16): 2, the book value per stock date and the periods' inputs; 1 for the
    # borrower's own certificates (issue 16).
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["run"].pk == big_run.pk
    warehouses = response.context["warehouses"]
    # The 50 largest (all equal here: by code), then the 250 others summed in one row.
    assert [w.key for w in warehouses[:2]] == ["W000", "W001"]
    assert (len(warehouses), warehouses[-1].label) == (51, "250 other warehouses")
    assert warehouses[-1].book_value == Decimal("3000.00") * 250  # 3 categories × 1 000,00 each
    assert len(response.context["runs"]) == 62


def test_drilldown_of_a_large_run_takes_a_few_queries(client, world, big_run, django_assert_max_num_queries):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    with django_assert_max_num_queries(7):  # +1: the unread-notifications badge
        response = client.get(url, {"warehouse": "W007", "reason": "obsolete", "sort": "-book_value", "page": "3"})
    assert response.status_code == 200
    page = response.context["page"]
    # Rows 2..200 001: warehouse W007 is every 300th line from index 7; all carry obsolete stock.
    assert page.count == len(range(7, LINES, WAREHOUSES))
    assert page.number == 3
    assert [line["row"] for line in page.rows][:2] == [7 + 100 * WAREHOUSES + 2, 7 + 101 * WAREHOUSES + 2]
