"""The credit file's pages: a client's documents (for one facility with ``?facility=``), filing a
document, correcting its dates, renewing it, and the download.

The firm's advisors keep the file; the client's own users read their company's documents (not
the advisor's internal ones) and file insurance certificates and financial statements; a bank
reads a followed facility's documents on its bank page (valuation/workspace/bank_views.py) and
downloads them here. Every document goes through ``access.get_or_404``: anyone else gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.models import ClientCompany
from facilities import credit_file
from facilities.credit_file_forms import DocumentEditForm, DocumentForm, RenewForm, attach_errors
from facilities.models import CreditDocument, Facility


def _list_url(document: CreditDocument) -> str:
    return reverse("facilities:credit-file", args=[document.client_id])


def _facility_filter(request: HttpRequest, client: ClientCompany) -> Facility | None:
    raw = request.GET.get("facility", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    return access.get_or_404(request.user, Facility, pk=int(raw), client=client)


@login_required
@require_GET
def credit_file_page(request: HttpRequest, client_pk: int) -> HttpResponse:
    """A client's credit file (or one facility's, with the client's own documents): each current
    document with its dates, status today and older versions."""
    client = access.get_or_404(request.user, ClientCompany, pk=client_pk)
    facility = _facility_filter(request, client)
    documents = access.scope(CreditDocument.objects.filter(client=client), request.user)
    if facility is not None:
        documents = documents.filter(pk__in=credit_file.facility_documents(facility).values("pk"))
    today = timezone.localdate()
    context = {
        "client": client,
        "facility": facility,
        "facilities": Facility.objects.filter(client=client),
        "rows": credit_file.document_rows(documents, today),
        "today": today,
        "warning_days": credit_file.warning_days(),
        "is_advisor": request.user.is_advisor,
    }
    return render(request, "facilities/credit_file.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, client_pk: int) -> HttpResponse:
    """File a document: an advisor any kind, a client user its insurance certificates and
    financial statements (for its own company only)."""
    if request.user.is_bank_user:
        access.log_denial(request.user, "credit file upload", client_pk)
        raise Http404
    client = access.get_or_404(request.user, ClientCompany, pk=client_pk)
    post = request.method == "POST"
    initial = {}
    if request.GET.get("facility", "").isdigit():
        initial["facility"] = request.GET["facility"]
    form = DocumentForm(
        request.POST if post else None,
        request.FILES if post else None,
        client=client,
        user=request.user,
        initial=initial,
    )
    if post and form.is_valid():
        document = form.save_document()
        if document is not None:
            messages.success(request, _("Document filed."))
            return redirect(_list_url(document))
    context = {
        "form": form,
        "title": _("File a document for %(client)s") % {"client": client},
        "cancel_url": reverse("facilities:credit-file", args=[client.pk]),
    }
    return render(request, "form_page.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a document's title, dates and visibility (the file stays: a new file is a new
    version, filed with "Renew")."""
    document = access.get_or_404(request.user, CreditDocument, "change", pk=pk)
    form = DocumentEditForm(request.POST if request.method == "POST" else None, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            credit_file.update_document(by=request.user, document=document, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Document saved."))
            return redirect(_list_url(document))
    title = _("Edit “%(title)s”") % {"title": document.title}
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": _list_url(document)})


@advisor_required
@require_http_methods(["GET", "POST"])
def document_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """The next version of a document (a renewal of the registration, a newer certificate): the
    current one stays listed as superseded."""
    document = access.get_or_404(request.user, CreditDocument, "change", pk=pk)
    if not document.is_current:
        messages.error(request, _("Only the current version of a document can be renewed."))
        return redirect(_list_url(document))
    post = request.method == "POST"
    form = RenewForm(request.POST if post else None, request.FILES if post else None, document=document)
    if post and form.is_valid():
        data = form.cleaned_data
        try:
            credit_file.renew_document(
                by=request.user,
                document=document,
                file=data.get("file"),
                signed_on=data.get("signed_on"),
                expires_on=data.get("expires_on"),
                registered_on=data.get("registered_on"),
                title=data.get("title") or "",
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("New version filed."))
            return redirect(_list_url(document))
    context = {
        "form": form,
        "title": _("Renew “%(title)s”") % {"title": document.title},
        "intro": _("The current version stays in the credit file, marked as superseded."),
        "cancel_url": _list_url(document),
    }
    return render(request, "form_page.html", context)


def file_response(document: CreditDocument, stream: object) -> FileResponse:
    """The verified stored file as an attachment, under its original name and detected type."""
    response = FileResponse(
        stream, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Checksum-SHA256"] = document.sha256
    return response


def verified_response(document: CreditDocument) -> HttpResponse:
    """The stored file once its SHA-256 matches, else a 409 saying so (logged): a damaged or
    altered file is never served as the document."""
    try:
        stream = credit_file.open_verified(document)
    except credit_file.IntegrityError:
        return HttpResponse(
            _("This document's stored file no longer matches its checksum: ask your advisor to file it again."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    except FileNotFoundError:
        raise Http404 from None
    return file_response(document, stream)


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A document's file, for whoever may see the document (borrowers.common.access)."""
    document = access.get_or_404(request.user, CreditDocument, pk=pk)
    return verified_response(document)
