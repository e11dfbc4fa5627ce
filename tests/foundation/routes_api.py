"""Access-matrix entries for the REST API.

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    ALL_LOGGED_IN,
    Routes,
    api,
    everyone,
)
from tests.foundation.routes_facilities import appraisal_of_x

# The report of the world is ready but has no PDF file: those who see it are told 409 (not ready).
REPORT_READERS = {"advisor_a": 200, "client_user_x": 200, "bank_shared": 200}

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
    # The world's client sees its key figures (the default) but not the waterfall, and no client
    # ever sees the lines: test_client_visibility checks every switch.
    "run-waterfall": (lambda w: {"pk": w.run_x.pk}, api(advisor_a=200)),
    "run-lines": (lambda w: {"pk": w.run_x.pk}, api(advisor_a=200)),
    # Appraisals are the advisors' (the list answers everyone, empty for those outside the firm).
    "appraisal-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "appraisal-detail": (lambda w: {"pk": appraisal_of_x(w)["appraisal_pk"]}, api(advisor_a=200)),
    "appraisal-report": (lambda w: {"pk": appraisal_of_x(w, with_report=True)["appraisal_pk"]}, api(advisor_a=200)),
    "category-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "category-detail": (lambda w: {"pk": w.category_a.pk}, api(advisor_a=200)),
    # Tokens: the exchange is POST-only and open (credentials are the check); your own token needs a log-in.
    "api-token": (lambda w: {}, everyone(405)),
    "api-token-mine": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "report-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "report-detail": (lambda w: {"pk": w.report_x.pk}, api(**REPORT_READERS)),
    "report-pdf": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=409, client_user_x=409, bank_shared=409)),
    # Sharing is the advisors'; those who only read the report are told 403, outsiders 404.
    "report-shares": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=200, client_user_x=403, bank_shared=403)),
    # POST-only: a GET is refused before anything is looked up.
    "report-withdraw-share": (
        lambda w: {"pk": w.report_x.pk, "share_pk": w.report_x.shares.get().pk},
        everyone(405, anon=401),
    ),
    # Sharing with the client is the advisors'; the client and the bank only read the report: 403.
    "report-client-share": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=200, client_user_x=403, bank_shared=403)),
    # The thread belongs to the firm's advisors and the lenders the report is shared with.
    "report-comments": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=200, client_user_x=403, bank_shared=200)),
    "report-decisions": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=200, client_user_x=403, bank_shared=200)),
    # The world's report is not certified: 404 for everyone who may see it, and for outsiders.
    "report-certification": (lambda w: {"pk": w.report_x.pk}, api()),
}
