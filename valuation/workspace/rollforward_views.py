"""The roll-forward pages: a facility's periods with the forms to enter them (its advisors and its
client's users), the ledger-extract upload, and the tolerance (advisors). A bank reads the
periods on its own facility page (``bank_views``); everyone else gets a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.common.errors import DomainError
from facilities.models import Facility
from valuation.imports.ledger import LEDGER_LIMITS
from valuation.models import RollforwardPeriod
from valuation.pipeline import rollforward as services
from valuation.workspace.rollforward import rollforward_context
from valuation.workspace.rollforward_forms import InputsForm, LedgerForm, ToleranceForm


def _facility(request: HttpRequest, pk: int) -> Facility:
    """The facility, for whoever may enter its roll-forward (its advisors, its client's users)."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    if not access.can_enter_rollforward(request.user, facility):
        access.log_denial(request.user, "enter roll-forward", {"pk": pk})
        raise Http404
    return facility


def _initial_inputs(facility: Facility, period: str | None) -> dict[str, Any]:
    """The inputs form's starting values: the period asked for (?period=) as entered, else the
    latest stock date with nothing entered."""
    try:
        asked = dt.date.fromisoformat(period) if period else None
    except ValueError:
        asked = None  # a malformed ?period= is ignored
    if asked is not None:
        record = RollforwardPeriod.objects.filter(facility=facility, period_end=asked).first()
        if record is None:
            return {"period_end": asked}
        return {"period_end": record.period_end, "note": record.note} | {
            name: getattr(record, name) for name in services.INPUT_FIELDS
        }
    rows = services.facility_periods(facility)
    missing = [row.period.period_end for row in rows if row.record is None and row.run_id]
    return {"period_end": missing[-1]} if missing else {}


def _page(
    request: HttpRequest,
    facility: Facility,
    *,
    inputs_form: InputsForm | None = None,
    ledger_form: LedgerForm | None = None,
    tolerance_form: ToleranceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = _initial_inputs(facility, request.GET.get("period"))
    context = {
        "facility": facility,
        "inputs_form": inputs_form or InputsForm(initial=initial),
        "ledger_form": ledger_form or LedgerForm(initial={"period_end": initial.get("period_end")}),
        "tolerance_form": tolerance_form
        or ToleranceForm(
            initial={
                "rollforward_tolerance_amount": facility.rollforward_tolerance_amount,
                "rollforward_tolerance_pct": facility.rollforward_tolerance_pct,
            }
        ),
        "can_set_tolerance": request.user.is_advisor,
        **rollforward_context(facility, request.user),
    }
    return render(request, "valuation/facility_rollforward.html", context, status=status)


@login_required
def facility_rollforward(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _facility(request, pk))


@login_required
def facility_rollforward_inputs(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _facility(request, pk)  # access first: an outsider gets 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = InputsForm(request.POST)
    if form.is_valid():
        try:
            services.save_inputs(facility=facility, by=request.user, **form.cleaned_data)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("The period's roll-forward is saved."))
            return redirect("valuation:facility-rollforward", pk=facility.pk)
    return _page(request, facility, inputs_form=form, status=400)


@login_required
def facility_rollforward_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _facility(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = LedgerForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > LEDGER_LIMITS.max_bytes:
                # Refused before reading a byte of it.
                raise DomainError(
                    _("The file is too large: a ledger extract may be at most %(mb)s MB.")
                    % {"mb": LEDGER_LIMITS.max_bytes // (1024 * 1024)},
                    field="file",
                )
            services.import_ledger(
                facility=facility,
                period_end=form.cleaned_data["period_end"],
                data=upload.read(),
                filename=upload.name,
                by=request.user,
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("The ledger extract is read into the period's roll-forward."))
            return redirect("valuation:facility-rollforward", pk=facility.pk)
    return _page(request, facility, ledger_form=form, status=400)


@advisor_required
def facility_rollforward_tolerance(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), "change", pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ToleranceForm(request.POST)
    if form.is_valid():
        try:
            services.set_tolerance(
                facility=facility,
                amount=form.cleaned_data["rollforward_tolerance_amount"],
                pct=form.cleaned_data["rollforward_tolerance_pct"],
                by=request.user,
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("The roll-forward tolerance is saved."))
            return redirect("valuation:facility-rollforward", pk=facility.pk)
    return _page(request, facility, tolerance_form=form, status=400)
