"""The bank's page of a facility it follows: its latest figures and their history.

Only a bank user reaches it, and only for a facility a report was shared with its lender
(``access.facilities_shared_with_bank``); anyone else gets a 404 (advisors and client users have
the dossier). The bank sees no stock date newer than the latest one a shared report shows
(``access.bank_shared_until``): the advisor decides what reaches the bank, by sharing a report.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from borrowers.common import access
from valuation.models import ValuationRun
from valuation.workspace import covenants, history
from valuation.workspace.bank_field_exam import bank_field_exam  # the last field exam (issue 16)
from valuation.workspace.rollforward import bank_rollforward  # roll-forward (issue 16)


@login_required
def bank_facility(request: HttpRequest, pk: int) -> HttpResponse:
    """A shared facility for its bank: name, client, lender, the latest shared figures, history."""
    facilities = access.facilities_shared_with_bank(request.user).select_related("client", "lender")
    facility = facilities.filter(pk=pk).first()
    if facility is None:
        access.log_denial(request.user, "view bank facility", {"pk": pk})
        raise Http404
    until = access.bank_shared_until(request.user, facility)
    points = history.history(ValuationRun.objects.filter(facility=facility), until=until) if until else []
    context = {
        "facility": facility,
        "latest": points[-1] if points else None,
        "until": until,
        **history.history_context(points, show_figures=True, show_ineligibles=True, links=False),
        "history_note": _(
            "Stock dates up to %(date)s: the latest one a report shared with you shows. Newer valuations "
            "reach you when your advisor shares their report."
        )
        % {"date": date_format(until, "SHORT_DATE_FORMAT")}
        if until
        else "",
    }
    context.update(bank_rollforward(facility, request.user, until))  # roll-forward (issue 16)
    # covenants (issue 16): the facility's covenants, tests up to what was shared, with the waiver.
    context["covenants"] = covenants.covenant_views(facility, until=until, links=False) if until else []
    context["can_waive"] = True
    # the last field exam (issue 16): its counts and how they changed the valuation.
    context.update(bank_field_exam(facility, request.user, until))
    return render(request, "valuation/bank_facility.html", context)
