"""Every CRUD route of the API gets the same tests for every persona (NetBox style: one mixin,
one small class per route saying which object, which data and who may read it).

Objects belong to firm A / company X (tests/conftest.py). Outsiders get 404, never 403; those who
may read an object but not change it get 403; only firm A's advisors write, through the audited
services; validation errors name their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from borrowers.models import AuditEvent, ClientCompany, StockCategory, Warehouse
from facilities.models import Facility, Lender, Structure
from tests.conftest import PERSONAS, World
from valuation.models import ValuationRun

pytestmark = pytest.mark.django_db

WRITER = "advisor_a"


def body(response) -> dict[str, Any]:
    return response.json()


class APIRouteTests:
    """The shared tests. A subclass sets `url` and `readers` and implements the hooks."""

    url: str
    readers: frozenset[str]  # personas that see the object (besides firm A's advisor)

    def obj(self, w: World) -> Model:
        raise NotImplementedError

    def create_data(self, w: World) -> dict[str, Any]:
        raise NotImplementedError

    def update_data(self, w: World) -> dict[str, Any]:
        raise NotImplementedError

    def invalid_data(self, w: World) -> tuple[dict[str, Any], set[str]]:
        """Data that must be refused, and the fields the error must name."""
        raise NotImplementedError

    def fresh(self, w: World) -> Model:
        """A new object of firm A nothing depends on (to delete)."""
        raise NotImplementedError

    def detail(self, pk: int) -> str:
        return f"{self.url}{pk}/"

    # ------------------------------------------------------------------------------ the tests

    def test_anonymous_callers_get_401(self, world: World, as_persona: Callable):
        anonymous = as_persona("anonymous")
        assert anonymous.get(self.url).status_code == 401
        assert anonymous.get(self.detail(self.obj(world).pk)).status_code == 401
        assert anonymous.post(self.url, self.create_data(world), content_type="application/json").status_code == 401

    def test_each_persona_lists_and_reads_only_what_it_may_see(self, world: World, as_persona: Callable):
        obj = self.obj(world)
        for persona in PERSONAS[1:]:
            client = as_persona(persona)
            listed = client.get(self.url)
            assert listed.status_code == 200, persona
            ids = {item["id"] for item in body(listed)["results"]}
            sees = persona in self.readers | {WRITER}
            assert (obj.pk in ids) is sees, persona
            assert client.get(self.detail(obj.pk)).status_code == (200 if sees else 404), persona

    def test_the_firms_advisor_creates_and_the_creation_is_audited(self, world: World, as_persona: Callable):
        answer = as_persona(WRITER).post(self.url, self.create_data(world), content_type="application/json")
        assert answer.status_code == 201, answer.content
        created = type(self.obj(world)).objects.get(pk=body(answer)["id"])
        event = AuditEvent.objects.get(object_type=created._meta.label, object_id=str(created.pk), action="create")
        assert event.actor == world.advisor_a and event.firm == world.firm_a

    @pytest.mark.parametrize("persona", ["client_user_x", "bank_shared"])
    def test_client_and_bank_users_cannot_create(self, world: World, as_persona: Callable, persona: str):
        model = type(self.obj(world))
        before = model.objects.count()
        answer = as_persona(persona).post(self.url, self.create_data(world), content_type="application/json")
        assert answer.status_code in (400, 403), answer.content
        assert model.objects.count() == before

    def test_the_firms_advisor_updates(self, world: World, as_persona: Callable):
        obj = self.obj(world)
        data = self.update_data(world)
        answer = as_persona(WRITER).patch(self.detail(obj.pk), data, content_type="application/json")
        assert answer.status_code == 200, answer.content
        for key, value in data.items():
            assert str(body(answer)[key]) == str(value), key
        assert AuditEvent.objects.filter(object_id=str(obj.pk), object_type=obj._meta.label).exists()

    def test_others_cannot_update_readers_get_403_outsiders_404(self, world: World, as_persona: Callable):
        obj = self.obj(world)
        for persona in PERSONAS[1:]:
            if persona == WRITER:
                continue
            answer = as_persona(persona).patch(
                self.detail(obj.pk), self.update_data(world), content_type="application/json"
            )
            assert answer.status_code == (403 if persona in self.readers else 404), persona
            assert set(body(answer)) >= {"error", "detail"}
        refreshed = type(obj).objects.get(pk=obj.pk)
        for key, value in self.update_data(world).items():
            assert str(getattr(refreshed, key)) != str(value), key

    def test_only_the_firms_advisor_deletes(self, world: World, as_persona: Callable):
        fresh = self.fresh(world)
        for persona in PERSONAS[1:]:
            if persona == WRITER:
                continue
            expected = 403 if as_persona(persona).get(self.detail(fresh.pk)).status_code == 200 else 404
            assert as_persona(persona).delete(self.detail(fresh.pk)).status_code == expected, persona
        assert as_persona(WRITER).delete(self.detail(fresh.pk)).status_code == 204
        assert not type(fresh).objects.filter(pk=fresh.pk).exists()
        assert AuditEvent.objects.filter(object_id=str(fresh.pk), action="delete").exists()

    def test_invalid_data_is_refused_with_the_fields_named(self, world: World, as_persona: Callable):
        data, fields = self.invalid_data(world)
        answer = as_persona(WRITER).post(self.url, data, content_type="application/json")
        assert answer.status_code == 400, answer.content
        assert body(answer)["error"] == "invalid"
        assert fields <= set(body(answer)["fields"]), body(answer)


class TestClients(APIRouteTests):
    url = "/api/clients/"
    readers = frozenset({"client_user_x"})

    def obj(self, w):
        return w.client_x

    def create_data(self, w):
        return {"legal_name": "Nouvelle Co", "currency": "EUR", "business_model": "trading"}

    def update_data(self, w):
        return {"sector": "Textiles"}

    def invalid_data(self, w):
        return {"legal_name": "", "business_model": "barter", "annual_cost_of_sales": "abc"}, {
            "legal_name",
            "business_model",
            "annual_cost_of_sales",
        }

    def fresh(self, w):
        return ClientCompany.objects.create(firm=w.firm_a, legal_name="Short-lived SARL")

    def test_advisor_notes_never_leave_through_the_api(self, world, as_persona):
        for persona in ("advisor_a", "client_user_x"):
            assert "internal_notes" not in body(as_persona(persona).get(self.detail(world.client_x.pk)))

    def test_a_duplicate_name_in_the_firm_is_a_field_error_not_a_crash(self, world, as_persona):
        answer = as_persona(WRITER).post(self.url, {"legal_name": "Xylo Industries"}, content_type="application/json")
        assert answer.status_code == 400
        assert "non_field_errors" in body(answer)["fields"]


class TestWarehouses(APIRouteTests):
    url = "/api/warehouses/"
    # The assigned controller reads the sites of its facility (field exams).
    readers = frozenset({"client_user_x", "controller"})

    def obj(self, w):
        return w.warehouse_x

    def create_data(self, w):
        return {"client": w.client_x.pk, "code": "W09", "name": "Marseille", "tenure": "leased"}

    def update_data(self, w):
        return {"name": "Lyon Est"}

    def invalid_data(self, w):
        return {"client": w.client_x.pk, "code": "", "name": "X", "physical_control_rating": 9}, {
            "code",
            "physical_control_rating",
        }

    def fresh(self, w):
        return Warehouse.objects.create(client=w.client_x, code="TMP", name="Temporary")

    def test_another_firms_client_is_not_a_choice(self, world, as_persona):
        """DRF checks no object permission on create: the related field itself is scoped."""
        answer = as_persona("advisor_b").post(self.url, self.create_data(world), content_type="application/json")
        assert answer.status_code == 400 and "client" in body(answer)["fields"]
        assert not Warehouse.objects.filter(code="W09").exists()

    def test_filter_by_client(self, world, as_persona):
        Warehouse.objects.create(client=world.client_y, code="Y1", name="Roubaix")
        listed = body(as_persona(WRITER).get(f"{self.url}?client={world.client_y.pk}"))["results"]
        assert [w["code"] for w in listed] == ["Y1"]
        answer = as_persona(WRITER).get(f"{self.url}?client=abc")
        assert answer.status_code == 400 and "client" in body(answer)["fields"]


class TestCategories(APIRouteTests):
    url = "/api/categories/"
    readers = frozenset()

    def obj(self, w):
        return w.category_a

    def create_data(self, w):
        return {"code": "PF", "name": "Produits finis", "base_category": "finished_good", "default_recovery_pct": "40"}

    def update_data(self, w):
        return {"name": "Matières"}

    def invalid_data(self, w):
        return {"code": "ZZ", "name": "Z", "base_category": "gas", "default_recovery_pct": "150"}, {
            "base_category",
            "default_recovery_pct",
        }

    def fresh(self, w):
        return StockCategory.objects.create(firm=w.firm_a, code="TMP", name="Tmp", base_category="raw_material")


class TestLenders(APIRouteTests):
    url = "/api/lenders/"
    readers = frozenset({"bank_shared"})

    def obj(self, w):
        return w.lender_a

    def create_data(self, w):
        return {"name": "Banque Trois", "contact_email": "credit@banque-trois.test"}

    def update_data(self, w):
        return {"contact_email": "risk@banque-un.test"}

    def invalid_data(self, w):
        return {"name": "banque un", "contact_email": "not-an-address"}, {"name", "contact_email"}

    def fresh(self, w):
        return Lender.objects.create(firm=w.firm_a, name="Banque Éphémère")

    def test_a_lender_with_facilities_cannot_be_deleted_409(self, world, as_persona):
        answer = as_persona(WRITER).delete(self.detail(world.lender_a.pk))
        assert answer.status_code == 409 and body(answer)["error"] == "in_use"
        assert Lender.objects.filter(pk=world.lender_a.pk).exists()


class TestFacilities(APIRouteTests):
    url = "/api/facilities/"
    readers = frozenset({"client_user_x"})

    def obj(self, w):
        return w.facility_x

    def create_data(self, w):
        return {
            "client": w.client_x.pk,
            "lender": w.lender_a.pk,
            "name": "Revolver 2027",
            "structure": "borrowing_base",
            "cost_advance_rate_pct": "60",
            "nolv_advance_rate_pct": "85",
            "priority_payables_reserve": "250000",
        }

    def update_data(self, w):
        return {"fungibility_share_pct": "80.000", "over_collateralisation_pct": "125.000"}

    def invalid_data(self, w):
        return {
            "client": w.client_x.pk,
            "lender": w.lender_a.pk,
            "name": "Bad",
            "structure": "mortgage",
            "over_collateralisation_pct": "50",
            "currency": "euro",
        }, {"structure", "over_collateralisation_pct", "currency"}

    def fresh(self, w):
        return Facility.objects.create(
            client=w.client_x, lender=w.lender_a, name="Tmp", structure=Structure.BORROWING_BASE
        )

    def test_a_terms_change_queues_a_recomputation_of_the_latest_run(
        self, world, as_persona, django_capture_on_commit_callbacks
    ):
        """Writes go through facilities.services.save_facility, which, once the edit commits, asks
        the valuation floor (by task name) to value the latest stock file under the new terms."""
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            answer = as_persona(WRITER).patch(
                self.detail(world.facility_x.pk), self.update_data(world), content_type="application/json"
            )
        assert answer.status_code == 200 and callbacks
        revalued = ValuationRun.objects.filter(
            facility=world.facility_x, terms__pledge__fungibility_share_pct__in=["80", "80.00", 80]
        )
        assert revalued.count() == 1
        assert Decimal(revalued.get().terms["pledge"]["fungibility_share_pct"]) == Decimal("80")

    def test_an_eligibility_setting_the_engine_refuses_names_its_field(self, world, as_persona):
        answer = as_persona(WRITER).patch(
            self.detail(world.facility_x.pk),
            {"eligibility_settings": {"rules": [{"rule": "no_such_rule"}]}},
            content_type="application/json",
        )
        assert answer.status_code == 400 and "eligibility_settings" in body(answer)["fields"]
        answer = as_persona(WRITER).patch(
            self.detail(world.facility_x.pk), {"ltv_caps": ["not", "an", "object"]}, content_type="application/json"
        )
        assert answer.status_code == 400 and "ltv_caps" in body(answer)["fields"]

    def test_another_firms_lender_is_not_a_choice(self, world, as_persona):
        data = {**self.create_data(world), "lender": world.lender_b.pk}
        answer = as_persona(WRITER).post(self.url, data, content_type="application/json")
        assert answer.status_code == 400 and "lender" in body(answer)["fields"]
