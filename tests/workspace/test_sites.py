"""Site guardrails end to end: a file with stock at a site nobody declared, an uninsured site and
a pledge with dispossession on a site where dispossession is impossible. Every figure is worked by
hand; each test shows the figure the unguarded code would have financed and that it no longer does.

facility_x: pledge, fungibility 75 %, over-collateralisation 150 %. Stock date 2026-11-15:
- A001: 100 × 10,00 = 1 000,00 raw materials at W01 (declared, owned, insured);
- P001: 30 × 100,00 = 3 000,00 finished goods at PARIS (never declared).
Unguarded, both eligible: 4 000,00 × 75 % = 3 000,00 ÷ 150 % = 2 000,00 of financing.
Guarded, PARIS out: 1 000,00 × 75 % = 750,00 ÷ 150 % = 500,00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from borrowers.models import AuditEvent, Warehouse
from facilities.models import Structure
from reports.context import presentation
from tests.reports.conftest import issue_and_render, pdf_text
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 15)
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement"


def _csv(*rows: str) -> bytes:
    return "\n".join((HEADER, *rows)).encode() + b"\n"


PARIS_CSV = _csv("A001;Acier laminé;MP;W01;100;10,00;15/09/2026", "P001;Pompe finie;PF;PARIS;30;100,00;10/10/2026")
TWO_SITES_CSV = _csv("A001;Acier laminé;MP;W01;100;10,00;15/09/2026", "P001;Pompe finie;PF;W02;30;100,00;10/10/2026")


def _upload(world, content: bytes, capture):
    with capture(execute=True):
        upload = services.create_upload(
            client=world.client_x,
            by=world.client_user_x,
            file=SimpleUploadedFile("stock.csv", content, content_type="text/csv"),
            as_of=AS_OF,
        )
    upload.refresh_from_db()
    assert upload.status == "accepted", upload.report
    return upload


def _current(world) -> ValuationRun:
    run = services.current_run(world.facility_x)
    assert run is not None and run.status == RunStatus.DONE, run and run.failure_reason
    return run


def _reasons(run: ValuationRun) -> dict[str, Decimal]:
    by_reason = run.result["eligibility"]["by_reason"]
    return {r["reason"]: Decimal(r["amount"]) for r in by_reason if Decimal(r["amount"])}


def test_stock_at_an_undeclared_site_is_not_financed(world, django_capture_on_commit_callbacks):
    _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    run = _current(world)
    assert run.book_value == Decimal("4000.00")
    assert _reasons(run) == {"undeclared_site": Decimal("3000.00")}
    assert run.eligible_value == Decimal("1000.00")
    assert run.financing == Decimal("500.00")  # not the unguarded 2 000,00
    assert "stock at undeclared site PARIS: 1 line(s), book value 3000.00, not eligible" in run.result["warnings"]


def test_upload_page_and_dossier_list_the_site_with_accept_for_advisors_only(
    client, world, django_capture_on_commit_callbacks
):
    upload = _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    for url in (upload.get_absolute_url(), world.facility_x.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Undeclared sites" in html and "<code>PARIS</code>" in html
        assert "€3,000.00" in html and "Accept this site" in html
        assert reverse("valuation:upload-accept-site", args=[upload.pk]) in html
    html = client.get(world.facility_x.get_absolute_url()).content.decode()
    assert "Stock at the undeclared site PARIS: 1 line(s), book value €3,000.00" in html
    client.force_login(world.client_user_x)
    for url in (upload.get_absolute_url(), world.facility_x.get_absolute_url()):
        assert "Accept this site" not in client.get(url).content.decode()


def test_accepting_a_site_with_the_safe_defaults_keeps_its_stock_out(client, world, django_capture_on_commit_callbacks):
    """Accepted as it comes (leased, no waiver, uninsured): still not financed. The leased site
    without a waiver is refused by the location rule first (it comes earlier in the order)."""
    upload = _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    url = reverse("valuation:upload-accept-site", args=[upload.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"prefix": "site-0", "site-0-code": "PARIS", "site-0-tenure": "leased"})
    assert response.status_code == 302
    site = Warehouse.objects.get(client=world.client_x, code="PARIS")
    assert (site.name, site.tenure, site.landlord_waiver, site.insured, site.dispossession_possible) == (
        "PARIS",
        "leased",
        False,
        False,
        False,
    )
    run = _current(world)
    assert _reasons(run) == {"location": Decimal("3000.00")}
    assert run.financing == Decimal("500.00")
    event = AuditEvent.objects.get(action="accept-site")
    assert event.firm_id == world.firm_a.pk


def test_accepting_a_checked_site_makes_its_stock_eligible_after_revaluation(
    client, world, django_capture_on_commit_callbacks
):
    """Owned and insured: the revaluation from the stored lines gives the 2 000,00 of financing."""
    upload = _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    url = reverse("valuation:upload-accept-site", args=[upload.pk])
    data = {"prefix": "site-0", "site-0-code": "PARIS", "site-0-name": "Paris Nord", "site-0-tenure": "owned"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**data, "site-0-insured": "on", "next": world.facility_x.get_absolute_url()})
    run = _current(world)
    assert run.upload_id == upload.pk
    assert _reasons(run) == {}
    assert run.eligible_value == Decimal("4000.00")
    assert run.financing == Decimal("2000.00")
    html = client.get(world.facility_x.get_absolute_url()).content.decode()
    assert "Undeclared sites" not in html


def test_only_the_firms_advisors_may_accept_a_site(client, world, django_capture_on_commit_callbacks):
    upload = _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    url = reverse("valuation:upload-accept-site", args=[upload.pk])
    data = {"prefix": "site-0", "site-0-code": "PARIS", "site-0-tenure": "owned", "site-0-insured": "on"}
    for persona in (world.client_user_x, world.advisor_b, world.bank_shared):
        client.force_login(persona)
        assert client.post(url, data).status_code == 404
    assert not Warehouse.objects.filter(code="PARIS").exists()


def test_a_site_declared_in_another_case_is_named_not_accepted_twice(client, world, django_capture_on_commit_callbacks):
    upload = _upload(world, _csv("A001;Acier;MP;w01;100;10,00;15/09/2026"), django_capture_on_commit_callbacks)
    assert _current(world).financing == Decimal("0.00")  # "w01" is not "W01": the safe side
    client.force_login(world.advisor_a)
    html = client.get(upload.get_absolute_url()).content.decode()
    assert "differs only in case or spaces from the declared site W01" in html
    response = client.post(
        reverse("valuation:upload-accept-site", args=[upload.pk]),
        {"prefix": "site-0", "site-0-code": "w01", "site-0-tenure": "owned"},
        follow=True,
    )
    assert "already has a warehouse with the code w01" in response.content.decode()


def test_uninsured_stock_is_not_financed(world, django_capture_on_commit_callbacks):
    """W02 uninsured: its 3 000,00 is out; unguarded 2 000,00 of financing, now 500,00."""
    Warehouse.objects.filter(client=world.client_x, code="W02").update(insured=False)
    _upload(world, TWO_SITES_CSV, django_capture_on_commit_callbacks)
    run = _current(world)
    assert _reasons(run) == {"uninsured": Decimal("3000.00")}
    assert run.financing == Decimal("500.00")


def test_pledge_with_dispossession_on_a_site_without_dispossession_is_flagged_and_out(
    client, world, django_capture_on_commit_callbacks
):
    """With dispossession; W01 cannot be dispossessed, W02 can. W01's 1 000,00 is out:
    3 000,00 × 75 % = 2 250,00 ÷ 150 % = 1 500,00 (unguarded: 2 000,00)."""
    world.facility_x.structure = Structure.PLEDGE_WITH_DISPOSSESSION
    world.facility_x.save()
    Warehouse.objects.filter(client=world.client_x, code="W02").update(dispossession_possible=True)
    _upload(world, TWO_SITES_CSV, django_capture_on_commit_callbacks)
    run = _current(world)
    assert _reasons(run) == {"dispossession_impossible": Decimal("1000.00")}
    assert run.financing == Decimal("1500.00")
    client.force_login(world.advisor_a)
    html = client.get(world.facility_x.get_absolute_url()).content.decode()
    assert "Pledge with dispossession: dispossession is impossible at these sites" in html
    assert "<code>W01</code>, <code>W03</code>" in html
    flag = (
        "Pledge with dispossession: dispossession is impossible at the site W01: 1 line(s), "
        "book value €1,000.00, not eligible"
    )
    assert flag in html
    # The report's executive summary carries the same flag, in the PDF itself.
    assert flag in presentation({"result": run.result, "currency": "EUR"})["site_flags"]
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    assert "dispossession is impossible at the site W01: 1 line(s), book value €1,000.00" in text


def test_api_lists_and_accepts_undeclared_sites_with_the_forms_validation(
    client, world, django_capture_on_commit_callbacks
):
    upload = _upload(world, PARIS_CSV, django_capture_on_commit_callbacks)
    url = reverse("upload-undeclared-sites", args=[upload.pk])
    client.force_login(world.advisor_a)
    listed = client.get(url).json()
    assert listed == [{"code": "PARIS", "lines": 1, "book_value": "3000.00", "near": "", "acceptable": True}]
    for body, field in (
        ({"code": "PARIS", "tenure": "castle"}, "tenure"),
        ({"code": "PARIS", "colour": "red"}, "colour"),
        ({"code": "W01"}, "code"),
        ({"code": "  "}, "code"),
        ({"code": "PARIS", "insured": "maybe"}, "insured"),
    ):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert field in response.json()["fields"], response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"code": "PARIS", "tenure": "owned", "insured": True}, content_type="application/json"
        )
    assert response.status_code == 202
    assert response.json()["code"] == "PARIS"
    assert _current(world).financing == Decimal("2000.00")
    assert client.get(url).json() == []
    client.force_login(world.client_user_x)
    assert client.get(url).status_code == 404
    assert client.post(url, {"code": "X"}, content_type="application/json").status_code == 404
