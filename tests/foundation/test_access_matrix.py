"""Every URL pattern and API route, for every persona: the expected answer.

Routes are enumerated from the resolver, so a new route without an entry here fails the test.
Objects belong to firm A / company X; the report is shared with lender A only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from borrowers.models import Invitation
from tests.conftest import PERSONAS, World

ANON, ADV_A, ADV_B, CX, CY, BANK, BANK_NO = PERSONAS

Expect = dict[str, int | set[int]]


def pages(anon: int = 302, **who: int | set[int]) -> Expect:
    """Web pages: anonymous visitors are sent to log in; everyone not named gets 404."""
    table: Expect = {p: 404 for p in PERSONAS}
    table[ANON] = anon
    table.update(who)
    return table


def api(**who: int) -> Expect:
    """API routes: anonymous callers get 401; everyone not named gets 404."""
    table: Expect = {p: 404 for p in PERSONAS}
    table[ANON] = 401
    table.update(who)
    return table


def everyone(code: int | set[int], anon: int | set[int] | None = None) -> Expect:
    table: Expect = {p: code for p in PERSONAS}
    if anon is not None:
        table[ANON] = anon
    return table


ADVISORS = {ADV_A: 200, ADV_B: 200}
ALL_LOGGED_IN = {p: 200 for p in PERSONAS if p != ANON}


def _invitation_token(w: World) -> dict[str, Any]:
    invitation = Invitation.objects.create(
        firm=w.firm_a, email="new@xylo.test", role="client", client=w.client_x, invited_by=w.advisor_a
    )
    return {"token": invitation.token}


# route name -> (URL kwargs from the world, expected status per persona)
MATRIX: dict[str, tuple[Callable[[World], dict[str, Any]], Expect]] = {
    "home": (lambda w: {}, everyone(302)),
    "health": (lambda w: {}, everyone({200, 503})),
    "login": (lambda w: {}, everyone(200)),
    "logout": (lambda w: {}, everyone(405)),  # log-out is POST only
    "password_reset": (lambda w: {}, everyone(200)),
    "password_reset_done": (lambda w: {}, everyone(200)),
    "password_reset_confirm": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, everyone(200)),
    "password_reset_complete": (lambda w: {}, everyone(200)),
    "accept-invitation": (_invitation_token, everyone(200)),
    "set-language": (lambda w: {}, everyone(405, anon=302)),  # POST only
    "borrowers:client-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:client-create": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:client-detail": (lambda w: {"pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "borrowers:client-edit": (lambda w: {"pk": w.client_x.pk}, pages(advisor_a=200)),
    "borrowers:warehouse-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200)),
    "borrowers:warehouse-edit": (
        lambda w: {"client_pk": w.client_x.pk, "pk": w.warehouse_x.pk},
        pages(advisor_a=200),
    ),
    "borrowers:category-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:category-edit": (lambda w: {"pk": w.category_a.pk}, pages(advisor_a=200)),
    "borrowers:invitation-list": (lambda w: {}, pages(**ADVISORS)),
    "borrowers:audit-list": (lambda w: {}, pages(**ADVISORS)),
    "facilities:lender-list": (lambda w: {}, pages(**ADVISORS)),
    "facilities:lender-edit": (lambda w: {"pk": w.lender_a.pk}, pages(advisor_a=200)),
    "facilities:facility-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200)),
    "facilities:facility-edit": (
        lambda w: {"client_pk": w.client_x.pk, "pk": w.facility_x.pk},
        pages(advisor_a=200),
    ),
    "facilities:facility-detail": (lambda w: {"pk": w.facility_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "reports:report-list": (lambda w: {}, pages(**ALL_LOGGED_IN)),
    "reports:report-detail": (
        lambda w: {"pk": w.report_x.pk},
        pages(advisor_a=200, client_user_x=200, bank_shared=200),
    ),
    "valuation:upload-list": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-create": (lambda w: {"client_pk": w.client_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-detail": (lambda w: {"pk": w.upload_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-status": (lambda w: {"pk": w.upload_x.pk}, pages(advisor_a=200, client_user_x=200)),
    "valuation:upload-mapping": (lambda w: {"pk": w.upload_x.pk}, everyone(405, anon=302)),  # POST only
    "valuation:run-detail": (lambda w: {"pk": w.run_x.pk}, pages(advisor_a=200, client_user_x=200)),
    # API
    "api-schema": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-docs": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "api-root": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "client-detail": (lambda w: {"pk": w.client_x.pk}, api(advisor_a=200, client_user_x=200)),
    "warehouse-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "warehouse-detail": (lambda w: {"pk": w.warehouse_x.pk}, api(advisor_a=200, client_user_x=200)),
    "lender-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "lender-detail": (lambda w: {"pk": w.lender_a.pk}, api(advisor_a=200, bank_shared=200)),
    "facility-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "facility-detail": (lambda w: {"pk": w.facility_x.pk}, api(advisor_a=200, client_user_x=200)),
    "upload-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "upload-detail": (lambda w: {"pk": w.upload_x.pk}, api(advisor_a=200, client_user_x=200)),
    "run-list": (lambda w: {}, api(**ALL_LOGGED_IN)),
    "run-detail": (lambda w: {"pk": w.run_x.pk}, api(advisor_a=200, client_user_x=200)),
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
    from borrowers import access

    never_served_alone = {
        "borrowers.Firm",
        "borrowers.FailedLogin",
        "valuation.StockLine",
        "valuation.ClientMapping",
        "reports.ReportShare",
        "reports.ReportComment",
        "reports.ReportDecision",
        "reports.Certification",
        "reports.ReportAccess",
    }
    assert set(access.rules_cover_all_models()) <= never_served_alone
