"""The credit file's workflows, checks and selectors (docs/domain.md, "The credit file").

Workflows (keyword-only, transactional, audited): ``add_document`` (a new document, or a new
version of one: a renewal, a newer certificate; the version before stays listed),
``update_document`` (title, dates, visibility). Each asks the valuation floor, by task name, to
look at the facility's document alerts again (``valuation.check_credit_documents``), so a
renewal resolves an "expiring" or "expired" alert at once rather than at the next daily sweep.

Checks: ``check_file`` (type by content, size cap; facilities/credit_content.py) and
``check_dates``. Files go to the configured storage (``default_storage`` through the FileField)
under a random name, with their SHA-256, size and detected type; ``open_verified`` re-hashes the
stored file before it is served.

Selectors: ``document_rows`` (a list with each document's status today and its older versions),
``expiry_items`` (the dated items of the facility's calendar) and ``facility_expiries`` (what the
alerts follow). Who may see which document is decided in borrowers/common/access.py only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import audit, queueing
from borrowers.models import ClientCompany, User, Warehouse
from facilities import credit_content, credit_dates
from facilities.credit_dates import DocumentState, DocumentStatus
from facilities.models import CreditDocument, CreditDocumentKind, Facility

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# What a client's users provide themselves; every other kind is the advisor's to file.
CLIENT_KINDS = (CreditDocumentKind.INSURANCE_CERTIFICATE, CreditDocumentKind.FINANCIAL_STATEMENTS)
# The kinds that concern one site.
SITE_KINDS = (CreditDocumentKind.LANDLORD_WAIVER, CreditDocumentKind.CUSTODIAN_AGREEMENT)
CHECK_TASK = "valuation.check_credit_documents"
log = logging.getLogger("stockpledge.credit_file")

STATUS_LABELS = {
    DocumentStatus.VALID: gettext_lazy("Valid"),
    DocumentStatus.EXPIRING: gettext_lazy("Expiring"),
    DocumentStatus.LAPSED: gettext_lazy("Lapsed"),
}
STATUS_BADGES = {
    DocumentStatus.VALID: "badge-ok",
    DocumentStatus.EXPIRING: "badge-warn",
    DocumentStatus.LAPSED: "badge-bad",
}
AUDITED = (
    "kind",
    "title",
    "facility",
    "warehouse",
    "signed_on",
    "expires_on",
    "registered_on",
    "lapses_on",
    "visible_to_client",
    "visible_to_bank",
    "notes",
    "sha256",
    "original_name",
    "previous",
)


def max_bytes() -> int:
    return int(getattr(settings, "CREDIT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def warning_days() -> int:
    """How many days before its lapse date a document counts as expiring (and alerts)."""
    return int(getattr(settings, "CREDIT_FILE_WARNING_DAYS", credit_dates.DEFAULT_WARNING_DAYS))


# ------------------------------------------------------------------------------------ checks


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed the checks: what it is, its size and its SHA-256."""

    upload: Any
    name: str
    content_type: str
    size: int
    sha256: str


def _refusal(refused: credit_content.ContentRefused, name: str) -> str:
    values = {"name": name, **refused.values}
    messages = {
        "extension": _(
            "“%(name)s” has the extension %(extension)s: a document must be a PDF, a PNG or JPEG image, "
            "an Excel workbook (.xlsx) or a Word document (.docx)."
        ),
        "empty": _("“%(name)s” is empty."),
        "program": _("“%(name)s” is a program: programs are never accepted."),
        "html": _("“%(name)s” is a web page (HTML): web pages are never accepted, save it as PDF."),
        "svg": _("“%(name)s” is an SVG drawing: SVG files are never accepted, save it as PDF or PNG."),
        "mismatch": _(
            "“%(name)s” is named as %(announced)s but its content is %(found)s: upload the document as what it is."
        ),
        "unsafe_zip": _("“%(name)s” could not be read safely (%(reason)s)."),
        "macros": _("“%(name)s” carries macros or embedded programs: save it without them (.xlsx, .docx) or as PDF."),
    }
    return messages[refused.code] % values


def check_file(upload: Any) -> CheckedFile:
    """Refuse a file over the size cap, or whose content is not an accepted type or is not what
    its name says (ValidationError, worded for the person who chose the file)."""
    name = str(getattr(upload, "name", "") or "")
    limit = max_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s: a document may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    try:
        kind = credit_content.document_type(name, upload)
    except credit_content.ContentRefused as refused:
        raise ValidationError(_refusal(refused, name), code=refused.code) from None
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload, name, credit_content.CONTENT_TYPES[kind], upload.size, digest.hexdigest())


def check_dates(
    *,
    kind: str,
    signed_on: dt.date | None,
    expires_on: dt.date | None,
    registered_on: dt.date | None,
) -> None:
    """The dates a kind of document takes, each error under its field's name."""
    errors: dict[str, str] = {}
    if kind == CreditDocumentKind.REGISTRATION:
        if registered_on is None:
            errors["registered_on"] = _("A registration needs the date it was entered at the registry.")
        if expires_on is not None:
            errors["expires_on"] = _("A registration lapses five years after its date: leave the expiry blank.")
    elif registered_on is not None:
        errors["registered_on"] = _("Only a registration at the registry has a registration date.")
    if signed_on and expires_on and expires_on < signed_on:
        errors["expires_on"] = _("The expiry date is before the date of signature.")
    if errors:
        raise ValidationError(errors)


