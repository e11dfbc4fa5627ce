from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borrowers import services as borrower_services
from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.models import ClientCompany
from borrowers.views import form_page
from facilities import appraisals, services
from facilities.forms import (
    AppraisalForm,
    AppraisalRateFormSet,
    FacilityForm,
    LenderForm,
    rate_choices,
    rate_initial,
)
from facilities.models import Appraisal, Facility, Lender


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
    return form_page(request, form, title=str(lender), cancel_url="/lenders/")


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
    """The appraisal's PDF report, to those who may see the appraisal (borrowers.common.access)."""
    appraisal = access.get_or_404(request.user, Appraisal, pk=appraisal_pk, facility_id=pk)
    if not appraisal.report_file:
        raise Http404
    name = f"appraisal-{appraisal.effective_date.isoformat()}-{slugify(appraisal.appraiser) or appraisal.pk}.pdf"
    return FileResponse(
        appraisal.report_file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
