"""Two stock files compared line against line, through two real uploads valued by the pipeline.

The later file is the dossier's (tests/dossier/conftest.py, stock at 2026-11-15). The earlier one,
at 2026-11-13, differs key by key (SKU + warehouse), worked out by hand:

| key      | earlier                              | later                   | change            | book Δ     |
|----------|--------------------------------------|-------------------------|-------------------|------------|
| A001 W01 | two lines 50 + 30 × 10,00 = 800,00   | 100 × 10,00 = 1 000,00  | quantity changed  | +200,00    |
| B002 W01 | 40 × 150,00 = 6 000,00 (WIP)         | the same                | unchanged         | 0,00       |
| C003 W02 | —                                    | 30 × 2 500,00           | new               | +75 000,00 |
| D004 W02 | 10 × 99,99 moved 2026-11-01          | no movement since 2025  | became ineligible | 0,00       |
| E005 W03 | 1 × 0,10 = 0,10                      | 1 × 0,125 → 0,13        | unit cost changed | +0,03      |
| F006 W03 | 5 × 2,00 = 10,00                     | —                       | gone              | −10,00     |

Book 7 810,00 → 83 000,03: +75 190,03, the sum of the column. Eligible (WIP is ineligible on
both dates) 1 810,00 → 76 000,13: +200,00 + 75 000,00 − 999,90 + 0,03 − 10,00 = +74 190,13.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.dossier.conftest import HEADER, ROWS
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services

EARLIER_ROWS = (
    "A001;Acier laminé;MP;W01;50;10,00;15/09/2026",
    ROWS[1],
    "A001;Acier laminé;MP;W01;30;10,00;15/09/2026",
    "D004;Vieux stock;PF;W02;10;99,99;01/11/2026",
    "E005;@SUM(1+1) vis;MP;W03;1;0,10;12/11/2026",
    "F006;Ancien article;MP;W03;5;2,00;01/11/2026",
)


@pytest.fixture
def earlier_run(world, dossier_run, django_capture_on_commit_callbacks) -> ValuationRun:
    content = ("\n".join((HEADER, *EARLIER_ROWS)) + "\n").encode("utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        upload = services.create_upload(
            client=world.client_x,
            by=world.advisor_a,
            file=SimpleUploadedFile("november.csv", content, content_type="text/csv"),
            as_of=dt.date(2026, 11, 13),
        )
    upload.refresh_from_db()
    assert upload.status == "accepted", upload.report
    run = ValuationRun.objects.get(facility=world.facility_x, upload=upload)
    assert run.status == RunStatus.DONE, run.failure_reason
    return run


def test_defaults_to_the_two_latest_files_with_totals_per_change(client, world, dossier_run, earlier_run):
    client.force_login(world.advisor_a)
    response = client.get(reverse("valuation:facility-compare-lines", args=[world.facility_x.pk]))
    assert response.status_code == 200
    pair = response.context["pair"]
    assert (pair.before.pk, pair.after.pk) == (earlier_run.pk, dossier_run.pk)
    result = response.context["result"]
    by_change = {t.change: (t.keys, str(t.book_delta), str(t.eligible_delta)) for t in result.summary}
    assert by_change == {
        "new": (1, "75000.00", "75000.00"),
        "gone": (1, "-10.00", "-10.00"),
        "became_ineligible": (1, "0.00", "-999.90"),
        "became_eligible": (0, "0.00", "0.00"),
        "changed_quantity": (1, "200.00", "200.00"),
        "changed_unit_cost": (1, "0.03", "0.03"),
        "unchanged": (1, "0.00", "0.00"),
    }
    assert (str(result.total.book_before), str(result.total.book_after), str(result.total.book_delta)) == (
        "7810.00",
        "83000.03",
        "75190.03",
    )
    assert str(result.total.eligible_delta) == "74190.13"
    body = response.content.decode()
    assert "Became ineligible" in body
    assert "+€75,190.03" in body
    # Each class links to its own selection; a line still in the later file to its lines there.
    assert f"?from={earlier_run.pk}&amp;to={dossier_run.pk}&amp;change=gone" in body
    lines = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    assert f'href="{lines}?run={dossier_run.pk}&amp;q=C003"' in body
    assert "q=F006" not in body  # gone: no line in the later file to open


def test_the_totals_page_links_to_the_line_comparison(client, world, dossier_run, earlier_run):
    client.force_login(world.advisor_a)
    response = client.get(reverse("valuation:facility-compare", args=[world.facility_x.pk]))
    target = reverse("valuation:facility-compare-lines", args=[world.facility_x.pk])
    assert f"{target}?from={earlier_run.pk}&amp;to={dossier_run.pk}" in response.content.decode()
    assert "Compare the lines" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "skus"),
    [
        ({"change": "became_ineligible"}, ["D004"]),
        ({"reason": "obsolete"}, ["D004"]),
        ({"reason": "wip"}, ["B002"]),
        ({"warehouse": "W03"}, ["E005", "F006"]),
        ({"category": "finished_good"}, ["C003", "D004"]),
        ({"q": "acier"}, ["A001"]),
        ({"q": "f00"}, ["F006"]),
        ({"sort": "-book_delta"}, ["C003", "A001", "E005", "B002", "D004", "F006"]),
        ({"change": "nonsense"}, ["A001", "B002", "C003", "D004", "E005", "F006"]),
    ],
)
def test_filters_and_sorts(client, world, dossier_run, earlier_run, params, skus):
    client.force_login(world.advisor_a)
    response = client.get(
        reverse("valuation:facility-compare-lines", args=[world.facility_x.pk]),
        {"from": earlier_run.pk, "to": dossier_run.pk, **params},
    )
    assert response.status_code == 200
    assert [row["sku"] for row in response.context["result"].rows] == skus


def test_csv_export_of_the_selection_is_exact_and_formula_safe(client, world, dossier_run, earlier_run):
    client.force_login(world.advisor_a)
    response = client.get(
        reverse("valuation:facility-compare-lines-export", args=[world.facility_x.pk, "csv"]),
        {"from": earlier_run.pk, "to": dossier_run.pk, "warehouse": "W01"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-11-13-2026-11-15.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["SKU", "Description", "Category", "Warehouse", "Change", "Reason"]
    a001, b002 = rows[1], rows[2]
    assert a001[:5] == ["A001", "Acier laminé", "Raw materials", "W01", "Quantity changed"]
    # lines before/after, quantity before/after/change, book before/after/change
    assert a001[6:14] == ["2", "1", "80.000", "100.000", "20.000", "800.00", "1000.00", "200.00"]
    assert b002[1].startswith("'=HYPERLINK")
    assert b002[4:6] == ["Unchanged", "Work in progress"]


def test_xlsx_export_and_bad_input(client, world, dossier_run, earlier_run):
    client.force_login(world.advisor_a)
    export = reverse("valuation:facility-compare-lines-export", args=[world.facility_x.pk, "xlsx"])
    response = client.get(export, {"from": earlier_run.pk, "to": dossier_run.pk})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    page = reverse("valuation:facility-compare-lines", args=[world.facility_x.pk])
    assert client.get(page, {"from": "x"}).status_code == 404
    assert client.get(page, {"page": "zz", "sort": "evil"}).status_code == 200
    bad = reverse("valuation:facility-compare-lines-export", args=[world.facility_x.pk, "pdf"])
    assert client.get(bad).status_code == 404