def _check_links(document: CreditDocument) -> None:
    errors: dict[str, str] = {}
    if document.facility_id and document.facility.client_id != document.client_id:
        errors["facility"] = _("The facility is not one of this client's.")
    if document.warehouse_id and document.warehouse.client_id != document.client_id:
        errors["warehouse"] = _("The warehouse is not one of this client's.")
    if errors:
        raise ValidationError(errors)


# ------------------------------------------------------------------------------------ workflows


def _snapshot(document: CreditDocument) -> dict[str, Any]:
    data = audit.snapshot(document, exclude=tuple(f.name for f in document._meta.fields if f.name not in AUDITED))
    data["lapses_on"] = document.lapses_on.isoformat() if document.lapses_on else None
    return data


def _recheck_alerts(document: CreditDocument) -> None:
    queueing.send_named_on_commit(CHECK_TASK, client_id=document.client_id)


@transaction.atomic
def add_document(
    *,
    by: User,
    client: ClientCompany,
    kind: str,
    title: str,
    file: Any | None,
    facility: Facility | None = None,
    warehouse: Warehouse | None = None,
    signed_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    registered_on: dt.date | None = None,
    visible_to_client: bool = True,
    visible_to_bank: bool = True,
    notes: str = "",
    previous: CreditDocument | None = None,
) -> CreditDocument:
    """File a document (checked, stored, hashed). With ``previous``, the new one is its next
    version (a renewal, a newer certificate): the previous one is marked superseded and stays
    listed; without a new file the new version keeps the previous one's stored file (a renewal
    recorded from its date only). A client user files only the kinds of CLIENT_KINDS, always
    visible to its company."""
    if by.is_advisor:
        if client.firm_id != by.firm_id:
            raise ValidationError(_("This client is not one of your firm's."))
    else:
        if kind not in CLIENT_KINDS or by.client_id != client.pk or previous is not None:
            raise ValidationError({"kind": _("You may add only insurance certificates and financial statements.")})
        visible_to_client = True
    if warehouse is not None and kind not in SITE_KINDS:
        raise ValidationError({"warehouse": _("Only a landlord waiver or a custodian agreement concerns one site.")})
    if previous is not None:
        if previous.client_id != client.pk or not previous.is_current:
            raise ValidationError(_("Only the current version of a document can be renewed."))
        previous = CreditDocument.objects.select_for_update().get(pk=previous.pk)
        if not previous.is_current:
            raise ValidationError(_("Only the current version of a document can be renewed."))
    if file is None and previous is None:
        raise ValidationError({"file": _("Choose the document's file.")})
    check_dates(kind=kind, signed_on=signed_on, expires_on=expires_on, registered_on=registered_on)
    document = CreditDocument(
        client=client,
        facility=facility,
        warehouse=warehouse,
        kind=kind,
        title=title.strip() or str(CreditDocumentKind(kind).label),
        signed_on=signed_on,
        expires_on=expires_on,
        registered_on=registered_on,
        lapses_on=credit_dates.lapse_date(registered_on=registered_on, expires_on=expires_on),
        visible_to_client=visible_to_client,
        visible_to_bank=visible_to_bank,
        notes=notes,
        previous=previous,
        uploaded_by=by,
    )
    _check_links(document)
    if file is not None:
        checked = check_file(file)
        document.original_name = checked.name[:255]
        document.sha256 = checked.sha256
        document.size = checked.size
        document.content_type = checked.content_type
        document.file.save(checked.name, checked.upload, save=False)
    else:
        assert previous is not None
        for name in ("file", "original_name", "sha256", "size", "content_type"):
            setattr(document, name, getattr(previous, name))
    document.save()
    if previous is not None:
        previous.superseded_at = timezone.now()
        previous.save(update_fields=["superseded_at", "updated_at"])
    audit.record(
        actor=by,
        action="renew-credit-document" if previous else "add-credit-document",
        instance=document,
        before=_snapshot(previous) if previous else None,
        after=_snapshot(document),
    )
    _recheck_alerts(document)
    return document


def renew_document(
    *,
    by: User,
    document: CreditDocument,
    file: Any | None = None,
    signed_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    registered_on: dt.date | None = None,
    title: str = "",
    notes: str = "",
) -> CreditDocument:
    """The next version of ``document``: same kind, client, facility, site and visibility, new
    dates (for a registration, the renewal's date: five new years from it) and maybe a new file."""
    return add_document(
        by=by,
        client=document.client,
        facility=document.facility,
        warehouse=document.warehouse,
        kind=document.kind,
        title=title or document.title,
        file=file,
        signed_on=signed_on,
        expires_on=expires_on,
        registered_on=registered_on,
        visible_to_client=document.visible_to_client,
        visible_to_bank=document.visible_to_bank,
        notes=notes or document.notes,
        previous=document,
    )


