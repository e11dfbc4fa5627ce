"""Changes to terms (and other records) are kept with who, when, before and after."""

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from borrowers.models import AuditEvent
from tests.conftest import World


def test_changing_terms_records_before_and_after(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    url = reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for name in ("eligibility_settings", "criteria_settings", "ltv_caps"):
        data[name] = "{}"
    data["over_collateralisation_pct"] = "175"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    event = AuditEvent.objects.get(action="update-terms")
    assert event.actor == world.advisor_a and event.client == world.client_x
    assert ("over_collateralisation_pct", "150.000", "175") in event.changes or (
        "over_collateralisation_pct",
        "150.000",
        "175.000",
    ) in event.changes
    world.facility_x.refresh_from_db()
    assert world.facility_x.over_collateralisation_pct == Decimal("175")


def test_audit_trail_is_scoped_to_the_firm(world: World):
    client = Client()
    client.force_login(world.advisor_b)
    AuditEvent.objects.create(firm=world.firm_a, action="x", object_type="t", object_id="1", object_repr="secret A")
    assert "secret A" not in client.get(reverse("borrowers:audit-list")).content.decode()


def test_over_collateralisation_outside_the_usual_range_warns(world: World):
    world.facility_x.over_collateralisation_pct = Decimal("250")
    assert "250" in world.facility_x.over_collateralisation_warning
    world.facility_x.over_collateralisation_pct = Decimal("150")
    assert world.facility_x.over_collateralisation_warning is None


def test_access_denials_are_logged_with_who_and_what(world: World, caplog):
    client = Client()
    client.force_login(world.advisor_b)
    with caplog.at_level("WARNING", logger="stockpledge.access"):
        client.get(reverse("valuation:client-detail", args=[world.client_x.pk]))
    record = next(r for r in caplog.records if r.name == "stockpledge.access")
    assert record.user == world.advisor_b.pk and record.outcome == "denied" and "ClientCompany" in record.action


def test_liveness_answers_without_asking_any_service(world: World, settings, django_assert_num_queries):
    """A web process that serves is alive, whatever the workers and the broker: no query, no ping."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with django_assert_num_queries(0):
        answer = Client().get(reverse("health"))
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readiness_reports_each_service_to_operators_only(world: World, settings):
    settings.HEALTH_TOKEN = "operators-" + "k" * 30
    assert Client().get(reverse("health-ready")).status_code == 404
    assert Client(headers={"Authorization": "Bearer wrong"}).get(reverse("health-ready")).status_code == 404
    advisor = Client()
    advisor.force_login(world.advisor_a)
    assert advisor.get(reverse("health-ready")).status_code == 404
    answer = Client(headers={"Authorization": f"Bearer {settings.HEALTH_TOKEN}"}).get(reverse("health-ready"))
    body = answer.json()
    assert set(body["checks"]) == {"database", "redis", "celery"}
    assert body["checks"]["database"]["ok"] is True
    assert answer.status_code == (200 if all(c["ok"] for c in body["checks"].values()) else 503)


def test_readiness_says_503_when_the_broker_is_unreachable(world: World, settings):
    settings.HEALTH_TOKEN = "operators-" + "k" * 30
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    answer = Client(headers={"Authorization": f"Bearer {settings.HEALTH_TOKEN}"}).get(reverse("health-ready"))
    assert answer.status_code == 503 and answer.json()["checks"]["redis"]["ok"] is False


def test_figures_are_formatted_per_locale_and_rounded_half_up():
    from decimal import Decimal

    from borrowers.common.formatting import money, percent

    amount = Decimal("1234567.885")
    assert money(amount, "EUR", "fr").replace("\u202f", " ").replace("\xa0", " ") == "1 234 567,89 €"
    assert money(amount, "EUR", "en") == "€1,234,567.89"
    assert money(amount, "CNY", "zh-hans") == "¥1,234,567.89"
    assert money(Decimal("2.345"), "EUR", "en") == "€2.35"  # half-up, not half-even
    assert percent(Decimal("150.000"), "en") == "150 %" or percent(Decimal("150.000"), "en") == "150%"
    assert money(None) == "—"
