"""Stateful alerts: open → acknowledged with a note → resolved by the system or an advisor; a
condition coming back opens a new alert; every change leaves a history row and an audit entry.
The pages and who may use them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent
from tests.conftest import World
from valuation.models import Alert, AlertEvent, AlertThresholds
from valuation.pipeline import alerting
from valuation.workspace import alert_services

pytestmark = pytest.mark.django_db


def _history(alert: Alert) -> list[tuple[str, str, str | None, str]]:
    return [
        (e.from_state, e.to_state, e.by.email if e.by else None, e.note)
        for e in AlertEvent.objects.filter(alert=alert).select_related("by")
    ]


def test_open_acknowledge_then_auto_resolve_then_reopen(world: World):
    f = world.facility_x
    alert = alerting.raise_or_resolve(f, "ltv_above_cap", True, {"ltv_pct": "61"}, run=world.run_x)
    assert alert.state == "open" and alert.run == world.run_x
    # Still true at the next valuation: the same alert, its details refreshed, no new history.
    again = alerting.raise_or_resolve(f, "ltv_above_cap", True, {"ltv_pct": "62"})
    assert again.pk == alert.pk and again.details == {"ltv_pct": "62"}
    alert_services.acknowledge_alert(alert=alert, by=world.advisor_a, note="Client is selling the old stock")
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == world.advisor_a
    assert alert.acknowledged_note == "Client is selling the old stock"
    # The condition goes away: resolved by the system.
    alerting.raise_or_resolve(f, "ltv_above_cap", False, {})
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_by is None and alert.resolved_at is not None
    # Nothing to resolve twice.
    assert alerting.raise_or_resolve(f, "ltv_above_cap", False, {}) is None
    # It comes back: a new alert; the old one keeps its history.
    reopened = alerting.raise_or_resolve(f, "ltv_above_cap", True, {"ltv_pct": "70"})
    assert reopened.pk != alert.pk and reopened.state == "open"
    assert _history(alert) == [
        ("", "open", None, ""),
        ("open", "acknowledged", "advisor@alpha.test", "Client is selling the old stock"),
        ("acknowledged", "resolved", None, ""),
    ]
    assert _history(reopened) == [("", "open", None, "")]
    actions = list(
        AuditEvent.objects.filter(object_type="valuation.Alert", object_id=str(alert.pk)).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["acknowledge-alert", "auto-resolve-alert", "open-alert"]


def test_resolve_by_an_advisor_needs_a_note(world: World):
    alert = alerting.raise_or_resolve(world.facility_x, "site_concentration", True, {})
    with pytest.raises(DomainError):
        alert_services.resolve_alert(alert=alert, by=world.advisor_a, note="   ")
    alert_services.resolve_alert(alert=alert, by=world.advisor_a, note="Second site declared")
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.resolved_note) == (
        "resolved",
        world.advisor_a,
        "Second site declared",
    )
    with pytest.raises(DomainError):
        alert_services.acknowledge_alert(alert=alert, by=world.advisor_a, note="late")


def test_one_unresolved_alert_per_facility_and_kind(world: World):
    Alert.objects.create(facility=world.facility_x, kind="book_value_jump")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(facility=world.facility_x, kind="book_value_jump", state="acknowledged")
    Alert.objects.create(facility=world.facility_x, kind="book_value_jump", state="resolved")  # history is fine


def test_late_deliverable_hook_and_unknown_kind(world: World):
    alert = alerting.raise_or_resolve(world.facility_x, "late_deliverable", True, {"summary": "November file late"})
    assert alert.kind == "late_deliverable"
    with pytest.raises(ValueError):
        alerting.raise_or_resolve(world.facility_x, "weather", True, {})


def test_thresholds_override_then_firm_then_defaults(world: World):
    f = world.facility_x
    assert alerting.thresholds_for(f).collateral_change_pct == Decimal("20")  # the default
    AlertThresholds.objects.create(firm=world.firm_a, collateral_change_pct=Decimal("12.5"))
    assert alerting.thresholds_for(f).collateral_change_pct == Decimal("12.5")
    AlertThresholds.objects.create(firm=world.firm_a, facility=f, collateral_change_pct=Decimal("7"))
    assert alerting.thresholds_for(f).collateral_change_pct == Decimal("7")
    # Another firm's thresholds never apply.
    AlertThresholds.objects.create(firm=world.firm_b, collateral_change_pct=Decimal("1"))
    assert alerting.thresholds_for(f).collateral_change_pct == Decimal("7")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_facility_alerts_page_and_actions(world: World):
    alert = alerting.raise_or_resolve(world.facility_x, "expired_appraisal", True, {"expiry_date": "2026-11-30"})
    url = reverse("valuation:facility-alerts", args=[world.facility_x.pk])
    advisor = _client(world.advisor_a)
    page = advisor.get(url).content.decode()
    assert "Expired appraisal" in page and "The appraisal expired on 2026-11-30." in page
    assert reverse("valuation:alert-acknowledge", args=[alert.pk]) in page
    # A note is required: an empty one changes nothing and is no error page.
    response = advisor.post(reverse("valuation:alert-acknowledge", args=[alert.pk]), {"note": ""})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "open"
    advisor.post(reverse("valuation:alert-acknowledge", args=[alert.pk]), {"note": "New appraisal ordered"})
    alert.refresh_from_db()
    assert alert.state == "acknowledged"
    advisor.post(reverse("valuation:alert-resolve", args=[alert.pk]), {"note": "Appraisal received"})
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_note == "Appraisal received"
    # The bank following the facility reads the page with its history, and cannot act.
    bank_page = _client(world.bank_shared).get(url).content.decode()
    assert "Appraisal received" in bank_page and "New appraisal ordered" in bank_page
    assert reverse("valuation:alert-resolve", args=[alert.pk]) not in bank_page
    other = alerting.raise_or_resolve(world.facility_x, "rotation_slowdown", True, {})
    for user in (world.bank_shared, world.advisor_b, world.client_user_x):
        response = _client(user).post(reverse("valuation:alert-resolve", args=[other.pk]), {"note": "x"})
        assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == "open"
    assert _client(world.bank_unshared).get(url).status_code == 404


def test_the_dossier_shows_open_alerts_to_advisors_only(world: World):
    alerting.raise_or_resolve(
        world.facility_x,
        "site_concentration",
        True,
        {"holder": "W01", "share_pct": "81.0", "threshold_pct": "60"},
    )
    url = reverse("valuation:facility-detail", args=[world.facility_x.pk])
    page = _client(world.advisor_a).get(url).content.decode()
    assert 'id="open-alerts"' in page and "W01 holds 81% of eligible stock; alert above 60%." in page
    assert 'id="open-alerts"' not in _client(world.client_user_x).get(url).content.decode()


def test_thresholds_pages_validate_and_save(world: World):
    advisor = _client(world.advisor_a)
    url = reverse("valuation:alert-thresholds")
    assert "20" in advisor.get(url).content.decode()  # the default collateral change
    fields = {
        "collateral_change_pct": "15",
        "ltv_max_pct": "",
        "rotation_slowdown_days": "10",
        "site_concentration_pct": "75",
        "category_concentration_pct": "80",
        "sku_concentration_pct": "50",
    }
    bad = advisor.post(url, {**fields, "site_concentration_pct": "150", "collateral_change_pct": "abc"})
    assert bad.status_code == 200 and not AlertThresholds.objects.exists()
    assert advisor.post(url, fields).status_code == 302
    firm = AlertThresholds.objects.get(firm=world.firm_a, facility=None)
    assert firm.collateral_change_pct == Decimal("15") and firm.ltv_max_pct is None
    # The override form starts from the firm's, and saving gives the facility its own.
    f_url = reverse("valuation:facility-alert-thresholds", args=[world.facility_x.pk])
    assert 'value="15' in advisor.get(f_url).content.decode()
    assert advisor.post(f_url, {**fields, "ltv_max_pct": "65"}).status_code == 302
    override = AlertThresholds.objects.get(facility=world.facility_x)
    assert override.ltv_max_pct == Decimal("65") and override.firm == world.firm_a
    assert alerting.thresholds_for(world.facility_x).ltv_max_pct == Decimal("65")
    advisor.post(f_url, {"remove": "1"})
    assert not AlertThresholds.objects.filter(facility=world.facility_x).exists()
    assert AuditEvent.objects.filter(action="save-alert-thresholds").count() == 2