EDITABLE = (
    "title",
    "facility",
    "warehouse",
    "signed_on",
    "expires_on",
    "registered_on",
    "visible_to_client",
    "visible_to_bank",
    "notes",
)


@transaction.atomic
def update_document(*, by: User, document: CreditDocument, **changes: Any) -> CreditDocument:
    """Correct a document's title, dates, facility, site or visibility (an advisor's edit, audited;
    the file and its checksum never change: a new file is a new version)."""
    if not by.is_advisor:
        raise ValidationError(_("Only the firm's advisors edit the credit file."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = _snapshot(document)
    for name, value in changes.items():
        setattr(document, name, value)
    check_dates(
        kind=document.kind,
        signed_on=document.signed_on,
        expires_on=document.expires_on,
        registered_on=document.registered_on,
    )
    if document.kind not in SITE_KINDS:
        document.warehouse = None
    _check_links(document)
    document.lapses_on = credit_dates.lapse_date(registered_on=document.registered_on, expires_on=document.expires_on)
    document.save()
    audit.record(actor=by, action="edit-credit-document", instance=document, before=before, after=_snapshot(document))
    _recheck_alerts(document)
    return document


class IntegrityError(Exception):
    """The stored file's bytes no longer match the SHA-256 recorded when it was filed."""


def open_verified(document: CreditDocument) -> IO[bytes]:
    """The stored file, opened, once its SHA-256 matches the one recorded (IntegrityError if not:
    a file altered or damaged in the storage is never served as the document)."""
    digest = hashlib.sha256()
    # FileNotFoundError when the stored file is gone: the caller answers 404.
    with document.file.open("rb") as stored:
        for chunk in stored.chunks():
            digest.update(chunk)
    if digest.hexdigest() != document.sha256:
        log.error("credit document checksum mismatch", extra={"object": f"credit_document:{document.pk}"})
        raise IntegrityError(document.pk)
    return document.file.open("rb")


# ------------------------------------------------------------------------------------ selectors


@dataclass
class DocumentRow:
    """A document as the lists show it: its status today and its older versions (newest first)."""

    document: CreditDocument
    state: DocumentState
    older: list[CreditDocument] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.state.status)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.state.status])

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.state.status]

    @property
    def days_left(self) -> int | None:
        return self.state.days_left


def state_of(document: CreditDocument, today: dt.date) -> DocumentState:
    return credit_dates.document_state(document.lapses_on, today, warning_days())


def document_rows(documents: QuerySet[CreditDocument], today: dt.date) -> list[DocumentRow]:
    """The current documents among ``documents`` (already scoped to the reader), each with the
    older versions the reader may see: one query."""
    rows = list(documents.select_related("facility", "warehouse", "uploaded_by").order_by("kind", "-created_at", "-pk"))
    by_pk = {doc.pk: doc for doc in rows}
    result = []
    for doc in rows:
        if not doc.is_current:
            continue
        row = DocumentRow(doc, state_of(doc, today))
        older = by_pk.get(doc.previous_id) if doc.previous_id else None
        while older is not None:
            row.older.append(older)
            older = by_pk.get(older.previous_id) if older.previous_id else None
        result.append(row)
    return result


def facility_documents(facility: Facility) -> QuerySet[CreditDocument]:
    """The documents of a facility and those of its client kept outside any facility."""
    return CreditDocument.objects.filter(Q(facility=facility) | Q(facility__isnull=True, client_id=facility.client_id))


@dataclass(frozen=True)
class ExpiryItem:
    """A dated item of a facility's calendar: the day a current document lapses."""

    document: CreditDocument
    lapses_on: dt.date
    state: DocumentState

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.state.status])

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.state.status]

    @property
    def warning_from(self) -> dt.date:
        return credit_dates.warning_starts_on(self.lapses_on, warning_days())


def expiry_items(documents: Iterable[CreditDocument], today: dt.date) -> list[ExpiryItem]:
    """The lapse dates of the current documents among ``documents``, soonest first."""
    items = [
        ExpiryItem(doc, doc.lapses_on, state_of(doc, today))
        for doc in documents
        if doc.is_current and doc.lapses_on is not None
    ]
    return sorted(items, key=lambda item: (item.lapses_on, item.document.pk))


@dataclass(frozen=True)
class FacilityExpiries:
    """What a facility's document alerts follow: its current documents expiring and lapsed."""

    expiring: list[ExpiryItem]
    lapsed: list[ExpiryItem]


def facility_expiries(facility: Facility, today: dt.date) -> FacilityExpiries:
    items = expiry_items(facility_documents(facility).current().filter(lapses_on__isnull=False), today)
    return FacilityExpiries(
        expiring=[item for item in items if item.state.status == DocumentStatus.EXPIRING],
        lapsed=[item for item in items if item.state.status == DocumentStatus.LAPSED],
    )


def summary(items: list[ExpiryItem]) -> str:
    """An alert's summary: each document's kind and lapse date (never its title, which an
    advisor may keep from the bank that reads the alert)."""
    return "; ".join(f"{item.document.get_kind_display()} {item.lapses_on.isoformat()}" for item in items)
