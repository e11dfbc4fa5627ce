"""Lines in several currencies, converted into each facility's currency at the firm's dated rates.

Hand-worked file (facility_x: pledge, fungibility 75 %, over-collateralisation 150 %), stock date
2026-11-15, three raw-material lines of 1,000.00 each, in EUR, USD and CNY; ECB rates of
2026-11-13: 1 EUR = 1.25 USD, 1 EUR = 8 CNY.
- in EUR: 1,000.00 + 1,000 ÷ 1.25 = 800.00 + 1,000 ÷ 8 = 125.00 → book 1,925.00, all eligible;
  guarantee 75 % = 1,443.75; financing ÷ 150 % = 962.50.
- summed as one currency (the unguarded code): book 3,000.00 → 2,250.00 → financing 1,500.00,
  537.50 too much.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from borrowers.models import ExchangeRate
from facilities.models import Facility, Structure
from facilities.services import save_facility
from valuation.models import RunStatus, StockLine, UploadStatus, ValuationRun
from valuation.pipeline import services

pytestmark = pytest.mark.django_db

HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement;Devise"
MIXED = (
    "\n".join(
        (
            HEADER,
            "A001;Acier;MP;W01;1;1000,00;01/11/2026;EUR",
            "A002;Cuivre;MP;W01;1;1000,00;01/11/2026;usd",
            "A003;Zinc;MP;W01;1;1000,00;01/11/2026;人民币",
        )
    )
    + "\n"
).encode("utf-8")
RATE_DAY = dt.date(2026, 11, 13)


def add_ecb_rates(firm, day=RATE_DAY):
    ExchangeRate.objects.create(firm=firm, day=day, base="EUR", quote="USD", rate=Decimal("1.25"), source="ECB")
    ExchangeRate.objects.create(firm=firm, day=day, base="EUR", quote="CNY", rate=Decimal("8"), source="ECB")


def current(facility):
    return services.current_run(facility)


def test_eur_usd_cny_file_is_converted_and_never_summed(world, upload_csv):
    add_ecb_rates(world.firm_a)
    upload = upload_csv(world, MIXED)
    assert upload.status == UploadStatus.ACCEPTED, upload.report
    # Lines are stored once, as the file gave them, each naming its ISO currency.
    stored = dict(StockLine.objects.filter(upload=upload).values_list("sku", "currency"))
    assert stored == {"A001": "EUR", "A002": "USD", "A003": "CNY"}
    assert set(StockLine.objects.filter(upload=upload).values_list("book_value", flat=True)) == {Decimal("1000.00")}
    run = current(world.facility_x)
    assert run.upload_id == upload.pk and run.currency == "EUR"
    assert run.book_value == Decimal("1925.00")
    assert run.eligible_value == Decimal("1925.00")
    assert run.financing == Decimal("962.50")
    # The unguarded sum (3,000.00 as if one currency) would have financed 1,500.00.
    assert run.financing < Decimal("1500.00")
    conversions = {c["currency"]: c for c in run.result["conversions"]}
    assert set(conversions) == {"USD", "CNY"}
    usd = conversions["USD"]
    assert usd["amount_before"] == "1000.00" and usd["amount_after"] == "800.00" and usd["lines"] == 1
    assert usd["rate_day"] == "2026-11-13" and usd["legs"][0] == {
        "base": "EUR",
        "quote": "USD",
        "rate": "1.25000000",
        "day": "2026-11-13",
        "source": "ECB",
    }
    assert conversions["CNY"]["amount_after"] == "125.00" and not conversions["CNY"]["stale"]


def test_latest_rate_before_the_stock_date_serves_and_later_ones_do_not(world, upload_csv):
    """Rates of 2026-11-13 (1.25 / 8) and 2026-11-20 (after the stock date, 2 / 10): the
    13 November ones serve, so the figures are those of the module docstring."""
    add_ecb_rates(world.firm_a)
    ExchangeRate.objects.create(
        firm=world.firm_a, day=dt.date(2026, 11, 20), base="EUR", quote="USD", rate=2, source="ECB"
    )
    ExchangeRate.objects.create(
        firm=world.firm_a, day=dt.date(2026, 11, 20), base="EUR", quote="CNY", rate=10, source="ECB"
    )
    upload_csv(world, MIXED)
    assert current(world.facility_x).book_value == Decimal("1925.00")


def test_a_rate_of_another_firm_does_not_serve(world, upload_csv):
    add_ecb_rates(world.firm_b)
    upload = upload_csv(world, MIXED)
    assert upload.status == UploadStatus.REJECTED
    assert {p["value"] for p in upload.report["problems"] if p["kind"] == "no_rate"} == {"USD", "CNY"}


def test_missing_one_rate_refuses_the_file_naming_the_currency(world, upload_csv):
    ExchangeRate.objects.create(
        firm=world.firm_a, day=RATE_DAY, base="EUR", quote="USD", rate=Decimal("1.25"), source="ECB"
    )
    previous = current(world.facility_x)
    upload = upload_csv(world, MIXED)
    assert upload.status == UploadStatus.REJECTED
    (problem,) = [p for p in upload.report["problems"] if p["kind"] == "no_rate"]
    assert problem["value"] == "CNY"
    assert problem["message"].startswith("No CNY→EUR rate on or before 2026-11-15")
    assert current(world.facility_x) == previous


def test_an_old_rate_is_used_but_flagged_stale(world, upload_csv):
    add_ecb_rates(world.firm_a, day=dt.date(2026, 11, 1))  # 14 days before the stock date
    upload_csv(world, MIXED)
    conversions = current(world.facility_x).result["conversions"]
    assert all(c["stale"] and c["age_days"] == 14 for c in conversions)


def test_two_facilities_in_two_currencies_each_get_their_own_figures(world, upload_csv):
    """A USD facility on the same file: 1,000 EUR × 1.25 = 1,250.00 USD; 1,000.00 USD;
    CNY→USD across EUR = 1.25 ÷ 8 = 0.15625: 156.25 USD → book 2,406.25 USD;
    × 75 % = 1,804.6875 → 1,804.69; ÷ 150 % = 1,203.126… → 1,203.13 USD."""
    add_ecb_rates(world.firm_a)
    usd = Facility.objects.create(
        client=world.client_x,
        lender=world.lender_a,
        name="USD line",
        structure=Structure.PLEDGE_WITHOUT_DISPOSSESSION,
        currency="USD",
        ltv_caps_indicative=True,  # the lines carry no resale price: the conversion is under test
        fungibility_share_pct=Decimal("75"),
        over_collateralisation_pct=Decimal("150"),
    )
    upload_csv(world, MIXED)
    assert current(world.facility_x).book_value == Decimal("1925.00")
    run = current(usd)
    assert run.currency == "USD" and run.book_value == Decimal("2406.25") and run.financing == Decimal("1203.13")
    cny = next(c for c in run.result["conversions"] if c["currency"] == "CNY")
    assert cny["amount_after"] == "156.25" and [leg["quote"] for leg in cny["legs"]] == ["CNY", "USD"]


def test_changing_a_facility_s_currency_recomputes_converted_or_fails_visibly(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """Stored lines, facility switched to GBP with no GBP rate: the recompute fails with the
    reason; it never values them as pounds. With a rate (1 EUR = 0.5 GBP) the recompute converts,
    across EUR for USD and CNY: 1,000 × 0.5 = 500.00 + 1,000 × 0.5 ÷ 1.25 = 400.00
    + 1,000 × 0.5 ÷ 8 = 62.50 → book 962.50 GBP."""
    add_ecb_rates(world.firm_a)
    upload_csv(world, MIXED)
    facility = Facility.objects.get(pk=world.facility_x.pk)
    facility.currency = "GBP"
    with django_capture_on_commit_callbacks(execute=True):
        save_facility(by=world.advisor_a, facility=facility)
    failed = ValuationRun.objects.filter(facility=facility, currency="GBP").get()
    assert failed.status == RunStatus.FAILED and failed.book_value is None
    assert "No CNY→GBP rate on or before 2026-11-15" in failed.failure_reason
    assert current(facility).currency == "EUR"  # the EUR run stays current, shown in EUR
    ExchangeRate.objects.create(
        firm=world.firm_a, day=RATE_DAY, base="EUR", quote="GBP", rate=Decimal("0.5"), source="ECB"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.recompute_latest(facility=facility, by=world.advisor_a)
    run = current(facility)
    assert run.currency == "GBP" and run.book_value == Decimal("962.50")


def test_try_other_terms_converts_too(world, upload_csv):
    from valuation.workspace.dossier import propose

    add_ecb_rates(world.firm_a)
    upload_csv(world, MIXED)
    run = current(world.facility_x)
    proposal = propose(candidate=Facility.objects.get(pk=world.facility_x.pk), run=run)
    assert proposal.result["eligibility"]["book_value"] == "1925.00"
    ValuationRun.objects.filter(pk=run.pk)  # nothing saved
    candidate = Facility.objects.get(pk=world.facility_x.pk)
    candidate.currency = "JPY"
    refused = propose(candidate=candidate, run=run)
    assert refused.result is None and "No CNY→JPY rate on or before 2026-11-15" in refused.error


def test_stock_date_used_is_the_upload_s(world, upload_csv):
    """Only rates up to the stock date count: a stock date before the rates' refuses the file."""
    add_ecb_rates(world.firm_a)
    upload = upload_csv(world, MIXED, as_of=dt.date(2026, 11, 12))
    assert upload.status == UploadStatus.REJECTED


