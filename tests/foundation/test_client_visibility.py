"""What a client user sees of its own valuations, on every door: the advisor's switches (key
figures, waterfall, ineligibles) and the sharing of reports decide it for pages, API, exports and
PDFs alike (borrowers.common.access.visibility). Tenancy is test_access_matrix's; this is the next layer.

Every route the client user reaches (expected 200 or 409 in the access matrix) must say here which
gate it is behind, so a new route that serves a client its figures without asking fails the suite.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.foundation.test_access_matrix import MATRIX

# route -> the gate that must be open for the client user to reach it:
#   a part of borrowers.common.access.Visibility ("figures", "waterfall", "ineligibles", "detail": never
#   for a client), "client_share" (a report version the advisor shared with the client), or
#   "partial" (the page opens whatever the switches and shows only what they allow: checked below
#   for the figures themselves), or None (the route shows no valuation figures at all).
GATES: dict[str, str | None] = {
    "health": None,
    "login": None,
    "accept-invitation": None,
    "password_change": None,
    "password_change_done": None,
    "password_reset": None,
    "password_reset_done": None,
    "password_reset_confirm": None,
    "password_reset_complete": None,
    # A borrowing base certificate is the client's own statement, to certify: no sharing gate.
    "reports:report-certify": None,
    "api-schema": None,
    "api-docs": None,
    "api-root": None,
    "api-token-mine": None,
    "client-list": None,
    "client-detail": None,
    "warehouse-list": None,
    "warehouse-detail": None,
    "lender-list": None,
    "facility-list": None,
    "facility-detail": None,
    # The reporting calendar: dates and statuses of deliverables, no valuation figure.
    "facilities:calendar": None,
    "facility-calendar": None,
    "upload-list": None,
    "upload-detail": None,
    # The file's own columns and first rows, for its company's user to map: no valuation figure.
    "upload-mapping": None,
    "invitation-list": None,  # empty for a client user
    "audit-list": None,  # empty for a client user
    "category-list": None,
    "rate-list": None,  # answers with an empty list: the rate table is the advisors' alone
    # Answers a client user with an empty list: appraisals are never the client's (access rule).
    "appraisal-list": None,
    "run-list": "partial",  # answers, holding only the runs whose figures the client may see
    "run-detail": "figures",
    "run-waterfall": "waterfall",
    "run-lines": "detail",
    # The workspace routes: the working material, never a client's (the export and "try terms"
    # are checked in tests/api/test_page_parity.py, which sends what they need).
    "dashboard": "detail",
    "facility-compare": "detail",
    "facility-lines": "detail",
    "report-list": None,
    "report-detail": "client_share",
    "report-pdf": "client_share",
    "valuation:client-detail": "partial",
    "valuation:upload-list": None,
    "valuation:upload-create": None,
    "valuation:upload-detail": "partial",
    "valuation:upload-status": "partial",
    "valuation:run-detail": "figures",
    "valuation:facility-detail": "partial",
    "reports:report-list": None,
    "reports:report-detail": "client_share",
    "reports:report-status": "client_share",
    "reports:report-download": "client_share",
    # A person's own notifications and preferences (only their own rows: tests/ui/test_notifications.py).
    "borrowers:notification-list": None,
    "borrowers:notification-preferences": None,
    # --- the borrower's own certificate (issue 16, part 5): the client reads the figures it sent,
    # never StockPledge's beside them (reports/certificate_views.py), so no switch gates it.
    "reports:borrower-certificates": None,
    "reports:borrower-certificate-new": None,
    "reports:borrower-certificate-detail": None,
    # --- the credit file (issue 16, part 4): documents and their dates, no valuation figure;
    # the advisor's internal documents are kept from the client (tests/credit_file/test_access.py).
    "facilities:credit-file": None,
    "facilities:credit-document-create": None,
    "facilities:credit-document-download": None,
    "credit-document-list": None,
    "credit-document-detail": None,
    "credit-document-download": None,
    # --- end of the credit file
    # --- the roll-forward (issue 16, part 2): the client's own inputs always; book values and the
    # unreconciled amount only under the key-figures switch (tests/rollforward/test_pages.py).
    "valuation:facility-rollforward": None,
    "facility-rollforward": None,
    # covenants (issue 16): the client's own financial statements, which it enters; no valuation figure.
    "facilities:statement-list": None,
    "facilities:statement-create": None,
    "facilities:statement-edit": None,
}

SWITCHES = {
    "figures": "client_sees_figures",
    "waterfall": "client_sees_waterfall",
    "ineligibles": "client_sees_ineligibles",
}


def _client_reaches(route: str) -> bool:
    allowed = MATRIX[route][1]["client_user_x"]
    return bool({200, 409} & (allowed if isinstance(allowed, set) else {allowed}))


def _open_everything(w: World) -> None:
    for switch in SWITCHES.values():
        setattr(w.client_x, switch, True)
    w.client_x.save()


def _get(w: World, route: str, user) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    url = reverse(route, kwargs=MATRIX[route][0](w))
    client = Client()
    client.force_login(user)
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode("utf-8", "replace")


def test_every_route_a_client_reaches_names_its_gate(world: World):
    """A route that answers the client user without a declared gate fails here."""
    reached = {route for route in MATRIX if _client_reaches(route)}
    missing = sorted(reached - set(GATES))
    assert not missing, f"routes a client user reaches with no declared gate: {missing}"
    stale = sorted(set(GATES) - set(MATRIX))
    assert not stale, f"gates declared for routes that no longer exist: {stale}"


GATED = sorted(route for route, gate in GATES.items() if gate not in (None, "partial"))


@pytest.mark.parametrize("route", GATED)
def test_a_closed_gate_answers_the_client_404_and_leaves_the_advisor_alone(route: str, world: World):
    gate = GATES[route]
    _open_everything(world)
    if gate == "detail":
        # No switch opens the working material to a client.
        assert _get(world, route, world.client_user_x)[0] == 404
    else:
        opened, _ = _get(world, route, world.client_user_x)
        assert opened in (200, 409), f"{route} with every switch on answered the client {opened}"
        if gate == "client_share":
            world.report_x.client_shared_at = None
            world.report_x.save()
        else:
            setattr(world.client_x, SWITCHES[gate], False)
            world.client_x.save()
        assert _get(world, route, world.client_user_x)[0] == 404
    assert _get(world, route, world.advisor_a)[0] in (200, 409)


# The world's run: book value 5,000,000.00, eligible 3,200,000.00, financing 1,600,000.00,
# written in any of the layouts a page or the API uses.
def _shows_figure(body: str, units: str) -> bool:
    groups = [units[max(0, i - 3) : i] for i in range(len(units), 0, -3)][::-1]
    separators = r"[\s\u00a0\u202f,.']?"
    return re.search(separators.join(groups), body) is not None


PARTIAL = sorted(route for route, gate in GATES.items() if gate == "partial")


@pytest.mark.parametrize("route", PARTIAL)
def test_pages_that_open_whatever_the_switches_show_no_figure_when_figures_are_off(route: str, world: World):
    _open_everything(world)
    status, body = _get(world, route, world.client_user_x)
    assert status == 200
    if route != "valuation:upload-status":  # the status panel names the runs, not their figures
        assert _shows_figure(body, "1600000"), f"{route} should show the financing when allowed"
    world.client_x.client_sees_figures = False
    world.client_x.client_sees_waterfall = False
    world.client_x.client_sees_ineligibles = False
    world.client_x.save()
    status, body = _get(world, route, world.client_user_x)
    assert status == 200
    for figure in ("5000000", "3200000", "1600000"):
        assert not _shows_figure(body, figure), f"{route} shows {figure} with every switch off"


def test_the_api_run_carries_no_working_material_for_a_client(world: World):
    """The levers, terms and full engine result are the advisors'; the ineligibles by reason follow
    their switch."""
    world.run_x.result = {
        "eligibility": {"by_reason": [{"reason": "obsolete", "amount": "300000.00"}]},
        "levers": [{"reason": "obsolete", "amount_made_eligible": "300000.00", "financing_gain": "150000.00"}],
    }
    world.run_x.terms = {"structure": "pledge_without_dispossession"}
    world.run_x.save()
    _, body = _get(world, "run-detail", world.client_user_x)
    assert '"result":null' in body.replace(" ", "") and '"terms":null' in body.replace(" ", "")
    assert '"ineligibles_by_reason":null' in body.replace(" ", "")
    assert "financing_gain" not in body
    world.client_x.client_sees_ineligibles = True
    world.client_x.save()
    _, body = _get(world, "run-detail", world.client_user_x)
    assert '"reason":"obsolete"' in body.replace(" ", "") and "financing_gain" not in body
    _, body = _get(world, "run-detail", world.advisor_a)
    assert "financing_gain" in body and '"structure":"pledge_without_dispossession"' in body.replace(" ", "")
