"""Pages for firms, clients, warehouses, categories, invitations and the audit trail.

Each view: check access (borrowers.access), call a service or read a selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from borrowers import access, services
from borrowers.errors import DomainError
from borrowers.forms import (
    AcceptInvitationForm,
    ClientForm,
    FirmSettingsForm,
    InvitationForm,
    LanguageForm,
    StockCategoryForm,
    WarehouseForm,
)
from borrowers.middleware import remember_language
from borrowers.models import AuditEvent, ClientCompany, Firm, Invitation, StockCategory, Warehouse
from valuation import selectors
from valuation.charts import waterfall_bars, waterfall_svg
from valuation.labels import reason_label


def advisor_required(view):  # type: ignore[no-untyped-def]
    """Pages only advisors use: anyone else gets the same 404 as for a missing page."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not request.user.is_advisor:
            access.log_denial(request.user, f"page {request.path}", request.path)
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own start page."""
    user = request.user
    if user.is_advisor:
        return redirect("borrowers:dashboard")
    if user.is_client_user:
        return redirect("borrowers:client-detail", pk=user.client_id)
    if user.is_bank_user:
        return redirect("reports:report-list")
    return render(request, "borrowers/no_role.html")


@advisor_required
def client_list(request: HttpRequest) -> HttpResponse:
    clients = (
        ClientCompany.objects.visible_to(request.user)
        .annotate(warehouse_count=Count("warehouses", distinct=True), facility_count=Count("facilities", distinct=True))
        .order_by("legal_name")
    )
    query = request.GET.get("q", "").strip()
    if query:
        clients = clients.filter(legal_name__icontains=query)
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    return render(request, "borrowers/client_list.html", {"page": page, "query": query})


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
def dashboard(request: HttpRequest) -> HttpResponse:
    """The firm's clients at a glance: current figures and alerts; sortable, searchable, and the
    table alone is served to htmx requests (search as you type, sort, refresh)."""
    query = request.GET.get("q", "").strip()[:200]
    sort_key, descending = selectors.parse_sort(request.GET.get("sort"))
    rows = selectors.dashboard_rows(user=request.user, query=query, sort=request.GET.get("sort"))
    page = Paginator(rows, 200).get_page(request.GET.get("page"))
    columns = []
    for key, label, numeric in DASHBOARD_COLUMNS:
        active = key == sort_key
        next_sort = key if (not active or descending) else f"-{key}"
        aria = ("descending" if descending else "ascending") if active else None
        columns.append({"key": key, "label": label, "numeric": numeric, "sort": next_sort, "aria_sort": aria})
    sort_value = f"-{sort_key}" if descending else sort_key
    currency = selectors.reporting_currency(request.user)
    context = {
        "page": page,
        "query": query,
        "columns": columns,
        "sort": sort_value,
        "total": len(rows),
        "totals": selectors.dashboard_totals(rows, currency=currency),
    }
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "borrowers/_dashboard_table.html" if partial else "borrowers/dashboard.html"
    return render(request, template, context)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The advisor's client page, and the client user's own company page (their dossier summary)."""
    page = selectors.client_page(user=request.user, pk=pk)
    context = {
        "page": page,
        "client": page.client,
        "can_edit": request.user.is_advisor,
        "seen": access.visibility(request.user, page.client),
    }
    if not request.user.is_advisor:
        _add_client_summary(page, request.user)
    return render(request, "borrowers/client_detail.html", context)


def _add_client_summary(page: selectors.ClientPage, user: Any) -> None:
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


def _form_page(request: HttpRequest, form, *, title: str, cancel_url: str):  # type: ignore[no-untyped-def]
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": cancel_url})


