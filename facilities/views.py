from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borrowers import access
from borrowers import services as borrower_services
from borrowers.models import ClientCompany
from borrowers.views import _form_page, advisor_required
from facilities import services
from facilities.forms import FacilityForm, LenderForm
from facilities.models import Facility, Lender


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
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    return render(
        request,
        "facilities/facility_detail.html",
        {"facility": facility, "can_edit": access.can(request.user, "change", facility)},
    )


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
    return _form_page(
        request, form, title=_("Facility for %(client)s") % {"client": client}, cancel_url=client.get_absolute_url()
    )
