"""The pages that compose a facility's valuations: the advisor dashboard, the client page, the
dossier, the lines behind a figure with their exports, and the comparisons.

Each view: check access (borrowers.common.access), read the stored runs through the workspace
modules (dashboard, dossier, drilldown), render. None of them reads a stock file or values one.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from borrowers.common import access, audit
from borrowers.common.access import advisor_required
from borrowers.common.formatting import number
from borrowers.common.labels import category_label, reason_label
from facilities.forms import FacilityForm
from facilities.models import Facility
from valuation.models import ValuationRun
from valuation.workspace import bridge, dashboard, dossier, drilldown, history
from valuation.workspace import sites as site_parts
from valuation.workspace.charts import waterfall_bars, waterfall_svg

# (query-string key, column heading, numeric column) for the dashboard's sortable headings.
DASHBOARD_COLUMNS = (
    ("client", _lazy("Client"), False),
    ("stock_date", _lazy("Last stock date"), False),
    ("book_value", _lazy("Book value"), True),
    ("eligible", _lazy("Eligible stock"), True),
    ("liquidation", _lazy("Liquidation value"), True),
    ("financing", _lazy("Financing"), True),
    ("availability", _lazy("Availability or pledge cover"), True),
    ("alerts", _lazy("Alerts"), False),
)


@advisor_required
def advisor_dashboard(request: HttpRequest) -> HttpResponse:
    """The firm's clients at a glance: current figures and alerts; sortable, searchable, and the
    table alone is served to htmx requests (search as you type, sort, refresh)."""
    query = request.GET.get("q", "").strip()[:200]
    sort_key, descending = dashboard.parse_sort(request.GET.get("sort"))
    rows = dashboard.dashboard_rows(user=request.user, query=query, sort=request.GET.get("sort"))
    page = Paginator(rows, 200).get_page(request.GET.get("page"))
    columns = []
    for key, label, numeric in DASHBOARD_COLUMNS:
        active = key == sort_key
        next_sort = key if (not active or descending) else f"-{key}"
        aria = ("descending" if descending else "ascending") if active else None
        columns.append({"key": key, "label": label, "numeric": numeric, "sort": next_sort, "aria_sort": aria})
    sort_value = f"-{sort_key}" if descending else sort_key
    currency = dashboard.reporting_currency(request.user)
    context = {
        "page": page,
        "query": query,
        "columns": columns,
        "sort": sort_value,
        "total": len(rows),
        "totals": dashboard.dashboard_totals(rows, currency=currency),
    }
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "valuation/_dashboard_table.html" if partial else "valuation/dashboard.html"
    return render(request, template, context)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The advisor's client page, and the client user's own company page (their dossier summary)."""
    page = dashboard.client_page(user=request.user, pk=pk)
    context = {
        "page": page,
        "client": page.client,
        "can_edit": request.user.is_advisor,
        "seen": access.visibility(request.user, page.client),
    }
    if not request.user.is_advisor:
        _add_client_summary(page, request.user)
    return render(request, "valuation/client_detail.html", context)


def _add_client_summary(page: dashboard.ClientPage, user: Any) -> None:
    """What the advisor lets the client see beyond the key figures: the waterfall chart and the
    ineligible stock by reason, from each current run's stored result."""
    seen = access.visibility(user, page.client)
    for item in page.facilities:
        result = item.run.result if item.run is not None else None
        if not result:
            continue
        if seen.waterfall:
            bars = waterfall_bars(result)
            item.waterfall_svg = waterfall_svg(bars, currency=item.currency, title=item.facility.name)
        if seen.ineligibles:
            by_reason = (result.get("eligibility") or {}).get("by_reason") or []
            item.ineligibles = [(reason_label(str(r.get("reason", ""))), r.get("amount")) for r in by_reason]


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier: terms, and the chosen (by default the current) valuation read from its stored
    result. Advisors get every figure linked to its lines; a client user reads the same figures."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    context = dossier.dossier_context(facility, request.user, request.GET.get("run"))
    context.update({"facility": facility, "can_edit": request.user.is_advisor})
    context.update(site_parts.dossier_site_context(request.user, facility, context.get("run")))
    context.update(history.dossier_history(facility, request.user))
    return render(request, "valuation/facility_detail.html", context)


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
    template = "valuation/_lines_table.html" if request.headers.get("HX-Request") else "valuation/lines.html"
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
    return render(request, "valuation/compare.html", context)


@advisor_required
@require_GET
def facility_bridge(request: HttpRequest, pk: int) -> HttpResponse:
    """Why financing and availability moved between two valuations of the facility: the change
    split into stock level, each ineligible reason, rates and terms, reserves and currency."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)
    pair = dossier.pick_pair(facility, request.user, request.GET.get("a"), request.GET.get("b"))
    context: dict[str, object] = {"facility": facility, "runs": pair.runs, "before": pair.before, "after": pair.after}
    if pair.before is not None and pair.after is not None:
        context["bridge"] = bridge.bridge_page(facility, pair.before, pair.after)
    return render(request, "valuation/bridge.html", context)


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
    return render(request, "valuation/compare_terms.html", context)
