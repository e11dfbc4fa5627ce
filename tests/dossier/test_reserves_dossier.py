"""Named reserves and leased sites, through the facility's own terms (facilities/terms.py), the
pipeline and the dossier page; the all-in cost on the average drawn amount.

The dossier's stock file (tests/dossier/conftest.py) puts, after WIP and obsolete stock are taken
out, 1,000.00 of raw material at W01 (owned), 75,000.00 of finished goods at W02 and 0.13 of raw
material at W03. Here W02 and W03 are leased without a landlord waiver; W02's rent is 500 a month,
W03's is not entered. NOLV is appraised at 50 % of cost for both categories.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from borrowers.models import Tenure, Warehouse
from facilities.models import Appraisal, AppraisalRate, Facility, Structure
from facilities.terms import engine_terms, engine_terms_dict
from tests.dossier.test_dossier_page import _form_data
from valuation.models import RunStatus, ValuationRun


@pytest.fixture
def leased_sites(world):
    # The world declares W02 and W03 (owned): here they are leased without a landlord waiver.
    Warehouse.objects.update_or_create(
        client=world.client_x,
        code="W02",
        defaults={"name": "Vénissieux", "tenure": Tenure.LEASED, "monthly_rent": Decimal("500")},
    )
    Warehouse.objects.update_or_create(
        client=world.client_x, code="W03", defaults={"name": "Marseille", "tenure": Tenure.LEASED}
    )


def _facility(world, **fields) -> Facility:
    values = {
        "client": world.client_x,
        "lender": world.lender_a,
        "name": "Revolver",
        "structure": Structure.BORROWING_BASE,
        "cost_advance_rate_pct": Decimal("60"),
        "nolv_advance_rate_pct": Decimal("100"),
        "shrink_reserve_pct": Decimal("1"),
        "priority_payables_reserve": Decimal("2000"),
        "dilution_reserve": Decimal("300"),
        "other_reserve": Decimal("400"),
        "other_reserve_reason": "Disputed supplier invoice",
        "leased_site_treatment": "rent_reserve",
        "outstanding": Decimal("10000"),
        # The lines carry no resale price: the reserves' arithmetic is under test, not the caps.
        "ltv_caps_indicative": True,
        **fields,
    }
    facility = Facility.objects.create(**values)
    # An appraiser's NOLV of 50 % of cost for raw materials and finished goods, in force.
    appraisal = Appraisal.objects.create(
        facility=facility,
        appraiser="Test appraiser",
        effective_date=dt.date(2026, 1, 1),
        expiry_date=dt.date(2026, 12, 31),
    )
    for base in ("raw_material", "finished_good"):
        AppraisalRate.objects.create(appraisal=appraisal, base_category=base, nolv_pct=Decimal("50"))
    return facility


def test_rent_reserve_mode_keeps_a_rented_site_and_excludes_one_without_rent(world, leased_sites):
    terms = engine_terms_dict(_facility(world))
    assert "excluded_locations" not in terms
    rents = [r for r in terms["borrowing_base"]["reserves"] if r["kind"] == "rent"]
    assert rents == [
        {"kind": "rent", "site": "W02", "monthly_rent": "500", "months": 3},
        {"kind": "rent", "site": "W03", "monthly_rent": None, "months": 3},
    ]


def test_exclude_mode_and_pledges_exclude_leased_sites_and_take_no_rent_reserve(world, leased_sites):
    for facility in (_facility(world, leased_site_treatment="exclude"), world.facility_x):
        terms = engine_terms_dict(facility)
        assert terms["excluded_locations"] == ["W02", "W03"]
        assert not [r for r in (terms.get("borrowing_base") or {}).get("reserves", []) if r["kind"] == "rent"]


@pytest.fixture
def reserved_run(world, leased_sites, dossier_run, django_capture_on_commit_callbacks) -> ValuationRun:
    facility = Facility.objects.get(pk=_facility(world).pk)
    from valuation.pipeline import services

    with django_capture_on_commit_callbacks(execute=True):
        services.recompute_latest(facility=facility, by=world.advisor_a)
    run = ValuationRun.objects.filter(facility=facility).latest("pk")
    assert run.status == RunStatus.DONE, run.failure_reason
    return run


def test_each_reserve_with_its_basis_and_the_site_without_rent_excluded(reserved_run):
    """Eligible 1,000.00 (W01) + 75,000.00 (W02) = 76,000.00; W03's 0.13 is excluded (no rent).
    NOLV 50 % → 38,000.00, the lower leg (cost leg 60 % → 45,600.00). Reserves: shrink 1 % ×
    76,000.00 = 760.00; rent W02 3 × 500 = 1,500.00; W03 0 (excluded instead); priority payables
    2,000; dilution 300; other 400 → Σ 4,960.00; borrowing base 38,000 − 4,960 = 33,040.00.
    Had W03 been financed behind a zero reserve its 0.13 would have counted: it does not."""
    result = reserved_run.result
    assert result["eligibility"]["eligible"] == "76000.00"
    base = result["financing"]["borrowing_base"]
    assert [(r["kind"], r["site"], r["amount"]) for r in base["named_reserves"]] == [
        ("shrink", "", "760.00"),
        ("priority_payables", "", "2000.00"),
        ("dilution", "", "300.00"),
        ("other", "", "400.00"),
        ("rent", "W02", "1500.00"),
        ("rent", "W03", "0.00"),
    ]
    assert base["reserves"] == "4960.00"
    assert base["borrowing_base"] == "33040.00"
    assert "site W03 has a rent reserve but no monthly rent: its stock is excluded" in result["warnings"]


def test_the_dossier_shows_every_reserve_with_its_basis_and_the_cost_base(client, world, reserved_run):
    """Cost: nothing set but the outstanding 10,000, so it is charged on 10,000.00."""
    client.force_login(world.advisor_a)
    body = client.get(reverse("valuation:facility-detail", args=[reserved_run.facility_id])).content.decode()
    for text in (
        "Shrink reserve",
        "1% of eligible stock at cost (€76,000.00)",
        "Rent reserve",
        "3 months × €500.00 monthly rent, site W02",
        "no monthly rent entered for site W03: its stock is excluded instead",
        "Priority payables reserve",
        "Dilution reserve",
        "Other reserve",
        "Disputed supplier invoice",
        "− €4,960.00",
        "<strong>€33,040.00</strong>",
        "Site W03 has a rent reserve but no monthly rent: its stock is excluded",
        "on an average drawn amount of €10,000.00",
        "(the outstanding)",
    ):
        assert text in body, text


def test_an_other_reserve_without_a_reason_is_refused_on_the_form(client, world):
    facility = _facility(world, other_reserve_reason="")
    with pytest.raises(ValidationError) as caught:
        engine_terms(facility)
    assert "other_reserve_reason" in caught.value.message_dict
    client.force_login(world.advisor_a)
    url = reverse("facilities:facility-edit", args=[world.client_x.pk, facility.pk])
    response = client.post(url, _form_data(facility, world))
    assert response.status_code == 200
    assert "other_reserve_reason" in response.context["form"].errors


def test_a_reserve_on_a_pledge_is_refused_rather_than_silently_left_out(client, world):
    client.force_login(world.advisor_a)
    url = reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk])
    response = client.post(url, _form_data(world.facility_x, world, priority_payables_reserve="5000"))
    assert response.status_code == 200
    assert "priority_payables_reserve" in response.context["form"].errors


def test_the_form_groups_the_reserves_in_a_fieldset(client, world):
    client.force_login(world.advisor_a)
    body = client.get(reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk])).content
    text = body.decode()
    start = text.index("<legend>Reserves</legend>")
    end = text.index("</fieldset>", start)
    for name in (
        "shrink_reserve_pct",
        "priority_payables_reserve",
        "dilution_reserve",
        "other_reserve_reason",
        "leased_site_treatment",
        "rent_reserve_months",
    ):
        assert f'name="{name}"' in text[start:end], name
    assert 'name="average_drawn"' in text


def test_try_other_terms_accepts_reserves(client, world, reserved_run):
    """Raising the priority payables reserve from 2,000 to 12,000 lowers the base by 10,000:
    33,040.00 → 23,040.00; nothing is saved."""
    facility = reserved_run.facility
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare-terms", args=[facility.pk])
    response = client.post(url, _form_data(facility, world, priority_payables_reserve="12000"))
    assert response.status_code == 200, response
    rows = {row.label: row for row in response.context["rows"]}
    financing = rows["Financing"]
    assert (financing.before, financing.after) == (Decimal("33040.00"), Decimal("23040.00"))
    facility.refresh_from_db()
    assert facility.priority_payables_reserve == Decimal("2000")
