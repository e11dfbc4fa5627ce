"""Access-matrix entries for valuation (uploads, runs).

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from borrowers.models import ExchangeRate
from tests.conftest import World
from tests.foundation.matrix_helpers import (
    ADVISORS,
    Routes,
    everyone,
    pages,
)


def _rate_a(w) -> dict:
    """A rate of firm A's table (made once per world)."""
    rate, _ = ExchangeRate.objects.get_or_create(
        firm=w.firm_a, day=dt.date(2026, 11, 27), base="EUR", quote="USD", defaults={"rate": Decimal("1.0842")}
    )
    return {"pk": rate.pk}


def _alert_x(w) -> dict:
    """An open alert on facility_x (made once per world)."""
    from valuation.models import Alert

    alert, _ = Alert.objects.get_or_create(facility=w.facility_x, kind="collateral_change")
    return {"pk": alert.pk}


def _covenant_test_of_x(w) -> dict:
    """A breached test of a covenant of the world's facility, on its run (covenants, issue 16)."""
    from tests.foundation.routes_facilities import covenant_of_x
    from valuation.models import CovenantTest

    kwargs = covenant_of_x(w)
    test, _created = CovenantTest.objects.get_or_create(
        covenant_id=kwargs["covenant_pk"],
        test_date=w.run_x.as_of,
        defaults={
            "facility": w.facility_x,
            "as_of": w.run_x.as_of,
            "value": Decimal("80"),
            "threshold": Decimal("70"),
            "direction": "max",
            "headroom_pct": Decimal("10"),
            "raw_state": "breached",
            "run": w.run_x,
        },
    )
    return {"pk": w.facility_x.pk, "test_pk": test.pk}


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
    # A bank's page of a facility it follows (a report shared with its lender); the others have the dossier.
    "valuation:bank-facility": (lambda w: {"pk": w.facility_x.pk}, pages(bank_shared=200)),
    # The firm's rate table is its advisors' alone; each firm sees only its own rates.
    "valuation:rate-list": (lambda w: {}, pages(**ADVISORS)),
    "valuation:rate-edit": (_rate_a, pages(advisor_a=200)),
    "valuation:rate-import": (lambda w: {}, pages(**ADVISORS)),
    "valuation:reporting-currency": (lambda w: {}, pages(advisor_a=405, advisor_b=405)),  # POST only
    # Alerts: the facility's advisors work them, the bank following it reads them (bank_unshared: 404).
    "valuation:facility-alerts": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, bank_shared=200)),
    "valuation:facility-alert-thresholds": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:alert-acknowledge": (_alert_x, pages(advisor_a=405, advisor_b=405)),  # POST only
    "valuation:alert-resolve": (_alert_x, pages(advisor_a=405, advisor_b=405)),  # POST only
    "valuation:alert-thresholds": (lambda w: {}, pages(**ADVISORS)),
    # Bank users only; a bank nobody shared with sees an empty portfolio.
    "valuation:bank-portfolio": (lambda w: {}, pages(bank_shared=200, bank_unshared=200)),
    # roll-forward (issue 16): the facility's advisors and its client's users enter the periods
    # (the bank reads them on bank-facility); posting is tests/rollforward/test_pages.py's.
    "valuation:facility-rollforward": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:facility-rollforward-inputs": (
        lambda w: {"pk": w.facility_x.pk},
        pages(advisor_a=405, client_user_x=405),
    ),  # POST only
    "valuation:facility-rollforward-ledger": (
        lambda w: {"pk": w.facility_x.pk},
        pages(advisor_a=405, client_user_x=405),
    ),  # POST only
    "valuation:facility-rollforward-tolerance": (
        lambda w: {"pk": w.facility_x.pk},
        pages(advisor_a=405),
    ),  # POST only, the facility's advisors only
    # end of roll-forward (issue 16)
    # covenants (issue 16): the advisor's covenant page; the bank's waiver is POST-only (405 on a
    # GET for anyone logged in, before any facility is looked at).
    "valuation:facility-covenants": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200)),
    "valuation:bank-covenant-waive": (
        _covenant_test_of_x,
        # POST only: a GET is refused before anything is looked up, whoever asks.
        everyone(405, anon=302),
    ),
    # -- field exams (issue 16): the assigned controller and the firm's advisors; nobody else.
    "valuation:exam-list": (
        lambda w: {},
        pages(advisor_a=200, advisor_b=200, controller=200, controller_unassigned=200),
    ),
    "valuation:exam-plan": (lambda w: {"pk": w.facility_x.pk}, pages(controller=200)),
    "valuation:exam-detail": (lambda w: {"pk": _exam_x(w).pk}, pages(advisor_a=200, controller=200)),
    "valuation:exam-count": (lambda w: _exam_line_x(w), pages(advisor_a=200, controller=200)),
    # POST only: a role that may act is told 405 on a GET, anyone else 404.
    "valuation:exam-submit": (
        lambda w: {"pk": _exam_x(w).pk},
        pages(advisor_a=405, advisor_b=405, controller=405, controller_unassigned=405),
    ),
    "valuation:exam-accept": (lambda w: {"pk": _exam_x(w).pk}, pages(advisor_a=405, advisor_b=405)),
    "valuation:exam-reject": (lambda w: {"pk": _exam_x(w).pk}, pages(advisor_a=405, advisor_b=405)),
    "valuation:exam-finding-decide": (
        lambda w: {"pk": _exam_x(w).lines.get().findings.get().pk},
        pages(advisor_a=405, advisor_b=405),
    ),
    "valuation:exam-finding-withdraw": (
        lambda w: {"pk": _exam_x(w).lines.get().findings.get().pk},
        pages(advisor_a=405, advisor_b=405),
    ),  # POST only (line exclusions, issue 16)
    "valuation:exam-photo": (
        lambda w: {"pk": _exam_x(w).lines.get().photos.get().pk},
        pages(advisor_a=200, controller=200),
    ),
    # -- end of field exams
}


# -- field exams (issue 16)
def _exam_x(w: World):  # type: ignore[no-untyped-def]
    """An exam of facility_x by the assigned controller: one line, one finding, one photo."""
    from tests.field_exams.helpers import make_exam

    return make_exam(w)


def _exam_line_x(w: World) -> dict[str, int]:
    exam = _exam_x(w)
    return {"pk": exam.pk, "line_pk": exam.lines.get().pk}


# -- end of field exams
