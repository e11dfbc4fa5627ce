"""Alert pages: a facility's alerts with their history (advisors work them, a bank following the
facility reads them), the firm's thresholds and a facility's override."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.common.errors import DomainError
from facilities.models import Facility
from valuation.models import Alert, AlertState
from valuation.workspace import alert_services as services
from valuation.workspace.alert_forms import NoteForm, ThresholdsForm
from valuation.workspace.alert_labels import alert_summary


def _facility_for_alerts(request: HttpRequest, pk: int) -> Facility:
    """The facility's advisors reach it through ``scope``; a bank user only if it follows it."""
    user = request.user
    if getattr(user, "is_bank_user", False):
        facility = access.facilities_shared_with_bank(user).select_related("client", "lender").filter(pk=pk).first()
        if facility is None:
            access.log_denial(user, "view facility alerts", {"pk": pk})
            raise Http404
        return facility
    if not getattr(user, "is_advisor", False):
        access.log_denial(user, "view facility alerts", {"pk": pk})
        raise Http404
    return access.get_or_404(user, Facility.objects.select_related("client", "lender"), pk=pk)


@login_required
def facility_alerts(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _facility_for_alerts(request, pk)
    alerts = list(services.facility_alerts(facility))
    for alert in alerts:
        alert.summary = alert_summary(alert.kind, alert.details)
    groups = [
        (state, label, [a for a in alerts if a.state == state])
        for state, label in (
            (AlertState.OPEN, _("Open")),
            (AlertState.ACKNOWLEDGED, _("Acknowledged")),
            (AlertState.RESOLVED, _("Resolved")),
        )
    ]
    context = {
        "facility": facility,
        "groups": groups,
        "can_act": request.user.is_advisor,
        "note_form": NoteForm(),
    }
    return render(request, "valuation/facility_alerts.html", context)


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:  # type: ignore[no-untyped-def]
    alert = access.get_or_404(request.user, Alert.objects.select_related("facility"), "change", pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            action(alert=alert, by=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Alert updated."))
    else:
        messages.error(request, _("Say why in a note."))
    return redirect("valuation:facility-alerts", pk=alert.facility_id)


@advisor_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.acknowledge_alert)


@advisor_required
@require_POST
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.resolve_alert)


@advisor_required
@require_http_methods(["GET", "POST"])
def alert_thresholds(request: HttpRequest) -> HttpResponse:
    """The firm's thresholds (every advisor of the firm may set them)."""
    thresholds = services.firm_thresholds(request.user.firm)
    form = ThresholdsForm(request.POST if request.method == "POST" else None, instance=thresholds)
    if request.method == "POST" and form.is_valid():
        services.save_thresholds(thresholds=form.instance, by=request.user)
        messages.success(request, _("Alert thresholds saved."))
        return redirect("valuation:alert-thresholds")
    return render(request, "valuation/alert_thresholds.html", {"form": form, "facility": None, "override": None})


@advisor_required
@require_http_methods(["GET", "POST"])
def facility_alert_thresholds(request: HttpRequest, pk: int) -> HttpResponse:
    """A facility's own thresholds, overriding its firm's; "remove" follows the firm's again."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client"), pk=pk)
    override = services.facility_override(facility)
    if request.method == "POST" and request.POST.get("remove"):
        services.remove_override(facility=facility, by=request.user)
        messages.success(request, _("This facility follows the firm's thresholds again."))
        return redirect("valuation:facility-alert-thresholds", pk=facility.pk)
    if override is None:
        base = services.firm_thresholds(request.user.firm)
        initial = {name: getattr(base, name) for name in services.THRESHOLD_FIELDS}
        instance = type(base)(firm_id=facility.client.firm_id, facility=facility, **initial)
    else:
        instance = override
    form = ThresholdsForm(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.save_thresholds(thresholds=form.instance, by=request.user)
        messages.success(request, _("Alert thresholds saved."))
        return redirect("valuation:facility-alert-thresholds", pk=facility.pk)
    return render(
        request, "valuation/alert_thresholds.html", {"form": form, "facility": facility, "override": override}
    )
