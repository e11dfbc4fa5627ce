"""Bad input on every form and API route gets field errors, never a 500 nor a change."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borrowers.models import AuditEvent, ClientCompany
from facilities.models import Facility
from tests.conftest import World

GARBAGE = [
    {},
    {"legal_name": "", "country": "France", "currency": "euro", "annual_cost_of_sales": "lots"},
    {"legal_name": "x" * 5000, "business_model": "pyramid", "situation": "???", "average_stock": "-1e400"},
    {"code": "", "name": "", "tenure": "castle", "physical_control_rating": "99"},
    {
        "name": "F",
        "structure": "magic",
        "over_collateralisation_pct": "99",
        "fungibility_share_pct": "101",
        "cost_advance_rate_pct": "150",
        "eligibility_settings": "{not json",
        "day_basis": "366",
    },
    {"email": "not-an-email", "role": "emperor"},
    {"base_category": "gold", "default_recovery_pct": "-5"},
    {"language": "klingon"},
]


def _form_urls(w: World) -> list[str]:
    return [
        reverse("borrowers:client-create"),
        reverse("borrowers:client-edit", args=[w.client_x.pk]),
        reverse("borrowers:warehouse-create", args=[w.client_x.pk]),
        reverse("borrowers:warehouse-edit", args=[w.client_x.pk, w.warehouse_x.pk]),
        reverse("borrowers:category-list"),
        reverse("borrowers:category-edit", args=[w.category_a.pk]),
        reverse("borrowers:invitation-list"),
        reverse("facilities:lender-list"),
        reverse("facilities:lender-edit", args=[w.lender_a.pk]),
        reverse("facilities:facility-create", args=[w.client_x.pk]),
        reverse("facilities:facility-edit", args=[w.client_x.pk, w.facility_x.pk]),
    ]


@pytest.mark.parametrize("payload", GARBAGE)
def test_every_form_answers_garbage_with_field_errors(world: World, payload: dict[str, str]):
    client = Client()
    client.force_login(world.advisor_a)
    events_before = AuditEvent.objects.count()
    for url in _form_urls(world):
        response = client.post(url, payload)
        if response.status_code == 302:  # this payload happens to be valid for this form
            events_before = AuditEvent.objects.count()
            continue
        assert response.status_code == 200, (url, response.status_code)
        assert response.context["form"].errors, url
        assert AuditEvent.objects.count() == events_before, f"a rejected form changed something: {url}"


def test_facility_form_names_each_out_of_range_rate(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(
        reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk]),
        {"over_collateralisation_pct": "99", "fungibility_share_pct": "101", "cost_advance_rate_pct": "150"},
    )
    errors = response.context["form"].errors
    assert {"over_collateralisation_pct", "fungibility_share_pct", "cost_advance_rate_pct"} <= set(errors)


def test_invitation_accept_form_rejects_mismatched_and_weak_passwords(world: World):
    from borrowers.models import Invitation

    invitation = Invitation.objects.create(
        firm=world.firm_a, email="n@x.test", role="client", client=world.client_x, invited_by=world.advisor_a
    )
    url = reverse("accept-invitation", args=[invitation.token])
    response = Client().post(
        url, {"first_name": "a", "last_name": "b", "password1": "a-long-passphrase!", "password2": "other"}
    )
    assert "password2" in response.context["form"].errors
    response = Client().post(url, {"first_name": "a", "last_name": "b", "password1": "123", "password2": "123"})
    assert "password1" in response.context["form"].errors


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "legal_name",
                "country",
                "currency",
                "annual_cost_of_sales",
                "total_debt",
                "business_model",
                "situation",
                "language",
                "tangible_net_worth",
            ]
        ),
        st.text(max_size=40) | st.sampled_from(["NaN", "Infinity", "-0", "1e30", "0x10", "１２３", "\x00"]),
    )
)
def test_client_form_never_errors_on_arbitrary_text(world: World, data: dict[str, str]):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(reverse("borrowers:client-create"), data)
    assert response.status_code in (200, 302)


def test_api_answers_bad_input_with_field_names(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(
        "/api/facilities/",
        {
            "client": world.client_x.pk,
            "lender": world.lender_a.pk,
            "name": "F",
            "structure": "magic",
            "over_collateralisation_pct": "50",
            "other_reserve": "abc",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert {"structure", "over_collateralisation_pct", "other_reserve"} <= set(body["fields"])


def test_api_refuses_a_foreign_parent_as_a_field_error(world: World):
    """A firm-B advisor cannot attach a warehouse to firm A's client: the id is not a choice."""
    client = Client()
    client.force_login(world.advisor_b)
    response = client.post(
        "/api/warehouses/", {"client": world.client_x.pk, "code": "Z", "name": "Z"}, content_type="application/json"
    )
    assert response.status_code == 400 and "client" in response.json()["fields"]
    assert not world.client_x.warehouses.filter(code="Z").exists()


def test_api_write_isolation(world: World):
    outsider, client_user, bank = Client(), Client(), Client()
    outsider.force_login(world.advisor_b)
    client_user.force_login(world.client_user_x)
    bank.force_login(world.bank_shared)
    url = f"/api/clients/{world.client_x.pk}/"
    assert outsider.patch(url, {"legal_name": "Hacked"}, content_type="application/json").status_code == 404
    assert client_user.patch(url, {"legal_name": "Hacked"}, content_type="application/json").status_code == 403
    assert bank.patch(url, {"legal_name": "Hacked"}, content_type="application/json").status_code == 404
    assert outsider.delete(f"/api/facilities/{world.facility_x.pk}/").status_code == 404
    assert client_user.post("/api/clients/", {"legal_name": "Mine"}, content_type="application/json").status_code == 403
    world.client_x.refresh_from_db()
    assert world.client_x.legal_name == "Xylo Industries"
    assert Facility.objects.filter(pk=world.facility_x.pk).exists()
    assert not ClientCompany.objects.filter(legal_name="Mine").exists()


def test_client_users_never_see_advisor_notes(world: World):
    client = Client()
    client.force_login(world.client_user_x)
    page = client.get(reverse("valuation:client-detail", args=[world.client_x.pk])).content.decode()
    api = client.get(f"/api/clients/{world.client_x.pk}/").json()
    assert "CFO leaving" not in page and "internal_notes" not in api
    advisor = Client()
    advisor.force_login(world.advisor_a)
    assert "CFO leaving" in advisor.get(reverse("valuation:client-detail", args=[world.client_x.pk])).content.decode()
