"""The firm administrator sets the jump threshold; a move beyond it flags the new file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from borrowers.models import AuditEvent, Firm

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_firm_administrator_sets_the_jump_threshold_and_it_is_audited(world):
    response = _login(world.advisor_a).post(reverse("borrowers:firm-settings"), {"jump_threshold_pct": "40"})
    assert response.status_code == 302
    assert Firm.objects.get(pk=world.firm_a.pk).jump_threshold_pct == Decimal("40")
    assert AuditEvent.objects.filter(action="update-firm-settings").exists()


def test_a_threshold_of_zero_or_below_is_refused_naming_the_field(world):
    response = _login(world.advisor_a).post(reverse("borrowers:firm-settings"), {"jump_threshold_pct": "0"})
    assert response.status_code == 200
    assert "jump_threshold_pct" in response.context["form"].errors
    assert Firm.objects.get(pk=world.firm_a.pk).jump_threshold_pct == Decimal("25")


def test_other_advisors_and_other_roles_cannot_reach_it(world):
    for user in (world.advisor_b, world.client_user_x, world.bank_shared):
        assert _login(user).get(reverse("borrowers:firm-settings")).status_code == 404
