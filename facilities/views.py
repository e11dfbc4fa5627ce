from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borrowers import access, audit
from borrowers import services as borrower_services
from borrowers.formatting import number
from borrowers.models import ClientCompany
from borrowers.views import _form_page, advisor_required
from facilities import appraisals, dossier, services
from facilities.forms import (
    AppraisalForm,
    AppraisalRateFormSet,
    FacilityForm,
    LenderForm,
    rate_choices,
    rate_initial,
)
from facilities.models import Appraisal, Facility, Lender
from valuation import drilldown
from valuation import sites as valuation_sites
from valuation.labels import category_label, reason_label
from valuation.models import ValuationRun


@advisor_required
@require_http_methods(["GET", "POST"])
def lender_list(request: HttpRequest) -> HttpResponse:
    form = LenderForm(request.POST if request.method == "POST" else None, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        borrower_services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Lender saved."))
        return redirect("facilities:lender-list")
    lenders = access.scope(Lender.objects.all(), request.user)
    return render(request, "facilities/lender_list.html", {"lenders": lenders, "form": form})


@advisor_required
@require_http_methods(["GET", "POST"])
def lender_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lender = access.get_or_404(request.user, Lender, "change", pk=pk)
    form = LenderForm(request.POST if request.method == "POST" else None, instance=lender, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        borrower_services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Lender saved."))
        return redirect("facilities:lender-list")
    return _form_page(request, form, title=str(lender), cancel_url="/lenders/")


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier: terms, and the chosen (by default the current) valuation read from its stored
    result. Advisors get every figure linked to its lines; a client user reads the same figures."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    context = dossier.dossier_context(facility, request.user, request.GET.get("run"))
    context.update({"facility": facility, "can_edit": request.user.is_advisor})
    context.update(valuation_sites.dossier_site_context(request.user, facility, context.get("run")))
    return render(request, "facilities/facility_detail.html", context)


def _facility_and_run(request: HttpRequest, pk: int) -> tuple[Facility, ValuationRun | None]:
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    runs = list(dossier.facility_runs(facility, request.user))
    return facility, dossier.load_run(dossier.pick_run(runs, request.GET.get("run")))


@advisor_required
def facility_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The lines behind a figure: filtered, sorted and paged from the run's Parquet file (htmx
    swaps the table alone when a filter changes)."""
    facility, run = _facility_and_run(request, pk)
    line_filter = drilldown.LineFilter.from_params(request.GET)
    page = drilldown.line_page(run, line_filter) if run is not None else None
    result = (run.result or {}) if run is not None else {}
    groups = (result.get("eligibility") or {}).get("groups") or []
    context = {
        "facility": facility,
        "run": run,
        "filter": line_filter,
        "page": page,
        "categories": [(c, category_label(c)) for c in sorted({str(g.get("category")) for g in groups})],
        "warehouses": sorted({str(g.get("warehouse")) for g in groups if g.get("warehouse")}),
        "reasons": [
            (str(r.get("reason")), reason_label(str(r.get("reason"))))
            for r in (result.get("eligibility") or {}).get("by_reason") or []
        ],
        "sort_links": {key: line_filter.sort_querystring(key) for key in drilldown.SORTS},
    }
    if page is not None:
        context["previous_qs"] = line_filter.querystring(page=page.number - 1)
        context["next_qs"] = line_filter.querystring(page=page.number + 1)
    template = "facilities/_lines_table.html" if request.headers.get("HX-Request") else "facilities/lines.html"
    return render(request, template, context)


@advisor_required
def facility_lines_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The filtered lines as CSV (streamed) or XLSX, formula-safe, money as exact decimals."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    facility, run = _facility_and_run(request, pk)
    if run is None:
        raise Http404
    line_filter = drilldown.LineFilter.from_params(request.GET)
    if fmt == "xlsx" and (count := drilldown.line_count(run, line_filter)) > drilldown.XLSX_MAX_LINES:
        limit = {"max": number(drilldown.XLSX_MAX_LINES, get_language(), 0), "count": number(count, get_language(), 0)}
        message = _(
            "An XLSX export holds at most %(max)s lines and this selection has %(count)s: "
            "narrow the filter or export CSV."
        )
        messages.error(request, message % limit)
        return redirect(dossier.lines_url(facility, run, **line_filter.params()))
    name = f"lines-{slugify(facility.name) or 'facility'}-{run.as_of.isoformat()}.{fmt}"
    audit.record(actor=request.user, action=f"export-lines-{fmt}", instance=run, after=line_filter.params())
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(
            drilldown.csv_chunks(run, line_filter), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            drilldown.xlsx_bytes(run, line_filter),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@advisor_required
def facility_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two valuations of the facility side by side (two stock dates, or two term sets)."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    pair = dossier.pick_pair(facility, request.user, request.GET.get("a"), request.GET.get("b"))
    before, after = pair.before, pair.after
    context = {"facility": facility, "runs": pair.runs, "before": before, "after": after, "rows": []}
    if before is not None and after is not None:
        context["rows"] = dossier.compare(before.result or {}, after.result or {})
        context["charts"] = [
            dossier.chart(facility, run, links=True, title=_("Stock at %(date)s") % {"date": date_format(run.as_of)})
            for run in (before, after)
        ]
    return render(request, "facilities/compare.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def facility_compare_terms(request: HttpRequest, pk: int) -> HttpResponse:
    """The current valuation against proposed terms, computed from the same stored lines and
    saved nowhere; the advisor can then apply the terms (the facility form) or change them again."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), "change", pk=pk)
    run = dossier.load_run(dossier.pick_run(list(dossier.facility_runs(facility, request.user)), None))
    candidate = copy.copy(facility)  # the form writes the proposed terms onto it; never saved
    form = FacilityForm(
        request.POST if request.method == "POST" else None,
        instance=candidate,
        client=facility.client,
        user=request.user,
    )
    context: dict[str, object] = {"facility": facility, "run": run, "form": form, "rows": []}
    if request.method == "POST" and form.is_valid():
        if run is None:
            form.add_error(None, _("There is no valuation to compare with yet: upload a stock file first."))
        else:
            proposal = dossier.propose(candidate=form.instance, run=run)
            if proposal.error:
                form.add_error(None, proposal.error)
            else:
                context["rows"] = dossier.compare(run.result or {}, proposal.result or {})
    return render(request, "facilities/compare_terms.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def facility_edit(request: HttpRequest, client_pk: int, pk: int | None = None) -> HttpResponse:
    client = access.get_or_404(request.user, ClientCompany, "change", pk=client_pk)
    facility = access.get_or_404(request.user, Facility, "change", pk=pk, client=client) if pk else None
    form = FacilityForm(
        request.POST if request.method == "POST" else None, instance=facility, client=client, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        facility = services.save_facility(by=request.user, facility=form.instance)
        messages.success(request, _("Facility saved."))
        if facility.over_collateralisation_warning:
            messages.warning(request, facility.over_collateralisation_warning)
        return redirect(facility)
    title = _("Facility for %(client)s") % {"client": client}
    context = {"form": form, "title": title, "cancel_url": client.get_absolute_url()}
    return render(request, "facilities/facility_form.html", context)


# ------------------------------------------------------------------------------------ appraisals


@advisor_required
def appraisal_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A facility's appraisals with their status today (in force, expired, not yet effective)."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    context = {"facility": facility, "appraisals": appraisals.facility_appraisals(facility)}
    return render(request, "facilities/appraisal_list.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def appraisal_edit(request: HttpRequest, pk: int, appraisal_pk: int | None = None) -> HttpResponse:
    """Create or edit an appraisal: who, when, the report, and a rate per category picked from
    the firm's own categories."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), "change", pk=pk)
    appraisal = (
        access.get_or_404(request.user, Appraisal, "change", pk=appraisal_pk, facility=facility)
        if appraisal_pk
        else None
    )
    post = request.method == "POST"
    form = AppraisalForm(
        request.POST if post else None, request.FILES if post else None, instance=appraisal, facility=facility
    )
    kwargs = {"choices": rate_choices(request.user.firm_id), "firm_id": request.user.firm_id}
    rates = AppraisalRateFormSet(
        request.POST if post else None, initial=rate_initial(appraisal), prefix="rates", form_kwargs=kwargs
    )
    if post and form.is_valid() and rates.is_valid():
        try:
            appraisals.save_appraisal(by=request.user, appraisal=form.instance, rates=rates.rates())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Appraisal saved."))
            return redirect("facilities:appraisal-list", pk=facility.pk)
    title = _("Edit the appraisal") if appraisal else _("New appraisal")
    context = {"facility": facility, "form": form, "rates": rates, "title": title, "appraisal": appraisal}
    return render(request, "facilities/appraisal_form.html", context)


@advisor_required
@require_http_methods(["POST"])
def appraisal_delete(request: HttpRequest, pk: int, appraisal_pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility, "change", pk=pk)
    appraisal = access.get_or_404(request.user, Appraisal, "change", pk=appraisal_pk, facility=facility)
    appraisals.delete_appraisal(by=request.user, appraisal=appraisal)
    messages.success(request, _("Appraisal deleted."))
    return redirect("facilities:appraisal-list", pk=facility.pk)


@advisor_required
def appraisal_report(request: HttpRequest, pk: int, appraisal_pk: int) -> HttpResponse:
    """The appraisal's PDF report, to those who may see the appraisal (borrowers.access)."""
    appraisal = access.get_or_404(request.user, Appraisal, pk=appraisal_pk, facility_id=pk)
    if not appraisal.report_file:
        raise Http404
    name = f"appraisal-{appraisal.effective_date.isoformat()}-{slugify(appraisal.appraiser) or appraisal.pk}.pdf"
    return FileResponse(
        appraisal.report_file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
