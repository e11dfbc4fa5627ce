"""Filing, versions, checksums and the expiry alerts of the credit file (facilities/credit_file.py,
valuation/pipeline/monitoring.py ``check_credit_documents``)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borrowers.models import AuditEvent
from facilities import credit_file
from facilities.models import CreditDocument, Facility, Structure
from valuation.models import Alert, AlertState
from valuation.pipeline import monitoring

PDF = b"%PDF-1.4\n% registration receipt\n%%EOF\n"


def pdf(name: str = "doc.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body)


def registration(world, registered_on: dt.date, **kw) -> CreditDocument:
    return credit_file.add_document(
        by=world.advisor_a,
        client=world.client_x,
        facility=world.facility_x,
        kind="registration",
        title="Inscription greffe Lyon",
        file=pdf("greffe.pdf"),
        registered_on=registered_on,
        **kw,
    )


def alerts(facility, kind: str) -> list[Alert]:
    return list(Alert.objects.filter(facility=facility, kind=kind).order_by("pk"))


@pytest.mark.django_db
class TestFiling:
    def test_a_document_is_stored_with_its_checksum_size_and_type(self, world):
        doc = registration(world, dt.date(2024, 2, 29))
        assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
        assert (doc.size, doc.content_type, doc.original_name) == (len(PDF), "application/pdf", "greffe.pdf")
        assert doc.lapses_on == dt.date(2029, 2, 28)  # 29 February + 5 years
        # In the configured storage, under a random name that keeps nothing of the user's.
        assert default_storage.exists(doc.file.name) and "greffe" not in doc.file.name
        with default_storage.open(doc.file.name) as stored:
            assert stored.read() == PDF
        event = AuditEvent.objects.get(action="add-credit-document")
        assert event.after["lapses_on"] == "2029-02-28" and event.after["sha256"] == doc.sha256

    def test_the_dates_a_kind_takes_are_checked_under_their_field(self, world):
        with pytest.raises(ValidationError) as caught:
            registration(world, None)
        assert "registered_on" in caught.value.error_dict
        with pytest.raises(ValidationError) as caught:
            credit_file.add_document(
                by=world.advisor_a,
                client=world.client_x,
                kind="insurance_certificate",
                title="Allianz",
                file=pdf(),
                signed_on=dt.date(2026, 6, 1),
                expires_on=dt.date(2026, 5, 31),
            )
        assert "expires_on" in caught.value.error_dict

    def test_a_facility_of_another_client_is_refused(self, world):
        other = Facility.objects.create(
            client=world.client_y, lender=world.lender_a, name="Y", structure=Structure.BORROWING_BASE
        )
        with pytest.raises(ValidationError) as caught:
            credit_file.add_document(
                by=world.advisor_a, client=world.client_x, facility=other, kind="pledge_deed", title="x", file=pdf()
            )
        assert "facility" in caught.value.error_dict

    def test_a_site_is_for_a_waiver_or_a_custodian_agreement_and_a_firm_files_only_its_clients(self, world):
        waiver = credit_file.add_document(
            by=world.advisor_a,
            client=world.client_x,
            kind="landlord_waiver",
            title="Bailleur Lyon",
            file=pdf(),
            warehouse=world.warehouse_x,
        )
        assert waiver.warehouse == world.warehouse_x
        with pytest.raises(ValidationError) as caught:
            credit_file.add_document(
                by=world.advisor_a,
                client=world.client_x,
                kind="pledge_deed",
                title="x",
                file=pdf(),
                warehouse=world.warehouse_x,
            )
        assert "warehouse" in caught.value.error_dict
        with pytest.raises(ValidationError):
            credit_file.add_document(
                by=world.advisor_b, client=world.client_x, kind="pledge_deed", title="x", file=pdf()
            )

    def test_a_client_user_files_only_certificates_and_statements(self, world):
        doc = credit_file.add_document(
            by=world.client_user_x,
            client=world.client_x,
            kind="insurance_certificate",
            title="Allianz 2026",
            file=pdf(),
            expires_on=dt.date(2026, 12, 31),
            visible_to_client=False,  # ignored: the client's own document is its own to see
        )
        assert doc.visible_to_client and doc.lapses_on == dt.date(2027, 1, 1)
        with pytest.raises(ValidationError):
            credit_file.add_document(
                by=world.client_user_x, client=world.client_x, kind="pledge_deed", title="x", file=pdf()
            )
        with pytest.raises(ValidationError):
            credit_file.add_document(
                by=world.client_user_x, client=world.client_y, kind="insurance_certificate", title="x", file=pdf()
            )


@pytest.mark.django_db
class TestVersions:
    def test_a_renewal_supersedes_and_keeps_the_previous_version(self, world):
        first = registration(world, dt.date(2021, 3, 10))
        second = credit_file.renew_document(
            by=world.advisor_a, document=first, registered_on=dt.date(2026, 2, 1), file=pdf("renewal.pdf", PDF + b"2")
        )
        first.refresh_from_db()
        assert first.superseded_at is not None and second.is_current and second.previous_id == first.pk
        assert second.lapses_on == dt.date(2031, 2, 1)  # five new years from the renewal's date
        assert first.file.name != second.file.name and default_storage.exists(first.file.name)
        rows = credit_file.document_rows(CreditDocument.objects.all(), dt.date(2026, 3, 1))
        assert [(r.document.pk, [o.pk for o in r.older]) for r in rows] == [(second.pk, [first.pk])]
        with pytest.raises(ValidationError):
            credit_file.renew_document(by=world.advisor_a, document=first, registered_on=dt.date(2026, 3, 1))

    def test_a_renewal_recorded_from_its_date_only_keeps_the_stored_file(self, world):
        first = registration(world, dt.date(2021, 3, 10))
        second = credit_file.renew_document(by=world.advisor_a, document=first, registered_on=dt.date(2026, 2, 1))
        assert (second.file.name, second.sha256, second.size) == (first.file.name, first.sha256, first.size)

    def test_editing_the_dates_recomputes_the_lapse_and_is_audited(self, world):
        doc = registration(world, dt.date(2021, 3, 10))
        credit_file.update_document(by=world.advisor_a, document=doc, registered_on=dt.date(2020, 2, 29))
        doc.refresh_from_db()
        assert doc.lapses_on == dt.date(2025, 2, 28)
        event = AuditEvent.objects.get(action="edit-credit-document")
        assert (event.before["lapses_on"], event.after["lapses_on"]) == ("2026-03-10", "2025-02-28")
        with pytest.raises(ValidationError):
            credit_file.update_document(by=world.client_user_x, document=doc, title="mine")


@pytest.mark.django_db
class TestDownload:
    def test_the_download_is_the_stored_file_once_its_checksum_matches(self, world):
        doc = registration(world, dt.date(2024, 2, 29))
        client = Client()
        client.force_login(world.advisor_a)
        response = client.get(reverse("facilities:credit-document-download", args=[doc.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"] and "greffe.pdf" in response["Content-Disposition"]
        assert response["X-Checksum-SHA256"] == hashlib.sha256(PDF).hexdigest()

    def test_a_file_altered_in_the_storage_is_never_served(self, world):
        doc = registration(world, dt.date(2024, 2, 29))
        with open(default_storage.path(doc.file.name), "wb") as stored:
            stored.write(b"%PDF-1.4 forged")
        client = Client()
        client.force_login(world.advisor_a)
        response = client.get(reverse("facilities:credit-document-download", args=[doc.pk]))
        assert response.status_code == 409
        assert b"checksum" in response.content
        api = client.get(reverse("credit-document-download", args=[doc.pk]))
        assert api.status_code == 409 and api.json()["error"] == "checksum_mismatch"

    def test_the_media_url_does_not_serve_the_file(self, world):
        doc = registration(world, dt.date(2024, 2, 29))
        client = Client()
        client.force_login(world.advisor_a)
        assert client.get(doc.file.url).status_code == 404


@pytest.mark.django_db
class TestExpiryAlerts:
    def test_an_expiring_registration_raises_then_lapses_then_a_renewal_resolves(self, world):
        registration(world, dt.date(2021, 3, 10))  # lapses on 10 March 2026
        # 9 January 2026: 60 days left (22 of January + 28 of February + 10 of March) -> expiring.
        assert monitoring.check_credit_documents(today=dt.date(2026, 1, 8))["documents_expiring"] == 0
        counts = monitoring.check_credit_documents(today=dt.date(2026, 1, 9))
        assert counts == {"documents_expiring": 1, "documents_lapsed": 0}
        (expiring,) = alerts(world.facility_x, "document_expiring")
        assert expiring.state == AlertState.OPEN
        assert expiring.details["summary"].endswith("2026-03-10") and expiring.details["warning_days"] == 60
        # 10 March 2026: lapsed; the "expiring" alert resolves and a "lapsed" one opens.
        monitoring.check_credit_documents(today=dt.date(2026, 3, 10))
        expiring.refresh_from_db()
        assert expiring.state == AlertState.RESOLVED
        (lapsed,) = alerts(world.facility_x, "document_expired")
        assert lapsed.state == AlertState.OPEN
        # The renewal is filed: five new years, and both alerts resolve.
        current = CreditDocument.objects.current().get()
        credit_file.renew_document(by=world.advisor_a, document=current, registered_on=dt.date(2026, 3, 12))
        monitoring.check_credit_documents(today=dt.date(2026, 3, 12))
        lapsed.refresh_from_db()
        assert lapsed.state == AlertState.RESOLVED
        assert not Alert.objects.filter(kind__startswith="document_").exclude(state=AlertState.RESOLVED).exists()

    def test_filing_a_renewal_resolves_the_alert_at_once(self, world, django_capture_on_commit_callbacks):
        today = timezone.localdate()
        with django_capture_on_commit_callbacks(execute=True):
            doc = credit_file.add_document(
                by=world.advisor_a,
                client=world.client_x,
                facility=world.facility_x,
                kind="insurance_certificate",
                title="Allianz",
                file=pdf(),
                expires_on=today + dt.timedelta(days=10),
            )
        (alert,) = alerts(world.facility_x, "document_expiring")
        assert alert.state == AlertState.OPEN
        with django_capture_on_commit_callbacks(execute=True):
            credit_file.renew_document(
                by=world.advisor_a, document=doc, expires_on=today + dt.timedelta(days=375), file=pdf("2027.pdf")
            )
        alert.refresh_from_db()
        assert alert.state == AlertState.RESOLVED

    def test_a_client_wide_document_alerts_on_each_facility_of_the_client(self, world):
        second = Facility.objects.create(
            client=world.client_x, lender=world.lender_a2, name="BB", structure=Structure.BORROWING_BASE
        )
        credit_file.add_document(
            by=world.advisor_a,
            client=world.client_x,
            kind="financial_statements",
            title="2025 accounts",
            file=pdf(),
            expires_on=dt.date(2026, 6, 30),
        )
        monitoring.check_credit_documents(today=dt.date(2026, 7, 1))
        assert {a.facility_id for a in Alert.objects.filter(kind="document_expired")} == {
            world.facility_x.pk,
            second.pk,
        }

    def test_the_daily_sweep_checks_the_documents(self, world):
        registration(world, dt.date(2021, 3, 10))
        counts = monitoring.sweep_calendars(dt.date(2026, 3, 11))
        assert counts["documents_lapsed"] == 1
        assert alerts(world.facility_x, "document_expired")

    def test_the_warning_days_are_a_setting(self, world, settings):
        settings.CREDIT_FILE_WARNING_DAYS = 10
        registration(world, dt.date(2021, 3, 10))
        assert monitoring.check_credit_documents(today=dt.date(2026, 2, 27))["documents_expiring"] == 0  # 11 days
        assert monitoring.check_credit_documents(today=dt.date(2026, 2, 28))["documents_expiring"] == 1  # 10 days

    def test_the_expiry_is_a_dated_item_on_the_facility_calendar(self, world):
        registration(world, dt.date(2024, 2, 29))
        client = Client()
        client.force_login(world.advisor_a)
        page = client.get(reverse("facilities:calendar", args=[world.facility_x.pk])).content.decode()
        assert 'id="credit-file-expiries"' in page and 'data-lapses="2029-02-28"' in page


@pytest.mark.django_db
def test_a_client_with_versions_and_a_waiver_can_still_be_deleted(world):
    from borrowers.models import ClientCompany, Warehouse

    client = ClientCompany.objects.create(firm=world.firm_a, legal_name="Zeta", currency="EUR")
    site, other_site = (Warehouse.objects.create(client=client, code=c, name=c) for c in ("Z1", "Z2"))
    waivers = []
    for warehouse in (site, other_site):
        first = credit_file.add_document(
            by=world.advisor_a, client=client, kind="landlord_waiver", title="Bailleur", file=pdf(), warehouse=warehouse
        )
        waivers.append(credit_file.renew_document(by=world.advisor_a, document=first, expires_on=dt.date(2030, 1, 1)))
    site.delete()  # the site closes: its waivers stay on file
    assert CreditDocument.objects.filter(client=client, warehouse__isnull=True).count() == 2
    client.delete()
    assert not CreditDocument.objects.filter(client_id=client.pk).exists()
