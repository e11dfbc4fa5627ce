"""Stock-file pages: upload, follow the processing, read the validation report, correct the
mapping; and the valuation run's figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borrowers import access
from borrowers.errors import DomainError
from borrowers.models import ClientCompany
from valuation import services
from valuation.forms import MappingForm, UploadForm
from valuation.imports.mapping import ColumnMapping
from valuation.models import StockUpload, UploadStatus, ValuationRun


def _client_for_upload(request: HttpRequest, client_pk: int) -> ClientCompany:
    """Advisors of the firm and the company's own users may upload for it."""
    return access.get_or_404(request.user, access.clients_for_upload(request.user), pk=client_pk)


@login_required
@require_http_methods(["GET", "POST"])
def upload_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = _client_for_upload(request, client_pk)
    form = UploadForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.create_upload(
                client=client,
                by=request.user,
                file=form.cleaned_data["file"],
                as_of=form.cleaned_data["as_of"],
                sheet=form.cleaned_data["sheet"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(upload)
    uploads = access.scope(StockUpload.objects.filter(client=client), request.user)[:20]
    return render(request, "valuation/upload_create.html", {"client": client, "form": form, "uploads": uploads})


def _upload_context(request: HttpRequest, upload: StockUpload) -> dict[str, object]:
    known = set(upload.client.warehouses.values_list("code", flat=True))
    runs = access.scope(ValuationRun.objects.filter(upload=upload).select_related("facility"), request.user)
    return {
        "upload": upload,
        "runs": runs,
        "in_progress": upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING),
        "unknown_warehouses": [code for code in upload.warehouses if code not in known],
        "problems": (upload.report or {}).get("problems", []),
        "is_advisor": request.user.is_advisor,
    }


@login_required
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client", "uploaded_by"), pk=pk)
    context = _upload_context(request, upload)
    if request.user.is_advisor and upload.mapping.get("columns"):
        headers = list(upload.mapping["columns"])
        context["mapping_form"] = MappingForm(headers=headers, current=upload.mapping["columns"])
    return render(request, "valuation/upload_detail.html", context)


@login_required
def upload_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx while the file is processed."""
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client"), pk=pk)
    return render(request, "valuation/_upload_status.html", _upload_context(request, upload))


@login_required
@require_POST
def upload_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """The advisor confirms or corrects the mapping; it is saved for the client and reused."""
    upload = access.get_or_404(request.user, StockUpload, "change", pk=pk)
    if not request.user.is_advisor:
        raise Http404
    headers = list((upload.mapping or {}).get("columns", {}))
    form = MappingForm(request.POST, headers=headers, current=upload.mapping.get("columns", {}))
    if not form.is_valid():
        context = _upload_context(request, upload) | {"mapping_form": form}
        return render(request, "valuation/upload_detail.html", context, status=200)
    mapping = ColumnMapping(columns=form.columns(), category_aliases=dict(upload.mapping.get("category_aliases", {})))
    services.reprocess_upload(upload=upload, by=request.user, mapping=mapping)
    messages.success(request, _("Mapping saved for this client; the file is being processed again."))
    return redirect(upload)


@login_required
def upload_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = access.get_or_404(request.user, ClientCompany, pk=client_pk)
    uploads = access.scope(StockUpload.objects.filter(client=client).select_related("uploaded_by"), request.user)
    page = Paginator(uploads, 50).get_page(request.GET.get("page"))
    return render(request, "valuation/upload_list.html", {"client": client, "page": page})


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.get_or_404(request.user, ValuationRun.objects.select_related("facility__client", "upload"), pk=pk)
    return render(request, "valuation/run_detail.html", {"run": run, "result": run.result or {}})
