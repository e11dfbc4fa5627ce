"""Covenant and financial statement pages of the facilities floor.

The covenant form is the advisors' (the covenant page with its tests is the valuation floor's,
``valuation/workspace/covenant_views.py``). The financial statements are entered by the client's
own users (from their client page) and by its advisors; banks and anyone else get 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from borrowers.common import access
from borrowers.common.access import advisor_required
from facilities import covenant_services
from facilities.covenant_forms import CovenantForm, StatementForm
from facilities.covenant_models import Covenant, FinancialStatement
from facilities.models import Facility


@advisor_required
@require_http_methods(["GET", "POST"])
def covenant_edit(request: HttpRequest, pk: int, covenant_pk: int | None = None) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), "change", pk=pk)
    covenant = (
        access.get_or_404(request.user, Covenant, "change", pk=covenant_pk, facility=facility) if covenant_pk else None
    )
    post = request.method == "POST"
    form = CovenantForm(request.POST if post else None, instance=covenant, facility=facility)
    if post and form.is_valid():
        try:
            covenant_services.save_covenant(by=request.user, covenant=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Covenant saved."))
            return redirect("valuation:facility-covenants", pk=facility.pk)
    context = {
        "form": form,
        "title": _("Edit the covenant") if covenant else _("New covenant"),
        "cancel_url": reverse("valuation:facility-covenants", kwargs={"pk": facility.pk}),
        "intro": _(
            "Availability, LTV, pledge cover and days of stock are tested on each valuation; debt ÷ "
            "tangible net worth, tangible net worth and formulas on the financial statements the "
            "client enters. A formula reads the statement's line names, e.g. "
            "(total_debt - cash) / ebitda. A compliant figure within the headroom of the threshold "
            "is at risk."
        ),
    }
    return render(request, "form_page.html", context)


def _statement_facility(request: HttpRequest, pk: int) -> Facility:
    # Advisors of the firm and the client's own users reach the facility; a bank never does.
    return access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)


@login_required
@require_GET
def statement_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A facility's financial statements, newest first, with their lines."""
    facility = _statement_facility(request, pk)
    statements = access.scope(FinancialStatement.objects.filter(facility=facility), request.user).prefetch_related(
        "lines", "entered_by"
    )
    context = {
        "facility": facility,
        "statements": statements,
        "required": covenant_services.required_inputs(facility),
    }
    return render(request, "facilities/statement_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def statement_edit(request: HttpRequest, pk: int, statement_pk: int | None = None) -> HttpResponse:
    """Enter (or correct) a period's financial statements."""
    facility = _statement_facility(request, pk)
    statement = (
        access.get_or_404(request.user, FinancialStatement, "change", pk=statement_pk, facility=facility)
        if statement_pk
        else None
    )
    post = request.method == "POST"
    form = StatementForm(
        request.POST if post else None, request.FILES if post else None, facility=facility, statement=statement
    )
    if post and form.is_valid():
        try:
            covenant_services.save_statement(
                by=request.user,
                facility=facility,
                period_end=form.cleaned_data["period_end"],
                lines=form.cleaned_data["lines"],
                notes=form.cleaned_data["notes"],
                source="uploaded" if form.cleaned_data.get("file") else "entered",
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Financial statements saved."))
            return redirect("facilities:statement-list", pk=facility.pk)
    context = {
        "form": form,
        "title": _("Financial statements · %(facility)s") % {"facility": facility.name},
        "cancel_url": reverse("facilities:statement-list", kwargs={"pk": facility.pk}),
        "intro": _(
            "The figures at the period end, as named amounts in %(currency)s. Total debt and tangible "
            "net worth are read by the debt ÷ tangible net worth and tangible net worth covenants; "
            "other names by the formulas."
        )
        % {"currency": facility.currency},
    }
    return render(request, "form_page.html", context)
