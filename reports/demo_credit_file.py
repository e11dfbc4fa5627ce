"""The demo's credit file for Atelier Lumière (``manage.py seed_demo``): a pledge deed, its
registration at the registry nearing its five-year lapse (so the demo shows an "expiring" item
and alert), the landlord waiver of its leased site, and the insurance certificate the client
sent itself. Filed through the service, as a person would; loaded once."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from borrowers.models import ClientCompany, Tenure, User
from facilities import credit_file
from facilities.credit_dates import add_years
from facilities.models import CreditDocument, Facility


def _pdf(title: str) -> bytes:
    # A minimal one-page PDF: enough for a reader to open and for the content check.
    text = title.replace("(", "").replace(")", "").encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
        + b"4 0 obj<</Length %d>>stream\n" % len(stream)
        + stream
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def load_credit_file(*, client: ClientCompany, facility: Facility, advisor: User, client_user: User | None) -> int:
    """File the demo documents unless the client already has a credit file; the number filed."""
    if CreditDocument.objects.filter(client=client).exists():
        return 0
    today = timezone.localdate()
    # Registered five years ago less 40 days: it lapses in 40 days, inside the 60 days of warning.
    registered = add_years(today, -5) + dt.timedelta(days=40)
    leased = client.warehouses.exclude(tenure=Tenure.OWNED).order_by("code").first()
    documents = [
        dict(kind="pledge_deed", title="Acte de gage des stocks", signed_on=registered - dt.timedelta(days=3)),
        dict(kind="registration", title="Inscription au greffe du tribunal de commerce", registered_on=registered),
        dict(
            kind="landlord_waiver",
            title="Renonciation du bailleur",
            warehouse=leased,
            signed_on=dt.date(today.year - 1, 1, 15),
            expires_on=dt.date(today.year + 2, 1, 14),
        ),
    ]
    for fields in documents:
        credit_file.add_document(
            by=advisor,
            client=client,
            facility=facility,
            file=SimpleUploadedFile(f"{fields['kind']}.pdf", _pdf(str(fields["title"]))),
            **fields,  # type: ignore[arg-type]
        )
    if client_user is not None:
        credit_file.add_document(
            by=client_user,
            client=client,
            kind="insurance_certificate",
            title="Attestation d'assurance multirisque",
            file=SimpleUploadedFile("assurance.pdf", _pdf("Attestation d'assurance")),
            signed_on=dt.date(today.year, 1, 1),
            expires_on=dt.date(today.year, 12, 31),
        )
        return len(documents) + 1
    return len(documents)
