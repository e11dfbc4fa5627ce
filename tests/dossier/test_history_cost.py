"""The history costs the dossier the same whatever the number of runs: each run's history figures
are stored beside its result at completion (and filled for the runs already stored), the history
reads them (not the result), and the page makes its run picker and history rows without a
template node per run. Hand-worked figures."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilities.models import Facility, Structure
from tests.pipeline.conftest import upload_csv  # noqa: F401 - real uploads through the pipeline
from tests.workspace.conftest import make_upload
from valuation.engine.history_figures import history_figures
from valuation.models import RunStatus, ValuationRun
from valuation.workspace import history

MIGRATION = importlib.import_module("valuation.migrations.0011_run_history_figures")


def stored_result(*, ineligible: str, reasons: dict[str, str], ltv: str | None, days: str | None) -> dict:
    return {
        "eligibility": {
            "ineligible": ineligible,
            "by_reason": [{"reason": code, "amount": amount} for code, amount in reasons.items()],
            "groups": [{"category": "raw_material", "warehouse": "W01", "eligible": "1.00"}] * 50,
        },
        "financing": {"ltv": {"ltv_pct": ltv}},
        "working_capital": {"days_of_stock": days},
    }


# ------------------------------------------------------------------ pure: no database


def test_the_history_figures_of_a_result():
    result = stored_result(
        ineligible="6999.90",
        reasons={"wip": "6000.00", "obsolete": "999.90", "not_owned": "0.00"},
        ltv="48.25",
        days=None,
    )
    assert history_figures(result) == {
        "ineligible": "6999.90",
        "by_reason": [["wip", "6000.00"], ["obsolete", "999.90"]],  # a reason that took nothing is left out
        "ltv_pct": "48.25",
        "days_of_stock": None,
    }
    assert history_figures({}) == {"ineligible": None, "by_reason": [], "ltv_pct": None, "days_of_stock": None}
    # The migration's frozen copy says the same.
    assert MIGRATION._figures(result) == history_figures(result)


# ------------------------------------------------------------------ with the database


@pytest.fixture
def facility(world) -> Facility:
    return Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="Three years", structure=Structure.BORROWING_BASE
    )


def add_run(world, facility, i: int, *, figures: bool = True) -> ValuationRun:
    """The i-th month from January 2024: book 1 000 + i, eligible 800 + i, obsolete 200.00,
    LTV 50.i %, 30 + i days of stock."""
    first_next = dt.date(2024 + (i + 1) // 12, (i + 1) % 12 + 1, 1)
    upload = make_upload(
        world.client_x, world.advisor_a, as_of=first_next - dt.timedelta(days=1), checksum=f"c{i}".ljust(64, "0")
    )
    result = stored_result(ineligible="200.00", reasons={"obsolete": "200.00"}, ltv=f"50.{i}", days=f"{30 + i}.0")
    return ValuationRun.objects.create(
        facility=facility,
        upload=upload,
        as_of=upload.as_of,
        terms_hash=f"t{i}",
        status=RunStatus.DONE,
        currency="EUR",
        result=result,
        history_figures=history_figures(result) if figures else None,
        book_value=D(1000 + i),
        eligible_value=D(800 + i),
        liquidation_value=D("400.00"),
        financing=D("300.00"),
        availability=D("100.00"),
        finished_at=timezone.now(),
    )


@pytest.mark.django_db
def test_the_history_reads_the_stored_figures_and_falls_back_to_the_result(world, facility):
    stored = add_run(world, facility, 0)
    # What is stored wins over the result (the result is not read for such a run).
    stored.history_figures = {
        "ineligible": "7.00",
        "by_reason": [["wip", "7.00"]],
        "ltv_pct": "1.5",
        "days_of_stock": "2.0",
    }
    stored.save(update_fields=["history_figures"])
    add_run(world, facility, 1, figures=False)  # a run saved without them: read from its result
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        points = history.history(ValuationRun.objects.filter(facility=facility))
    assert len(queries) == 1
    first, second = points
    assert (first.ineligible, first.by_reason, first.ltv_pct, first.days_of_stock) == (
        D("7.00"),
        (("wip", D("7.00")),),
        D("1.5"),
        D("2.0"),
    )
    assert (second.ineligible, second.by_reason, second.ltv_pct, second.days_of_stock) == (
        D("200.00"),
        (("obsolete", D("200.00")),),
        D("50.1"),
        D("31.0"),
    )


@pytest.mark.django_db
def test_the_migration_fills_the_runs_already_stored(world, facility):
    old = add_run(world, facility, 0, figures=False)
    MIGRATION.fill(apps, None)
    old.refresh_from_db()
    assert old.history_figures == {
        "ineligible": "200.00",
        "by_reason": [["obsolete", "200.00"]],
        "ltv_pct": "50.0",
        "days_of_stock": "30.0",
    }


@pytest.mark.django_db
def test_a_completed_valuation_stores_its_history_figures(world, upload_csv):  # noqa: F811 - the fixture
    upload_csv(world)
    run = ValuationRun.objects.filter(facility=world.facility_x, status=RunStatus.DONE).order_by("-id").first()
    # GOOD_CSV: 6 000.00 of work in progress and 999.90 obsolete are ineligible (tests/pipeline/conftest).
    assert run.history_figures["ineligible"] == "6999.90"
    assert sorted(run.history_figures["by_reason"]) == [["obsolete", "999.90"], ["wip", "6000.00"]]
    assert set(run.history_figures) == {"ineligible", "by_reason", "ltv_pct", "days_of_stock"}


def dossier_queries(client, facility) -> tuple[int, str]:
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("valuation:facility-detail", args=[facility.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.django_db
def test_the_dossier_takes_as_many_queries_with_36_runs_as_with_one(world, facility, client):
    one = Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="One month", structure=Structure.BORROWING_BASE
    )
    add_run(world, one, 0)
    runs = [add_run(world, facility, i) for i in range(36)]
    client.force_login(world.advisor_a)
    dossier_queries(client, one)  # the first request warms what is read once per process
    with_one, _page = dossier_queries(client, one)
    with_36, page = dossier_queries(client, facility)
    assert with_36 == with_one
    # The picker: newest first, the current run selected, "stock date · status · financing".
    newest, oldest = runs[-1], runs[0]
    assert f'<option value="{newest.pk}" selected>31/12/2026 · Done · €300.00</option>' in page
    assert f'<option value="{oldest.pk}">31/01/2024 · Done · €300.00</option>' in page
    # The history rows: one per month, each linked to its run, with its figures.
    assert page.count('<tr data-run="') == 36
    row = page.split(f'<tr data-run="{oldest.pk}">', 1)[1].split("</tr>", 1)[0]
    link = reverse("valuation:run-detail", args=[oldest.pk])
    assert f'<a href="{link}">31 Jan 2024</a>' in row
    assert [cell.split("<", 1)[0] for cell in row.split('<td class="num">')[1:]] == [
        "€1,000.00",  # book value
        "€800.00",  # eligible
        "€200.00",  # ineligible
        "€200.00",  # of which obsolete
        "€400.00",  # liquidation value
        "€300.00",  # financing
        "€100.00",  # availability
        "50%",  # LTV 50.0 %
        "30.0",  # days of stock
    ]
