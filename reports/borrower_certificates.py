"""The borrower's own borrowing base certificate: submitted by its users, set against StockPledge.

The client's users submit the certificate they prepared for a stock date, entered in a form or
read from their spreadsheet (``valuation.imports.certificate_sheet``). StockPledge compares it,
line by line, with the facility's current completed valuation of the same stock date
(``current_run``) through the pure ``valuation.engine.certificate_check``. The tolerance is the
setting ``BORROWER_CERTIFICATE_TOLERANCE_PCT`` / ``_AMOUNT`` (0.5 % or 1,000 of the currency,
whichever allows more), frozen on the certificate when it is submitted. A certificate beyond
tolerance tells the firm's advisors (through the alert notification kind).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import access, audit
from borrowers.common.errors import DomainError
from borrowers.common.labels import reason_label
from borrowers.common.notify import firm_advisors, notify
from borrowers.models import NotificationKind, User
from facilities import calendar_services
from facilities.models import DeliverableKind, Facility
from reports.models import BorrowerCertificate, BorrowerCertificateLine, CertificateSource
from valuation.engine import certificate_check as cc
from valuation.imports import certificate_sheet
from valuation.imports.report import ImportRejected
from valuation.models import CURRENT_ORDER, RunStatus, UploadStatus, ValuationRun

log = logging.getLogger("stockpledge.reports")

MAX_AMOUNT = Decimal("1e16")  # what a MONEY column (18 digits, 2 places) holds

LINE_LABELS = {
    cc.BOOK_VALUE: gettext_lazy("Gross stock (book value)"),
    cc.INELIGIBLE: gettext_lazy("Total ineligible"),
    cc.ELIGIBLE: gettext_lazy("Eligible stock"),
    cc.LIQUIDATION_VALUE: gettext_lazy("Liquidation value of eligible stock"),
    cc.RESERVES: gettext_lazy("Reserves"),
    cc.BORROWING_BASE: gettext_lazy("Borrowing base"),
    cc.FINANCING: gettext_lazy("Financing"),
    cc.OUTSTANDING: gettext_lazy("Outstanding"),
    cc.AVAILABILITY: gettext_lazy("Availability"),
}

STATUS_LABELS = {
    cc.MATCH: gettext_lazy("Matches"),
    cc.WITHIN: gettext_lazy("Within tolerance"),
    cc.BEYOND: gettext_lazy("Beyond tolerance"),
    cc.MISSING: gettext_lazy("Missing from the certificate"),
    cc.NOT_COMPUTED: gettext_lazy("Not computed by StockPledge"),
}

_SHEET_PROBLEMS = {
    "amount": gettext_lazy("row %(row)s, %(line)s: “%(value)s” is not an amount."),
    "ambiguous": gettext_lazy(
        "row %(row)s, %(line)s: “%(value)s” is ambiguous (thousands or decimals?); write it with its cents, "
        "e.g. 1 234,00 or 1,234.00."
    ),
    "duplicate": gettext_lazy("row %(row)s, %(line)s: this line is given twice."),
    "currency": gettext_lazy("row %(row)s, %(line)s: “%(value)s” is not a three-letter currency code."),
    "empty": gettext_lazy(
        "No certificate line was recognised: the file should hold rows such as “Stock brut; 1 250 000,00”."
    ),
}

_FILE_REFUSALS = {
    "wrong_file_type": gettext_lazy("The file's content is not what its name says: upload the CSV or Excel file."),
    "unsupported_format": gettext_lazy("Only CSV, XLSX, XLS or ODS files can be read."),
    "file_too_large": gettext_lazy("The file is too large for a certificate (at most 2 MB)."),
    "empty_file": gettext_lazy("The file is empty."),
    "too_many_rows": gettext_lazy("The file has too many rows for a certificate (at most 500)."),
    "unsafe_spreadsheet": gettext_lazy("The spreadsheet could not be read safely; save it again and re-upload."),
    "damaged_file": gettext_lazy("The spreadsheet is damaged; save it again and re-upload."),
    "unreadable_spreadsheet": gettext_lazy("The spreadsheet could not be read; save it again and re-upload."),
}


class CertificateRefused(DomainError):
    """A certificate file refused, with every reason (one per broken row)."""

    def __init__(self, messages: list[str], *, field: str = "file") -> None:
        super().__init__(" ".join(messages), field=field, code="certificate_refused")
        self.messages = messages


def line_label(code: str) -> str:
    """The words of a certificate line, in the reader's language."""
    if cc.is_reason(code):
        return _("Ineligible: %(reason)s") % {"reason": reason_label(code.removeprefix(cc.REASON_PREFIX))}
    return str(LINE_LABELS.get(code, code))


