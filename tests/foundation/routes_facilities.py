"""Access-matrix entries for facilities (lenders, facilities, dossiers).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    ADVISORS,
    Routes,
    pages,
)

ROUTES: Routes = {
    "facilities:lender-list": (lambda w: {}, pages(**ADVISORS)),
    "facilities:lender-edit": (lambda w: {"pk": w.lender_a.pk}, pages(advisor_a=200)),
    "facilities:facility-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200)),
    "facilities:facility-edit": (
        lambda w: {"client_pk": w.client_x.pk, "pk": w.facility_x.pk},
        pages(advisor_a=200),
    ),
    "facilities:facility-detail": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    # The lines behind the figures, their exports and the comparisons are the advisor's tools.
    "facilities:facility-lines": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:facility-lines-export": (lambda w: {"pk": w.facility_x.pk, "fmt": "csv"}, pages(advisor_a=200)),
    "facilities:facility-compare": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "facilities:facility-compare-terms": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
}
