"""The upload pipeline end to end, with tasks run in-process (SQLite or PostgreSQL).

create_upload -> on commit -> process_upload (claim, read, validate, value per facility, store in
one transaction) -> recompute on a terms change -> sweep. Figures are worked by hand in conftest.
"""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from facilities.models import Facility, Structure
from facilities.services import save_facility
from valuation.imports.mapping import ColumnMapping
from valuation.models import JobBusy, RunStatus, StockLine, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import frames, services

from .conftest import (
    AS_OF,
    BAD_CSV,
    BOOK,
    ELIGIBLE,
    ELIGIBLE_WITHOUT_DATES,
    FINANCING,
    FINANCING_NEW_TERMS,
    FINANCING_WITHOUT_DATES,
    GOOD_CSV,
    GOOD_LINES,
    GUARANTEE,
    GUARANTEE_NEW_TERMS,
    INELIGIBLE,
    csv_file,
)

pytestmark = pytest.mark.django_db


def runs_of(upload: StockUpload, facility: Facility):
    return ValuationRun.objects.filter(upload=upload, facility=facility)


def line(upload: StockUpload, row: int) -> StockLine:
    return StockLine.objects.get(upload=upload, row=row)


# ------------------------------------------------------------------------------ accepted file


def test_french_export_is_accepted_and_its_lines_stored_exactly(world, upload_csv):
    """A French export (; separator, comma decimals, no-break-space thousands) is accepted and each
    line is stored with exact decimals: book value = quantity × unit cost, half-up to the cent."""
    upload = upload_csv(world)

    assert upload.status == UploadStatus.ACCEPTED
    assert upload.failure_reason == ""
    assert upload.line_count == GOOD_LINES
    assert upload.rows_read == GOOD_LINES
    assert upload.attempts == 1
    assert upload.warehouses == ["W01", "W02"]
    assert set(upload.columns) == {
        "sku",
        "description",
        "category",
        "warehouse",
        "quantity",
        "unit_cost",
        "last_movement_date",
    }
    assert upload.report["accepted"] is True
    assert upload.report["detected"]["separator"] == ";"
    assert upload.report["detected"]["decimal"] == ","
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES

    steel = line(upload, 2)
    assert (steel.sku, steel.description, steel.category, steel.warehouse) == (
        "A001",
        "Acier laminé",
        "raw_material",
        "W01",
    )
    assert steel.quantity == Decimal("1250.500")
    assert steel.unit_cost == Decimal("12.3456")
    assert steel.book_value == Decimal("15438.17")
    assert steel.last_movement_date == dt.date(2026, 9, 15)

    pumps = line(upload, 4)
    assert pumps.category == "finished_good"
    assert pumps.quantity == Decimal("3000.000")
    assert pumps.unit_cost == Decimal("2500.1250")
    assert pumps.book_value == Decimal("7500375.00")

    assert line(upload, 3).category == "wip"
    assert line(upload, 5).book_value == Decimal("999.90")
    screws = line(upload, 6)
    assert screws.unit_cost == Decimal("0.1250")
    assert screws.book_value == Decimal("0.13")  # 0.125 half-up, not half-even


