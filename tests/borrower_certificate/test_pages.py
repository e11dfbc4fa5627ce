"""The borrower's certificate pages for each role: the client submits (form or spreadsheet) and
reads its own figures; the advisors read the comparison from the dossier; the bank from its
facility page, for the stock dates shared with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reports import borrower_certificates as certificates
from reports.models import BorrowerCertificate
from tests.borrower_certificate.conftest import MATCHING
from tests.conftest import World

OCT = dt.date(2026, 10, 31)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def overstated(w: World, as_of: dt.date = OCT) -> BorrowerCertificate:
    return certificates.submit_certificate(
        facility=w.facility_x,
        by=w.client_user_x,
        as_of=as_of,
        currency="EUR",
        figures={**MATCHING, "availability": Decimal("175000.00")},
    )


def test_the_client_enters_its_certificate_line_by_line(valued: World):
    browser = login(valued.client_user_x)
    url = reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])
    page = browser.get(url)
    assert page.status_code == 200 and 'name="form-book_value"' in page.text and 'name="file-file"' in page.text
    assert 'name="form-reason_obsolete"' in page.text and '<fieldset class="fieldset">' in page.text
    answer = browser.post(
        url,
        {
            "mode": "form",
            "form-as_of": "2026-10-31",
            "form-currency": "eur",
            "form-book_value": "1000000.00",
            "form-availability": "175000.00",
            "form-reason_obsolete": "100000.00",
        },
    )
    certificate = BorrowerCertificate.objects.get()
    assert certificate.lines.get(code="ineligible:obsolete").amount == Decimal("100000.00")
    assert answer.status_code == 302 and answer["Location"] == certificate.get_absolute_url()
    assert certificate.currency == "EUR" and certificate.overstated
    detail = browser.get(certificate.get_absolute_url())
    # The client reads its own figures, not StockPledge's.
    assert detail.status_code == 200 and 'data-line="availability"' in detail.text
    assert "certificate-check" not in detail.text and "160" not in detail.text


def test_the_client_uploads_its_spreadsheet(valued: World):
    browser = login(valued.client_user_x)
    url = reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])
    sheet = SimpleUploadedFile("bbc.csv", "Stock brut;1 000 000,00\nDisponibilité;160 000,00\n".encode())
    answer = browser.post(url, {"mode": "file", "file-as_of": "2026-10-31", "file-currency": "EUR", "file-file": sheet})
    assert answer.status_code == 302
    certificate = BorrowerCertificate.objects.get()
    assert certificate.source == "file" and not certificate.beyond_tolerance


def test_a_broken_spreadsheet_is_shown_back_with_its_rows(valued: World):
    browser = login(valued.client_user_x)
    url = reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])
    sheet = SimpleUploadedFile("bbc.csv", b"Gross inventory;1 000 000,00\nEligible inventory;n/a\n")
    answer = browser.post(url, {"mode": "file", "file-as_of": "2026-10-31", "file-currency": "EUR", "file-file": sheet})
    assert answer.status_code == 400 and "row 2, Eligible stock" in answer.text
    assert not BorrowerCertificate.objects.exists()


def test_a_certificate_in_another_currency_is_refused_on_the_form(valued: World):
    browser = login(valued.client_user_x)
    url = reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])
    answer = browser.post(
        url, {"mode": "form", "form-as_of": "2026-10-31", "form-currency": "USD", "form-book_value": "1000000"}
    )
    assert answer.status_code == 400 and "valued in EUR" in answer.text
    bad = browser.post(
        url, {"mode": "form", "form-as_of": "2026-10-31", "form-currency": "EUR", "form-book_value": "x"}
    )
    assert bad.status_code == 400 and "form-book_value_error" in bad.text
    assert not BorrowerCertificate.objects.exists()


def test_the_advisor_reads_the_comparison_with_the_overstatement_flagged(valued: World):
    certificate = overstated(valued)
    browser = login(valued.advisor_a)
    dossier = browser.get(reverse("valuation:facility-detail", args=[valued.facility_x.pk]))
    assert reverse("reports:borrower-certificates", args=[valued.facility_x.pk]) in dossier.text
    assert "Overstates what the bank may lend" in dossier.text
    listing = browser.get(reverse("reports:borrower-certificates", args=[valued.facility_x.pk]))
    assert certificate.get_absolute_url() in listing.text
    detail = browser.get(certificate.get_absolute_url())
    assert detail.status_code == 200 and "certificate-overstated" in detail.text
    assert 'data-line="availability" data-status="beyond" class="row-bad"' in detail.text
    assert 'data-line="book_value" data-status="match"' in detail.text
    assert 'data-line="reserves" data-status="missing"' in detail.text
    # The advisors read; the borrower's users submit.
    assert browser.get(reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])).status_code == 404


def test_without_a_valuation_of_the_date_the_page_says_so(valued: World):
    certificate = overstated(valued, as_of=dt.date(2026, 9, 30))
    detail = login(valued.advisor_a).get(certificate.get_absolute_url())
    assert 'data-refusal="no_run"' in detail.text and "no completed valuation" in detail.text


def test_the_bank_sees_the_differences_for_the_shared_stock_dates_only(valued: World):
    shared = overstated(valued)
    later = overstated(valued, as_of=dt.date(2026, 11, 30))
    browser = login(valued.bank_shared)
    facility_page = browser.get(reverse("valuation:bank-facility", args=[valued.facility_x.pk]))
    assert reverse("reports:bank-borrower-certificates", args=[valued.facility_x.pk]) in facility_page.text
    assert "1 overstates what may be lent" in facility_page.text
    listing = browser.get(reverse("reports:bank-borrower-certificates", args=[valued.facility_x.pk]))
    assert listing.status_code == 200 and "certificate-overstated" in listing.text
    assert shared.get_absolute_url() in listing.text and later.get_absolute_url() not in listing.text
    assert browser.get(shared.get_absolute_url()).status_code == 200
    assert browser.get(later.get_absolute_url()).status_code == 404
    # The advisor's list and the client's pages stay closed to the bank.
    assert browser.get(reverse("reports:borrower-certificates", args=[valued.facility_x.pk])).status_code == 404
    other = login(valued.bank_unshared)
    assert other.get(reverse("reports:bank-borrower-certificates", args=[valued.facility_x.pk])).status_code == 404
    assert other.get(shared.get_absolute_url()).status_code == 404


def test_the_client_page_leads_its_users_to_the_certificate(valued: World):
    page = login(valued.client_user_x).get(reverse("valuation:client-detail", args=[valued.client_x.pk]))
    assert reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk]) in page.text
    advisor_page = login(valued.advisor_a).get(reverse("valuation:client-detail", args=[valued.client_x.pk]))
    assert reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk]) not in advisor_page.text


def test_garbage_gets_field_errors_and_changes_nothing(valued: World):
    from borrowers.models import AuditEvent

    browser = login(valued.client_user_x)
    url = reverse("reports:borrower-certificate-new", args=[valued.facility_x.pk])
    for payload in (
        {},
        {"mode": "form", "form-as_of": "31/31/2026", "form-currency": "€€€", "form-availability": "-1e400"},
        {"mode": "form", "form-as_of": "2026-10-31", "form-currency": "EUR"},  # no figure at all
        {"mode": "file", "file-as_of": "2026-10-31", "file-currency": "EUR"},  # no file
        {"mode": "form", "form-as_of": "2026-10-31", "form-currency": "EUR", "form-book_value": "1" * 40},
        {"mode": "form", "form-as_of": "2026-10-31", "form-currency": "EUR", "form-reserves": "-5"},
    ):
        answer = browser.post(url, payload)
        assert answer.status_code == 400, payload
        assert answer.context["form"].errors or answer.context["file_form"].errors, payload
    assert not BorrowerCertificate.objects.exists() and not AuditEvent.objects.exists()
