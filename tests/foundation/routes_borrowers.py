"""Access-matrix entries for borrowers (clients, warehouses, categories, invitations, audit).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    ADVISORS,
    Routes,
    pages,
)

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
}