def test_accepted_file_gives_one_run_per_facility_with_hand_worked_figures(world, upload_csv):
    """Each facility of the client gets one completed run: eligible stock after the waterfall,
    guarantee = eligible × fungibility, financing = guarantee ÷ over-collateralisation (half-up)."""
    upload = upload_csv(world)

    run = runs_of(upload, world.facility_x).get()
    assert run.status == RunStatus.DONE
    assert run.failure_reason == ""
    assert run.as_of == AS_OF
    assert run.currency == "EUR"
    assert run.book_value == BOOK
    assert run.eligible_value == ELIGIBLE
    assert run.financing == FINANCING
    assert run.availability == FINANCING  # nothing outstanding
    assert services.current_run(world.facility_x) == run

    pledge = run.result["financing"]["pledge"]
    assert Decimal(pledge["mobilisable"]) == ELIGIBLE
    assert Decimal(pledge["guarantee"]) == GUARANTEE
    assert Decimal(pledge["financing_before_limit"]) == FINANCING
    assert Decimal(pledge["fungibility_share_pct"]) == Decimal("75")
    assert Decimal(pledge["over_collateralisation_pct"]) == Decimal("150")

    # The waterfall: what each rule took, in the facility's order.
    eligibility = run.result["eligibility"]
    assert Decimal(eligibility["book_value"]) == BOOK
    assert Decimal(eligibility["eligible"]) == ELIGIBLE
    assert Decimal(eligibility["ineligible"]) == INELIGIBLE
    taken = {r["reason"]: Decimal(r["amount"]) for r in eligibility["by_reason"] if Decimal(r["amount"])}
    assert taken == {"wip": Decimal("6000.00"), "obsolete": Decimal("999.90")}
    statuses = {r["reason"]: r["status"] for r in eligibility["rules"]}
    assert statuses["wip"] == statuses["obsolete"] == "applied"
    assert statuses["defective"] == "not_assessed"  # no such column in the file


def test_run_lines_file_is_a_readable_parquet_with_one_row_per_line(world, upload_csv):
    """The run keeps its per-line results as Parquet, for drill-down: cents per line and the first
    reason a line was excluded."""
    upload = upload_csv(world)
    run = runs_of(upload, world.facility_x).get()

    with run.lines_file.open("rb") as handle:
        table = pq.read_table(io.BytesIO(handle.read()))
    rows = {r["row"]: r for r in table.to_pylist()}
    assert sorted(rows) == [2, 3, 4, 5, 6]
    assert {row: r["book_value_cents"] for row, r in rows.items()} == {
        2: 1543817,
        3: 600000,
        4: 750037500,
        5: 99990,
        6: 13,
    }
    assert {row: r["eligible_cents"] for row, r in rows.items()} == {2: 1543817, 3: 0, 4: 750037500, 5: 0, 6: 13}
    assert rows[3]["first_reason"] == "wip"
    assert rows[5]["first_reason"] == "obsolete"
    assert rows[2]["first_reason"] is None
    assert rows[5]["warehouse"] == "W02"


# ------------------------------------------------------------------------------ rejected file


def test_rejected_file_stores_nothing_and_keeps_the_previous_valuation_current(world, upload_csv):
    """A file with a non-numeric quantity and an unknown category is rejected: the report names each
    row and column, no line is stored, no run is made, and the last valuation stays current."""
    accepted = upload_csv(world)
    previous = services.current_run(world.facility_x)
    assert previous is not None and previous.upload == accepted

    rejected = upload_csv(world, BAD_CSV, as_of=dt.date(2026, 11, 18), name="etat-stock-corrige.csv")

    assert rejected.status == UploadStatus.REJECTED
    assert rejected.line_count == 0
    report = rejected.report
    assert report["accepted"] is False
    assert report["error_count"] == 2
    located = {(p["row"], p["column"], p["field"], p["value"]) for p in report["problems"] if p["severity"] == "error"}
    assert located == {(3, "Qté", "quantity", "quarante"), (4, "Famille", "category", "Divers")}
    messages = " ".join(p["message"] for p in report["problems"])
    assert "Row 3" in messages and "Qté" in messages
    assert "Row 4" in messages and "Famille" in messages
    assert not StockLine.objects.filter(upload=rejected).exists()
    assert not ValuationRun.objects.filter(upload=rejected).exists()
    assert services.current_run(world.facility_x) == previous
    assert StockLine.objects.filter(upload=accepted).count() == GOOD_LINES


