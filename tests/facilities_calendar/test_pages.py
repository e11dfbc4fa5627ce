"""The reporting calendar's pages: the advisor keeps it, the client reads its own, a bank reads a
facility it follows (404 otherwise); the dossier, the client page and the dashboard show it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from borrowers.models import AuditEvent
from facilities.models import Deliverable, DeliverablePeriod

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def stock_file(world) -> Deliverable:
    # Monthly from January 2026: on any day after 25 February 2026 January's file is late.
    return Deliverable.objects.create(
        facility=world.facility_x, kind="stock_file", due_days=20, grace_days=5, start=D(2026, 1, 1)
    )


def calendar_url(world) -> str:
    return reverse("facilities:calendar", kwargs={"pk": world.facility_x.pk})


def url(world, name: str, deliverable: Deliverable) -> str:
    return reverse(f"facilities:{name}", kwargs={"pk": world.facility_x.pk, "deliverable_pk": deliverable.pk})


def test_the_advisor_sees_the_periods_and_the_actions(client, world, stock_file):
    client.force_login(world.advisor_a)
    page = client.get(calendar_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-period="2026-01-31" data-status="late"' in html
    assert url(world, "period-waive", stock_file) in html
    assert reverse("facilities:deliverable-create", kwargs={"pk": world.facility_x.pk}) in html


def test_the_advisor_adds_a_deliverable(client, world):
    client.force_login(world.advisor_a)
    create = reverse("facilities:deliverable-create", kwargs={"pk": world.facility_x.pk})
    answer = client.post(
        create,
        {
            "kind": "financial_statements",
            "frequency": "yearly",
            "due_days": "120",
            "grace_days": "15",
            "start": "2025-01-01",
            "active": "on",
            "notes": "",
        },
    )
    assert answer.status_code == 302
    deliverable = Deliverable.objects.get(facility=world.facility_x)
    assert (deliverable.kind, deliverable.frequency, deliverable.due_days) == ("financial_statements", "yearly", 120)
    assert deliverable.periods.filter(period_end=D(2025, 12, 31), due_date=D(2026, 4, 30)).exists()
    assert AuditEvent.objects.filter(object_type="facilities.Deliverable", action="create").exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "not a date"},
        {"start": "1999-12-31"},
        {"due_days": "-3"},
        {"due_days": "400"},
        {"frequency": "weekly"},
        {"kind": "stock_file"},  # the facility already has one
    ],
)
def test_bad_input_gives_field_errors(client, world, stock_file, bad):
    client.force_login(world.advisor_a)
    create = reverse("facilities:deliverable-create", kwargs={"pk": world.facility_x.pk})
    fields = {"kind": "appraisal", "frequency": "yearly", "due_days": "0", "grace_days": "0", "start": "2026-01-01"}
    answer = client.post(create, {**fields, **bad})
    assert answer.status_code == 200
    assert answer.context["form"].errors
    assert Deliverable.objects.count() == 1


def test_the_advisor_edits_and_deletes_a_deliverable(client, world, stock_file):
    client.force_login(world.advisor_a)
    assert client.get(url(world, "deliverable-edit", stock_file)).status_code == 200
    fields = {
        "kind": "stock_file",
        "frequency": "quarterly",
        "due_days": "30",
        "grace_days": "0",
        "start": "2026-01-01",
    }
    assert client.post(url(world, "deliverable-edit", stock_file), fields).status_code == 302
    stock_file.refresh_from_db()
    assert (stock_file.frequency, stock_file.due_days, stock_file.active) == ("quarterly", 30, False)
    assert client.post(url(world, "deliverable-delete", stock_file)).status_code == 302
    assert not Deliverable.objects.exists()


def test_the_advisor_waives_and_marks_received(client, world, stock_file):
    client.force_login(world.advisor_a)
    waive = url(world, "period-waive", stock_file)
    # Without a reason, or with a date that is no period end: a message, nothing waived, no 500.
    assert client.post(waive, {"period_end": "2026-01-31", "reason": ""}).status_code == 302
    assert client.post(waive, {"period_end": "2026-01-30", "reason": "x"}).status_code == 302
    assert client.post(waive, {"period_end": "garbage", "reason": "x"}).status_code == 302
    assert not DeliverablePeriod.objects.filter(waived_at__isnull=False).exists()
    assert client.post(waive, {"period_end": "2026-01-31", "reason": "Stock count instead"}).status_code == 302
    assert DeliverablePeriod.objects.get(period_end=D(2026, 1, 31)).waiver_reason == "Stock count instead"
    receive = url(world, "period-receive", stock_file)
    assert client.post(receive, {"period_end": "2026-02-28", "note": "By e-mail"}).status_code == 302
    received = DeliverablePeriod.objects.get(period_end=D(2026, 2, 28))
    assert (received.received_by, received.source_label) == (world.advisor_a, "By e-mail")
    html = client.get(calendar_url(world)).content.decode()
    assert 'data-period="2026-01-31" data-status="waived"' in html
    assert 'data-period="2026-02-28" data-status="received"' in html


def test_the_client_reads_its_calendar_without_the_actions(client, world, stock_file):
    client.force_login(world.client_user_x)
    page = client.get(calendar_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="late"' in html
    assert url(world, "period-waive", stock_file) not in html
    assert url(world, "period-receive", stock_file) not in html
    assert (
        client.post(url(world, "period-waive", stock_file), {"period_end": "2026-01-31", "reason": "x"}).status_code
        == 404
    )
    assert client.post(url(world, "period-receive", stock_file), {"period_end": "2026-01-31"}).status_code == 404
    assert not DeliverablePeriod.objects.filter(waived_at__isnull=False).exists()


def test_another_client_and_another_firm_get_404(client, world, stock_file):
    for user in (world.client_user_y, world.advisor_b, world.bank_unshared):
        client.force_login(user)
        assert client.get(calendar_url(world)).status_code == 404
    client.force_login(world.advisor_b)
    assert (
        client.post(url(world, "period-waive", stock_file), {"period_end": "2026-01-31", "reason": "x"}).status_code
        == 404
    )


def test_the_bank_following_the_facility_reads_it(client, world, stock_file):
    client.force_login(world.bank_shared)
    page = client.get(calendar_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="late"' in html
    assert url(world, "period-waive", stock_file) not in html
    assert f'href="{world.facility_x.get_absolute_url()}"' not in html  # the dossier stays closed to banks
    assert (
        client.post(url(world, "period-waive", stock_file), {"period_end": "2026-01-31", "reason": "x"}).status_code
        == 404
    )


def test_a_withdrawn_share_closes_the_calendar_to_the_bank(client, world, stock_file):
    from django.utils import timezone

    world.report_x.shares.update(withdrawn_at=timezone.now())
    client.force_login(world.bank_shared)
    assert client.get(calendar_url(world)).status_code == 404


def test_the_dossier_client_page_and_dashboard_show_the_calendar(client, world, stock_file):
    client.force_login(world.advisor_a)
    dossier = client.get(reverse("valuation:facility-detail", kwargs={"pk": world.facility_x.pk})).content.decode()
    assert 'id="reporting-calendar"' in dossier and calendar_url(world) in dossier
    dashboard = client.get(reverse("valuation:dashboard")).content.decode()
    assert 'id="late-deliverables"' in dashboard and "Pledge 2026" in dashboard
    client.force_login(world.client_user_x)
    page = client.get(world.client_x.get_absolute_url()).content.decode()
    assert 'id="client-next-due"' in page and 'data-status="due"' in page


def test_the_api_lists_the_periods(client, world, stock_file):
    client.force_login(world.client_user_x)
    rows = client.get(f"/api/facilities/{world.facility_x.pk}/calendar/").json()
    january = next(r for r in rows if r["period_end"] == "2026-01-31")
    assert (january["kind"], january["due_date"], january["deadline"], january["status"]) == (
        "stock_file",
        "2026-02-20",
        "2026-02-25",
        "late",
    )
    client.force_login(world.bank_unshared)
    assert client.get(f"/api/facilities/{world.facility_x.pk}/calendar/").status_code == 404
