"""The frame every page lives in: each role's navigation, the current entry, the error pages."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests.conftest import World


def nav_of(user, url: str) -> list[tuple[str, bool]]:
    client = Client()
    client.force_login(user)
    body = client.get(url).content.decode()
    nav = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', body, re.S).group(1)
    return [
        (label, bool(current))
        for current, label in re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav)
    ]


def test_each_role_sees_its_own_navigation(world: World):
    assert [label for label, _ in nav_of(world.advisor_a, reverse("borrowers:client-list"))] == [
        "Home",
        "Dashboard",
        "Clients",
        "Lenders",
        "Exchange rates",
        "Invitations",
        "Audit trail",
        "Firm settings",  # advisor A administers firm A
        "Field exams",
        "Reports",
    ]
    assert "Firm settings" not in [label for label, _ in nav_of(world.advisor_b, reverse("borrowers:client-list"))]
    client_page = reverse("valuation:client-detail", args=[world.client_x.pk])
    assert [label for label, _ in nav_of(world.client_user_x, client_page)] == ["Home", "My company", "Reports"]
    assert [label for label, _ in nav_of(world.bank_shared, reverse("reports:report-list"))] == [
        "Home",
        "Portfolio",
        "Reports",
    ]
    # Field exams: a controller has its exams and nothing else.
    exams = reverse("valuation:exam-list")
    assert [label for label, _ in nav_of(world.controller, exams)] == ["Home", "Field exams"]


def test_the_entry_a_page_sits_under_is_marked_current(world: World):
    client_page = reverse("valuation:client-detail", args=[world.client_x.pk])
    assert [label for label, current in nav_of(world.advisor_a, client_page) if current] == ["Clients"]
    assert [label for label, current in nav_of(world.advisor_a, reverse("valuation:dashboard")) if current] == [
        "Dashboard"
    ]
    assert [label for label, current in nav_of(world.advisor_a, reverse("borrowers:audit-list")) if current] == [
        "Audit trail"
    ]


def test_an_anonymous_visitor_gets_no_navigation_but_the_language_picker(db):
    body = Client().get(reverse("login")).content.decode()
    assert 'class="main-nav"' not in body
    assert 'id="lang-select"' in body


def test_the_not_found_page_uses_the_frame(world: World):
    client = Client()
    client.force_login(world.advisor_b)
    response = client.get(reverse("valuation:client-detail", args=[world.client_x.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert '<main id="main"' in body and "Not found" in body
