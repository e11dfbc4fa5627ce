"""The mapping page for people (issue 11, items 6 and 7): fields in the reader's language with
their meaning, sample values under each column, a preview of the first lines with totals by
category; a client's own mapping, used at once and marked until an advisor confirms it; and
what an accepted file left out, each with a link to map a column to it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from borrowers.models import AuditEvent
from tests.pipeline.conftest import GOOD_ROWS, HEADER
from valuation.models import ClientMapping, UploadStatus

pytestmark = pytest.mark.django_db

# GOOD_CSV without its "Date dernier mouvement" column, with a column nobody maps.
NO_DATE_HEADER = HEADER.rsplit(";", 1)[0] + ";Zone libre X9"
NO_DATE_ROWS = [row.rsplit(";", 1)[0] + f";note {i}" for i, row in enumerate(GOOD_ROWS)]
NO_DATE_CSV = ("\n".join((NO_DATE_HEADER, *NO_DATE_ROWS)) + "\n").encode("utf-8")


def _form_data(upload, **changes: str | None) -> dict[str, str]:
    """The mapping form as posted: the file's mapping as read, with ``changes`` by header."""
    columns = dict(upload.mapping["columns"])
    columns.update(changes)
    return {f"h{i}": (target or "") for i, target in enumerate(columns.values())}


