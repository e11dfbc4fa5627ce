"""Access-matrix entries for reports (versions, sharing, comments, decisions).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    ALL_LOGGED_IN,
    Routes,
    pages,
)

ROUTES: Routes = {
    "reports:report-list": (lambda w: {}, pages(**ALL_LOGGED_IN)),
    "reports:report-detail": (
        lambda w: {"pk": w.report_x.pk},
        pages(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
}
