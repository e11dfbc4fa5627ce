"""The roll-forward pages per role: the advisor and the client's users enter periods (the client
only for its own facility), the advisor sets the tolerance, the dossier shows the periods, and
the bank reads them on its facility page up to what was shared with it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from borrowers.models import AuditEvent
from tests.conftest import PASSWORD
from tests.rollforward.conftest import FEB, MAR, add_stock_file
from valuation.models import RollforwardPeriod
from valuation.pipeline import rollforward as services

D = Decimal
pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def periods_shown(html: str) -> list[str]:
    return re.findall(r'data-period="([0-9-]+)"', html)


def inputs(day: dt.date, **amounts: str) -> dict[str, str]:
    return {
        "period_end": day.isoformat(),
        "purchases": amounts.get("purchases", "0"),
        "production": amounts.get("production", "0"),
        "cost_of_goods_sold": amounts.get("cogs", "0"),
        "adjustments": amounts.get("adjustments", "0"),
        "note": amounts.get("note", ""),
    }


def test_the_client_enters_its_own_period_and_sees_the_unreconciled_amount(world, facility):
    client = login(world.client_user_x)
    url = reverse("valuation:facility-rollforward-inputs", args=[facility.pk])
    response = client.post(url, inputs(MAR, purchases="2000.00", cogs="2500.00", note="March close"))
    assert response.status_code == 302
    record = RollforwardPeriod.objects.get(facility=facility, period_end=MAR)
    assert record.entered_by == world.client_user_x and record.note == "March close"
    page = client.get(reverse("valuation:facility-rollforward", args=[facility.pk])).content.decode()
    # Newest first: March (entered), February and January (nothing entered; January opens nothing).
    assert periods_shown(page) == ["2024-03-31", "2024-02-29", "2024-01-31"]
    assert "−€149.75" in page or "-€149.75" in page
    assert "€9,950.00" in page and "beyond tolerance" in page
    assert "no opening" in page
    assert 'id="rollforward-tolerance"' not in page  # the tolerance is the advisor's


@pytest.mark.parametrize("who", ["client_user_y", "advisor_b", "bank_shared"])
def test_nobody_else_can_enter_a_period(world, facility, who):
    client = login(getattr(world, who))
    for name in ("facility-rollforward", "facility-rollforward-inputs"):
        response = client.post(reverse(f"valuation:{name}", args=[facility.pk]), inputs(FEB, purchases="1"))
        assert response.status_code == 404
    assert not RollforwardPeriod.objects.exists()


def test_a_bad_amount_is_shown_under_its_field_not_a_500(world, facility):
    client = login(world.advisor_a)
    url = reverse("valuation:facility-rollforward-inputs", args=[facility.pk])
    response = client.post(url, inputs(FEB, purchases="12,3x"))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_purchases"[^>]*aria-invalid="true"|Enter a number', html)
    assert "Enter a number" in html
    response = client.post(url, inputs(dt.date.today() + dt.timedelta(days=3), purchases="1"))
    assert response.status_code == 400 and "cannot end in the future" in response.content.decode()
    assert not RollforwardPeriod.objects.exists()


def test_a_ledger_extract_through_the_page(world, facility):
    client = login(world.client_user_x)
    url = reverse("valuation:facility-rollforward-ledger", args=[facility.pk])
    good = SimpleUploadedFile(
        "gl.csv", "Compte;Libellé;Montant\n607;Achats;2 000,00\n;Coût des ventes;2 500,00\n".encode()
    )
    assert client.post(url, {"period_end": MAR.isoformat(), "file": good}).status_code == 302
    page = client.get(reverse("valuation:facility-rollforward", args=[facility.pk])).content.decode()
    assert "gl.csv" in page and "Rows of the extract behind these figures" in page
    wrong = SimpleUploadedFile("gl.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    response = client.post(url, {"period_end": FEB.isoformat(), "file": wrong})
    assert response.status_code == 400 and "PNG image" in response.content.decode()
    assert not RollforwardPeriod.objects.filter(period_end=FEB).exists()


def test_the_advisor_sets_the_tolerance_and_the_client_cannot(world, facility):
    url = reverse("valuation:facility-rollforward-tolerance", args=[facility.pk])
    body = {"rollforward_tolerance_amount": "150.00", "rollforward_tolerance_pct": "0.250"}
    assert login(world.client_user_x).post(url, body).status_code == 404
    assert login(world.advisor_b).post(url, body).status_code == 404
    assert login(world.advisor_a).post(url, body).status_code == 302
    facility.refresh_from_db()
    assert facility.rollforward_tolerance_amount == D("150.00") and facility.rollforward_tolerance_pct == D("0.25")
    assert AuditEvent.objects.filter(action="change-rollforward-tolerance", actor=world.advisor_a).count() == 1
    response = login(world.advisor_a).post(url, {**body, "rollforward_tolerance_pct": "120"})
    assert response.status_code == 400


def test_the_dossier_shows_the_periods_and_hides_figures_the_client_may_not_see(world, facility):
    services.save_inputs(
        facility=facility,
        period_end=MAR,
        purchases=D("2000.00"),
        production=D("0"),
        cost_of_goods_sold=D("2500.00"),
        adjustments=D("0"),
        by=world.client_user_x,
    )
    dossier = reverse("valuation:facility-detail", args=[facility.pk])
    html = login(world.advisor_a).get(dossier).content.decode()
    assert 'id="rollforward"' in html and periods_shown(html)[0] == "2024-03-31"
    assert "€9,950.00" in html and "Unreconciled" in html
    world.client_x.client_sees_figures = False
    world.client_x.save(update_fields=["client_sees_figures"])
    html = login(world.client_user_x).get(dossier).content.decode()
    assert "€2,500.00" in html  # the inputs it entered
    assert "€9,950.00" not in html and "Unreconciled" not in html


def test_the_bank_sees_periods_up_to_what_was_shared(world):
    facility = world.facility_x  # its report (stock at 31 October 2026) is shared with lender A
    add_stock_file(world, facility, dt.date(2026, 9, 30), "4900000.00")
    add_stock_file(world, facility, dt.date(2026, 11, 30), "5100000.00")
    for day, purchases in ((dt.date(2026, 10, 31), "300000.00"), (dt.date(2026, 11, 30), "1.00")):
        services.save_inputs(
            facility=facility,
            period_end=day,
            purchases=D(purchases),
            production=D("0"),
            cost_of_goods_sold=D("200000.00"),
            adjustments=D("0"),
            by=world.advisor_a,
        )
    html = login(world.bank_shared).get(reverse("valuation:bank-facility", args=[facility.pk])).content.decode()
    # 4,900,000.00 + 300,000.00 − 200,000.00 = 5,000,000.00: reconciled; November is not shared.
    assert periods_shown(html) == ["2026-10-31", "2026-09-30"]
    assert "€5,000,000.00" in html and "within tolerance" in html
    assert "5,100,000.00" not in html
    assert 'action="/' not in html.split('id="rollforward"')[1]  # reads, no form
    assert login(world.bank_unshared).get(reverse("valuation:bank-facility", args=[facility.pk])).status_code == 404


def test_correcting_a_period_starts_from_what_was_entered(world, facility):
    client = login(world.advisor_a)
    client.post(
        reverse("valuation:facility-rollforward-inputs", args=[facility.pk]),
        inputs(MAR, purchases="2000.00", cogs="2500.00"),
    )
    page = reverse("valuation:facility-rollforward", args=[facility.pk])
    form = client.get(page, {"period": "2024-03-31"}).context["inputs_form"]
    assert form.initial["purchases"] == D("2000.00") and form.initial["period_end"] == MAR
    assert client.get(page, {"period": "2024-02-29"}).context["inputs_form"].initial == {"period_end": FEB}
    # Nothing asked (or nonsense): the latest stock date with nothing entered.
    assert client.get(page, {"period": "garbage"}).context["inputs_form"].initial == {"period_end": FEB}


def test_the_alert_reads_on_the_facility_s_alerts_page(world, facility):
    services.save_inputs(
        facility=facility,
        period_end=MAR,
        purchases=D("2000.00"),
        production=D("0"),
        cost_of_goods_sold=D("2500.00"),
        adjustments=D("0"),
        by=world.client_user_x,
    )
    html = login(world.advisor_a).get(reverse("valuation:facility-alerts", args=[facility.pk])).content.decode()
    assert "Roll-forward unreconciled" in html
    assert "Roll-forward to 2024-03-31: -149.75 unreconciled (reported 9,800.25, expected 9,950.00)" in html
