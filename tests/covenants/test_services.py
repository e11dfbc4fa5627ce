"""Covenant tests after a valuation and after a statement, the breach alert, the bank's waiver
with its expiry, and the audit of every change of a threshold or a waiver.

The pipeline's GOOD_CSV (tests/pipeline/conftest.py) values facility_x at 2026-11-15 with
financing 3,757,906.65 and nothing outstanding: availability 3,757,906.65.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from borrowers.models import AuditEvent, Notification
from facilities import covenant_services
from facilities.models import Covenant, CovenantRevision
from valuation.models import Alert, CovenantTest, CovenantWaiver
from valuation.pipeline import covenants as services

pytestmark = pytest.mark.django_db


def _breach_alert(world):
    return Alert.objects.filter(facility=world.facility_x, kind="covenant_breach").exclude(state="resolved").first()


def test_a_completed_valuation_tests_the_run_covenants_and_a_breach_raises_the_alert(world, add_covenant, upload_csv):
    """Minimum availability 4,000,000: 3,757,906.65 is short, breached. Maximum days of stock has
    no figure in the file (no cost of sales): not testable, no alert of its own."""
    covenant = add_covenant("availability", "4000000", frequency="quarterly", headroom_pct=D("10"))
    days = add_covenant("days_of_stock", "120", frequency="monthly")
    upload = upload_csv(world)
    run = upload.runs.get(facility=world.facility_x)
    test = CovenantTest.objects.get(covenant=covenant)
    assert test.test_date == dt.date(2026, 12, 31)  # the quarter containing 15 November
    assert test.as_of == dt.date(2026, 11, 15)
    assert test.value == D("3757906.65")
    assert test.raw_state == "breached"
    assert test.run == run and test.statement is None
    assert test.threshold == D("4000000") and test.direction == "min"
    assert CovenantTest.objects.get(covenant=days, test_date=dt.date(2026, 11, 30)).raw_state == "not_testable"
    alert = _breach_alert(world)
    assert alert is not None and alert.run == run
    # Opened, it is notified to the facility's advisors and the bank following it.
    told = Notification.objects.filter(kind="alert_raised", subject_key=f"alert:{alert.pk}:opened")
    assert set(told.values_list("user__email", flat=True)) >= {world.advisor_a.email, world.bank_shared.email}
    assert "Minimum availability (2026-12-31): 3,757,906.65" in told.first().body
    assert alert.details["breaches"][0]["value"] == "3757906.6500000000"
    assert alert.details["breaches"][0]["test_date"] == "2026-12-31"


def test_inside_the_headroom_is_at_risk_and_raises_no_alert(world, add_covenant, upload_csv):
    """Minimum availability 3,500,000 with 10 % headroom: margin 350,000, at risk below 3,850,000;
    3,757,906.65 complies but is at risk."""
    covenant = add_covenant("availability", "3500000", headroom_pct=D("10"))
    upload_csv(world)
    assert CovenantTest.objects.get(covenant=covenant).raw_state == "at_risk"
    assert _breach_alert(world) is None
    assert services.state_counts([world.facility_x]) == {"breached": 0, "at_risk": 1}


def test_pledge_cover_from_a_valuation(world, add_covenant, upload_csv):
    """Facility X commits to a guarantee of 5,000,000.00: pledge cover = mobilisable (eligible)
    7,515,813.30 ÷ 5,000,000.00 × 100 = 150.316266 %. At least 150 % with 10 % headroom (margin
    15 points, at risk below 165 %): at risk."""
    world.facility_x.pledged_guarantee = D("5000000.00")
    world.facility_x.save()
    covenant = add_covenant("pledge_cover", "150", headroom_pct=D("10"))
    upload_csv(world)
    test = CovenantTest.objects.get(covenant=covenant, as_of=dt.date(2026, 11, 15))
    assert (test.value, test.raw_state) == (D("150.316266"), "at_risk")


def test_a_statement_tests_the_statement_covenants_and_a_correction_resolves_the_alert(
    world, add_covenant, enter_statement
):
    """Maximum debt ÷ TNW 3.5 (10 %: at risk above 3.15). 6,000,000 ÷ 1,500,000 = 4: breached.
    Corrected to TNW 2,000,000: 3, met; the alert resolves by itself."""
    covenant = add_covenant("debt_to_tnw", "3.5", frequency="yearly", headroom_pct=D("10"))
    assert covenant.direction == "max"  # implied by the metric
    statement = enter_statement(dt.date(2025, 12, 31), total_debt="6000000.00", tangible_net_worth="1500000.00")
    test = CovenantTest.objects.get(covenant=covenant)
    assert (test.test_date, test.value, test.raw_state) == (dt.date(2025, 12, 31), D("4"), "breached")
    assert test.statement == statement and test.run is None
    assert test.details["inputs"] == {"tangible_net_worth": "1500000.00", "total_debt": "6000000.00"}
    assert _breach_alert(world) is not None

    enter_statement(dt.date(2025, 12, 31), total_debt="6000000.00", tangible_net_worth="2000000.00")
    test.refresh_from_db()
    assert (test.value, test.raw_state) == (D("3"), "met")
    assert _breach_alert(world) is None
    assert Alert.objects.filter(facility=world.facility_x, kind="covenant_breach", state="resolved").count() == 1


def test_a_formula_covenant_and_a_division_by_zero(world, add_covenant, enter_statement):
    """(total_debt − cash) ÷ ebitda at most 4: (5,000,000 − 600,000) ÷ 1,100,000 = 4, exactly at
    the threshold: complies (no headroom: met). With ebitda 0: not testable."""
    covenant = add_covenant(
        "formula", "4", formula="(total_debt - cash) / ebitda", direction="max", headroom_pct=D("0")
    )
    enter_statement(dt.date(2026, 3, 31), total_debt="5000000", cash="600000", ebitda="1100000")
    test = CovenantTest.objects.get(covenant=covenant)
    assert (test.value, test.raw_state) == (D("4"), "met")
    enter_statement(dt.date(2026, 6, 30), total_debt="5000000", cash="600000", ebitda="0")
    test = CovenantTest.objects.get(covenant=covenant, test_date=dt.date(2026, 6, 30))
    assert test.value is None and test.raw_state == "not_testable" and test.details["division_by_zero"]


def test_a_formula_must_parse_and_a_direction_be_chosen(world):
    bad = Covenant(
        facility=world.facility_x, metric="formula", threshold=D(1), formula="__import__('os')", direction="max"
    )
    with pytest.raises(ValidationError) as error:
        covenant_services.save_covenant(by=world.advisor_a, covenant=bad)
    assert "formula" in error.value.message_dict
    undirected = Covenant(facility=world.facility_x, metric="formula", threshold=D(1), formula="a / b")
    with pytest.raises(ValidationError) as error:
        covenant_services.save_covenant(by=world.advisor_a, covenant=undirected)
    assert "direction" in error.value.message_dict
    stray = Covenant(facility=world.facility_x, metric="ltv", threshold=D(70), formula="a")
    with pytest.raises(ValidationError):
        covenant_services.save_covenant(by=world.advisor_a, covenant=stray)


def test_a_change_of_threshold_is_audited_and_kept_as_a_revision(world, add_covenant):
    covenant = add_covenant("ltv", "70")
    covenant.threshold = D("65")
    covenant_services.save_covenant(by=world.advisor_a, covenant=covenant)
    covenant.notes = "per amendment 2"
    covenant_services.save_covenant(by=world.advisor_a, covenant=covenant)  # no term changed: no revision
    revisions = list(
        CovenantRevision.objects.filter(covenant=covenant).order_by("id").values_list("threshold", flat=True)
    )
    assert revisions == [D("70"), D("65")]
    events = AuditEvent.objects.filter(object_type="facilities.Covenant", object_id=str(covenant.pk)).order_by("id")
    assert [e.action for e in events] == ["create-covenant", "update-covenant", "update-covenant"]
    assert events[1].before["threshold"] == "70.0000" and events[1].after["threshold"] == "65.0000"
    assert events[1].actor == world.advisor_a


def _breached_test(world, add_covenant, enter_statement):
    covenant = add_covenant("tangible_net_worth", "2000000", frequency="yearly")
    enter_statement(dt.date(2025, 12, 31), tangible_net_worth="1500000")
    return CovenantTest.objects.get(covenant=covenant)


def test_the_bank_waives_a_breach_until_its_expiry_then_the_breach_is_back(world, add_covenant, enter_statement):
    test = _breached_test(world, add_covenant, enter_statement)
    assert _breach_alert(world) is not None
    today = timezone.localdate()
    expiry = today + dt.timedelta(days=30)
    waiver = services.waive_test(by=world.bank_shared, test=test, reason="Equity injection agreed", expires_on=expiry)
    assert services.state_of(test, today) == "waived"
    assert services.state_of(test, expiry) == "waived"  # the last day still waives
    assert services.state_of(test, expiry + dt.timedelta(days=1)) == "breached"
    assert _breach_alert(world) is None  # the waived breach no longer alerts
    event = AuditEvent.objects.get(action="waive-covenant-test")
    assert event.actor == world.bank_shared
    assert event.after == {
        "test": test.pk,
        "test_date": "2025-12-31",
        "expires_on": expiry.isoformat(),
        "reason": "Equity injection agreed",
    }
    # The day after the expiry, the daily sweep raises the alert again.
    assert services.sweep_expired_waivers(today=expiry + dt.timedelta(days=1)) == 1
    assert _breach_alert(world) is not None
    # A new waiver is kept with the old one (the history), and audited with what it replaced.
    services.waive_test(by=world.bank_shared, test=test, reason="Extended", expires_on=expiry)
    assert CovenantWaiver.objects.filter(test=test).count() == 2
    second = AuditEvent.objects.filter(action="waive-covenant-test").order_by("id").last()
    assert second.before["reason"] == "Equity injection agreed"
    assert waiver.by == world.bank_shared


def test_only_a_bank_following_the_facility_waives_and_only_a_failing_test(world, add_covenant, enter_statement):
    test = _breached_test(world, add_covenant, enter_statement)
    later = timezone.localdate() + dt.timedelta(days=10)
    for who in (world.advisor_a, world.bank_unshared, world.client_user_x):
        with pytest.raises(ValidationError):
            services.waive_test(by=who, test=test, reason="r", expires_on=later)
    with pytest.raises(ValidationError) as error:
        services.waive_test(
            by=world.bank_shared, test=test, reason="r", expires_on=timezone.localdate() - dt.timedelta(days=1)
        )
    assert "expires_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.waive_test(by=world.bank_shared, test=test, reason="  ", expires_on=later)
    assert "reason" in error.value.message_dict
    test.raw_state = "met"
    test.save()
    with pytest.raises(ValidationError):
        services.waive_test(by=world.bank_shared, test=test, reason="r", expires_on=later)
    assert not CovenantWaiver.objects.exists()


def test_a_later_change_of_threshold_does_not_rewrite_a_past_test(
    world, add_covenant, enter_statement, django_capture_on_commit_callbacks
):
    """TNW at least 2,000,000, 1,500,000 at 2025-12-31: breached. The threshold lowered to
    1,000,000 leaves that test as it was; the next year's statement is tested under 1,000,000."""
    test = _breached_test(world, add_covenant, enter_statement)
    covenant = test.covenant
    covenant.threshold = D("1000000")
    with django_capture_on_commit_callbacks(execute=True):
        covenant_services.save_covenant(by=world.advisor_a, covenant=covenant)
    test.refresh_from_db()
    assert (test.threshold, test.raw_state) == (D("2000000.0000"), "breached")
    enter_statement(dt.date(2026, 6, 30), tangible_net_worth="1500000")
    new = CovenantTest.objects.get(covenant=covenant, test_date=dt.date(2026, 12, 31))
    assert (new.threshold, new.raw_state) == (D("1000000.0000"), "met")
    # Correcting the older statement tests it again (the figures changed, not the terms).
    enter_statement(dt.date(2025, 12, 31), tangible_net_worth="2500000")
    test.refresh_from_db()
    assert (test.value, test.threshold, test.raw_state) == (D("2500000"), D("1000000.0000"), "met")


