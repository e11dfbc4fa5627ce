"""The lines of two stock files of a facility compared (``valuation.workspace.line_compare``):
the page, and its CSV and XLSX exports. Advisors only, as the other comparisons."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from borrowers.common import access, audit
from borrowers.common.access import advisor_required
from borrowers.common.formatting import number
from facilities.models import Facility
from valuation.workspace import dossier, line_compare

# (sort key or "" when the column does not sort, heading, numeric) for the table's headings.
COLUMNS = (
    ("sku", _lazy("SKU"), False),
    ("", _lazy("Description"), False),
    ("category", _lazy("Category"), False),
    ("warehouse", _lazy("Warehouse"), False),
    ("change", _lazy("Change"), False),
    ("reason", _lazy("Reason"), False),
    ("", _lazy("Quantity before"), True),
    ("", _lazy("Quantity after"), True),
    ("quantity_delta", _lazy("Quantity change"), True),
    ("book_before", _lazy("Book value before"), True),
    ("book_after", _lazy("Book value after"), True),
    ("book_delta", _lazy("Book value change"), True),
    ("eligible_delta", _lazy("Eligible change"), True),
)


def _facility(request: HttpRequest, pk: int) -> Facility:
    return access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), pk=pk)


@advisor_required
def facility_compare_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Two stock files line against line: totals per kind of change, then the filtered keys."""
    facility = _facility(request, pk)
    pair = line_compare.pick_files(facility, request.user, request.GET.get("from"), request.GET.get("to"))
    line_filter = line_compare.CompareFilter.from_params(request.GET)
    context: dict[str, object] = {"facility": facility, "pair": pair, "filter": line_filter}
    before, after = pair.before, pair.after
    if before is not None and after is not None:
        diff = line_compare.diff_of(before, after)
        result = line_compare.comparison_of(diff, line_filter)
        context.update(line_compare.options(diff))
        context.update(
            {
                "result": result,
                "columns": COLUMNS,
                "base_qs": f"from={before.pk}&to={after.pk}",
                "summary": [
                    (
                        total,
                        line_compare.CHANGE_LABELS[total.change],
                        line_filter.querystring(change=total.change, page=1),
                    )
                    for total in result.summary
                ],
                "sort_links": {key: line_filter.sort_querystring(key) for key in line_compare.SORTS},
                "previous_qs": line_filter.querystring(page=result.number - 1),
                "next_qs": line_filter.querystring(page=result.number + 1),
                "lines_base": dossier.lines_url(facility, after),
            }
        )
    template = (
        "valuation/_compare_lines_table.html" if request.headers.get("HX-Request") else "valuation/compare_lines.html"
    )
    return render(request, template, context)


@advisor_required
def facility_compare_lines_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The filtered comparison as CSV or XLSX, formula-safe, money and quantities as exact decimals."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    facility = _facility(request, pk)
    pair = line_compare.pick_files(facility, request.user, request.GET.get("from"), request.GET.get("to"))
    line_filter = line_compare.CompareFilter.from_params(request.GET)
    before, after = pair.before, pair.after
    diff = line_compare.diff_of(before, after) if before is not None and after is not None else None
    if diff is None or before is None or after is None:
        messages.error(request, _("Two valued stock files are needed to compare their lines."))
        return redirect("valuation:facility-compare-lines", pk=facility.pk)
    back = line_compare.compare_url(facility, before, after, **line_filter.params())
    if fmt == "xlsx" and (count := len(line_compare.filtered(diff, line_filter))) > line_compare.XLSX_MAX_LINES:
        limit = {
            "max": number(line_compare.XLSX_MAX_LINES, get_language(), 0),
            "count": number(count, get_language(), 0),
        }
        message = _(
            "An XLSX export holds at most %(max)s lines and this selection has %(count)s: "
            "narrow the filter or export CSV."
        )
        messages.error(request, message % limit)
        return redirect(back)
    name = f"lines-{slugify(facility.name) or 'facility'}-{before.as_of.isoformat()}-{after.as_of.isoformat()}.{fmt}"
    audit.record(
        actor=request.user,
        action=f"export-compared-lines-{fmt}",
        instance=after,
        after={"from": before.pk, **line_filter.params()},
    )
    if fmt == "csv":
        response = HttpResponse(line_compare.csv_text(diff, line_filter), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            line_compare.xlsx_bytes(diff, line_filter),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
