"""Access-matrix entries for the REST API.

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    ALL_LOGGED_IN,
    Routes,
    api,
)

ROUTES: Routes = {
    "api-schema": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-docs": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-root": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-detail": (lambda w: {"pk": w.client_x.pk}, api(advisor_a=200, client_user_x=200)),
    "warehouse-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "warehouse-detail": (lambda w: {"pk": w.warehouse_x.pk}, api(advisor_a=200, client_user_x=200)),
    "lender-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "lender-detail": (lambda w: {"pk": w.lender_a.pk}, api(advisor_a=200, bank_shared=200)),
    "facility-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "facility-detail": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200, client_user_x=200)),
    "upload-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "upload-detail": (lambda w: {"pk": w.upload_x.pk}, api(advisor_a=200, client_user_x=200)),
    "run-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "run-detail": (lambda w: {"pk": w.run_x.pk}, api(advisor_a=200, client_user_x=200)),
}
