"""The collateral-change alert measures against the last approved borrowing base certificate, and
against the previous valuation (saying so) while none was ever approved.

Hand-worked figures of facility_x (eligible / financing):
  - 2026-10-31 (the world's run_x):  3 200 000.00 / 1 600 000.00
  - 2026-11-15:                       2 800 000.00 / 1 400 000.00
  - 2026-11-30 (current):             3 520 000.00 / 1 760 000.00
Against 31 October: +320 000 / 3 200 000 = +10.0 % (eligible) and +160 000 / 1 600 000 = +10.0 %
(financing): within the 20 % threshold. Against 15 November: +720 000 / 2 800 000 = +25.71… %,
shown +25.7 %, and +360 000 / 1 400 000 = +25.7 %: beyond.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from reports import services as report_services
from reports.models import Certification, RenderStatus, ReportKind, ReportVersion
from tests.workspace.conftest import make_run, make_upload
from valuation.engine import alerting as rules
from valuation.models import Alert
from valuation.pipeline import alerting
from valuation.workspace.alert_labels import alert_summary

pytestmark = pytest.mark.django_db

THRESHOLDS = rules.Thresholds(collateral_change_pct=D("20"))


# ------------------------------------------------------------------ pure: no database


def test_the_certificate_replaces_the_previous_run_as_the_basis():
    current = rules.RunFigures(eligible=D("3520000.00"), financing=D("1760000.00"), as_of="2026-11-30")
    previous = rules.RunFigures(eligible=D("2800000.00"), financing=D("1400000.00"), as_of="2026-11-15")
    certified = rules.CertifiedFigures(
        number=4, figures=rules.RunFigures(eligible=D("3200000.00"), financing=D("1600000.00"), as_of="2026-10-31")
    )
    against_certificate = rules.collateral_change(current, previous, THRESHOLDS, certified)
    assert not against_certificate.active
    assert against_certificate.details["basis"] == "certificate"
    assert against_certificate.details["certificate_number"] == 4
    assert against_certificate.details["previous_as_of"] == "2026-10-31"
    assert against_certificate.details["eligible"]["change_pct"] == "10.0"
    assert against_certificate.details["financing"]["change_pct"] == "10.0"

    against_previous = rules.collateral_change(current, previous, THRESHOLDS)
    assert against_previous.active
    assert against_previous.details["basis"] == "previous_run"
    assert "certificate_number" not in against_previous.details
    assert against_previous.details["eligible"]["change_pct"] == "25.7"


def test_a_certificate_at_exactly_the_threshold_does_not_alert():
    # 3 840 000.00 on 3 200 000.00 is +640 000 = exactly +20 %; one cent more is beyond.
    certified = rules.CertifiedFigures(
        number=1, figures=rules.RunFigures(eligible=D("3200000.00"), financing=None, as_of="2026-10-31")
    )
    at = rules.RunFigures(eligible=D("3840000.00"), financing=None)
    beyond = rules.RunFigures(eligible=D("3840000.01"), financing=None)
    assert not rules.collateral_change(at, None, THRESHOLDS, certified).active
    assert rules.collateral_change(beyond, None, THRESHOLDS, certified).active


# ------------------------------------------------------------------ with the database


@pytest.fixture
def months(world):
    """Two more monthly runs of facility_x after the world's run of 31 October."""
    mid = make_run(
        world.facility_x,
        make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 11, 15)),
        eligible_value=D("2800000.00"),
        financing=D("1400000.00"),
    )
    current = make_run(
        world.facility_x,
        make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 11, 30)),
        eligible_value=D("3520000.00"),
        financing=D("1760000.00"),
    )
    return mid, current


def certificate(world, run, number: int, *, certified: bool) -> ReportVersion:
    report = ReportVersion.objects.create(
        run=run,
        facility=world.facility_x,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        number=number,
        title="Borrowing base certificate",
        author=world.advisor_a,
        render_status=RenderStatus.READY,
    )
    if certified:
        Certification.objects.create(
            report=report, signatory_name="Claire Martin", statement="I certify.", certified_by=world.client_user_x
        )
    return report


def collateral_alert(world) -> Alert | None:
    return Alert.objects.filter(facility=world.facility_x, kind="collateral_change").exclude(state="resolved").first()


def test_without_an_approved_certificate_the_previous_run_is_the_basis_and_the_text_says_so(world, months):
    _mid, current = months
    # The world's financing report and an uncertified certificate do not count.
    certificate(world, world.run_x, 1, certified=False)
    assert alerting.certified_run(world.facility_x) is None
    alerting.evaluate_run(current.pk)
    alert = collateral_alert(world)
    assert alert is not None
    assert alert.details["basis"] == "previous_run" and alert.details["previous_as_of"] == "2026-11-15"
    assert alert.details["eligible"] == {
        "previous": "2800000.00",
        "current": "3520000.00",
        "change_pct": "25.7",
        "beyond": True,
    }
    with translation.override("en"):
        text = alert_summary(alert.kind, alert.details)
    assert "no borrowing base certificate has been approved yet" in text
    assert "2026-11-15" in text


def test_the_last_approved_certificate_is_the_basis(world, months):
    mid, current = months
    certificate(world, world.run_x, 1, certified=True)
    # A later certificate not yet certified does not move the basis.
    certificate(world, mid, 2, certified=False)
    assert alerting.certified_run(world.facility_x) == (world.run_x, 1)
    alerting.evaluate_run(current.pk)
    assert collateral_alert(world) is None  # +10.0 % from the certificate of 31 October
    evaluation = rules.collateral_change(
        alerting.run_figures(current), None, THRESHOLDS, alerting._certificate_figures(world.facility_x)
    )
    assert evaluation.details["eligible"]["change_pct"] == "10.0"
    with translation.override("en"):
        text = alert_summary("collateral_change", evaluation.details)
    assert "certificate no. 1" in text and "2026-10-31" in text and "the last approved" in text


def test_certifying_a_newer_certificate_moves_the_basis_at_once(
    world, months, django_capture_on_commit_callbacks, settings
):
    mid, current = months
    certificate(world, world.run_x, 1, certified=True)
    alerting.evaluate_run(current.pk)
    assert collateral_alert(world) is None
    newer = certificate(world, mid, 2, certified=False)
    with django_capture_on_commit_callbacks(execute=True):
        report_services.certify(
            report=newer, by=world.client_user_x, signatory_name="Claire Martin", statement="I certify these figures."
        )
    # Certificate no. 2 showed 15 November: the current run is +25.7 % from it.
    alert = collateral_alert(world)
    assert alert is not None and alert.run_id == current.pk
    assert alert.details["basis"] == "certificate" and alert.details["certificate_number"] == 2
    assert alert.details["financing"]["change_pct"] == "25.7"