def test_dossier_and_report_say_how_lines_were_converted(world, upload_csv):
    from django.test import Client

    from reports.context import presentation

    add_ecb_rates(world.firm_a)
    upload_csv(world, MIXED)
    web = Client()
    web.force_login(world.advisor_a)
    page = web.get(f"/facilities/{world.facility_x.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "USD lines converted into EUR at 1 EUR = 1.25 USD (ECB, 13 Nov 2026)" in page or (
        "USD line converted into EUR at 1 EUR = 1.25 USD (ECB, 13 Nov 2026)" in page
    )
    assert "€1,000.00" not in page.split("converted into EUR")[0][-200:]  # the amount before is in USD
    run = current(world.facility_x)
    texts = [c.text for c in presentation({"result": run.result})["conversions"]]
    assert any("1 EUR = 8 CNY (ECB, 13 Nov 2026)" in t and "→ €125.00" in t for t in texts), texts


def test_a_corrected_rate_revalues_the_current_run_and_flags_it_until_then(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """The USD rate corrected from 1.25 to 2 (a typing error): USD 1,000 is worth 500.00, not
    800.00, so book 1,000 + 500 + 125 = 1,625.00 and financing 1,625 × 75 % ÷ 150 % = 812.50, down
    from 962.50. Until the revaluation runs, the old figures are flagged and no report is issued."""
    from valuation.rates import services as rates

    add_ecb_rates(world.firm_a)
    upload_csv(world, MIXED)
    before = current(world.facility_x)
    assert before.financing == Decimal("962.50")
    usd = ExchangeRate.objects.get(firm=world.firm_a, quote="USD")
    usd.rate = Decimal("2")
    with django_capture_on_commit_callbacks(execute=False):
        rates.save_rate(by=world.advisor_a, rate=usd)
    assert services.freshness(before).state == "outdated"  # the revaluation not sent yet

    with django_capture_on_commit_callbacks(execute=True):
        services.revalue_stale(firm_id=world.firm_a.pk)
    after = current(world.facility_x)
    assert after.pk != before.pk
    assert (after.book_value, after.financing) == (Decimal("1625.00"), Decimal("812.50"))
    assert services.freshness(after).is_current
