"""The covenants API: read by the facility's advisors and the bank following it, created and
changed by advisors (audited, a revision kept), the tests read-only with their state today."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from borrowers.models import AuditEvent
from facilities.models import Covenant, CovenantRevision
from tests.api.conftest import token_client
from valuation.models import CovenantTest, CovenantWaiver

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_an_advisor_creates_and_changes_a_covenant(world, django_capture_on_commit_callbacks):
    api = token_client(world.advisor_a)
    url = reverse("facility-covenants", args=[world.facility_x.pk])
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(api, url, {"metric": "pledge_cover", "threshold": "150", "frequency": "monthly"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["direction"] == "min" and body["threshold"] == "150.0000" and body["headroom_pct"] == "10.00"
    detail = reverse("facility-covenant-detail", args=[world.facility_x.pk, body["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        changed = api.patch(detail, json.dumps({"threshold": "140.5"}), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["threshold"] == "140.5000"
    covenant = Covenant.objects.get(pk=body["id"])
    assert list(
        CovenantRevision.objects.filter(covenant=covenant).order_by("id").values_list("threshold", flat=True)
    ) == [
        D("150"),
        D("140.5"),
    ]
    event = AuditEvent.objects.filter(action="update-covenant").get()
    assert (event.before["threshold"], event.after["threshold"]) == ("150.0000", "140.5000")
    assert [c["id"] for c in api.get(url).json()] == [covenant.pk]


def test_bad_input_names_the_field(world):
    api = token_client(world.advisor_a)
    url = reverse("facility-covenants", args=[world.facility_x.pk])
    bad = _post(api, url, {"metric": "formula", "threshold": "1", "formula": "open('x')", "direction": "max"})
    assert bad.status_code == 400 and "formula" in bad.json()["fields"]
    assert "threshold" in _post(api, url, {"metric": "ltv", "threshold": "lots"}).json()["fields"]
    assert "metric" in _post(api, url, {"metric": "happiness", "threshold": "1"}).json()["fields"]
    assert not Covenant.objects.exists()


def test_the_bank_reads_but_does_not_write_and_others_get_404(world):
    covenant = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    url = reverse("facility-covenants", args=[world.facility_x.pk])
    bank = token_client(world.bank_shared)
    assert [c["id"] for c in bank.get(url).json()] == [covenant.pk]
    assert _post(bank, url, {"metric": "ltv", "threshold": "1"}).status_code == 403
    detail = reverse("facility-covenant-detail", args=[world.facility_x.pk, covenant.pk])
    assert bank.patch(detail, json.dumps({"threshold": "1"}), content_type="application/json").status_code == 403
    for who in (world.client_user_x, world.bank_unshared, world.advisor_b):
        outsider = token_client(who)
        assert outsider.get(url).status_code == 404
        assert _post(outsider, url, {"metric": "ltv", "threshold": "1"}).status_code == 404
        assert outsider.patch(detail, "{}", content_type="application/json").status_code == 404
    covenant.refresh_from_db()
    assert covenant.threshold == D("70")


def test_the_tests_with_their_state_today(world):
    covenant = Covenant.objects.create(facility=world.facility_x, metric="ltv", direction="max", threshold=D("70"))
    test = CovenantTest.objects.create(
        covenant=covenant,
        facility=world.facility_x,
        test_date=dt.date(2026, 12, 31),
        as_of=world.run_x.as_of,
        value=D("75.5"),
        threshold=D("70"),
        direction="max",
        headroom_pct=D("10"),
        raw_state="breached",
        run=world.run_x,
    )
    CovenantWaiver.objects.create(
        test=test, by=world.bank_shared, reason="Agreed", expires_on=timezone.localdate() + dt.timedelta(days=3)
    )
    url = reverse("facility-covenant-tests", args=[world.facility_x.pk])
    for who in (world.advisor_a, world.bank_shared):
        rows = token_client(who).get(url).json()
        assert len(rows) == 1
        row = rows[0]
        assert (row["state"], row["value"], row["threshold"], row["run_id"]) == (
            "waived",
            "75.5000000000",
            "70.0000",
            world.run_x.pk,
        )
        assert row["waivers"][0]["reason"] == "Agreed" and row["waivers"][0]["by"] == world.bank_shared.email
    assert token_client(world.client_user_x).get(url).status_code == 404
