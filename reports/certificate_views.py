"""Pages of the borrower's own certificate: the client submits it (form or spreadsheet), the
advisors read it against StockPledge's valuation from the dossier, the bank from its facility page.

Access: ``borrowers.common.access`` decides (rules ``reports.BorrowerCertificate`` and its lines);
the bank's list takes only facilities shared with its lender, and the rule keeps the stock dates
up to the latest one shared. The client's users see the figures they submitted, not StockPledge's
(what they see of the valuation is the dossier's business, under the company's switches).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from borrowers.common import access
from borrowers.common.errors import DomainError
from facilities.models import Facility
from reports import borrower_certificates as certificates
from reports.certificate_forms import CertificateFileForm, CertificateForm
from reports.models import BorrowerCertificate

FACILITIES = Facility.objects.select_related("client", "lender")
CERTIFICATES = BorrowerCertificate.objects.select_related("facility__client", "facility__lender", "submitted_by")


@login_required
def facility_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """The facility's borrower certificates: for its advisors with their verdict, for the
    client's users their own submissions."""
    facility = access.get_or_404(request.user, FACILITIES, pk=pk)
    rows = certificates.certificates_for(request.user, facility)
    return render(
        request,
        "reports/borrower_certificates/list.html",
        {"facility": facility, "certificates": rows, "can_submit": request.user.is_client_user},
    )


@login_required
def certificate_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's users enter their certificate line by line, or upload its spreadsheet."""
    if not request.user.is_client_user:
        access.log_denial(request.user, "submit borrower certificate", {"facility": pk})
        raise Http404
    facility = access.get_or_404(request.user, FACILITIES, pk=pk)
    initial = {"currency": facility.currency}
    form = CertificateForm(prefix="form", initial=initial)
    file_form = CertificateFileForm(prefix="file", initial=initial)
    if request.method == "POST":
        try:
            if request.POST.get("mode") == "file":
                file_form = CertificateFileForm(request.POST, request.FILES, prefix="file")
                if file_form.is_valid():
                    upload = file_form.cleaned_data["file"]
                    certificate = certificates.submit_certificate_file(
                        facility=facility,
                        by=request.user,
                        as_of=file_form.cleaned_data["as_of"],
                        currency=file_form.cleaned_data["currency"],
                        data=upload.read(),
                        filename=upload.name,
                    )
                    return _submitted(request, certificate)
            else:
                form = CertificateForm(request.POST, prefix="form")
                if form.is_valid():
                    certificate = certificates.submit_certificate(
                        facility=facility,
                        by=request.user,
                        as_of=form.cleaned_data["as_of"],
                        currency=form.cleaned_data["currency"],
                        figures=form.figures(),
                    )
                    return _submitted(request, certificate)
        except certificates.CertificateRefused as refused:
            for message in refused.messages:
                file_form.add_error("file", message)
        except DomainError as error:
            error.add_to(file_form if request.POST.get("mode") == "file" else form)
    return render(
        request,
        "reports/borrower_certificates/new.html",
        {"facility": facility, "form": form, "file_form": file_form},
        status=400 if request.method == "POST" else 200,
    )


def _submitted(request: HttpRequest, certificate: BorrowerCertificate) -> HttpResponse:
    messages.success(request, _("Certificate received; your advisor will check it against the valuation."))
    return redirect(certificate.get_absolute_url())


@login_required
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One certificate: the borrower's figures, and for advisors and the bank StockPledge's
    beside them, line by line, with the differences beyond tolerance highlighted."""
    certificate = access.get_or_404(request.user, CERTIFICATES, pk=pk)
    comparison = None if request.user.is_client_user else certificates.compare(certificate)
    lines = [(certificates.line_label(line.code), line) for line in certificate.lines.all()]
    return render(
        request,
        "reports/borrower_certificates/detail.html",
        {
            "certificate": certificate,
            "facility": certificate.facility,
            "comparison": comparison,
            "lines": lines,
            "back_url": _back_url(request, certificate),
        },
    )


def _back_url(request: HttpRequest, certificate: BorrowerCertificate) -> str:
    from django.urls import reverse

    name = "reports:bank-borrower-certificates" if request.user.is_bank_user else "reports:borrower-certificates"
    return reverse(name, args=[certificate.facility_id])


@login_required
def bank_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """A followed facility's borrower certificates for its bank, each against StockPledge's
    valuation: only a facility shared with the bank's lender, only stock dates shared with it."""
    facility = access.facilities_shared_with_bank(request.user).select_related("client", "lender").filter(pk=pk).first()
    if facility is None:
        access.log_denial(request.user, "view bank borrower certificates", {"pk": pk})
        raise Http404
    comparisons = [certificates.compare(c) for c in certificates.certificates_for(request.user, facility)]
    return render(
        request,
        "reports/borrower_certificates/bank_list.html",
        {"facility": facility, "comparisons": comparisons, "until": access.bank_shared_until(request.user, facility)},
    )