def test_mapping_page_shows_fields_samples_and_a_preview_with_totals_by_category(client, world, upload_csv):
    """The GOOD_CSV preview: raw materials 15 438,17 + 0,13 = 15 438,30 (rows 2 and 6), work in
    progress 6 000,00 (row 3), finished goods 7 500 375,00 + 999,90 = 7 501 374,90 (rows 4, 5)."""
    upload = upload_csv(world)
    client.force_login(world.advisor_a)
    html = client.get(upload.get_absolute_url()).content.decode()
    assert 'id="mapping"' in html and "Column of the file" in html
    # Under "Code article" its first values; the fields with a one-line meaning each.
    assert "<code>A001</code> · <code>B002</code> · <code>C003</code>" in html
    assert "Units on hand at the stock date." in html and "last movement date" in html
    assert "Preview of the first lines as read" in html
    assert "€15,438.30" in html and "€6,000.00" in html and "€7,501,374.90" in html
    # Live preview: htmx posts the form to the preview route on change (no inline script).
    assert f'hx-post="{reverse("valuation:upload-mapping-preview", args=[upload.pk])}"' in html

    preview_url = reverse("valuation:upload-mapping-preview", args=[upload.pk])
    # Ignoring "Qté": nothing has a quantity, so no line reads and the missing column is named.
    response = client.post(preview_url, _form_data(upload, **{"Qté": None}), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="mapping-preview"' in body and "<html" not in body
    assert "No line can be read with this mapping yet." in body and "quantity" in body


@pytest.mark.parametrize(
    ("language", "quantity", "date"),
    [("fr", "quantité", "date du dernier mouvement"), ("zh-hans", "数量", "最后变动日期")],
)
def test_fields_are_translated_on_the_mapping_page(client, world, upload_csv, language, quantity, date):
    """The choices and the legend name the fields in the reader's language."""
    upload = upload_csv(world)
    world.advisor_a.language = language
    world.advisor_a.save()
    client.force_login(world.advisor_a)
    html = client.get(upload.get_absolute_url()).content.decode()
    assert f'<option value="quantity" selected>{quantity}</option>' in html
    assert f"<dt>{date}</dt>" in html


def test_client_proposes_a_mapping_used_at_once_and_an_advisor_confirms_it(
    world, upload_csv, django_capture_on_commit_callbacks
):
    upload = upload_csv(world)
    cfo, advisor = Client(), Client()
    cfo.force_login(world.client_user_x)
    advisor.force_login(world.advisor_a)
    url = reverse("valuation:upload-mapping", args=[upload.pk])
    # The CFO's page has the form too.
    assert f'action="{url}"' in cfo.get(upload.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = cfo.post(url, _form_data(upload, **{"Date dernier mouvement": None}))
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED and "last_movement_date" not in upload.columns  # processed at once
    saved = ClientMapping.objects.get(client=world.client_x)
    assert saved.proposed_by == world.client_user_x and saved.confirmed_by is None and saved.mapped_by_client
    assert upload.column_mapping == saved
    for page in (cfo, advisor):
        assert "Mapped by the client" in page.get(upload.get_absolute_url()).content.decode()
    assert AuditEvent.objects.filter(action="propose-mapping", actor=world.client_user_x).exists()

    # The advisor confirms it unchanged: nothing is processed again.
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = advisor.post(url, _form_data(upload))
    assert response.status_code == 302 and queued == []
    saved.refresh_from_db()
    assert saved.confirmed_by == world.advisor_a and not saved.mapped_by_client
    html = advisor.get(upload.get_absolute_url()).content.decode()
    assert "Mapped by the client" not in html and "Mapping confirmed by advisor@alpha.test" in html
    assert AuditEvent.objects.filter(action="confirm-mapping", actor=world.advisor_a).exists()


def test_a_client_user_cannot_map_another_company_s_upload(world, upload_csv):
    upload = upload_csv(world)
    for persona in (world.client_user_y, world.advisor_b, world.bank_shared):
        outsider = Client()
        outsider.force_login(persona)
        for route in ("valuation:upload-mapping", "valuation:upload-mapping-preview"):
            response = outsider.post(reverse(route, args=[upload.pk]), _form_data(upload, **{"Qté": None}))
            assert response.status_code == 404, (persona, route)
    assert not ClientMapping.objects.exists()
    upload.refresh_from_db()
    assert "quantity" in upload.columns


def test_accepted_file_lists_ignored_columns_and_rules_not_assessed_with_links(client, world, upload_csv):
    """Without a last-movement date, obsolescence is not assessed; without an expiry date, the
    perishable rule; the column nobody maps is listed as ignored. The dossier repeats it."""
    upload = upload_csv(world, NO_DATE_CSV)
    assert upload.status == UploadStatus.ACCEPTED
    client.force_login(world.advisor_a)
    html = client.get(upload.get_absolute_url()).content.decode()
    assert "What this file left out" in html
    assert "One column of the file was ignored: <code>Zone libre X9</code>" in html
    page = upload.get_absolute_url()
    assert (
        "<strong>Obsolete</strong>: the file has no last movement date column. "
        f'<a href="{page}?field=last_movement_date#mapping">Map a column to it</a>'
    ) in html
    shelf_life = (
        f'<strong>Short shelf life</strong>: the file has no expiry date column. <a href="{page}?field=expiry_date'
    )
    assert shelf_life in html
    assert "<strong>Work in progress</strong>" not in html  # the category column is there: assessed

    # Following the link asks for that column on the open mapping form.
    linked = client.get(f"{page}?field=last_movement_date").content.decode()
    assert "Pick the column of the file that holds the last movement date" in linked

    dossier = client.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert "The stock file had one column ignored." in dossier
    assert "Obsolete (last movement date)" in dossier and f'href="{page}#file-gaps"' in dossier


def test_upload_form_offers_the_client_currency_by_default(client, world):
    world.client_x.currency = "CHF"
    world.client_x.save()
    client.force_login(world.client_user_x)
    html = client.get(reverse("valuation:upload-create", args=[world.client_x.pk])).content.decode()
    assert 'name="currency"' in html and 'value="CHF"' in html


def test_mixed_currencies_are_shown_refused_on_the_upload_page(client, world, upload_csv):
    from tests.pipeline.test_formats import MIXED_CSV

    upload = upload_csv(world, MIXED_CSV)
    client.force_login(world.client_user_x)
    html = client.get(upload.get_absolute_url()).content.decode()
    # No rate in the firm's table: each currency without one is named, with its lines and the date.
    assert "No CNY→EUR rate on or before 2026-11-15 (1 line in CNY)" in html
    assert "No USD→EUR rate on or before" in html
    assert "no exchange rate: 2" in html
