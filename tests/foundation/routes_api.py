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
from tests.foundation.routes_facilities import appraisal_of_x, covenant_of_x, credit_document_of_x, deliverable_of_x
from tests.foundation.routes_valuation import _rate_a  # the world has no rate: made once

# The report of the world is ready but has no PDF file: those who see it are told 409 (not ready).
REPORT_READERS = {"advisor_a": 200, "client_user_x": 200, "bank_shared": 200}

ROUTES: Routes = {
    "api-schema": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-docs": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-root": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-detail": (lambda w: {"pk": w.client_x.pk}, api(advisor_a=200, client_user_x=200)),
    "warehouse-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    # The assigned controller reads the sites of its facility (field exams), never changes them.
    "warehouse-detail": (lambda w: {"pk": w.warehouse_x.pk}, api(advisor_a=200, client_user_x=200, controller=200)),
    "lender-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "lender-detail": (lambda w: {"pk": w.lender_a.pk}, api(advisor_a=200, bank_shared=200)),
    "facility-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "facility-detail": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200, client_user_x=200)),
    "upload-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "upload-detail": (lambda w: {"pk": w.upload_x.pk}, api(advisor_a=200, client_user_x=200)),
    # The firm's advisors only: the client who sees the upload gets 404 (POST: test_sites.py).
    "upload-undeclared-sites": (lambda w: {"pk": w.upload_x.pk}, api(advisor_a=200)),
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
    # A facility's reporting calendar: the same readers as its page.
    "facility-calendar": (
        lambda w: deliverable_of_x(w) and {"pk": w.facility_x.pk},
        api(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
    # roll-forward (issue 16): the same readers as its pages and the bank page (posting is
    # tests/rollforward/test_api.py's).
    "facility-rollforward": (
        lambda w: {"pk": w.facility_x.pk},
        api(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
    "category-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "category-detail": (lambda w: {"pk": w.category_a.pk}, api(advisor_a=200)),
    # Tokens: the exchange is POST-only and open (credentials are the check); your own token needs a log-in.
    "api-token": (lambda w: {}, everyone(405)),
    "api-token-mine": (lambda w: {}, api(**ALL_LOGGED_IN)),
    # The rate table: everyone logged in may list (a client or a bank sees an empty list), only
    # the firm's advisors see a rate; the import is POST-only.
    "rate-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "rate-detail": (_rate_a, api(advisor_a=200)),
    "rate-import": (lambda w: {}, everyone(405, anon=401)),
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
    # The workspace pages' routes (valuation.workspace.api) are the advisors' tools, as the pages:
    # each advisor its own firm's dashboard, the facility's firm its compare and lines; anyone else 404.
    "dashboard": (lambda w: {}, api(advisor_a=200, advisor_b=200)),
    "facility-compare": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200)),
    "facility-bridge": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200)),
    "facility-lines": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200)),
    # The export needs its file_format: without it the advisor is told 400, outsiders 404.
    "facility-lines-export": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=400)),
    # POST-only: a GET is refused before anything is looked up.
    "facility-try-terms": (lambda w: {"pk": w.facility_x.pk}, everyone(405, anon=401)),
    # The upload page's actions. The world's file has no column read: those who may map it are told
    # 409 (nothing to map yet); reject, reprocess and the preview are POST-only.
    "upload-mapping": (lambda w: {"pk": w.upload_x.pk}, api(advisor_a=409, client_user_x=409)),
    "upload-mapping-preview": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=401)),
    "upload-reject": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=401)),
    "upload-reprocess": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=401)),
    # The advisors' lists, scoped: anyone else reads an empty list (as other API lists).
    "invitation-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "audit-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    # The access log is the firm's advisors'; those who only read the report are told 403.
    "report-access-log": (lambda w: {"pk": w.report_x.pk}, api(advisor_a=200, client_user_x=403, bank_shared=403)),
    # --- the credit file (issue 16, part 4): the same readers as the download page.
    "credit-document-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "credit-document-detail": (credit_document_of_x, api(advisor_a=200, client_user_x=200, bank_shared=200)),
    "credit-document-download": (credit_document_of_x, api(advisor_a=200, client_user_x=200, bank_shared=200)),
    # --- end of the credit file
    # covenants (issue 16): the facility's advisors and the bank following it read them.
    "facility-covenants": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200, bank_shared=200)),
    "facility-covenant-detail": (covenant_of_x, api(advisor_a=200, bank_shared=200)),
    "facility-covenant-tests": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200, bank_shared=200)),
}
