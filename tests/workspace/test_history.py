"""A facility's history: one point per stock date from the run current for that date, read in a
fixed number of queries, shown on the dossier as each reader may see it and on the bank's page
up to the latest stock date shared with the bank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilities.models import Facility, Structure
from reports.models import RenderStatus, ReportShare, ReportVersion
from tests.workspace.conftest import make_upload
from valuation.models import RunStatus, UploadStatus, ValuationRun
from valuation.workspace import history

D = Decimal


def result(*, book: str, eligible: str, reasons: dict[str, str], ltv: str, days: str) -> dict:
    return {
        "eligibility": {
            "book_value": book,
            "eligible": eligible,
            "ineligible": str(D(book) - D(eligible)),
            "by_reason": [{"reason": code, "amount": amount} for code, amount in reasons.items()],
        },
        "financing": {"ltv": {"ltv_pct": ltv}},
        "working_capital": {"days_of_stock": days},
    }


def add_run(facility, upload, *, book, eligible, reasons, liquidation, financing, availability, ltv, days, **extra):
    return ValuationRun.objects.create(
        facility=facility,
        upload=upload,
        as_of=upload.as_of,
        terms_hash=extra.pop("terms_hash", f"t{upload.pk}"),
        status=extra.pop("status", RunStatus.DONE),
        currency=facility.currency,
        result=result(book=book, eligible=eligible, reasons=reasons, ltv=ltv, days=days),
        book_value=D(book),
        eligible_value=D(eligible),
        liquidation_value=D(liquidation),
        financing=D(financing),
        availability=D(availability),
        finished_at=extra.pop("finished_at", timezone.now()),
        **extra,
    )


@pytest.fixture
def facility(world) -> Facility:
    return Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="History BB", structure=Structure.BORROWING_BASE
    )


def month_end(i: int) -> dt.date:
    """The last day of the i-th month from January 2024."""
    first_next = dt.date(2024 + (i + 1) // 12, (i + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def monthly(world, facility, count: int) -> list[ValuationRun]:
    runs = []
    for i in range(count):
        upload = make_upload(world.client_x, world.advisor_a, as_of=month_end(i), checksum=f"h{i}".ljust(64, "0"))
        runs.append(
            add_run(
                facility,
                upload,
                book=f"{1000 + i}.00",
                eligible="800.00",
                reasons={"obsolete": f"{200 + i}.00"},
                liquidation="500.00",
                financing="400.00",
                availability="100.00",
                ltv="80.00",
                days="90.0",
            )
        )
    return runs


@pytest.mark.django_db
def test_the_points_carry_the_stored_figures_exactly_oldest_first(world, facility):
    # Created out of date order: the history is ordered by stock date, not by creation.
    march = make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 3, 31), checksum="m".ljust(64, "0"))
    january = make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 1, 31), checksum="j".ljust(64, "0"))
    add_run(
        facility,
        march,
        book="1200000.00",
        eligible="950000.50",
        reasons={"obsolete": "150000.00", "slow_moving": "99999.50", "defective": "0.00"},
        liquidation="610000.25",
        financing="475000.25",
        availability="75000.25",
        ltv="77.87",
        days="95.5",
    )
    add_run(
        facility,
        january,
        book="1000000.00",
        eligible="900000.00",
        reasons={"obsolete": "100000.00"},
        liquidation="580000.00",
        financing="450000.00",
        availability="50000.00",
        ltv="77.59",
        days="88.0",
    )
    points = history.facility_history(facility, world.advisor_a)
    assert [p.as_of for p in points] == [dt.date(2026, 1, 31), dt.date(2026, 3, 31)]
    first, last = points
    assert first.book_value == D("1000000.00") and first.eligible == D("900000.00")
    assert first.ineligible == D("100000.00") and first.by_reason == (("obsolete", D("100000.00")),)
    assert last.book_value == D("1200000.00")
    assert last.eligible == D("950000.50")
    assert last.ineligible == D("249999.50")
    # A reason that took nothing is not a part of the ineligibles.
    assert last.by_reason == (("obsolete", D("150000.00")), ("slow_moving", D("99999.50")))
    assert last.liquidation_value == D("610000.25")
    assert last.financing == D("475000.25")
    assert last.availability == D("75000.25")
    assert last.ltv_pct == D("77.87") and isinstance(last.ltv_pct, Decimal)
    assert last.days_of_stock == D("95.5")


@pytest.mark.django_db
def test_a_superseded_run_and_an_earlier_upload_of_the_same_date_are_not_shown_twice(world, facility):
    day = dt.date(2026, 5, 31)
    upload = make_upload(world.client_x, world.advisor_a, as_of=day, checksum="a".ljust(64, "0"))
    figures = dict(
        eligible="800.00", reasons={}, liquidation="1.00", financing="1.00", availability="1.00", ltv="1", days="1"
    )
    old = timezone.now() - dt.timedelta(days=2)
    add_run(facility, upload, book="1000.00", terms_hash="old-terms", finished_at=old, **figures)
    add_run(facility, upload, book="1100.00", terms_hash="new-terms", **figures)
    # A failed run and a rejected file of the same date count for nothing.
    add_run(facility, upload, book="9999.00", terms_hash="failed", status=RunStatus.FAILED, **figures)
    rejected = make_upload(
        world.client_x, world.advisor_a, as_of=day, checksum="r".ljust(64, "0"), status=UploadStatus.REJECTED
    )
    add_run(facility, rejected, book="8888.00", **figures)
    points = history.facility_history(facility, world.advisor_a)
    assert [(p.as_of, p.book_value) for p in points] == [(day, D("1100.00"))]
    # A second accepted file of the same date, uploaded later, is that date's point.
    later = make_upload(world.client_x, world.advisor_a, as_of=day, checksum="b".ljust(64, "0"))
    add_run(facility, later, book="1200.00", **figures)
    points = history.facility_history(facility, world.advisor_a)
    assert [(p.as_of, p.book_value) for p in points] == [(day, D("1200.00"))]


def test_current_per_date_keeps_the_first_row_of_each_date_oldest_date_first():
    rows = [
        {"as_of": dt.date(2026, 2, 28), "id": 3},
        {"as_of": dt.date(2026, 2, 28), "id": 2},
        {"as_of": dt.date(2026, 1, 31), "id": 1},
    ]
    assert [r["id"] for r in history.current_per_date(rows)] == [1, 3]


@pytest.mark.django_db
def test_the_history_costs_the_same_queries_for_3_runs_and_for_36(world, facility, client):
    other = Facility.objects.create(client=world.client_x, lender=world.lender_a, name="Other", structure="pledge")
    monthly(world, facility, 36)
    three = monthly_other(world, other)
    counts = []
    for target in (other, facility):
        with CaptureQueriesContext(connection) as queries:
            points = history.facility_history(target, world.advisor_a)
        counts.append(len(queries))
        assert len(points) == (3 if target is other else 36)
    assert counts == [1, 1]
    # The dossier page too: the same number of queries whatever the number of runs.
    client.force_login(world.advisor_a)
    pages = []
    for target in (other, facility):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("valuation:facility-detail", args=[target.pk]))
        assert response.status_code == 200
        pages.append(len(queries))
    assert pages[0] == pages[1]
    assert len(three) == 3


def monthly_other(world, facility) -> list[ValuationRun]:
    runs = []
    for i in range(3):
        upload = make_upload(world.client_x, world.advisor_a, as_of=month_end(i), checksum=f"o{i}".ljust(64, "0"))
        runs.append(
            add_run(
                facility,
                upload,
                book="10.00",
                eligible="10.00",
                reasons={},
                liquidation="1.00",
                financing="1.00",
                availability="1.00",
                ltv="1",
                days="1",
            )
        )
    return runs


@pytest.mark.django_db
def test_the_dossier_shows_the_history_table_with_links_to_each_run(world, facility, client):
    runs = monthly(world, facility, 3)
    client.force_login(world.advisor_a)
    response = client.get(reverse("valuation:facility-detail", args=[facility.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert 'id="history"' in page
    for run in runs:
        assert f'href="{reverse("valuation:run-detail", args=[run.pk])}"' in page
    rows = response.context["history_rows"]
    # Newest first in the table.
    assert [r.point.as_of for r in rows] == [dt.date(2024, 3, 31), dt.date(2024, 2, 29), dt.date(2024, 1, 31)]
    assert [r.reasons for r in rows] == [(D("202.00"),), (D("201.00"),), (D("200.00"),)]
    assert "€1,002.00" in page and "€202.00" in page
    assert "Obsolete" in page
    assert response.context["history_line_svg"].startswith("<svg")
    assert response.context["history_bars_svg"].startswith("<svg")


@pytest.mark.django_db
def test_a_client_user_sees_only_the_parts_switched_on(world, facility, client):
    monthly(world, facility, 2)
    client.force_login(world.client_user_x)
    url = reverse("valuation:facility-detail", args=[facility.pk])
    world.client_x.client_sees_figures = False
    world.client_x.client_sees_ineligibles = True
    world.client_x.save()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["history_show_ineligibles"] and not response.context["history_show_figures"]
    assert not response.context["history_line_svg"] and response.context["history_bars_svg"]
    page = response.content.decode()
    table = page[page.index('id="history"') :]
    assert "€201.00" in table  # the obsolete stock of February
    assert "€1,001.00" not in table  # its book value is a figure, switched off
    world.client_x.client_sees_figures = True
    world.client_x.client_sees_ineligibles = False
    world.client_x.save()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    table = response.content.decode()[response.content.decode().index('id="history"') :]
    assert "€1,001.00" in table and "€201.00" not in table
    assert not response.context["history_bars_svg"]
    world.client_x.client_sees_figures = False
    world.client_x.save()
    response = client.get(url)
    assert 'id="history"' not in response.content.decode()


# ------------------------------------------------------------------------------- the bank's page


def share(world, run, lender) -> ReportVersion:
    report = ReportVersion.objects.create(
        run=run,
        facility=run.facility,
        number=ReportVersion.objects.filter(facility=run.facility).count() + 1,
        title="Financing report",
        author=world.advisor_a,
        render_status=RenderStatus.READY,
    )
    ReportShare.objects.create(report=report, lender=lender, shared_by=world.advisor_a)
    return report


@pytest.mark.django_db
def test_the_bank_sees_a_shared_facility_up_to_the_latest_shared_stock_date(world, facility, client):
    runs = monthly(world, facility, 4)
    url = reverse("valuation:bank-facility", args=[facility.pk])
    client.force_login(world.bank_shared)
    assert client.get(url).status_code == 404  # nothing of this facility shared yet
    share(world, runs[1], world.lender_a)  # February's report
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "History BB" in page and "Xylo Industries" in page and "Banque Un" in page
    assert [r.point.as_of for r in response.context["history_rows"]] == [dt.date(2024, 2, 29), dt.date(2024, 1, 31)]
    assert response.context["latest"].book_value == D("1001.00")
    assert "€1,003.00" not in page  # April's book value: never shared
    # No link into the advisors' run pages.
    assert reverse("valuation:run-detail", args=[runs[0].pk]) not in page
    # A later report shared: the bank sees up to its date.
    share(world, runs[3], world.lender_a)
    response = client.get(url)
    assert len(response.context["history_rows"]) == 4
    # Another bank, an advisor, a client user: 404 (the last two have the dossier).
    for other in (world.bank_unshared, world.advisor_a, world.client_user_x):
        client.force_login(other)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_withdrawn_share_moves_the_bank_back_to_what_is_still_shared(world, facility, client):
    runs = monthly(world, facility, 3)
    share(world, runs[0], world.lender_a)
    late = share(world, runs[2], world.lender_a)
    ReportShare.objects.filter(report=late).update(withdrawn_at=timezone.now())
    client.force_login(world.bank_shared)
    response = client.get(reverse("valuation:bank-facility", args=[facility.pk]))
    assert [r.point.as_of for r in response.context["history_rows"]] == [dt.date(2024, 1, 31)]


@pytest.mark.django_db
def test_the_banks_report_page_links_to_the_facility_history(world, client):
    client.force_login(world.bank_shared)
    page = client.get(reverse("reports:report-detail", args=[world.report_x.pk])).content.decode()
    assert reverse("valuation:bank-facility", args=[world.facility_x.pk]) in page
    client.force_login(world.advisor_a)
    page = client.get(reverse("reports:report-detail", args=[world.report_x.pk])).content.decode()
    assert reverse("valuation:bank-facility", args=[world.facility_x.pk]) not in page
