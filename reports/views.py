from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from borrowers import access
from reports.models import ReportAccess, ReportVersion


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = access.scope(
        ReportVersion.objects.select_related("facility__client", "facility__lender", "author"), request.user
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "reports/report_list.html", {"page": page})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = access.get_or_404(
        request.user, ReportVersion.objects.select_related("facility__client", "facility__lender", "author"), pk=pk
    )
    if request.user.is_bank_user:
        ReportAccess.objects.create(report=report, user=request.user, action="view")
    return render(request, "reports/report_detail.html", {"report": report})
