"""Stock-file pages: upload, follow the processing, read the validation report, correct the
mapping; and the valuation run's figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from borrowers import access
from borrowers.errors import DomainError
from borrowers.models import ClientCompany
from valuation import services
from valuation.forms import MappingForm, RejectUploadForm, UploadForm
from valuation.imports.mapping import ColumnMapping
from valuation.labels import reason_label
from valuation.models import StockUpload, UploadStatus, ValuationRun


def _client_for_upload(request: HttpRequest, client_pk: int) -> ClientCompany:
    """Advisors of the firm and the company's own users may upload for it."""
    return access.get_or_404(request.user, access.clients_for_upload(request.user), pk=client_pk)


@login_required
@require_http_methods(["GET", "POST"])
def upload_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The upload page: a drop zone over a plain file input (static/js/upload.js sends the form
    with a progress bar; without JavaScript the form posts as usual), and the upload history."""
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
            error.add_to(form)
        else:
            return redirect(upload)
    uploads = access.scope(StockUpload.objects.filter(client=client).select_related("uploaded_by"), request.user)[:10]
    status = 400 if request.method == "POST" else 200
    context = {"client": client, "form": form, "uploads": uploads}
    return render(request, "valuation/upload_create.html", context, status=status)


# Processing stages as the pipeline reports them -> (label, share of the work done, in %). An
# unknown stage shows as it is, with an indeterminate bar.
STAGES: dict[str, tuple[str, int]] = {
    "": (_lazy("waiting for a worker"), 2),
    "reading": (_lazy("reading the file"), 10),
    "validating": (_lazy("checking every row"), 35),
    "converting": (_lazy("converting the lines"), 55),
    "done": (_lazy("file read"), 65),
    "valuing": (_lazy("valuing the stock"), 75),
    "storing": (_lazy("storing the lines and figures"), 90),
}


def stage_progress(upload: StockUpload) -> tuple[str, int | None]:
    """(label, percent) for the status panel's progress bar."""
    if upload.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        return _("finished"), 100
    label, percent = STAGES.get(upload.stage, (upload.stage, None))
    return str(label), percent


def _upload_context(request: HttpRequest, upload: StockUpload) -> dict[str, object]:
    known = set(upload.client.warehouses.values_list("code", flat=True))
    runs = access.scope(
        ValuationRun.objects.filter(upload=upload).select_related("facility__lender").defer("result", "terms"),
        request.user,
    )
    stage_label, percent = stage_progress(upload)
    report = upload.report or {}
    return {
        "upload": upload,
        "runs": runs,
        "in_progress": upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING),
        "stage_label": stage_label,
        "percent": percent,
        "unknown_warehouses": [code for code in upload.warehouses if code not in known],
        "problems": report.get("problems", []),
        "counts": report.get("counts", {}),
        "is_advisor": request.user.is_advisor,
        "show_figures": access.visibility(request.user, upload.client).figures,
        "reject_form": (
            RejectUploadForm() if request.user.is_advisor and upload.status == UploadStatus.ACCEPTED else None
        ),
    }


@login_required
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client", "uploaded_by"), pk=pk)
    context = _upload_context(request, upload)
    if request.user.is_advisor and upload.mapping.get("columns") and not context["in_progress"]:
        headers = list(upload.mapping["columns"])
        context["mapping_form"] = MappingForm(headers=headers, current=upload.mapping["columns"])
    return render(request, "valuation/upload_detail.html", context)


@login_required
def upload_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx while the file is processed."""
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client"), pk=pk)
    response = render(request, "valuation/_upload_status.html", _upload_context(request, upload))
    if request.headers.get("HX-Request") and upload.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        # Finished while the page polled: reload it whole, so the review forms appear too.
        response["HX-Refresh"] = "true"
    return response


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
@require_POST
def upload_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """The advisor rejects an accepted file: the previous valuation becomes current again."""
    upload = access.get_or_404(
        request.user, StockUpload.objects.select_related("client", "uploaded_by"), "change", pk=pk
    )
    if not request.user.is_advisor:
        access.log_denial(request.user, "reject valuation.StockUpload", pk)
        raise Http404
    form = RejectUploadForm(request.POST)
    if form.is_valid():
        try:
            services.reject_upload(upload=upload, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(request, _("File rejected: each facility's previous valuation is current again."))
            return redirect(upload)
    context = _upload_context(request, upload) | {"reject_form": form}
    return render(request, "valuation/upload_detail.html", context, status=400)


@login_required
def upload_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = access.get_or_404(request.user, ClientCompany, pk=client_pk)
    uploads = access.scope(StockUpload.objects.filter(client=client).select_related("uploaded_by"), request.user)
    page = Paginator(uploads, 50).get_page(request.GET.get("page"))
    return render(request, "valuation/upload_list.html", {"client": client, "page": page})


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.get_or_404(request.user, ValuationRun.objects.select_related("facility__client", "upload"), pk=pk)
    seen = access.visibility(request.user, run.facility.client)
    if not seen.figures:
        # The advisor has not chosen to show the client its figures.
        access.log_denial(request.user, "view figures of valuation.ValuationRun", pk)
        raise Http404
    result = run.result or {}
    context = {
        "run": run,
        "result": result,
        "ineligibles": [
            (reason_label(str(item.get("reason", ""))), item.get("amount"))
            for item in (result.get("eligibility") or {}).get("by_reason") or []
        ],
        "show_ineligibles": seen.ineligibles,
        "show_levers": seen.detail,
    }
    return render(request, "valuation/run_detail.html", context)
