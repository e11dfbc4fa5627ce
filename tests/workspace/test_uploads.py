"""The upload page (drop zone over a plain form), the status panel polled while the file is
processed, the validation report, the resulting figures, and the advisor's rejection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from borrowers.models import AuditEvent
from tests.pipeline.conftest import AS_OF, BAD_CSV, GOOD_CSV, csv_file
from tests.workspace.conftest import make_run, make_upload
from valuation.models import RunStatus, StockUpload, UploadStatus
from valuation.pipeline import services

pytestmark = pytest.mark.django_db


def _create_url(world) -> str:
    return reverse("valuation:upload-create", args=[world.client_x.pk])


def test_upload_page_is_a_plain_form_enhanced_by_a_drop_zone(client, world):
    client.force_login(world.client_user_x)
    html = client.get(_create_url(world)).content.decode()
    assert 'enctype="multipart/form-data"' in html and 'type="file" name="file"' in html
    assert "data-dropzone" in html and "/static/js/upload.js" in html and "<progress" in html
    assert "stock.csv" in html  # the upload history


def test_upload_without_javascript_leads_to_the_figures(client, world, django_capture_on_commit_callbacks):
    """The form posts as usual; the task runs on commit; the upload page shows the hand-worked
    financing of tests/pipeline (3,757,906.65) and leads to the dossier summary."""
    client.force_login(world.client_user_x)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_create_url(world), {"file": csv_file(GOOD_CSV), "as_of": AS_OF.isoformat()})
    upload = StockUpload.objects.get(original_name="etat-stock-novembre.csv")
    assert response.status_code == 302 and response.url == upload.get_absolute_url()
    html = client.get(response.url).content.decode()
    assert "Accepted" in html and "5 lines accepted." in html
    assert "€3,757,906.65" in html and "€7,522,813.20" in html
    assert "See the summary of your dossier" in html and 'hx-trigger="every 1s"' not in html  # no more polling
    summary = client.get(reverse("valuation:client-detail", args=[world.client_x.pk])).content.decode()
    assert "€3,757,906.65" in summary


def test_rejected_file_shows_row_column_value_and_expected(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.client_user_x)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_create_url(world), {"file": csv_file(BAD_CSV, "bad.csv"), "as_of": AS_OF.isoformat()})
    html = client.get(response.url).content.decode()
    assert "Validation report" in html and "Rejected" in html
    assert "<code>quarante</code>" in html and "<code>Divers</code>" in html
    assert '<td class="num">3</td><td>Qté</td><td><code>quarante</code></td><td>a number such as 1234,56' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"as_of": "2026-10-31"}, "This field is required."),
        ({"as_of": "2999-01-01", "file": "x"}, "The stock date cannot be in the future."),
        ({"as_of": "not a date", "file": "x"}, "Enter a valid date."),
    ],
)
def test_bad_form_answers_400_naming_the_field(client, world, data, message):
    client.force_login(world.client_user_x)
    if data.get("file") == "x":
        data = data | {"file": csv_file(GOOD_CSV)}
    response = client.post(_create_url(world), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert "data-upload-form" in response.content.decode()  # the script swaps this form in


def test_status_panel_shows_stage_and_rows_as_a_progress_bar(client, world):
    upload = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2026, 11, 1), status=UploadStatus.RUNNING)
    StockUpload.objects.filter(pk=upload.pk).update(stage="validating", rows_read=1250)
    client.force_login(world.client_user_x)
    url = reverse("valuation:upload-status", args=[upload.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'max="100" value="35"' in html and "checking every row" in html and "1,250 rows read" in html
    assert f'hx-get="{url}"' in html and "HX-Refresh" not in response.headers
    StockUpload.objects.filter(pk=upload.pk).update(stage="mystery")
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "mystery" in html and 'value="' not in html.split("<progress")[1].split(">")[0]  # indeterminate
    StockUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.ACCEPTED, stage="done")
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()
    assert "HX-Refresh" not in client.get(url).headers


def _newer_upload_with_run(world):
    newer = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2026, 11, 10))
    run = make_run(world.facility_x, newer, book_value=Decimal("10.00"), financing=Decimal("2.00"))
    assert services.current_run(world.facility_x) == run
    return newer, run


def test_advisor_rejects_an_accepted_file_and_the_previous_valuation_is_current(client, world):
    newer, run = _newer_upload_with_run(world)
    client.force_login(world.advisor_a)
    detail = client.get(newer.get_absolute_url()).content.decode()
    assert reverse("valuation:upload-reject", args=[newer.pk]) in detail
    response = client.post(reverse("valuation:upload-reject", args=[newer.pk]), {"reason": "Wrong warehouse exported"})
    assert response.status_code == 302
    newer.refresh_from_db()
    run.refresh_from_db()
    assert newer.status == UploadStatus.REJECTED and "Wrong warehouse exported" in newer.failure_reason
    assert run.status == RunStatus.FAILED
    assert services.current_run(world.facility_x) == world.run_x
    event = AuditEvent.objects.get(action="reject-upload")
    assert event.client == world.client_x and event.after["runs_withdrawn"] == [run.pk]
    dashboard = client.get(reverse("valuation:dashboard")).content.decode()
    assert "€1,600,000.00" in dashboard and "Last upload failed" in dashboard
    # No second rejection, and no reject form any more.
    again = client.post(reverse("valuation:upload-reject", args=[newer.pk]), {"reason": "again"})
    assert again.status_code == 400 and "Only an accepted stock file can be rejected." in again.content.decode()


def test_rejection_needs_a_reason_and_an_advisor_of_the_firm(client, world):
    newer, run = _newer_upload_with_run(world)
    url = reverse("valuation:upload-reject", args=[newer.pk])
    client.force_login(world.advisor_a)
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    for persona in (world.client_user_x, world.advisor_b, world.client_user_y):
        client.force_login(persona)
        assert client.post(url, {"reason": "no"}).status_code == 404
    newer.refresh_from_db()
    assert newer.status == UploadStatus.ACCEPTED and services.current_run(world.facility_x) == run


def test_upload_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    for k in range(60):
        by = world.client_user_x if k % 2 else world.advisor_a
        make_upload(world.client_x, by, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=k))
    client.force_login(world.advisor_a)
    with django_assert_max_num_queries(6):  # +1: the unread-notifications badge
        response = client.get(reverse("valuation:upload-list", args=[world.client_x.pk]))
    assert response.status_code == 200 and response.content.decode().count("/uploads/") >= 50


def test_stock_date_input_is_iso_in_every_language(client, world):
    """An <input type=date> only takes yyyy-mm-dd: a localised initial value (21/11/2026) would
    leave the field empty in the browser."""
    world.client_user_x.language = "fr"
    world.client_user_x.save()
    client.force_login(world.client_user_x)
    html = client.get(_create_url(world)).content.decode()
    today = timezone.localdate().isoformat()
    assert f'type="date" name="as_of" value="{today}"' in html