@advisor_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    client = access.get_or_404(request.user, ClientCompany, "change", pk=pk) if pk else None
    form = ClientForm(request.POST if request.method == "POST" else None, instance=client, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        client = services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Client saved."))
        return redirect(client)
    title = _("Edit %(client)s") % {"client": client} if client else _("New client")
    cancel = client.get_absolute_url() if client else "/clients/"
    return _form_page(request, form, title=title, cancel_url=cancel)


@advisor_required
@require_http_methods(["GET", "POST"])
def warehouse_edit(request: HttpRequest, client_pk: int, pk: int | None = None) -> HttpResponse:
    client = access.get_or_404(request.user, ClientCompany, "change", pk=client_pk)
    warehouse = access.get_or_404(request.user, Warehouse, "change", pk=pk, client=client) if pk else None
    form = WarehouseForm(request.POST if request.method == "POST" else None, instance=warehouse, client=client)
    if request.method == "POST" and form.is_valid():
        services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Warehouse saved."))
        return redirect(client)
    return _form_page(
        request, form, title=_("Warehouse for %(client)s") % {"client": client}, cancel_url=client.get_absolute_url()
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    form = StockCategoryForm(request.POST if request.method == "POST" else None, firm_id=request.user.firm_id)
    if request.method == "POST" and form.is_valid():
        services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Category saved."))
        return redirect("borrowers:category-list")
    categories = access.scope(StockCategory.objects.all(), request.user)
    return render(request, "borrowers/category_list.html", {"categories": categories, "form": form})


@advisor_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = access.get_or_404(request.user, StockCategory, "change", pk=pk)
    form = StockCategoryForm(
        request.POST if request.method == "POST" else None, instance=category, firm_id=request.user.firm_id
    )
    if request.method == "POST" and form.is_valid():
        services.save_record(by=request.user, instance=form.instance)
        messages.success(request, _("Category saved."))
        return redirect("borrowers:category-list")
    return _form_page(request, form, title=str(category), cancel_url="/categories/")


@advisor_required
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    initial = {"role": "client", "client": request.GET.get("client")} if request.GET.get("client", "").isdigit() else {}
    form = InvitationForm(request.POST if request.method == "POST" else None, inviter=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                client=form.cleaned_data.get("client"),
                lender=form.cleaned_data.get("lender"),
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("borrowers:invitation-list")
    invitations = access.scope(Invitation.objects.select_related("client", "lender", "invited_by"), request.user)
    return render(request, "borrowers/invitation_list.html", {"form": form, "invitations": invitations[:200]})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Public page behind the e-mailed link: choose a name and password, then you are logged in."""
    invitation = get_object_or_404(Invitation, token=token)
    if not invitation.is_usable:
        return render(request, "registration/invitation_expired.html", status=410)
    form = AcceptInvitationForm(request.POST if request.method == "POST" else None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="borrowers.auth.LockoutModelBackend")
            return redirect("home")
    return render(request, "registration/accept_invitation.html", {"form": form, "invitation": invitation})


@advisor_required
def audit_list(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.visible_to(request.user).select_related("actor", "client")
    object_type = request.GET.get("type", "").strip()
    if object_type:
        events = events.filter(object_type=object_type)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "borrowers/audit_list.html", {"page": page, "object_type": object_type})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Save the language on the user's profile, so every process and device uses it, and in the
    language cookie, so an anonymous visitor (the log-in page) and a logged-out browser keep it."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        remember_language(response, language)
    return response


@advisor_required
@require_http_methods(["GET", "POST"])
def firm_settings(request: HttpRequest) -> HttpResponse:
    """The firm administrator's settings (audited); other advisors may not change them."""
    firm = access.get_or_404(request.user, Firm, "change", pk=request.user.firm_id)
    form = FirmSettingsForm(request.POST if request.method == "POST" else None, instance=firm)
    if request.method == "POST" and form.is_valid():
        services.save_firm_settings(by=request.user, firm=form.instance, fields=form.Meta.fields)
        messages.success(request, _("Firm settings saved."))
        return redirect("borrowers:firm-settings")
    context = {
        "form": form,
        "title": _("Firm settings"),
        "intro": _(
            "New stock files are compared with each facility's previous accepted file; these "
            "thresholds decide what is flagged."
        ),
        "cancel_url": reverse("borrowers:dashboard"),
    }
    return render(request, "form_page.html", context)
