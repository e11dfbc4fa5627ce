"""The reporting calendar's pages: a facility's deliverables and their periods.

The firm's advisors keep it (deliverables, waivers, manual receipts); the client's own users read
it; a bank user reads it for a facility it follows (``access.facilities_shared_with_bank``).
Anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from borrowers.common import access
from borrowers.common.access import advisor_required
from facilities import calendar_services
from facilities.calendar_forms import DeliverableForm, ReceiveForm, WaiveForm
from facilities.models import Deliverable, Facility


def _readable_facility(request: HttpRequest, pk: int) -> Facility:
    """The facility whose calendar `request.user` may read, or 404."""
    facilities = Facility.objects.select_related("client", "lender")
    if request.user.is_bank_user:
        facility = access.facilities_shared_with_bank(request.user).select_related("client", "lender").filter(pk=pk)
        found = facility.first()
        if found is None:
            access.log_denial(request.user, "view facilities.Facility calendar", {"pk": pk})
            raise Http404
        return found
    return access.get_or_404(request.user, facilities, pk=pk)


@login_required
@require_GET
def facility_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _readable_facility(request, pk)
    today = timezone.localdate()
    can_edit = access.can(request.user, "change", facility)
    context = {
        "facility": facility,
        "today": today,
        "can_edit": can_edit,
        "calendars": calendar_services.facility_calendar(facility, today),
    }
    context["late"], context["next_due"] = calendar_services.late_and_next_due([facility], today)
    return render(request, "facilities/calendar.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, pk: int, deliverable_pk: int | None = None) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), "change", pk=pk)
    deliverable = (
        access.get_or_404(request.user, Deliverable, "change", pk=deliverable_pk, facility=facility)
        if deliverable_pk
        else None
    )
    post = request.method == "POST"
    initial = {} if deliverable else {"start": timezone.localdate().replace(day=1)}
    form = DeliverableForm(request.POST if post else None, instance=deliverable, facility=facility, initial=initial)
    if post and form.is_valid():
        try:
            calendar_services.save_deliverable(by=request.user, deliverable=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Deliverable saved."))
            return redirect("facilities:calendar", pk=facility.pk)
    title = _("Edit the deliverable") if deliverable else _("New deliverable")
    context = {
        "form": form,
        "title": title,
        "cancel_url": reverse("facilities:calendar", kwargs={"pk": facility.pk}),
        "intro": _(
            "A period ends on the last day of the month, quarter, half-year or year. The deliverable "
            "is due the given number of days after that day, and late once the grace days after the "
            "due date have passed."
        ),
    }
    return render(request, "form_page.html", context)


@advisor_required
@require_POST
def deliverable_delete(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility, "change", pk=pk)
    deliverable = access.get_or_404(request.user, Deliverable, "change", pk=deliverable_pk, facility=facility)
    calendar_services.delete_deliverable(by=request.user, deliverable=deliverable)
    messages.success(request, _("Deliverable deleted."))
    return redirect("facilities:calendar", pk=facility.pk)


def _form_errors(form) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


@advisor_required
@require_POST
def period_waive(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility, "change", pk=pk)
    deliverable = access.get_or_404(request.user, Deliverable, "change", pk=deliverable_pk, facility=facility)
    form = WaiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The period was not waived: %(errors)s") % {"errors": _form_errors(form)})
        return redirect("facilities:calendar", pk=facility.pk)
    try:
        calendar_services.waive_period(
            by=request.user,
            deliverable=deliverable,
            period_end=form.cleaned_data["period_end"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Period waived."))
    return redirect("facilities:calendar", pk=facility.pk)


@advisor_required
@require_POST
def period_receive(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    facility = access.get_or_404(request.user, Facility, "change", pk=pk)
    deliverable = access.get_or_404(request.user, Deliverable, "change", pk=deliverable_pk, facility=facility)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The period was not marked received: %(errors)s") % {"errors": _form_errors(form)})
        return redirect("facilities:calendar", pk=facility.pk)
    try:
        calendar_services.mark_received(
            by=request.user,
            deliverable=deliverable,
            period_end=form.cleaned_data["period_end"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Period marked received."))
    return redirect("facilities:calendar", pk=facility.pk)
