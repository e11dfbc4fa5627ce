"""Access-matrix entries for borrowers (clients, warehouses, categories, invitations, audit).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from typing import Any

from borrowers.models import Notification, NotificationKind
from tests.conftest import World
from tests.foundation.matrix_helpers import (
    ADVISORS,
    ALL_LOGGED_IN,
    Routes,
    everyone,
    pages,
)


def _notification(w: World) -> dict[str, Any]:
    """Advisor A's notification: the route is POST only for everyone (a GET is refused)."""
    note = Notification.objects.create(user=w.advisor_a, kind=NotificationKind.BANK_COMMENT, title="A comment")
    return {"pk": note.pk}


ROUTES: Routes = {
    "valuation:dashboard": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:client-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:client-create": (lambda w: {}, pages(**ADVISORS)),
    "valuation:client-detail": (lambda w: {"pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "borrowers:client-edit": (lambda w: {"pk": w.client_x.pk}, pages(advisor_a=200)),
    "borrowers:warehouse-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200)),
    "borrowers:warehouse-edit": (
        lambda w: {"client_pk": w.client_x.pk, "pk": w.warehouse_x.pk},
        pages(advisor_a=200),
    ),
    "borrowers:category-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:category-edit": (lambda w: {"pk": w.category_a.pk}, pages(advisor_a=200)),
    "borrowers:invitation-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:audit-list": (lambda w: {}, pages(**ADVISORS)),
    # The firm administrator's (advisor A); advisor B is no administrator of firm B.
    "borrowers:firm-settings": (lambda w: {}, pages(advisor_a=200)),
    # Every role has its own inbox and preferences (only its own rows: tests/ui/test_notifications.py).
    "borrowers:notification-list": (lambda w: {}, pages(**ALL_LOGGED_IN)),
    "borrowers:notification-preferences": (lambda w: {}, pages(**ALL_LOGGED_IN)),
    # POST only
    "borrowers:notification-read": (_notification, everyone(405, anon=302)),
    "borrowers:notification-read-all": (lambda w: {}, everyone(405, anon=302)),
}
