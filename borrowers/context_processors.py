"""The navigation each role sees in the base layout."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from borrowers.common.notify import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[tuple[str, str]] = [(_("Home"), reverse("home"))]
    if user.is_advisor:
        items += [
            (_("Dashboard"), reverse("valuation:dashboard")),
            (_("Clients"), reverse("borrowers:client-list")),
            (_("Lenders"), reverse("facilities:lender-list")),
            (_("Exchange rates"), reverse("valuation:rate-list")),
            (_("Invitations"), reverse("borrowers:invitation-list")),
            (_("Audit trail"), reverse("borrowers:audit-list")),
        ]
        if user.is_firm_admin:
            items.append((_("Firm settings"), reverse("borrowers:firm-settings")))
    elif user.is_client_user:
        items += [(_("My company"), reverse("valuation:client-detail", args=[user.client_id]))]
    elif user.is_bank_user:
        items += [(_("Portfolio"), reverse("valuation:bank-portfolio"))]
    # Field exams: the controller's one section; the advisors decide the exams there too.
    if user.is_controller or user.is_advisor:
        items.append((_("Field exams"), reverse("valuation:exam-list")))
    if user.is_advisor or user.is_client_user or user.is_bank_user:
        items.append((_("Reports"), reverse("reports:report-list")))
    # The entry the page sits under (longest matching prefix; "/" only for itself) is marked current.
    path = request.path
    under = [url for _label, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(under, key=len, default=None)
    return {"nav": [(label, url, url == current) for label, url in items]}


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count on the inbox link: one COUNT query, only for a logged-in user, and only
    when the page shows it (an htmx fragment without the top bar asks nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