def test_statement_lines_are_checked(world):
    for lines, field in (
        ({"Total Debt": "1"}, "lines"),
        ({"total_debt": "abc"}, "lines"),
        ({"total_debt": "1.005"}, "lines"),
        ({}, "lines"),
    ):
        with pytest.raises(ValidationError) as error:
            covenant_services.save_statement(
                by=world.client_user_x, facility=world.facility_x, period_end=dt.date(2026, 1, 31), lines=lines
            )
        assert field in error.value.message_dict


def test_a_statement_file_of_name_amount_rows():
    content = b"name;amount\ntotal_debt;6000000.00\nTangible_Net_Worth;1 500 000,00\n"
    with pytest.raises(ValidationError):
        covenant_services.read_statement_file(content)  # "1 500 000,00": a comma decimal is refused
    rows = covenant_services.read_statement_file(b"name;amount\ntotal_debt;6000000.00\nTangible_Net_Worth;1500000\n")
    assert rows == {"total_debt": D("6000000.00"), "tangible_net_worth": D("1500000")}


def test_the_alert_says_which_covenant_is_breached(world, add_covenant, enter_statement):
    from django.utils import translation

    from valuation.workspace.alert_labels import alert_summary

    _breached_test(world, add_covenant, enter_statement)
    alert = _breach_alert(world)
    with translation.override("en"):
        text = alert_summary(alert.kind, alert.details)
    assert text == "Covenant breached: Minimum tangible net worth at 2025-12-31: 1,500,000.00 against ≥ 2,000,000.00."


def test_a_figure_too_large_to_keep_is_not_testable(world, add_covenant, enter_statement):
    """1e400 × a is a valid formula but no figure a test can hold: not testable, never a crash;
    a long quotient (1 ÷ 3) is kept to 10 places after being compared exactly."""
    huge = add_covenant("formula", "1", formula="1e400 * a", direction="max", headroom_pct=D("0"))
    third = add_covenant("formula", "0.3333333333", formula="a / 3", direction="max", headroom_pct=D("0"))
    enter_statement(dt.date(2026, 3, 31), a="1")
    test = CovenantTest.objects.get(covenant=huge)
    assert test.value is None and test.raw_state == "not_testable" and test.details["out_of_range"]
    # 0.33333…(28 digits) > 0.3333333333: breached, though it is stored as 0.3333333333.
    test = CovenantTest.objects.get(covenant=third)
    assert (test.value, test.raw_state) == (D("0.3333333333"), "breached")
