"""Two valuations side by side: two stock dates, or the current terms against proposed ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.dossier.conftest import CSV, FINANCING, FINANCING_80_125, ROWS
from tests.dossier.test_dossier_page import _form_data
from valuation.models import ValuationRun
from valuation.pipeline import services


def _earlier_run(world, django_capture_on_commit_callbacks) -> ValuationRun:
    """The same file two days earlier without row 4 (the 75 000,00 of finished goods): book
    8 000,03, eligible 1 000,13; 75 % → 750,0975 → 750,10; ÷ 150 % = 500,0667 → 500,07."""
    content = CSV.replace((ROWS[2] + "\n").encode(), b"")
    with django_capture_on_commit_callbacks(execute=True):
        upload = services.create_upload(
            client=world.client_x,
            by=world.advisor_a,
            file=SimpleUploadedFile("october.csv", content, content_type="text/csv"),
            as_of=dt.date(2026, 11, 13),
        )
    return ValuationRun.objects.get(facility=world.facility_x, upload=upload)


def figures(rows):
    return {row.label: (row.before, row.after, row.delta) for row in rows}


def test_two_stock_dates_side_by_side_with_deltas(client, world, dossier_run, django_capture_on_commit_callbacks):
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare", args=[world.facility_x.pk])
    response = client.get(url, {"a": earlier.pk, "b": dossier_run.pk})
    assert response.status_code == 200
    table = figures(response.context["rows"])
    assert table["Book value"] == (Decimal("8000.03"), Decimal("83000.03"), Decimal("75000.00"))
    assert table["Eligible stock"] == (Decimal("1000.13"), Decimal("76000.13"), Decimal("75000.00"))
    assert table["Financing"] == (Decimal("500.07"), FINANCING, Decimal("37500.00"))
    assert table["− Obsolete"] == (Decimal("999.90"), Decimal("999.90"), Decimal("0.00"))
    body = response.content.decode()
    assert "+€37,500.00" in body
    assert body.count('class="waterfall"') == 2


def test_compare_defaults_to_the_current_run_against_the_one_before(
    client, world, dossier_run, django_capture_on_commit_callbacks
):
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    response = client.get(reverse("valuation:facility-compare", args=[world.facility_x.pk]))
    assert (response.context["before"].pk, response.context["after"].pk) == (earlier.pk, dossier_run.pk)


def test_proposed_terms_are_computed_from_the_stored_lines_and_saved_nowhere(client, world, dossier_run):
    """Fungibility 80 %, over-collateralisation 125 %: 48 640,08 against 38 000,07 today."""
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare-terms", args=[world.facility_x.pk])
    runs_before = ValuationRun.objects.count()
    data = _form_data(world.facility_x, world, fungibility_share_pct="80", over_collateralisation_pct="125")
    response = client.post(url, data)
    assert response.status_code == 200
    table = figures(response.context["rows"])
    assert table["Financing"] == (FINANCING, FINANCING_80_125, Decimal("10640.01"))
    assert table["Guarantee offered"] == (Decimal("57000.10"), Decimal("60800.10"), Decimal("3800.00"))
    assert table["Eligible stock"][2] == Decimal("0.00")
    world.facility_x.refresh_from_db()
    assert world.facility_x.fungibility_share_pct == Decimal("75")
    assert ValuationRun.objects.count() == runs_before


def test_invalid_proposed_terms_name_the_field(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare-terms", args=[world.facility_x.pk])
    data = _form_data(world.facility_x, world, over_collateralisation_pct="20", eligibility_settings="[1, 2]")
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "over_collateralisation_pct" in errors or "eligibility_settings" in errors
    assert response.context["rows"] == []


def test_proposed_terms_without_any_valuation_say_so(client, world):
    from facilities.models import Facility

    facility = Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="New", structure="borrowing_base"
    )
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare-terms", args=[facility.pk])
    response = client.post(url, _form_data(facility, world))
    assert response.status_code == 200
    assert "no valuation to compare with" in response.content.decode()
