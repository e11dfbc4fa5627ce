"""Submitting the borrower's certificate: who may, the currency, the comparison with the current
valuation of the stock date, the advisors told when it differs, the bank's stock dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from borrowers.common import access
from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent, Notification, NotificationKind
from reports import borrower_certificates as certificates
from reports.models import BorrowerCertificate, BorrowerCertificateLine
from tests.borrower_certificate.conftest import MATCHING
from tests.conftest import World, current_terms_hash
from valuation.engine import certificate_check as cc
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun

OCT = dt.date(2026, 10, 31)
D = Decimal


def submit(w: World, figures=None, **overrides) -> BorrowerCertificate:
    arguments = {
        "facility": w.facility_x,
        "by": w.client_user_x,
        "as_of": OCT,
        "currency": "EUR",
        "figures": MATCHING if figures is None else figures,
    }
    return certificates.submit_certificate(**{**arguments, **overrides})


def test_a_matching_certificate_is_recorded_compared_and_audited(valued: World):
    certificate = submit(valued)
    assert certificate.run == valued.run_x
    assert not certificate.beyond_tolerance and not certificate.overstated
    assert (certificate.tolerance_pct, certificate.tolerance_amount) == (D("0.500"), D("1000.00"))
    assert {line.code: line.amount for line in certificate.lines.all()} == MATCHING
    comparison = certificates.compare(certificate)
    assert comparison.check is not None and not comparison.check.beyond_tolerance
    # Liquidation value and reserves: StockPledge has them, the certificate does not.
    assert {line.code for line in comparison.check.highlighted} == {cc.LIQUIDATION_VALUE, cc.RESERVES}
    event = AuditEvent.objects.get(action="borrower_certificate.submitted")
    assert event.after["figures"]["availability"] == "160000.00" and event.after["run"] == valued.run_x.pk
    # Missing lines are highlighted on the page but are no difference: nobody is told.
    assert not Notification.objects.filter(kind=NotificationKind.ALERT_RAISED).exists()


def test_an_overstated_availability_tells_the_firms_advisors(valued: World):
    figures = {**MATCHING, "eligible_liquidation_value": D("600000.00"), "reserves": D("20000.00")}
    figures["availability"] = D("175000.00")  # +15,000.00 beyond max(1,000.00, 800.00)
    certificate = submit(valued, figures)
    assert certificate.beyond_tolerance and certificate.overstated
    notes = Notification.objects.filter(kind=NotificationKind.ALERT_RAISED)
    assert [n.user for n in notes] == [valued.advisor_a]  # advisor B is another firm's
    assert "overstates" in notes[0].title and notes[0].url == certificate.get_absolute_url()
    assert "Availability" in notes[0].body


def test_a_full_certificate_within_tolerance_tells_nobody(valued: World):
    figures = {**MATCHING, "eligible_liquidation_value": D("600000.00"), "reserves": D("20000.00")}
    figures["book_value"] = D("1004000.00")  # within max(1,000.00, 5,000.00)
    certificate = submit(valued, figures)
    assert certificate.run == valued.run_x and not certificate.beyond_tolerance
    assert not Notification.objects.filter(kind=NotificationKind.ALERT_RAISED).exists()


def test_a_certificate_in_another_currency_than_the_valuation_is_refused(valued: World):
    with pytest.raises(DomainError) as refused:
        submit(valued, currency="usd")
    assert refused.value.field == "currency" and "EUR" in refused.value.message
    assert not BorrowerCertificate.objects.exists()


def test_without_a_valuation_of_that_date_the_comparison_says_so(valued: World):
    certificate = submit(valued, as_of=dt.date(2026, 9, 30))
    assert certificate.run is None and not certificate.beyond_tolerance
    comparison = certificates.compare(certificate)
    assert comparison.check is None and comparison.refusal == "no_run"
    assert "no completed valuation" in comparison.message


def test_a_valuation_later_in_another_currency_is_not_compared(valued: World):
    certificate = submit(valued)
    valued.run_x.currency = "USD"
    valued.run_x.save(update_fields=["currency"])
    comparison = certificates.compare(certificate)
    assert comparison.check is None and comparison.refusal == "currency"


def test_the_current_run_of_the_date_is_the_latest_uploads(valued: World):
    upload = StockUpload(
        client=valued.client_x,
        original_name="stock-v2.csv",
        checksum="1" * 64,
        size=10,
        uploaded_by=valued.client_user_x,
        as_of=OCT,
        status=UploadStatus.ACCEPTED,
    )
    upload.file.save("stock-v2.csv", ContentFile(b"sku;qty\n"), save=False)
    upload.save()
    newer = ValuationRun.objects.create(
        facility=valued.facility_x,
        upload=upload,
        as_of=OCT,
        terms_hash=current_terms_hash(valued.facility_x),
        status=RunStatus.DONE,
        result={"financing": {"availability": "175000.00"}},
    )
    ValuationRun.objects.create(  # a newer file still computing: not current
        facility=valued.facility_x, upload=upload, as_of=OCT, terms_hash="x" * 64, status=RunStatus.RUNNING
    )
    assert certificates.current_run(valued.facility_x, OCT) == newer
    certificate = submit(valued, {"availability": D("175000.00")})
    assert certificate.run == newer and not certificate.beyond_tolerance


@pytest.mark.parametrize("who", ["advisor_a", "client_user_y", "bank_shared"])
def test_only_the_borrowers_own_users_submit(valued: World, who: str):
    with pytest.raises(DomainError):
        submit(valued, by=valued.persona(who))


def test_bad_figures_are_refused_naming_the_line(valued: World):
    with pytest.raises(DomainError) as empty:
        submit(valued, {})
    assert empty.value.field == "book_value"
    with pytest.raises(DomainError) as unknown:
        submit(valued, {"advance_rate": D("80")})
    assert unknown.value.field == "advance_rate"
    with pytest.raises(DomainError) as future:
        submit(valued, as_of=dt.date(2099, 1, 31))
    assert future.value.field == "as_of"


def test_a_spreadsheet_is_read_and_kept_with_its_checksum(valued: World):
    data = "Stock brut;1 000 000,00\nDisponibilité;175 000,00\n".encode()
    certificate = certificates.submit_certificate_file(
        facility=valued.facility_x, by=valued.client_user_x, as_of=OCT, currency="EUR", data=data, filename="bbc.csv"
    )
    assert certificate.source == "file" and certificate.original_name == "bbc.csv"
    assert len(certificate.checksum) == 64 and certificate.file.read() == data
    line = certificate.lines.get(code="availability")
    assert (line.amount, line.row, line.label) == (D("175000.00"), 2, "Disponibilité")
    assert certificate.overstated


def test_a_broken_spreadsheet_names_each_row(valued: World):
    data = b"Gross inventory;1 000 000,00\nEligible inventory;n/a\nAvailability;1,234\n"
    with pytest.raises(certificates.CertificateRefused) as refused:
        certificates.submit_certificate_file(
            facility=valued.facility_x, by=valued.client_user_x, as_of=OCT, currency="EUR", data=data, filename="b.csv"
        )
    assert refused.value.field == "file"
    assert refused.value.messages[0].startswith("row 2, Eligible stock")
    assert refused.value.messages[1].startswith("row 3, Availability") and "ambiguous" in refused.value.messages[1]
    assert not BorrowerCertificate.objects.exists()


def test_a_picture_named_csv_is_refused(valued: World):
    with pytest.raises(certificates.CertificateRefused) as refused:
        certificates.read_file(data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, filename="bbc.csv")
    assert "not what its name says" in refused.value.messages[0]


def test_a_sheet_stating_another_currency_is_refused(valued: World):
    with pytest.raises(DomainError) as refused:
        certificates.submit_certificate_file(
            facility=valued.facility_x,
            by=valued.client_user_x,
            as_of=OCT,
            currency="EUR",
            data=b"Currency;USD\nGross inventory;1000000.00\n",
            filename="b.csv",
        )
    assert refused.value.field == "currency"


def test_the_bank_reads_only_the_stock_dates_shared_with_it(valued: World):
    shared = submit(valued)
    newer = submit(valued, as_of=dt.date(2026, 11, 30))  # no report shows 30 November
    bank = access.scope(BorrowerCertificate.objects.all(), valued.bank_shared)
    assert list(bank) == [shared]
    assert set(access.scope(BorrowerCertificateLine.objects.all(), valued.bank_shared)) == set(shared.lines.all())
    assert not access.scope(BorrowerCertificate.objects.all(), valued.bank_unshared).exists()
    assert not access.scope(BorrowerCertificate.objects.all(), valued.advisor_b).exists()
    assert set(access.scope(BorrowerCertificate.objects.all(), valued.advisor_a)) == {shared, newer}
    assert not access.scope(BorrowerCertificate.objects.all(), valued.client_user_y).exists()
    # Advisors read; only the borrower's users submit ("change").
    assert not access.scope(BorrowerCertificate.objects.all(), valued.advisor_a, "change").exists()
    # Withdrawing the share closes it.
    valued.report_x.shares.update(withdrawn_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert not access.scope(BorrowerCertificate.objects.all(), valued.bank_shared).exists()


def test_the_certificate_closes_its_period_in_the_reporting_calendar(valued: World):
    from facilities.models import Deliverable, DeliverableKind

    deliverable = Deliverable.objects.create(
        facility=valued.facility_x, kind=DeliverableKind.BORROWING_BASE_CERTIFICATE, start=dt.date(2026, 1, 1)
    )
    certificate = submit(valued)
    period = deliverable.periods.get(period_end=OCT)
    assert period.received_at == certificate.submitted_at
    assert period.source_url == certificate.get_absolute_url()
