"""Every URL pattern and API route, for every persona: the expected answer.

Routes are enumerated from the resolver, so a new route without an entry here fails the test.
Objects belong to firm A / company X; the report is shared with lender A only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PERSONAS, World
from tests.foundation import (
    routes_api,
    routes_borrowers,
    routes_core,
    routes_facilities,
    routes_reports,
    routes_valuation,
)
from tests.foundation.matrix_helpers import ANON, Routes

# route name -> (URL kwargs from the world, expected status per persona), one module per area so
# that each app's routes are decided next to each other.
MATRIX: Routes = {
    **routes_core.ROUTES,
    **routes_borrowers.ROUTES,
    **routes_facilities.ROUTES,
    **routes_valuation.ROUTES,
    **routes_reports.ROUTES,
    **routes_api.ROUTES,
}


def iter_route_names(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin is covered by test_admin_is_for_staff_only
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from iter_route_names(pattern, namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{prefix}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>"


def test_every_route_has_an_entry():
    """A route added without deciding who may reach it fails here."""
    routes = set(iter_route_names())
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"routes with no access-matrix entry: {missing}"
    stale = sorted(set(MATRIX) - routes)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_answers_each_persona_as_expected(route: str, world: World):
    kwargs_of, expected = MATRIX[route]
    url = reverse(route, kwargs=kwargs_of(world))
    failures = []
    for persona in PERSONAS:
        client = Client()
        user = world.persona(persona)
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        allowed = expected[persona]
        allowed = allowed if isinstance(allowed, set) else {allowed}
        if response.status_code not in allowed:
            failures.append(f"{persona}: got {response.status_code}, expected {allowed}")
        if response.status_code == 302 and persona == ANON and route != "home":
            assert response["Location"].startswith(reverse(settings.LOGIN_URL)), route
    assert not failures, f"{route} ({url}): " + "; ".join(failures)


def test_admin_is_for_staff_only(world: World):
    """No role reaches the admin; only staff (operators) do."""
    for persona in PERSONAS:
        client = Client()
        user = world.persona(persona)
        if user is not None:
            client.force_login(user)
        for url in ("/admin/", "/admin/borrowers/clientcompany/", "/admin/facilities/facility/"):
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (persona, url)


def test_every_project_model_has_an_access_rule():
    """The access module fails closed, but a served model without a rule would be invisible to all;
    models that are never served on their own are listed here on purpose."""
    from borrowers.common import access

    never_served_alone = {
        "borrowers.Firm",
        "borrowers.FailedLogin",
        "valuation.StockLine",
        "valuation.ClientMapping",
        "valuation.UploadFingerprint",
        "reports.ReportShare",
        "reports.ReportComment",
        "reports.ReportDecision",
        "reports.Certification",
        "reports.ReportAccess",
    }
    assert set(access.rules_cover_all_models()) <= never_served_alone
