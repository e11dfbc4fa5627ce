"""Stock-file pages: upload, follow the processing, read the validation report, correct the
mapping; and the valuation run's figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from borrowers.common import access
from borrowers.common.errors import DomainError
from borrowers.common.labels import jump_text, reason_label
from borrowers.models import ClientCompany
from valuation.engine.columns import COLUMNS
from valuation.forms import AcceptSiteForm, MappingForm, RejectUploadForm, UploadForm
from valuation.imports.formats import column_samples
from valuation.imports.mapping import ColumnMapping
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import canonical, services, sites
from valuation.workspace import gaps
from valuation.workspace import sites as site_parts


def _client_for_upload(request: HttpRequest, client_pk: int) -> ClientCompany:
    """Advisors of the firm and the company's own users may upload for it."""
    return access.get_or_404(request.user, access.clients_for_upload(request.user), pk=client_pk)


@login_required
@require_http_methods(["GET", "POST"])
def upload_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The upload page: a drop zone over a plain file input (static/js/upload.js sends the form
    with a progress bar; without JavaScript the form posts as usual), and the upload history."""
    client = _client_for_upload(request, client_pk)
    form = UploadForm(
        request.POST if request.method == "POST" else None, request.FILES or None, currency=client.currency
    )
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.create_upload(
                client=client,
                by=request.user,
                file=form.cleaned_data["file"],
                as_of=form.cleaned_data["as_of"],
                sheet=form.cleaned_data["sheet"],
                currency=form.cleaned_data["currency"],
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
    saved = upload.column_mapping
    return {
        "upload": upload,
        "gaps": gaps.upload_gaps(upload, runs),
        "mapped_by_client": saved is not None and saved.mapped_by_client,
        "saved_mapping": saved,
        "runs": runs,
        "jumps": [
            (run, [jump_text(jump, currency=run.currency) for jump in run.jumps])
            for run in runs
            if run.jumps and run.status == RunStatus.DONE
        ],
        "in_progress": upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING),
        "stage_label": stage_label,
        "percent": percent,
        "unknown_warehouses": [code for code in upload.warehouses if code not in known],
        **site_parts.site_context(request.user, upload),
        "problems": report.get("problems", []),
        "counts": report.get("counts", {}),
        "is_advisor": request.user.is_advisor,
        "show_figures": access.visibility(request.user, upload.client).figures,
        "reject_form": (
            RejectUploadForm() if request.user.is_advisor and upload.status == UploadStatus.ACCEPTED else None
        ),
    }


UPLOAD_RELATED = ("client", "uploaded_by", "column_mapping__proposed_by", "column_mapping__confirmed_by")


def _mapping_context(request: HttpRequest, upload: StockUpload, form: MappingForm | None = None) -> dict[str, object]:
    """The mapping page's parts: the form (samples under each column), the canonical fields with
    their meaning, and the preview of the first lines under the form's mapping. Advisors and the
    company's own users may map its files (a client's mapping is marked until confirmed)."""
    read = (upload.mapping or {}).get("columns") or {}
    if not read or upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        return {}
    sample = services.upload_sample(upload)
    samples = dict(
        zip(sample.get("headers") or [], column_samples(sample.get("headers") or [], sample.get("rows") or []))
    )
    if form is None:
        form = MappingForm(headers=list(read), current=read, samples=samples)
    else:
        form.samples = samples
    columns = form.columns() if form.is_bound and form.is_valid() else read
    mapping = ColumnMapping(columns=columns, category_aliases=dict(upload.mapping.get("category_aliases") or {}))
    wanted = request.GET.get("field", "")
    return {
        "mapping_form": form,
        "canonical_fields": canonical.canonical_fields(),
        "preview": services.mapping_preview(upload=upload, mapping=mapping),
        "wanted_field": canonical.label(wanted) if wanted in COLUMNS else "",
    }


@login_required
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = access.get_or_404(request.user, StockUpload.objects.select_related(*UPLOAD_RELATED), pk=pk)
    context = _upload_context(request, upload)
    if access.can(request.user, "change", upload):
        context |= _mapping_context(request, upload)
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
    """Save the mapping of the file's export format and process the file again with it.

    An advisor's mapping is confirmed; the company's own user proposes one for its file, used at
    once and marked "mapped by the client" until an advisor confirms it (unchanged: nothing is
    processed again). The mapping is reused for the client's next files with the same headers.
    """
    upload = access.get_or_404(request.user, StockUpload.objects.select_related(*UPLOAD_RELATED), "change", pk=pk)
    read = (upload.mapping or {}).get("columns") or {}
    if not read or upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        raise Http404  # nothing read yet to map
    form = MappingForm(request.POST, headers=list(read), current=read)
    if not form.is_valid():
        context = _upload_context(request, upload) | _mapping_context(request, upload, form)
        return render(request, "valuation/upload_detail.html", context, status=400)
    if not services.apply_mapping(upload=upload, by=request.user, columns=form.columns()):
        messages.success(request, _("The client's mapping is confirmed; it is reused for files with these columns."))
        return redirect(upload)
    if request.user.is_advisor:
        messages.success(request, _("Mapping saved for files with these columns; the file is being processed again."))
    else:
        messages.success(
            request, _("Your mapping is used at once; an advisor will confirm it. The file is being processed again.")
        )
    return redirect(upload)


@login_required
@require_POST
def upload_mapping_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The first lines as the posted mapping reads them, with totals by category (htmx swaps it
    into the mapping form while choices change; nothing is saved or processed)."""
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client"), "change", pk=pk)
    read = (upload.mapping or {}).get("columns") or {}
    if not read:
        raise Http404
    form = MappingForm(request.POST, headers=list(read), current=read)
    context = _mapping_context(request, upload, form)
    if not context:
        raise Http404
    return render(request, "valuation/_mapping_preview.html", context | {"upload": upload})


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


# ----------------------------------------------------------------------------- undeclared sites


@login_required
@require_POST
def upload_accept_site(request: HttpRequest, pk: int) -> HttpResponse:
    """An advisor accepts a site the file names: it is declared with the facts given (the safe
    ones by default) and the client's facilities are valued again off the request."""
    upload = access.get_or_404(request.user, StockUpload.objects.select_related("client"), "change", pk=pk)
    if not request.user.is_advisor:
        access.log_denial(request.user, "accept site for valuation.StockUpload", pk)
        raise Http404
    prefix = request.POST.get("prefix", "")
    form = AcceptSiteForm(request.POST, prefix=prefix or None)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = upload.get_absolute_url()
    if form.is_valid():
        try:
            warehouse, _runs = sites.accept_site(client=upload.client, by=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        else:
            messages.success(
                request,
                _("Site %(code)s accepted: the valuations are being updated.") % {"code": warehouse.code},
            )
    else:
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields)
        messages.error(
            request, _("The site was not accepted: %(errors)s") % {"errors": errors or form.non_field_errors()}
        )
    return redirect(next_url)
