"""The current valuation is the one of the latest stock date and, at equal dates, of the latest
upload, whatever order the workers finish in (after a crash an older file may finish last)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.conftest import World
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import services
from valuation.workspace import dashboard

pytestmark = pytest.mark.django_db


def _upload(world: World, as_of: dt.date, minutes_ago: int) -> StockUpload:
    upload = StockUpload(
        client=world.client_x,
        original_name="stock.csv",
        checksum=f"{minutes_ago:064d}",
        size=10,
        uploaded_by=world.client_user_x,
        as_of=as_of,
        status=UploadStatus.ACCEPTED,
    )
    upload.file.save("stock.csv", ContentFile(b"sku;qty\n"), save=False)
    upload.save()
    StockUpload.objects.filter(pk=upload.pk).update(uploaded_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return upload


def _run(world: World, upload: StockUpload, financing: str, finished_minutes_ago: int) -> ValuationRun:
    return ValuationRun.objects.create(
        facility=world.facility_x,
        upload=upload,
        as_of=upload.as_of,
        terms_hash=f"t{upload.pk}-{financing}",
        status=RunStatus.DONE,
        financing=Decimal(financing),
        finished_at=timezone.now() - dt.timedelta(minutes=finished_minutes_ago),
    )


def _current_everywhere(world: World) -> set[int]:
    """The current run as the services, the dashboard's subquery and the queryset each say it."""
    from facilities.models import Facility

    annotated = Facility.objects.filter(pk=world.facility_x.pk).annotate(c=dashboard.current_run_id_subquery()).get()
    per_facility = ValuationRun.objects.filter(facility=world.facility_x).current().first()
    return {services.current_run(world.facility_x).pk, annotated.c, per_facility.pk}


def test_an_older_upload_finishing_late_does_not_replace_a_newer_one_of_the_same_date(world: World):
    ValuationRun.objects.update(status=RunStatus.FAILED)  # the world's run out of the way
    day = dt.date(2026, 11, 30)
    older, newer = _upload(world, day, minutes_ago=30), _upload(world, day, minutes_ago=10)
    newer_run = _run(world, newer, "200.00", finished_minutes_ago=9)
    _run(world, older, "999.00", finished_minutes_ago=1)  # the crash-delayed older file ends last
    assert _current_everywhere(world) == {newer_run.pk}


def test_a_later_stock_date_wins_whatever_the_upload_time(world: World):
    ValuationRun.objects.update(status=RunStatus.FAILED)  # the world's run out of the way
    late_upload_of_an_old_date = _upload(world, dt.date(2026, 10, 31), minutes_ago=1)
    november = _upload(world, dt.date(2026, 11, 30), minutes_ago=60)
    november_run = _run(world, november, "200.00", finished_minutes_ago=50)
    _run(world, late_upload_of_an_old_date, "999.00", finished_minutes_ago=0)
    assert _current_everywhere(world) == {november_run.pk}


def test_for_one_upload_the_latest_run_is_current(world: World):
    """A recompute under new terms gives the same upload a newer run, which becomes current."""
    ValuationRun.objects.update(status=RunStatus.FAILED)  # the world's run out of the way
    upload = _upload(world, dt.date(2026, 11, 30), minutes_ago=10)
    _run(world, upload, "100.00", finished_minutes_ago=5)
    recomputed = _run(world, upload, "90.00", finished_minutes_ago=1)
    assert _current_everywhere(world) == {recomputed.pk}
