"""The client page: the advisor's view of a company, and the client user's own company page
with the summary of their dossier as the advisor chose to show it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from borrowers.common import audit
from borrowers.models import Invitation
from facilities.models import Facility, Structure
from tests.workspace.conftest import make_run, make_upload

pytestmark = pytest.mark.django_db

RESULT = {
    "eligibility": {
        "book_value": "5000000.00",
        "eligible": "3200000.00",
        "by_reason": [
            {"reason": "retention_of_title", "amount": "400000.00"},
            {"reason": "not_owned", "amount": "100000.00"},
            {"reason": "obsolete", "amount": "300000.00"},
            {"reason": "wip", "amount": "1000000.00"},
        ],
    },
    "liquidation": {"eligible_liquidation_value": "2500000.00"},
    "financing": {"financing": "1600000.00", "pledge": {"committed_guarantee": "2400000.00"}},
}


def _url(world) -> str:
    return reverse("valuation:client-detail", args=[world.client_x.pk])


def test_client_users_land_on_their_company_page(client, world):
    client.force_login(world.client_user_x)
    response = client.get(reverse("home"))
    assert response.url == _url(world)


def test_advisor_sees_facts_terms_users_uploads_and_audit(client, world):
    Invitation.objects.create(
        firm=world.firm_a, email="buyer@xylo.test", role="client", client=world.client_x, invited_by=world.advisor_a
    )
    audit.record(
        actor=world.advisor_a, action="update", instance=world.client_x, before={"sector": ""}, after={"sector": "Toys"}
    )
    client.force_login(world.advisor_a)
    html = client.get(_url(world)).content.decode()
    assert "Confidential: CFO leaving in March" in html  # advisor notes, advisors only
    assert "Lyon" in html  # warehouse
    assert reverse("valuation:facility-detail", args=[world.facility_x.pk]) in html
    assert "fungibility" in html and "75%" in html and "150%" in html  # the pledge's key terms
    assert "€1,600,000.00" in html  # current financing
    assert "cfo@xylo.test" in html and "buyer@xylo.test" in html  # user and pending invitation
    assert f"{reverse('borrowers:invitation-list')}?client={world.client_x.pk}" in html
    assert "stock.csv" in html  # latest uploads
    assert "Toys" in html  # audit trail
    assert "Financing report #1" in html  # issued reports


def test_client_user_sees_the_figures_the_advisor_chose(client, world):
    world.run_x.result = RESULT
    world.run_x.save()
    client.force_login(world.client_user_x)
    html = client.get(_url(world)).content.decode()
    assert "Your dossier" in html and "€1,600,000.00" in html and "€3,200,000.00" in html
    # Cover 3,200,000 / 2,400,000 = 133.3 %
    assert "133.3%" in html
    assert "Confidential" not in html and "Audit trail" not in html and "cfo@yarn.test" not in html
    assert "<svg" not in html and "Ineligible stock by reason" not in html

    world.client_x.client_sees_figures = False
    world.client_x.client_sees_waterfall = True
    world.client_x.client_sees_ineligibles = True
    world.client_x.save()
    html = client.get(_url(world)).content.decode()
    assert "€3,200,000.00" not in html.split("<svg")[0]  # no figure tiles before the chart
    assert "<svg" in html and "Ineligible stock by reason" in html
    assert "€400,000.00" in html and "€1,000,000.00" in html  # retention of title, WIP

    world.client_x.client_sees_waterfall = world.client_x.client_sees_ineligibles = False
    world.client_x.save()
    html = client.get(_url(world)).content.decode()
    assert "€1,600,000.00" not in html and "shares the figures of your dossier in reports" in html
    # The run page follows the same choice.
    assert client.get(reverse("valuation:run-detail", args=[world.run_x.pk])).status_code == 404


def test_advisor_edits_what_the_client_sees(client, world):
    client.force_login(world.advisor_a)
    url = reverse("borrowers:client-edit", args=[world.client_x.pk])
    assert 'name="client_sees_waterfall"' in client.get(url).content.decode()
    data = {
        "legal_name": "Xylo Industries",
        "country": "FR",
        "currency": "EUR",
        "business_model": "make_to_stock",
        "situation": "healthy",
        "language": "fr",
        "reporting_period_days": "30",
        "client_sees_waterfall": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    world.client_x.refresh_from_db()
    assert world.client_x.reporting_period_days == 30
    assert (world.client_x.client_sees_figures, world.client_x.client_sees_waterfall) == (False, True)
    bad = client.post(url, data | {"reporting_period_days": "0"})
    assert bad.status_code == 200 and "reporting_period_days" in bad.content.decode()


def test_client_page_query_count_is_constant(client, world, django_assert_max_num_queries):
    """3 facilities × 4 runs, 12 uploads, 30 audit events, 5 users: the same few queries."""
    for i in range(2):
        Facility.objects.create(
            client=world.client_x, lender=world.lender_a, name=f"ABL {i}", structure=Structure.BORROWING_BASE
        )
    facilities = list(world.client_x.facilities.all())
    for k in range(12):
        upload = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2025, 1, 1) + dt.timedelta(days=30 * k))
        if k % 3 == 0:
            for f in facilities:
                make_run(f, upload, book_value=Decimal(k), availability=Decimal(-k), committed=Decimal("10"))
    for i in range(30):
        audit.record(actor=world.advisor_a, action="update", instance=world.client_x, after={"n": i})
    client.force_login(world.advisor_a)
    # + 1: the reporting calendar's "what is due next" (the deliverables; none here); + 1: the
    # unread-notifications badge; + 1: the financial statements' links (covenants).
    with django_assert_max_num_queries(14):
        response = client.get(_url(world))
    assert response.status_code == 200
    client.force_login(world.client_user_x)
    # the same three (with the financial statements' link), + 1 for the links to send the
    # borrower's own certificate (its facilities).
    with django_assert_max_num_queries(12):
        assert client.get(_url(world)).status_code == 200


def test_run_page_names_the_reasons_and_follows_the_clients_view(client, world):
    world.run_x.result = RESULT
    world.run_x.save()
    url = reverse("valuation:run-detail", args=[world.run_x.pk])
    client.force_login(world.advisor_a)
    html = client.get(url).content.decode()
    assert "Unpaid under retention of title" in html and "€400,000.00" in html
    client.force_login(world.client_user_x)
    html = client.get(url).content.decode()
    assert "€1,600,000.00" in html and "Unpaid under retention of title" not in html
    world.client_x.client_sees_ineligibles = True
    world.client_x.save()
    assert "Unpaid under retention of title" in client.get(url).content.decode()
