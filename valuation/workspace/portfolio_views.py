"""The bank portfolio page: the facilities a bank user follows (``access.facilities_shared_with_bank``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from borrowers.common import access
from valuation.workspace import portfolio


@login_required
def bank_portfolio(request: HttpRequest) -> HttpResponse:
    """Bank users only: anyone else gets the 404 of a missing page."""
    if not request.user.is_bank_user:
        access.log_denial(request.user, f"page {request.path}", request.path)
        raise Http404
    rows, currency = portfolio.portfolio_rows(request.user, sort=request.GET.get("sort"))
    key, descending = portfolio.parse_sort(request.GET.get("sort"))
    sort_links = {name: (f"-{name}" if name == key and not descending else name) for name in portfolio.SORTS}
    context = {"rows": rows, "currency": currency, "sort_key": key, "descending": descending, "sort_links": sort_links}
    return render(request, "valuation/bank_portfolio.html", context)