def tolerance_setting() -> cc.Tolerance:
    return cc.Tolerance(
        pct=Decimal(str(settings.BORROWER_CERTIFICATE_TOLERANCE_PCT)),
        amount=Decimal(str(settings.BORROWER_CERTIFICATE_TOLERANCE_AMOUNT)),
    )


def current_run(facility: Facility, as_of: dt.date) -> ValuationRun | None:
    """The facility's current completed valuation of that stock date: of an accepted file, the
    latest upload, the run finished last (``CURRENT_ORDER``); None when there is none."""
    return (
        ValuationRun.objects.filter(
            facility=facility, as_of=as_of, status=RunStatus.DONE, upload__status=UploadStatus.ACCEPTED
        )
        .order_by(*CURRENT_ORDER)
        .first()
    )


# ------------------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class ComparedLine:
    """A compared line with its words, for the pages."""

    check: cc.LineCheck
    label: str
    status_label: str


@dataclass(frozen=True)
class Comparison:
    """A certificate against StockPledge: the run compared with and the lines, or why not
    (``refusal``: "no_run", "currency")."""

    certificate: BorrowerCertificate
    run: ValuationRun | None
    check: cc.CertificateCheck | None
    refusal: str = ""
    message: str = ""

    @property
    def lines(self) -> list[ComparedLine]:
        if self.check is None:
            return []
        return [ComparedLine(line, line_label(line.code), str(STATUS_LABELS[line.status])) for line in self.check.lines]

    @property
    def missing_labels(self) -> list[str]:
        return [line_label(line.code) for line in self.check.missing] if self.check else []

    @property
    def overstated_labels(self) -> list[str]:
        return [line_label(line.code) for line in self.check.overstated] if self.check else []


def figures_of(certificate: BorrowerCertificate) -> dict[str, Decimal]:
    return {line.code: line.amount for line in certificate.lines.all()}


def compare(certificate: BorrowerCertificate, *, run: ValuationRun | None = None) -> Comparison:
    """The certificate against the facility's current valuation of its stock date, under the
    tolerance frozen on the certificate. No run, or a run in another currency: no comparison, and
    the reason in words."""
    run = run or current_run(certificate.facility, certificate.as_of)
    if run is None:
        return Comparison(
            certificate,
            None,
            None,
            "no_run",
            _(
                "StockPledge has no completed valuation of the stock at %(date)s for this facility: nothing "
                "to compare the certificate with yet."
            )
            % {"date": date_format(certificate.as_of, "SHORT_DATE_FORMAT")},
        )
    if run.currency != certificate.currency:
        return Comparison(
            certificate,
            run,
            None,
            "currency",
            _(
                "The certificate is in %(certificate)s but StockPledge's valuation is in %(run)s: figures in "
                "two currencies are not compared."
            )
            % {"certificate": certificate.currency, "run": run.currency},
        )
    tolerance = cc.Tolerance(pct=certificate.tolerance_pct, amount=certificate.tolerance_amount)
    check = cc.compare(figures_of(certificate), cc.stockpledge_figures(run.result or {}), tolerance)
    return Comparison(certificate, run, check)


# ------------------------------------------------------------------------------------ submitting


