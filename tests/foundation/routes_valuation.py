"""Access-matrix entries for valuation (uploads, runs).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    Routes,
    everyone,
    pages,
)

ROUTES: Routes = {
    "valuation:upload-list": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-detail": (lambda w: {"pk": w.upload_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-status": (lambda w: {"pk": w.upload_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-mapping": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=302)),  # POST only
    "valuation:upload-mapping-preview": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=302)),  # POST only
    "valuation:upload-reject": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=302)),  # POST only
    # POST only; who may post (the firm's advisors alone) is tests/workspace/test_sites.py's.
    "valuation:upload-accept-site": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=302)),
    "valuation:run-detail": (lambda w: {"pk": w.run_x.pk}, pages(advisor_a=200, client_user_x=200)),
}
