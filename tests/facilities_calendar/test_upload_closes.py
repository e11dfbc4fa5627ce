"""An accepted stock file closes the stock-file period covering its stock date in each of the
client's facilities, through the real pipeline (tasks in-process, on commit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from facilities.models import Deliverable, DeliverablePeriod, Facility, Structure
from tests.pipeline.conftest import BAD_CSV, upload_csv  # noqa: F401 (the fixture)
from valuation.models import UploadStatus

pytestmark = pytest.mark.django_db

D = dt.date


def test_an_accepted_stock_file_closes_its_period_in_every_facility_of_the_client(world, upload_csv):  # noqa: F811
    second = Facility.objects.create(
        client=world.client_x, lender=world.lender_a2, name="BB 2026", structure=Structure.BORROWING_BASE
    )
    monthly = Deliverable.objects.create(facility=world.facility_x, kind="stock_file", start=D(2026, 1, 1))
    quarterly = Deliverable.objects.create(
        facility=second, kind="stock_file", frequency="quarterly", start=D(2026, 1, 1)
    )
    # Another client's deliverable is not touched.
    other = Facility.objects.create(
        client=world.client_y, lender=world.lender_a, name="Yarn", structure=Structure.BORROWING_BASE
    )
    Deliverable.objects.create(facility=other, kind="stock_file", start=D(2026, 1, 1))

    upload = upload_csv(world)  # stock date 15 November 2026

    assert upload.status == UploadStatus.ACCEPTED
    closed = DeliverablePeriod.objects.filter(received_at__isnull=False)
    assert sorted(closed.values_list("deliverable_id", "period_end")) == sorted(
        [(monthly.pk, D(2026, 11, 30)), (quarterly.pk, D(2026, 12, 31))]
    )
    period = closed.get(deliverable=monthly)
    assert period.source_url == reverse("valuation:upload-detail", kwargs={"pk": upload.pk})
    assert "2026-11-15" in period.source_label and upload.original_name in period.source_label
    assert period.received_at == upload.finished_at


def test_a_stock_file_dated_on_the_period_end_closes_that_period(world, upload_csv):  # noqa: F811
    monthly = Deliverable.objects.create(facility=world.facility_x, kind="stock_file", start=D(2026, 1, 1))
    # The file's last movement is on 12 November: dated on the November period end.
    assert upload_csv(world, as_of=D(2026, 11, 30)).status == UploadStatus.ACCEPTED
    assert list(monthly.periods.filter(received_at__isnull=False).values_list("period_end", flat=True)) == [
        D(2026, 11, 30)
    ]


def test_a_rejected_stock_file_closes_nothing(world, upload_csv):  # noqa: F811
    Deliverable.objects.create(facility=world.facility_x, kind="stock_file", start=D(2026, 1, 1))
    upload = upload_csv(world, BAD_CSV)
    assert upload.status == UploadStatus.REJECTED
    assert not DeliverablePeriod.objects.filter(received_at__isnull=False).exists()
