"""The advisor dashboard: stored figures of each facility's current run, alerts, sort, search,
htmx partial, isolation and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from facilities.models import Facility, Structure
from tests.workspace.conftest import make_run, make_upload
from valuation.models import UploadStatus
from valuation.workspace import dashboard

pytestmark = pytest.mark.django_db
URL = "/dashboard/"


def _client_names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/clients/\d+/">([^<]+)</a></td>', html)


def test_home_sends_advisors_to_the_dashboard(client, world):
    client.force_login(world.advisor_a)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("valuation:dashboard")
    page = client.get(URL)
    assert 'href="/dashboard/"' in page.content.decode()  # in the navigation


def test_dashboard_shows_the_current_runs_stored_figures(client, world):
    """The current run is the latest stock date's; an older run's figures are not shown."""
    older = make_upload(world.client_x, world.advisor_a, as_of=dt.date(2026, 9, 30))
    make_run(world.facility_x, older, book_value=Decimal("999.00"), financing=Decimal("111.00"))
    world.run_x.liquidation_value = Decimal("2100000.00")
    world.run_x.availability = Decimal("250000.50")
    world.run_x.save()
    client.force_login(world.advisor_a)
    html = client.get(URL).content.decode()
    assert "€5,000,000.00" in html and "€3,200,000.00" in html and "€2,100,000.00" in html
    assert "€1,600,000.00" in html and "€250,000.50" in html
    assert "€999.00" not in html and "€111.00" not in html
    assert "Xylo Industries" in html and "Yarn &amp; Co" in html
    assert reverse("valuation:facility-detail", args=[world.facility_x.pk]) in html


def test_dashboard_flags_over_advance_replenishment_stale_and_failed(client, world):
    bb = Facility.objects.create(
        client=world.client_y, lender=world.lender_a, name="ABL", structure=Structure.BORROWING_BASE
    )
    recent = make_upload(world.client_y, world.advisor_a, as_of=dt.date.today() - dt.timedelta(days=3))
    make_run(bb, recent, book_value=Decimal("100"), financing=Decimal("80"), availability=Decimal("-0.01"))
    make_upload(world.client_y, world.client_user_y, as_of=dt.date.today(), status=UploadStatus.FAILED)
    # Client X: pledge with mobilisable 3,200,000 under a committed 3,500,000; file of 31 Oct 2026.
    world.run_x.result = {"financing": {"pledge": {"committed_guarantee": "3500000.00"}}}
    world.run_x.save()
    rows = dashboard.dashboard_rows(user=world.advisor_a, today=dt.date(2026, 12, 6))  # 36 days later
    by_client = {r.client.legal_name: r for r in rows}
    assert {a.code for a in by_client["Xylo Industries"].alerts} == {"replenishment_breach", "stale_stock_file"}
    assert {a.code for a in by_client["Yarn & Co"].alerts} == {"over_advance", "failed_upload"}
    # 3,200,000 / 3,500,000 = 91.43 % → 91.4
    assert by_client["Xylo Industries"].figures.cover_pct == Decimal("91.4")
    client.force_login(world.advisor_a)
    html = client.get(URL).content.decode()
    assert "Over-advance" in html and "Last upload failed" in html and "Replenishment breach" in html


def test_client_without_facility_or_file_shows_one_row(world):
    rows = dashboard.dashboard_rows(user=world.advisor_a, query="yarn")
    assert len(rows) == 1 and rows[0].figures is None
    assert [a.code for a in rows[0].alerts] == ["no_stock_file"]


def test_sort_by_financing_both_ways_and_search(client, world, portfolio):
    client.force_login(world.advisor_a)
    # Xylo's financing is 1,600,000; every portfolio facility finances 900,000 (its 3rd file).
    html = client.get(URL, {"sort": "-financing"}).content.decode()
    assert _client_names(html)[0] == "Xylo Industries"
    html = client.get(URL, {"sort": "financing"}).content.decode()
    names = _client_names(html)
    assert names[-2:] == ["Xylo Industries", "Yarn &amp; Co"]  # no figure: always last
    html = client.get(URL, {"q": "client 0"}).content.decode()
    assert set(_client_names(html)) == {f"Client 0{i}" for i in range(10)}
    assert client.get(URL, {"sort": "nonsense'", "q": "%"}).status_code == 200


def test_htmx_gets_the_table_alone(client, world):
    client.force_login(world.advisor_a)
    response = client.get(URL, {"q": "xylo"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-table"') and "<html" not in html
    assert _client_names(html) == ["Xylo Industries"]


def test_other_firms_clients_never_appear(client, world):
    client.force_login(world.advisor_b)
    html = client.get(URL).content.decode()
    assert "Xylo" not in html and "Bravo SA" in html
    client.force_login(world.client_user_x)
    assert client.get(URL).status_code == 404


def test_dashboard_query_count_is_constant(client, world, portfolio, django_assert_max_num_queries):
    """62 clients, 181 facilities, 541 runs: session, user, clients, facilities, runs, and the
    firm (its reporting currency); the rate table only when a run is in another currency."""
    client.force_login(world.advisor_a)
    # + 1: the late deliverables panel (the deliverables; their closed periods when there are some);
    # + 1: the unread-notifications badge; + 1: the covenant panel (the latest tests; none here).
    with django_assert_max_num_queries(9):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(_client_names(response.content.decode())) == 182  # 60×3 + Xylo + Yarn
    with django_assert_max_num_queries(6):
        client.get(URL, {"sort": "-alerts", "q": "client"}, headers={"HX-Request": "true"})


def test_dashboard_sorts_and_totals_in_the_reporting_currency(client, world, django_assert_max_num_queries):
    """Facility X in EUR (financing 1,600,000.00), a USD facility of Yarn (financing
    1,000,000.00 USD) and a CNY one of Yarn with no rate. 1 EUR = 1.25 USD on 2026-11-27:
    1,000,000 USD = 800,000.00 EUR. Total financing in EUR = 1,600,000 + 800,000 = 2,400,000.00;
    the CNY facility (5,000,000.00 CNY) is shown but left out: summed as if in euros the total
    would have been 7,600,000.00 (or 3,600,000.00 with the USD unconverted)."""
    from borrowers.models import ExchangeRate

    ExchangeRate.objects.create(
        firm=world.firm_a, day=dt.date(2026, 11, 27), base="EUR", quote="USD", rate=Decimal("1.25"), source="ECB"
    )
    upload = make_upload(world.client_y, world.advisor_a, as_of=dt.date(2026, 11, 30))
    usd = Facility.objects.create(
        client=world.client_y,
        lender=world.lender_a,
        name="Dollar line",
        structure=Structure.BORROWING_BASE,
        currency="USD",
    )
    cny = Facility.objects.create(
        client=world.client_y,
        lender=world.lender_a,
        name="Yuan line",
        structure=Structure.BORROWING_BASE,
        currency="CNY",
    )
    make_run(usd, upload, book_value=Decimal("2000000.00"), financing=Decimal("1000000.00"))
    make_run(cny, upload, book_value=Decimal("9000000.00"), financing=Decimal("5000000.00"))
    rows = dashboard.dashboard_rows(user=world.advisor_a, sort="-financing", today=dt.date(2026, 12, 1))
    by_name = {r.figures.facility.name: r for r in rows if r.figures}
    assert by_name["Dollar line"].reported_figure("financing") == Decimal("800000.00")
    assert "1 EUR = 1.25 USD (ECB" in by_name["Dollar line"].rate_note
    assert by_name["Yuan line"].reported_figure("financing") is None
    assert "No CNY→EUR rate" in by_name["Yuan line"].unconverted
    # Sorted by financing in EUR: 1.6 M EUR before 800 k EUR; the unconvertible row last.
    assert [r.figures.facility.name for r in rows if r.figures][:3] == ["Pledge 2026", "Dollar line", "Yuan line"]
    totals = dashboard.dashboard_totals(rows, currency="EUR")
    assert totals.values["financing"] == Decimal("2400000.00") and totals.excluded == 1
    client.force_login(world.advisor_a)
    # + 1: the late deliverables panel, + 1: the badge, + 1: the covenant panel
    with django_assert_max_num_queries(11):
        html = client.get(URL).content.decode()
    assert "Total in EUR" in html and "€2,400,000.00" in html
    assert "1 facility has no rate into EUR" in html
    # A firm reporting in USD: 1,600,000 EUR × 1.25 = 2,000,000.00 USD + 1,000,000.00 USD.
    world.firm_a.reporting_currency = "USD"
    world.firm_a.save()
    rows = dashboard.dashboard_rows(user=type(world.advisor_a).objects.get(pk=world.advisor_a.pk))
    assert dashboard.dashboard_totals(rows, currency="USD").values["financing"] == Decimal("3000000.00")