def _check_submitter(facility: Facility, by: User) -> None:
    if not (by.is_client_user and access.scope(Facility.objects.filter(pk=facility.pk), by).exists()):
        raise DomainError(_("Only the borrower's own users submit its certificate."), field="facility")


def _check_figures(figures: Mapping[str, Decimal]) -> None:
    if not figures:
        raise DomainError(_("Enter at least one figure of the certificate."), field="book_value")
    for code, amount in figures.items():
        if not cc.is_known_line(code):
            raise DomainError(_("“%(code)s” is not a line of the certificate.") % {"code": code}, field=code)
        if not isinstance(amount, Decimal) or not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
            raise DomainError(_("This amount cannot be stored."), field=code)


def _check_currency(facility: Facility, as_of: dt.date, currency: str) -> ValuationRun | None:
    run = current_run(facility, as_of)
    expected = run.currency if run is not None else facility.currency
    if currency != expected:
        raise DomainError(
            _(
                "The certificate is in %(given)s but the facility is valued in %(expected)s: enter the certificate "
                "in %(expected)s."
            )
            % {"given": currency, "expected": expected},
            field="currency",
        )
    return run


@transaction.atomic
def submit_certificate(
    *,
    facility: Facility,
    by: User,
    as_of: dt.date,
    currency: str,
    figures: Mapping[str, Decimal],
    source: str = CertificateSource.FORM,
    labels: Mapping[str, str] | None = None,
    rows: Mapping[str, int] | None = None,
    data: bytes | None = None,
    filename: str = "",
) -> BorrowerCertificate:
    """Record the borrower's certificate for a stock date, compare it with the current valuation
    of that date and tell the advisors when it differs beyond tolerance. Refused: someone other
    than the borrower's users, a future stock date, a currency other than the valuation's."""
    _check_submitter(facility, by)
    if as_of > timezone.localdate():
        raise DomainError(_("The stock date cannot be in the future."), field="as_of")
    currency = (currency or "").strip().upper()
    _check_figures(figures)
    run = _check_currency(facility, as_of, currency)
    tolerance = tolerance_setting()
    certificate = BorrowerCertificate(
        facility=facility,
        as_of=as_of,
        currency=currency,
        source=source,
        original_name=filename[:255],
        submitted_by=by,
        tolerance_pct=tolerance.pct,
        tolerance_amount=tolerance.amount,
    )
    if data is not None:
        certificate.checksum = hashlib.sha256(data).hexdigest()
        certificate.file.save(filename or "certificate", ContentFile(data), save=False)
    certificate.save()
    BorrowerCertificateLine.objects.bulk_create(
        BorrowerCertificateLine(
            certificate=certificate,
            code=code,
            amount=amount,
            label=(labels or {}).get(code, "")[:200],
            row=(rows or {}).get(code),
        )
        for code, amount in figures.items()
    )
    comparison = compare(certificate, run=run)
    if comparison.check is not None:
        certificate.run = run
        certificate.beyond_tolerance = comparison.check.beyond_tolerance
        certificate.overstated = bool(comparison.check.overstated)
        certificate.save(update_fields=["run", "beyond_tolerance", "overstated"])
    audit.record(
        actor=by,
        action="borrower_certificate.submitted",
        instance=certificate,
        after={
            "as_of": as_of.isoformat(),
            "currency": currency,
            "source": source,
            "figures": {code: str(amount) for code, amount in figures.items()},
            "run": run.pk if run else None,
            "beyond_tolerance": certificate.beyond_tolerance,
            "overstated": certificate.overstated,
        },
    )
    _close_calendar_period(certificate)
    if certificate.beyond_tolerance:
        _tell_advisors(certificate, comparison)
    return certificate


