"""Field exams (issue 16): the advisors' page of a facility's stock controllers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.common.errors import DomainError
from facilities import controller_services as services
from facilities.models import ControllerAssignment, Facility


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("Stock controller"), queryset=None)

    def __init__(self, *args, firm_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = services.firm_controllers(firm_id)


@advisor_required
@require_http_methods(["GET", "POST"])
def facility_controllers(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility.objects.select_related("client"), "change", pk=pk)
    form = AssignForm(request.POST or None, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_controller(facility=facility, user=form.cleaned_data["user"], by=request.user)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Stock controller assigned."))
            return redirect("facilities:facility-controllers", pk=facility.pk)
    assignments = access.scope(
        ControllerAssignment.objects.filter(facility=facility).select_related("user__control_firm"), request.user
    )
    return render(
        request,
        "facilities/facility_controllers.html",
        {"facility": facility, "form": form, "assignments": assignments},
    )


@advisor_required
@require_POST
def controller_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = access.get_or_404(
        request.user, ControllerAssignment.objects.select_related("facility__client", "user"), "change", pk=pk
    )
    try:
        services.withdraw_controller(assignment=assignment, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Stock controller withdrawn."))
    return redirect("facilities:facility-controllers", pk=assignment.facility_id)
