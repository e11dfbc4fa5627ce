"""Who sees which document of the credit file, on every route (borrowers/common/access.py): the
firm's advisors all; the client's users their company's except the internal ones; a bank the
documents of a facility it follows, not the client's own ones nor those kept from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from facilities import credit_file
from facilities.models import CreditDocument

PDF = b"%PDF-1.4\n%%EOF\n"


def file(world, title: str, *, facility=True, **kw) -> CreditDocument:
    return credit_file.add_document(
        by=world.advisor_a,
        client=world.client_x,
        facility=world.facility_x if facility else None,
        kind=kw.pop("kind", "pledge_deed"),
        title=title,
        file=SimpleUploadedFile(f"{title}.pdf", PDF),
        **kw,
    )


@pytest.fixture
def documents(world) -> dict[str, CreditDocument]:
    return {
        "deed": file(world, "deed"),
        "internal": file(world, "internal", kind="other", visible_to_client=False),
        "kept_from_bank": file(world, "kept", kind="custodian_agreement", visible_to_bank=False),
        "client_wide": file(world, "statements", facility=False, kind="financial_statements"),
    }


SEES = {
    "advisor_a": {"deed", "internal", "kept_from_bank", "client_wide"},
    "advisor_b": set(),
    "client_user_x": {"deed", "kept_from_bank", "client_wide"},
    "client_user_y": set(),
    "bank_shared": {"deed", "internal"},
    "bank_unshared": set(),
}


def logged_in(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.persona(persona))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(SEES))
def test_each_role_downloads_exactly_the_documents_it_may_see(world, documents, persona):
    client = logged_in(world, persona)
    for name, doc in documents.items():
        status = client.get(reverse("facilities:credit-document-download", args=[doc.pk])).status_code
        assert status == (200 if name in SEES[persona] else 404), (persona, name, status)
        api = client.get(reverse("credit-document-download", args=[doc.pk])).status_code
        assert api == (200 if name in SEES[persona] else 404), (persona, name, api)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(SEES))
def test_the_api_lists_exactly_the_documents_a_role_may_see(world, documents, persona):
    listed = logged_in(world, persona).get(reverse("credit-document-list")).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    titles = {doc.pk: name for name, doc in documents.items()}
    assert {titles[row["id"]] for row in rows} == SEES[persona]


@pytest.mark.django_db
def test_the_api_gives_dates_status_and_checksum(world, documents):
    doc = credit_file.add_document(
        by=world.advisor_a,
        client=world.client_x,
        facility=world.facility_x,
        kind="registration",
        title="greffe",
        file=SimpleUploadedFile("g.pdf", PDF),
        registered_on=dt.date(2020, 2, 29),
    )
    row = logged_in(world, "bank_shared").get(reverse("credit-document-detail", args=[doc.pk])).json()
    assert (row["registered_on"], row["lapses_on"], row["status"]) == ("2020-02-29", "2025-02-28", "lapsed")
    assert row["sha256"] == doc.sha256 and row["is_current"] is True
    assert row["download_url"] == reverse("credit-document-download", args=[doc.pk])
    facility_only = logged_in(world, "advisor_a").get(
        reverse("credit-document-list"), {"facility": world.facility_x.pk}
    )
    rows = facility_only.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert documents["client_wide"].pk not in {r["id"] for r in rows}
    assert logged_in(world, "advisor_a").get(reverse("credit-document-list"), {"client": "x"}).status_code == 400


@pytest.mark.django_db
def test_the_credit_file_page_lists_what_the_reader_may_see(world, documents):
    url = reverse("facilities:credit-file", args=[world.client_x.pk])
    advisor = logged_in(world, "advisor_a").get(url).content.decode()
    client = logged_in(world, "client_user_x").get(url).content.decode()
    assert "internal" in advisor and "credit-document-edit" not in client
    assert ">internal<" not in client and "statements" in client
    assert reverse("facilities:credit-document-edit", args=[documents["deed"].pk]) in advisor
    assert reverse("facilities:credit-document-edit", args=[documents["deed"].pk]) not in client


@pytest.mark.django_db
def test_the_bank_page_lists_the_followed_facility_documents_with_their_status(world, documents):
    credit_file.add_document(
        by=world.advisor_a,
        client=world.client_x,
        facility=world.facility_x,
        kind="registration",
        title="greffe",
        file=SimpleUploadedFile("g.pdf", PDF),
        registered_on=dt.date(2020, 2, 29),
    )
    page = logged_in(world, "bank_shared").get(reverse("valuation:bank-facility", args=[world.facility_x.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="credit-documents"' in html
    assert 'data-kind="registration" data-status="lapsed"' in html
    assert 'data-kind="pledge_deed" data-status="valid"' in html
    assert "statements" not in html and "kept.pdf" not in html
    assert reverse("facilities:credit-document-download", args=[documents["deed"].pk]) in html


@pytest.mark.django_db
def test_a_client_user_uploads_an_insurance_certificate_but_not_a_deed(world):
    client = logged_in(world, "client_user_x")
    url = reverse("facilities:credit-document-create", args=[world.client_x.pk])
    page = client.get(url).content.decode()
    assert 'value="insurance_certificate"' in page and 'value="pledge_deed"' not in page
    response = client.post(
        url,
        {"kind": "insurance_certificate", "title": "Allianz", "expires_on": "2026-12-31", "file": _pdf("a.pdf")},
    )
    assert response.status_code == 302
    doc = CreditDocument.objects.get()
    assert (doc.kind, doc.uploaded_by, doc.lapses_on) == (
        "insurance_certificate",
        world.client_user_x,
        dt.date(2027, 1, 1),
    )
    refused = client.post(url, {"kind": "pledge_deed", "title": "x", "file": _pdf("b.pdf")})
    assert refused.status_code == 200 and "kind" in refused.context["form"].errors
    # Neither the edit nor the renewal is the client's.
    for name in ("facilities:credit-document-edit", "facilities:credit-document-renew"):
        assert client.post(reverse(name, args=[doc.pk]), {"title": "mine"}).status_code == 404


def _pdf(name: str, body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body)


@pytest.mark.django_db
def test_a_refused_file_is_named_under_the_file_field(world, settings):
    client = logged_in(world, "advisor_a")
    url = reverse("facilities:credit-document-create", args=[world.client_x.pk])
    html_as_pdf = client.post(url, {"kind": "pledge_deed", "title": "x", "file": _pdf("deed.pdf", b"<html>x</html>")})
    assert html_as_pdf.status_code == 200
    assert "web page" in html_as_pdf.context["form"].errors["file"][0]
    settings.CREDIT_FILE_MAX_BYTES = 10
    too_big = client.post(url, {"kind": "pledge_deed", "title": "x", "file": _pdf("deed.pdf")})
    assert "at most" in too_big.context["form"].errors["file"][0]
    no_date = client.post(url, {"kind": "registration", "title": "x", "file": _pdf("g.pdf")})
    assert "registered_on" in no_date.context["form"].errors
    assert not CreditDocument.objects.exists()


@pytest.mark.django_db
def test_the_advisor_renews_a_registration_from_the_page(world):
    doc = credit_file.add_document(
        by=world.advisor_a,
        client=world.client_x,
        facility=world.facility_x,
        kind="registration",
        title="greffe",
        file=SimpleUploadedFile("g.pdf", PDF),
        registered_on=dt.date(2021, 3, 10),
    )
    client = logged_in(world, "advisor_a")
    response = client.post(reverse("facilities:credit-document-renew", args=[doc.pk]), {"registered_on": "2026-03-01"})
    assert response.status_code == 302
    renewed = CreditDocument.objects.current().get()
    assert (renewed.previous_id, renewed.lapses_on) == (doc.pk, dt.date(2031, 3, 1))
    listing = client.get(reverse("facilities:credit-file", args=[world.client_x.pk])).content.decode()
    assert 'data-status="superseded"' in listing
    edit = client.post(
        reverse("facilities:credit-document-edit", args=[renewed.pk]),
        {
            "title": "greffe renouvelé",
            "registered_on": "2026-03-02",
            "visible_to_client": "on",
            "visible_to_bank": "on",
        },
    )
    assert edit.status_code == 302
    renewed.refresh_from_db()
    assert (renewed.title, renewed.lapses_on) == ("greffe renouvelé", dt.date(2031, 3, 2))
