"""The covenant pages: the advisor's page of a facility's covenants and their tests, and the
bank's waiver of a test (the bank sees the covenants on its facility page, bank_views.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from borrowers.common import access
from borrowers.common.access import advisor_required
from facilities.models import Facility
from valuation.models import CovenantTest
from valuation.pipeline import covenants as services
from valuation.workspace import covenants


class WaiverForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("reason for the waiver"), max_length=500)
    expires_on = forms.DateField(label=gettext_lazy("expires on"))


@advisor_required
@require_GET
def facility_covenants(request: HttpRequest, pk: int) -> HttpResponse:
    """The facility's covenants: terms, the history of their thresholds, each test traced to its
    run or statement."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    views = covenants.covenant_views(facility)
    context = {
        "facility": facility,
        "covenants": views,
        "counts": covenants.counts(views),
        "can_edit": access.can(request.user, "change", facility),
    }
    return render(request, "valuation/facility_covenants.html", context)


@login_required
@require_POST
def bank_covenant_waive(request: HttpRequest, pk: int, test_pk: int) -> HttpResponse:
    """A bank following the facility waives a breached or at-risk test, with a reason and an expiry."""
    facility = access.facilities_shared_with_bank(request.user).filter(pk=pk).first()
    if facility is None:
        access.log_denial(request.user, "waive covenant test", {"pk": pk})
        raise Http404
    test = access.get_or_404(request.user, CovenantTest, "change", pk=test_pk, facility=facility)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        errors = " ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, _("The test was not waived: %(errors)s") % {"errors": errors})
        return redirect("valuation:bank-facility", pk=facility.pk)
    try:
        services.waive_test(
            by=request.user, test=test, reason=form.cleaned_data["reason"], expires_on=form.cleaned_data["expires_on"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Test waived."))
    return redirect("valuation:bank-facility", pk=facility.pk)
