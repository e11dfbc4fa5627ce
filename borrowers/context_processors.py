"""The navigation each role sees in the base layout."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[tuple[str, str]] = [(_("Home"), reverse("home"))]
    if user.is_advisor:
        items += [
            (_("Clients"), reverse("borrowers:client-list")),
            (_("Lenders"), reverse("facilities:lender-list")),
            (_("Invitations"), reverse("borrowers:invitation-list")),
            (_("Audit trail"), reverse("borrowers:audit-list")),
        ]
    elif user.is_client_user:
        items += [(_("My company"), reverse("borrowers:client-detail", args=[user.client_id]))]
    return {"nav": items}