def _close_calendar_period(certificate: BorrowerCertificate) -> None:
    """The certificate received closes the borrowing-base-certificate period covering its stock
    date in the facility's reporting calendar (facilities/calendar_services.py)."""
    label = _("Borrower's certificate of %(date)s") % {"date": certificate.as_of.isoformat()}
    # A calendar that cannot be updated is logged, never a refusal of the certificate (an advisor
    # can still mark the period received); the savepoint keeps the certificate.
    try:
        with transaction.atomic():
            calendar_services.record_received(
                facility=certificate.facility,
                kind=DeliverableKind.BORROWING_BASE_CERTIFICATE,
                period_covering=certificate.as_of,
                source_label=label,
                source_url=certificate.get_absolute_url(),
                at=certificate.submitted_at,
            )
    except Exception:
        log.exception("reporting calendar not updated", extra={"object": f"borrower-certificate:{certificate.pk}"})


def _tell_advisors(certificate: BorrowerCertificate, comparison: Comparison) -> None:
    facility = certificate.facility
    words = {
        "client": facility.client.legal_name,
        "facility": facility.name,
    }

    def title() -> str:
        found = {**words, "date": date_format(certificate.as_of, "SHORT_DATE_FORMAT")}
        if certificate.overstated:
            return (
                _("%(client)s – %(facility)s: the borrower's certificate at %(date)s overstates what the bank may lend")
                % found
            )
        return _("%(client)s – %(facility)s: the borrower's certificate at %(date)s differs from the valuation") % found

    def body() -> str:
        beyond = [line for line in comparison.check.lines if line.status == cc.BEYOND] if comparison.check else []
        return ", ".join(line_label(line.code) for line in beyond)

    # The kind of the monitoring alerts: an advisor's choice for alerts (inbox, e-mail) applies.
    notify(
        users=firm_advisors(facility.client.firm_id),
        kind=NotificationKind.ALERT_RAISED,
        title=title,
        body=body,
        url=reverse("reports:borrower-certificate-detail", args=[certificate.pk]),
        subject_key=f"borrower-certificate:{certificate.pk}:differs",
    )


def _problem_text(problem: certificate_sheet.SheetProblem) -> str:
    line = line_label(problem.line) if problem.line and problem.line != certificate_sheet.CURRENCY else _("currency")
    return str(_SHEET_PROBLEMS[problem.kind]) % {"row": problem.row, "line": line, "value": problem.value}


def read_file(*, data: bytes, filename: str) -> certificate_sheet.CertificateSheet:
    """The certificate in a spreadsheet, or CertificateRefused naming each broken row."""
    try:
        sheet = certificate_sheet.read_certificate(data, filename=filename)
    except ImportRejected as rejected:
        message = _FILE_REFUSALS.get(rejected.kind)
        raise CertificateRefused([str(message) if message else rejected.message]) from None
    if not sheet.ok:
        raise CertificateRefused([_problem_text(p) for p in sheet.problems])
    return sheet


def submit_certificate_file(
    *, facility: Facility, by: User, as_of: dt.date, currency: str, data: bytes, filename: str
) -> BorrowerCertificate:
    """Read the borrower's spreadsheet and submit its figures (see ``submit_certificate``); a
    currency stated in the sheet must be the one given."""
    _check_submitter(facility, by)
    sheet = read_file(data=data, filename=filename)
    currency = (currency or "").strip().upper()
    if sheet.currency and sheet.currency != currency:
        raise DomainError(
            _("The file says its figures are in %(sheet)s, not %(given)s.")
            % {"sheet": sheet.currency, "given": currency},
            field="currency",
        )
    return submit_certificate(
        facility=facility,
        by=by,
        as_of=as_of,
        currency=currency,
        figures=sheet.figures,
        source=CertificateSource.FILE,
        labels=sheet.labels,
        rows=sheet.rows,
        data=data,
        filename=filename,
    )


# ------------------------------------------------------------------------------------- selectors


def certificates_for(user: User, facility: Facility) -> list[BorrowerCertificate]:
    """The facility's borrower certificates that ``user`` may see, newest stock date first."""
    queryset = BorrowerCertificate.objects.filter(facility=facility).select_related("submitted_by", "facility")
    return list(access.scope(queryset, user).prefetch_related("lines"))
