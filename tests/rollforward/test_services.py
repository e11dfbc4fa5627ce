"""The roll-forward's services: periods from the stored runs and the entered inputs, the alert
that follows the latest period, the ledger extract and the tolerance, each audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent
from facilities.models import Facility
from tests.rollforward.conftest import APR, FEB, JAN, MAR, add_stock_file
from valuation.engine import rollforward as rf
from valuation.models import Alert, AlertState, RollforwardPeriod, RollforwardSource, UploadStatus
from valuation.pipeline import alerting
from valuation.pipeline import rollforward as services

D = Decimal
pytestmark = pytest.mark.django_db


def enter(facility, by, day, purchases="0", production="0", cogs="0", adjustments="0"):
    return services.save_inputs(
        facility=facility,
        period_end=day,
        purchases=D(purchases),
        production=D(production),
        cost_of_goods_sold=D(cogs),
        adjustments=D(adjustments),
        by=by,
    )


def by_day(facility) -> dict[dt.date, rf.Period]:
    return {row.period.period_end: row.period for row in services.facility_periods(facility)}


def unresolved(facility) -> Alert | None:
    return Alert.objects.filter(facility=facility, kind="rollforward_unreconciled").exclude(state="resolved").first()


def test_three_periods_from_the_stock_files_and_the_entered_inputs(world, facility):
    enter(facility, world.client_user_x, JAN, purchases="5000.00", cogs="4000.00")
    enter(facility, world.client_user_x, FEB, "3000.00", "1200.50", "3700.00", "-50.00")
    enter(facility, world.advisor_a, MAR, purchases="2000.00", cogs="2500.00")
    periods = by_day(facility)
    assert periods[JAN].state == rf.NO_OPENING and periods[JAN].opening is None
    # 10,000.00 + 3,000.00 + 1,200.50 − 3,700.00 − 50.00 = 10,450.50 against 10,450.00.
    assert periods[FEB].unreconciled == D("-0.50") and periods[FEB].state == rf.WITHIN
    # 10,450.00 + 2,000.00 − 2,500.00 = 9,950.00 against 9,800.25.
    assert periods[MAR].unreconciled == D("-149.75") and periods[MAR].state == rf.BEYOND


def test_the_alert_opens_beyond_tolerance_and_resolves_when_corrected(world, facility):
    enter(facility, world.client_user_x, FEB, "3000.00", "1200.50", "3700.00", "-50.00")
    assert unresolved(facility) is None
    enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2500.00")
    alert = unresolved(facility)
    assert alert is not None and alert.state == AlertState.OPEN
    assert alert.details["unreconciled"] == "-149.75" and alert.details["period_end"] == "2024-03-31"
    assert alert.run.as_of == MAR
    # A write-off of 149.75 forgotten: entered, the period reconciles and the alert resolves.
    enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2500.00", adjustments="-149.75")
    assert unresolved(facility) is None
    assert Alert.objects.get(pk=alert.pk).state == AlertState.RESOLVED
    actions = list(
        AuditEvent.objects.filter(object_type="valuation.RollforwardPeriod").values_list("action", flat=True)
    )
    assert actions.count("enter-rollforward") == 3


def test_a_new_stock_file_moves_the_alert_to_the_latest_period(world, facility):
    enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2500.00")
    assert unresolved(facility) is not None
    # April's inputs first; its stock file then reconciles exactly: 9,800.25 + 4,000.00 + 500.00
    # − 2,300.25 = 12,000.00. The pipeline's hook after the run resolves the alert.
    enter(facility, world.client_user_x, APR, "4000.00", "500.00", "2300.25")
    assert unresolved(facility) is not None  # April has no closing yet: March still decides
    run = add_stock_file(world, facility, APR, "12000.00")
    alerting.evaluate_run_safely(run.pk)
    assert unresolved(facility) is None


def test_a_rejected_file_is_no_opening(world, facility):
    rejected = add_stock_file(world, facility, dt.date(2024, 2, 15), "1.00")
    rejected.upload.status = UploadStatus.REJECTED
    rejected.upload.save(update_fields=["status"])
    enter(facility, world.client_user_x, FEB, "3000.00", "1200.50", "3700.00", "-50.00")
    assert by_day(facility)[FEB].opening == D("10000.00")


def test_the_tolerance_is_audited_and_the_alert_follows_it(world, facility):
    enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2500.00")
    assert unresolved(facility) is not None
    # 149.75 is exactly the new amount tolerance: within.
    services.set_tolerance(facility=facility, amount=D("149.75"), pct=D("0"), by=world.advisor_a)
    facility.refresh_from_db()
    assert facility.rollforward_tolerance_amount == D("149.75") and facility.rollforward_tolerance_pct == D("0")
    assert unresolved(facility) is None
    event = AuditEvent.objects.get(action="change-rollforward-tolerance")
    assert event.before == {"rollforward_tolerance_amount": "100.00", "rollforward_tolerance_pct": "1.000"}
    assert event.after == {"rollforward_tolerance_amount": "149.75", "rollforward_tolerance_pct": "0"}
    with pytest.raises(DomainError) as caught:
        services.set_tolerance(facility=facility, amount=D("1"), pct=D("101"), by=world.advisor_a)
    assert caught.value.field == "rollforward_tolerance_pct"


def test_the_defaults_of_a_new_facility(world):
    facility = Facility.objects.create(client=world.client_x, lender=world.lender_a, name="Defaults")
    assert services.tolerance_of(facility) == rf.Tolerance(amount=D("0"), pct=D("0.5"))


def test_bad_inputs_are_refused_naming_the_field(world, facility):
    with pytest.raises(DomainError) as caught:
        enter(facility, world.client_user_x, FEB, purchases="1.005")
    assert caught.value.field == "purchases"
    with pytest.raises(DomainError) as caught:
        enter(facility, world.client_user_x, dt.date.today() + dt.timedelta(days=2), purchases="1")
    assert caught.value.field == "period_end"
    assert not RollforwardPeriod.objects.exists()


LEDGER = (
    "Compte;Libellé;Montant\n607;Achats de marchandises;3 000,00\n713;Production stockée;1 200,50\n"
    ";Coût des ventes;3 700,00\n603;Variation de stocks;-50,00\n626;Frais postaux;12,00\n"
).encode()


def test_a_ledger_extract_fills_the_period_with_its_source(world, facility):
    record = services.import_ledger(
        facility=facility, period_end=FEB, data=LEDGER, filename="gl-feb.csv", by=world.client_user_x
    )
    assert record.source == RollforwardSource.LEDGER
    assert (record.purchases, record.production, record.cost_of_goods_sold, record.adjustments) == (
        D("3000.00"),
        D("1200.50"),
        D("3700.00"),
        D("-50.00"),
    )
    assert record.ledger_ignored == 1 and len(record.ledger_rows) == 4
    assert len(record.ledger_checksum) == 64 and record.ledger_file.read() == LEDGER
    assert by_day(facility)[FEB].unreconciled == D("-0.50")
    assert AuditEvent.objects.filter(action="import-rollforward-ledger").count() == 1
    # Entering by hand afterwards replaces the extract's figures and forgets the file.
    enter(facility, world.advisor_a, FEB, purchases="1.00")
    record.refresh_from_db()
    assert record.source == RollforwardSource.ENTERED and record.ledger_name == "" and record.ledger_rows == []


def test_a_bad_ledger_extract_changes_nothing(world, facility):
    broken = b"Compte;Libelle;Montant\n607;Achats;abc\n"
    with pytest.raises(DomainError) as caught:
        services.import_ledger(facility=facility, period_end=FEB, data=broken, filename="gl.csv", by=world.advisor_a)
    assert caught.value.field == "file" and "Row 2, Montant" in caught.value.message
    assert not RollforwardPeriod.objects.exists()


def test_the_periods_take_two_queries_whatever_their_number(world, facility, django_assert_num_queries):
    for i in range(9):
        day = dt.date(2024 + (4 + i) // 12, (4 + i) % 12 + 1, 1) - dt.timedelta(days=1)  # 30 Apr 2024 on
        add_stock_file(world, facility, day, f"{10000 + i}.00")
        enter(facility, world.advisor_a, day, purchases="1.00")
    with django_assert_num_queries(2):
        rows = services.facility_periods(facility)
    assert len(rows) == 12


def test_an_opened_alert_is_told_to_the_facility_s_advisors(world, facility, django_capture_on_commit_callbacks):
    from borrowers.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2500.00")
    told = Notification.objects.filter(user=world.advisor_a)
    assert told.count() == 1 and "Roll-forward unreconciled" in told.get().title
    # Still beyond after a correction that does not reconcile: the same alert, nobody told again.
    with django_capture_on_commit_callbacks(execute=True):
        enter(facility, world.client_user_x, MAR, purchases="2000.00", cogs="2600.00")
    assert told.count() == 1
