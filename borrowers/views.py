"""Pages for firms, clients, warehouses, categories, invitations and the audit trail.

Each view: check access (borrowers.common.access), call a service or read a selector, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borrowers import services
from borrowers.common import access
from borrowers.common.access import advisor_required
from borrowers.common.errors import DomainError
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


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own start page."""
    user = request.user
    if user.is_advisor:
        return redirect("valuation:dashboard")
    if user.is_client_user:
        return redirect("valuation:client-detail", pk=user.client_id)
    if user.is_bank_user:
        return redirect("reports:report-list")
    if user.is_controller:
        return redirect("valuation:exam-list")
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


def form_page(request: HttpRequest, form, *, title: str, cancel_url: str):  # type: ignore[no-untyped-def]
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
    return form_page(request, form, title=title, cancel_url=cancel)


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
    return form_page(
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
    return form_page(request, form, title=str(category), cancel_url="/categories/")


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
                control_firm=form.cleaned_data.get("control_firm"),
                new_control_firm=form.cleaned_data.get("new_control_firm") or "",
                facilities=form.cleaned_data.get("facilities") or (),
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("borrowers:invitation-list")
    invitations = access.scope(
        Invitation.objects.select_related("client", "lender", "invited_by", "control_firm").prefetch_related(
            "facilities__client"
        ),
        request.user,
    )
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
        "cancel_url": reverse("valuation:dashboard"),
    }
    return render(request, "form_page.html", context)
