"""The bank portfolio: the facilities a bank follows at the figures of the latest report shared
with its lender, in the firm's reporting currency at the rate dated on or before the stock date;
a fixed number of queries however many facilities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowers.models import ClientCompany, ExchangeRate
from facilities.models import Deliverable, DeliverableKind, Facility, Structure
from reports.models import RenderStatus, ReportShare, ReportVersion
from tests.conftest import World
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import alerting
from valuation.workspace import portfolio

pytestmark = pytest.mark.django_db


def shared_facility(
    world: World,
    name: str,
    *,
    currency: str = "EUR",
    financing: str = "1000000.00",
    as_of: dt.date = dt.date(2026, 10, 31),
    share: bool = True,
) -> tuple[Facility, ValuationRun]:
    client = ClientCompany.objects.create(firm=world.firm_a, legal_name=f"Client {name}", currency=currency)
    facility = Facility.objects.create(
        client=client,
        lender=world.lender_a,
        name=name,
        currency=currency,
        structure=Structure.BORROWING_BASE,
    )
    run = add_run(world, facility, financing=financing, as_of=as_of, share=share)
    return facility, run


def add_run(world: World, facility: Facility, *, financing: str, as_of: dt.date, share: bool = True) -> ValuationRun:
    upload = StockUpload(
        client=facility.client,
        original_name="s.csv",
        checksum=f"{facility.pk:064d}",
        size=1,
        uploaded_by=world.advisor_a,
        as_of=as_of,
        status=UploadStatus.ACCEPTED,
    )
    upload.file.save("s.csv", ContentFile(b"x"), save=False)
    upload.save()
    run = ValuationRun.objects.create(
        facility=facility,
        upload=upload,
        as_of=as_of,
        terms_hash=f"h{upload.pk}",
        status=RunStatus.DONE,
        currency=facility.currency,
        book_value=Decimal("2000000.00"),
        eligible_value=Decimal("1500000.00"),
        financing=Decimal(financing),
        availability=Decimal("100000.00"),
        result={"financing": {"ltv": {"ltv_pct": "48.5"}}},
    )
    if share:
        number = ReportVersion.objects.filter(facility=facility).count() + 1
        report = ReportVersion.objects.create(
            run=run,
            facility=facility,
            number=number,
            title="Report",
            author=world.advisor_a,
            render_status=RenderStatus.READY,
        )
        ReportShare.objects.create(report=report, lender=world.lender_a, shared_by=world.advisor_a)
    return run


def rate(world: World, day: dt.date, quote: str, value: str) -> None:
    ExchangeRate.objects.create(firm=world.firm_a, day=day, base="EUR", quote=quote, rate=Decimal(value), source="ECB")


def _get(user, **params):
    client = Client()
    client.force_login(user)
    return client.get(reverse("valuation:bank-portfolio"), params)


def test_figures_are_those_of_the_latest_shared_report_never_newer(world: World):
    # A newer valuation of facility_x that no report shared yet: the bank must not see it.
    add_run(world, world.facility_x, financing="9999999.00", as_of=dt.date(2026, 11, 30), share=False)
    rows, currency = portfolio.portfolio_rows(world.bank_shared)
    assert currency == "EUR"
    assert [r.facility for r in rows] == [world.facility_x]
    assert rows[0].reported["financing"] == Decimal("1600000.00")
    assert rows[0].as_of == dt.date(2026, 10, 31)
    page = _get(world.bank_shared).content.decode()
    assert "1,600,000.00" in page or "1 600 000,00" in page
    assert "9,999,999" not in page and "9 999 999" not in page


def test_conversion_at_the_dated_rate_exact_to_the_cent(world: World):
    facility, _run = shared_facility(world, "Dollar line", currency="USD", financing="1000000.00")
    rate(world, dt.date(2026, 10, 1), "USD", "1.0500")  # older: superseded
    rate(world, dt.date(2026, 10, 30), "USD", "1.0842")  # the latest on or before 31 Oct
    rate(world, dt.date(2026, 11, 5), "USD", "1.2000")  # after the stock date: never used
    rows, _currency = portfolio.portfolio_rows(world.bank_shared)
    row = next(r for r in rows if r.facility == facility)
    # 1 000 000.00 USD ÷ 1.0842 = 922 339.0518…: 922 339.05 × 1.0842 = 999 999.998, and one cent
    # more gives 1 000 000.0088, so half-up to the cent is 922 339.05.
    assert row.reported["financing"] == Decimal("922339.05")
    # 100 000.00 ÷ 1.0842 = 92 233.9051…: 92 233.91 × 1.0842 = 100 000.0052, 92 233.90 × 1.0842
    # = 99 999.9944: the exact quotient 92 233.9051 is nearer .91 (half-up: .91).
    assert row.reported["availability"] == Decimal("92233.91")
    assert row.rate_day == dt.date(2026, 10, 30)
    assert row.figures["financing"] == Decimal("1000000.00")  # the original, shown too
    page = _get(world.bank_shared).content.decode()
    assert "922,339.05" in page and "$1,000,000.00" in page


def test_a_missing_rate_is_no_rate_never_a_figure(world: World):
    facility, _run = shared_facility(world, "Sterling line", currency="GBP", financing="500000.00")
    rows, _currency = portfolio.portfolio_rows(world.bank_shared)
    row = next(r for r in rows if r.facility == facility)
    assert row.reported is None and row.no_rate
    assert row.reported_figure("financing") is None
    # Sorted by financing, it goes last either way (never compared as if it were in EUR).
    for sort in ("financing", "-financing"):
        ordered, _c = portfolio.portfolio_rows(world.bank_shared, sort=sort)
        assert ordered[-1].facility == facility
    page = _get(world.bank_shared).content.decode()
    assert "no rate" in page and "£500,000.00" in page


def test_sorting_alerts_trend_and_an_unknown_sort(world: World):
    second, _run = shared_facility(world, "Aardvark", financing="2500000.00")
    add_run(world, second, financing="3000000.00", as_of=dt.date(2026, 11, 30))
    alerting.raise_or_resolve(second, "ltv_above_cap", True, {})
    alerting.raise_or_resolve(second, "rotation_slowdown", True, {})
    rows, _c = portfolio.portfolio_rows(world.bank_shared, sort="-financing")
    assert [r.facility.name for r in rows] == ["Aardvark", "Pledge 2026"]
    assert rows[0].reported["financing"] == Decimal("3000000.00")
    assert rows[0].trend == [Decimal("2500000.00"), Decimal("3000000.00")]
    assert rows[0].sparkline.startswith("<svg") and rows[1].sparkline == ""  # one point: no line
    assert rows[0].open_alerts == 2 and rows[1].open_alerts == 0
    rows, _c = portfolio.portfolio_rows(world.bank_shared, sort="alerts")
    assert [r.open_alerts for r in rows] == [0, 2]
    rows, _c = portfolio.portfolio_rows(world.bank_shared, sort="'; drop table")
    assert [r.facility.client.legal_name for r in rows] == ["Client Aardvark", "Xylo Industries"]
    for key in portfolio.SORTS:
        assert _get(world.bank_shared, sort=f"-{key}").status_code == 200


def test_who_sees_the_portfolio(world: World):
    assert _get(world.bank_unshared).status_code == 200
    assert portfolio.portfolio_rows(world.bank_unshared)[0] == []
    for user in (world.advisor_a, world.client_user_x):
        assert _get(user).status_code == 404
    # A withdrawn share takes the facility out.
    ReportShare.objects.filter(lender=world.lender_a).update(withdrawn_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert portfolio.portfolio_rows(world.bank_shared)[0] == []


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _get(user).status_code == 200
    return len(captured)


def test_query_count_is_the_same_for_2_and_20_facilities(world: World):
    rate(world, dt.date(2026, 10, 30), "USD", "1.0842")
    dollar, _run = shared_facility(world, "Dollar 0", currency="USD")
    _monthly_stock_file(dollar, dt.date(2026, 1, 1))
    two = _queries(world.bank_shared)
    for i in range(18):
        facility, _run = shared_facility(world, f"F{i}", currency="USD" if i % 2 else "EUR")
        add_run(world, facility, financing="1200000.00", as_of=dt.date(2026, 11, 30))
        alerting.raise_or_resolve(facility, "site_concentration", True, {})
        _monthly_stock_file(facility, dt.date(2026, 1, 1))
    assert len(portfolio.portfolio_rows(world.bank_shared)[0]) == 20
    assert _queries(world.bank_shared) == two


def _monthly_stock_file(facility: Facility, start: dt.date) -> Deliverable:
    return Deliverable.objects.create(
        facility=facility, kind=DeliverableKind.STOCK_FILE, start=start, due_days=20, grace_days=5
    )


def test_late_deliverables_are_counted_per_facility_and_sortable(world: World, monkeypatch):
    # Today 1 December 2026. Monthly stock files due 20 days after each month end, 5 days' grace,
    # days late counted from the end of the grace: September's was due 20 Oct, so 25 Oct + 37
    # days = 1 Dec; October's was due 20 Nov, 25 Nov + 6 = 1 Dec; November's is due 20 Dec.
    monkeypatch.setattr(portfolio.timezone, "localdate", lambda: dt.date(2026, 12, 1))
    late_one = world.facility_x
    _monthly_stock_file(late_one, dt.date(2026, 9, 1))
    on_time, _run = shared_facility(world, "Aardvark")
    _monthly_stock_file(on_time, dt.date(2026, 11, 1))
    rows, _c = portfolio.portfolio_rows(world.bank_shared, sort="-late")
    assert [(r.facility, r.late_items, r.most_days_late) for r in rows] == [(late_one, 2, 37), (on_time, 0, 0)]
    rows, _c = portfolio.portfolio_rows(world.bank_shared, sort="late")
    assert [r.facility for r in rows] == [on_time, late_one]
    page = _get(world.bank_shared).content.decode()
    assert "2 late items, the oldest 37 days late" in page
    assert reverse("facilities:calendar", args=[late_one.pk]) in page
