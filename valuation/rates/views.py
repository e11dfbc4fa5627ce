"""Pages of the firm's rate table (advisors only): list by pair, add or edit by hand, import the
ECB's reference rates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borrowers.common import access, audit
from borrowers.common.access import advisor_required
from borrowers.common.errors import DomainError
from borrowers.models import ExchangeRate, Firm
from valuation.rates import services as rates
from valuation.rates.forms import EcbImportForm, ExchangeRateForm, clean_code


def _pair_filter(request: HttpRequest) -> tuple[str, str]:
    """?base=&quote= as ISO codes; anything else is ignored (the whole table)."""
    out = []
    for name in ("base", "quote"):
        try:
            out.append(clean_code(request.GET.get(name, "")))
        except ValidationError:  # a bad filter shows every pair, never an error page
            out.append("")
    return out[0], out[1]


@advisor_required
@require_http_methods(["GET", "POST"])
def rate_list(request: HttpRequest) -> HttpResponse:
    form = ExchangeRateForm(request.POST if request.method == "POST" else None, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        try:
            rates.save_rate(by=request.user, rate=form.instance)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Rate saved."))
            return redirect("valuation:rate-list")
    base, quote = _pair_filter(request)
    table = access.scope(ExchangeRate.objects.all(), request.user)
    if base:
        table = table.filter(base=base)
    if quote:
        table = table.filter(quote=quote)
    page = Paginator(table, 100).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "import_form": EcbImportForm(),
        "base": base,
        "quote": quote,
        "max_age": rates.max_rate_age_days(),
    }
    return render(request, "valuation/rate_list.html", context)


@advisor_required
@require_http_methods(["GET", "POST"])
def rate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rate = access.get_or_404(request.user, ExchangeRate, "change", pk=pk)
    form = ExchangeRateForm(request.POST if request.method == "POST" else None, instance=rate, firm_id=rate.firm_id)
    if request.method == "POST" and form.is_valid():
        try:
            rates.save_rate(by=request.user, rate=form.instance)
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Rate saved."))
            return redirect("valuation:rate-list")
    return render(request, "form_page.html", {"form": form, "title": _("Edit a rate"), "cancel_url": "/rates/"})


@advisor_required
@require_http_methods(["GET", "POST"])
def rate_import(request: HttpRequest) -> HttpResponse:
    form = EcbImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = rates.import_ecb_rates(
                firm=request.user.firm, by=request.user, data=upload.read(), filename=upload.name or ""
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(
                request,
                _("ECB rates imported: %(added)s added, %(updated)s updated, %(unchanged)s unchanged (%(days)s days).")
                % {
                    "added": outcome.added,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "days": outcome.days,
                },
            )
            return redirect("valuation:rate-list")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("Import the ECB reference rates"), "cancel_url": "/rates/"},
    )


@advisor_required
@require_http_methods(["POST"])
def reporting_currency(request: HttpRequest) -> HttpResponse:
    """The firm admin sets the currency the dashboard totals in (audited)."""
    firm = access.get_or_404(request.user, Firm, "change", pk=request.user.firm_id)
    try:
        code = clean_code(request.POST.get("reporting_currency", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("valuation:rate-list")
    before = {"reporting_currency": firm.reporting_currency}
    firm.reporting_currency = code
    firm.save(update_fields=["reporting_currency"])
    audit.record(
        actor=request.user,
        action="update-reporting-currency",
        instance=firm,
        before=before,
        after={"reporting_currency": code},
    )
    messages.success(request, _("The dashboard now totals in %(currency)s.") % {"currency": code})
    return redirect("valuation:rate-list")