def test_missing_column_is_rejected_until_the_mapping_is_corrected(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """A header nobody recognises leaves a required column missing: rejected (without a value
    column, no quantity × cost = value test can tell that "Tarif" is the unit cost). Once the
    advisor maps it, reprocessing accepts the file with one set of lines and one run."""
    content = GOOD_CSV.replace(b"PU HT", b"Tarif")
    upload = upload_csv(world, content)
    assert upload.status == UploadStatus.REJECTED
    assert any(
        p["field"] == "unit_cost or book_value" and p["kind"] == "missing_column" for p in upload.report["problems"]
    )
    assert not StockLine.objects.filter(upload=upload).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.reprocess_upload(
            upload=upload, by=world.advisor_a, mapping=ColumnMapping(columns={"Tarif": "unit_cost"}, confirmed=True)
        )
    upload.refresh_from_db()

    assert upload.status == UploadStatus.ACCEPTED
    assert upload.mapping["columns"]["Tarif"] == "unit_cost"
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES
    run = runs_of(upload, world.facility_x).get()
    assert run.eligible_value == ELIGIBLE
    assert run.financing == FINANCING


def test_reprocessing_with_a_corrected_mapping_replaces_lines_and_run(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """Reprocessing an accepted upload after the advisor ignores a column re-runs everything and
    still leaves one set of lines and one run, with figures under the new mapping."""
    upload = upload_csv(world)
    first_run = runs_of(upload, world.facility_x).get()
    mapping = ColumnMapping(columns={"Date dernier mouvement": None}, confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.reprocess_upload(upload=upload, by=world.advisor_a, mapping=mapping)
    upload.refresh_from_db()

    assert upload.status == UploadStatus.ACCEPTED
    assert "last_movement_date" not in upload.columns
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES
    assert line(upload, 5).last_movement_date is None
    run = runs_of(upload, world.facility_x).get()
    assert run.pk == first_run.pk  # same terms on the same file: the run is updated, not duplicated
    assert run.eligible_value == ELIGIBLE_WITHOUT_DATES
    assert run.financing == FINANCING_WITHOUT_DATES
    statuses = {r["reason"]: r["status"] for r in run.result["eligibility"]["rules"]}
    assert statuses["obsolete"] == "not_assessed"


# ------------------------------------------------------------------------------ duplicates, idempotence


def test_second_upload_of_the_same_bytes_points_at_the_first(world, upload_csv):
    """Uploading exactly the same file again is allowed but marked as a duplicate of the first."""
    first = upload_csv(world)
    second = upload_csv(world, name="copie.csv")

    assert first.duplicate_of is None
    assert second.duplicate_of == first
    assert second.checksum == first.checksum


def test_processing_an_upload_twice_is_harmless(world, upload_csv):
    """A second delivery of a finished job does nothing: still one set of lines and one run."""
    upload = upload_csv(world)
    run = runs_of(upload, world.facility_x).get()

    services.process_upload(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
    assert upload.attempts == 1
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES
    assert runs_of(upload, world.facility_x).get().finished_at == run.finished_at


def test_rerun_after_a_lapsed_lease_leaves_one_set_of_lines_and_one_run(world, upload_csv):
    """A job whose lease lapsed (its worker presumed dead) is claimed again and run in full: lines
    are replaced, not appended, and the run for the same terms is updated, not duplicated."""
    upload = upload_csv(world)
    stale = timezone.now() - timedelta(seconds=services.lease_seconds() + 5)
    StockUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.RUNNING, claimed_at=stale)

    services.process_upload(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
    assert upload.attempts == 2
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES
    assert sorted(StockLine.objects.filter(upload=upload).values_list("row", flat=True)) == [2, 3, 4, 5, 6]
    run = runs_of(upload, world.facility_x).get()
    assert run.financing == FINANCING


def test_worker_whose_lease_was_taken_over_writes_nothing(world, monkeypatch):
    """A worker slow enough for its lease to lapse, whose job another worker has claimed since,
    stores no lines and no run when it gets to the end: only the job's current holder writes, so
    two workers can never leave two sets of lines."""
    upload = services.create_upload(
        client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF
    )  # not committed: the on-commit enqueue never runs
    real_value = services._value

    def value_while_another_worker_claims(**kwargs):
        stale = timezone.now() - timedelta(seconds=services.lease_seconds() + 5)
        StockUpload.objects.filter(pk=upload.pk).update(claimed_at=stale)
        assert StockUpload.objects.claim(upload.pk, lease_seconds=services.lease_seconds())
        return real_value(**kwargs)

    monkeypatch.setattr(services, "_value", value_while_another_worker_claims)

    services.process_upload(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.RUNNING  # still the other worker's job
    assert upload.attempts == 2
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()


def test_job_held_by_a_live_worker_is_busy(world):
    """While another worker holds a fresh lease, processing says busy (the task retries later)."""
    upload = services.create_upload(
        client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF
    )  # not committed: the on-commit enqueue never runs
    StockUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.RUNNING, claimed_at=timezone.now())

    with pytest.raises(JobBusy):
        services.process_upload(upload_id=upload.pk)
    assert not StockLine.objects.filter(upload=upload).exists()


# ------------------------------------------------------------------------------ terms change


def test_terms_change_recomputes_from_the_stored_lines(
    world, upload_csv, django_capture_on_commit_callbacks, monkeypatch
):
    """Saving new terms values the latest accepted upload again from its STORED lines (the original
    file is not read), and the new run becomes current once done."""
    upload = upload_csv(world)
    old_run = runs_of(upload, world.facility_x).get()
    upload.file.delete(save=False)  # proves the recompute does not go back to the file
    frames_read = []
    real_lines_frame = frames.lines_frame

    def spy(stock_upload):
        frames_read.append(stock_upload.pk)
        return real_lines_frame(stock_upload)

    monkeypatch.setattr(frames, "lines_frame", spy)
    facility = Facility.objects.get(pk=world.facility_x.pk)
    facility.fungibility_share_pct = Decimal("80")
    facility.over_collateralisation_pct = Decimal("125")

    with django_capture_on_commit_callbacks(execute=True):
        save_facility(by=world.advisor_a, facility=facility)

    assert frames_read == [upload.pk]
    runs = runs_of(upload, world.facility_x)
    assert runs.count() == 2
    new_run = runs.exclude(pk=old_run.pk).get()
    assert new_run.status == RunStatus.DONE, new_run.failure_reason
    assert new_run.terms["pledge"]["fungibility_share_pct"] == "80"
    assert new_run.book_value == BOOK
    assert new_run.eligible_value == ELIGIBLE
    assert Decimal(new_run.result["financing"]["pledge"]["guarantee"]) == GUARANTEE_NEW_TERMS
    assert new_run.financing == FINANCING_NEW_TERMS
    assert services.current_run(world.facility_x) == new_run
    old_run.refresh_from_db()
    assert old_run.financing == FINANCING  # history is kept as it was
    assert StockLine.objects.filter(upload=upload).count() == GOOD_LINES


def test_facility_with_invalid_terms_gets_a_failed_run_while_the_upload_is_accepted(world, upload_csv):
    """Terms the engine refuses fail that facility's run with a readable reason; the upload and the
    client's other facilities are unaffected."""
    broken = Facility.objects.create(
        client=world.client_x,
        lender=world.lender_a2,
        name="Old pledge",
        structure=Structure.PLEDGE_WITH_DISPOSSESSION,
        over_collateralisation_pct=Decimal("50"),  # below the legal 100 %
    )

    upload = upload_csv(world)

    assert upload.status == UploadStatus.ACCEPTED
    failed = runs_of(upload, broken).get()
    assert failed.status == RunStatus.FAILED
    assert failed.failure_reason.startswith("The facility's terms are not valid")
    assert "over_collateralisation_pct" in failed.failure_reason
    assert "between 100 % and 300 %" in failed.failure_reason
    assert failed.financing is None
    assert services.current_run(broken) is None
    assert runs_of(upload, world.facility_x).get().financing == FINANCING


# ------------------------------------------------------------------------------ failures


def test_crash_while_storing_fails_the_upload_and_rolls_everything_back(world, upload_csv, monkeypatch):
    """A crash after some lines were written marks the upload failed with a readable reason, and
    the single transaction leaves no line and no run behind."""
    written = []

    def crash_saving_the_run(*, upload, **kwargs):  # the lines are all in by then
        written.append(StockLine.objects.filter(upload_id=upload.pk).count())
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_save_run", crash_saving_the_run)

    upload = upload_csv(world)

    assert written == [GOOD_LINES]  # the crash came after the lines were written
    assert upload.status == UploadStatus.FAILED
    assert upload.failure_reason == services.GENERIC_FAILURE
    assert "disk full" not in upload.failure_reason  # internals stay in the logs
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()
    assert services.current_run(world.facility_x) == world.run_x


def test_job_beyond_max_attempts_is_marked_failed(world):
    """A job delivered again after MAX_ATTEMPTS tries (a crash loop) is marked failed, not run."""
    upload = services.create_upload(client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF)
    StockUpload.objects.filter(pk=upload.pk).update(attempts=services.MAX_ATTEMPTS)

    services.process_upload(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert upload.attempts == services.MAX_ATTEMPTS + 1
    assert f"after {services.MAX_ATTEMPTS} attempts" in upload.failure_reason
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()


def test_sweep_requeues_jobs_nobody_is_working_on(world):
    """The sweep re-queues an upload left queued longer than the lease (its message was lost) and
    one running with a lapsed lease (its worker died), but not a fresh one."""

    def stored_upload(name: str) -> StockUpload:
        return services.create_upload(  # the on-commit enqueue never runs: a lost message
            client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV, name), as_of=AS_OF
        )

    old = timezone.now() - timedelta(seconds=services.lease_seconds() + 60)
    lost = stored_upload("lost.csv")
    orphan = stored_upload("orphan.csv")
    fresh = stored_upload("fresh.csv")
    StockUpload.objects.filter(pk=lost.pk).update(uploaded_at=old)
    StockUpload.objects.filter(pk=orphan.pk).update(
        uploaded_at=old, status=UploadStatus.RUNNING, claimed_at=old, attempts=1
    )

    assert services.sweep_stuck_jobs() == 2

    for upload in (lost, orphan, fresh):
        upload.refresh_from_db()
    # Tasks run in-process here, so re-queued means processed.
    assert lost.status == UploadStatus.ACCEPTED
    assert orphan.status == UploadStatus.ACCEPTED
    assert orphan.attempts == 2
    assert fresh.status == UploadStatus.QUEUED
    assert StockLine.objects.filter(upload=lost).count() == GOOD_LINES
    assert StockLine.objects.filter(upload=orphan).count() == GOOD_LINES
    assert not StockLine.objects.filter(upload=fresh).exists()


def test_book_values_are_stored_from_the_engine_cents_signs_included():
    """The COPY text of book values comes from integer cents: negative ones keep their sign and
    their cents (floor division would turn -5 cents into "-1.95")."""
    import numpy as np
    import polars as pl

    from valuation.pipeline.storage import storage_frame

    lines = pl.DataFrame(
        {"row": [2, 3, 4, 5], "sku": ["A", "B", "C", "D"], "retention_of_title": [True, False, None, True]}
    )
    text = storage_frame(upload_id=7, lines=lines, book_value_cents=np.array([123456, -5, -12345, 0]))
    assert text.get_column("book_value").to_list() == ["1234.56", "-0.05", "-123.45", "0.00"]
    assert text.get_column("upload_id").to_list() == [7, 7, 7, 7]
    assert text.get_column("retention_of_title").to_list() == ["t", "f", None, "t"]
    assert text.get_column("quantity").to_list() == [None] * 4  # a column the file did not have


@pytest.mark.django_db(transaction=True)
def test_processing_leaves_no_database_connection_open_behind_it(world, upload_csv):
    """The valuing thread (valuations + Parquet) runs beside the COPY: processing must not leave
    a connection of its own open, or the test database could not be dropped at teardown."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL backends")

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    before = backends()
    upload = upload_csv(world)

    assert upload.status == UploadStatus.ACCEPTED
    assert runs_of(upload, world.facility_x).get().status == RunStatus.DONE
    assert backends() == before
