"""The facility form's rule, criteria and LTV-cap tables; the dossier says which limit binds; the
migration carries old JSON terms over without switching anything off."""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps as django_apps
from django.urls import reverse

from borrowers.models import AuditEvent
from facilities.models import Facility, Structure
from tests.dossier.test_dossier_page import _form_data
from tests.engine.helpers import lines
from tests.reports.conftest import TERMS_B, make_run
from valuation.engine.terms import Rule


def _edit_url(world):
    return reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk])


def _editor_data(world, **changes):
    """Every field of the page as a browser posts it (the editor's fields included)."""
    form_data = _form_data(world.facility_x, world)
    from facilities.forms import FacilityForm

    editor = FacilityForm(instance=world.facility_x, client=world.client_x, user=world.advisor_a).terms_editor
    for name, field in editor.fields.items():
        key = editor.add_prefix(name)
        value = editor[name].value()
        if field.widget.__class__.__name__ == "CheckboxInput":
            if value:
                form_data[key] = "on"
            continue
        if isinstance(value, list):
            form_data[key] = value
            continue
        form_data[key] = "" if value is None else str(value)
    for key, value in changes.items():
        if value is None:
            form_data.pop(key, None)
        else:
            form_data[key] = value
    return form_data


def test_the_form_shows_one_row_per_rule_and_no_json_box(client, world):
    client.force_login(world.advisor_a)
    page = client.get(_edit_url(world)).content.decode()
    for rule in Rule:
        assert f'data-rule="{rule}"' in page
    assert 'name="eligibility_settings"' not in page and 'name="ltv_caps"' not in page
    assert 'name="terms-rule_perishable_min_shelf_life_days"' in page


def test_switching_a_rule_off_and_changing_a_threshold_round_trips(client, world):
    client.force_login(world.advisor_a)
    data = _editor_data(
        world,
        **{
            "terms-rule_defective_enabled": None,
            "terms-rule_obsolete_no_movement_days": "180",
            "terms-ltv_cap_high": "80",
        },
    )
    answer = client.post(_edit_url(world), data)
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    facility = Facility.objects.get(pk=world.facility_x.pk)
    rules = {r["rule"]: r for r in facility.eligibility_settings["rules"]}
    assert set(rules) == {str(rule) for rule in Rule}
    assert rules["defective"]["enabled"] is False
    assert [code for code, r in rules.items() if not r["enabled"]] == ["defective"]
    assert rules["obsolete"]["no_movement_days"] == 180
    assert facility.ltv_caps == {"high": "80", "medium": "65", "low": "40"}
    page = client.get(facility.get_absolute_url()).content.decode()
    assert 'data-rule="defective"' in page and "180" in page


def test_physical_controls_without_a_reason_is_refused(client, world):
    client.force_login(world.advisor_a)
    answer = client.post(_edit_url(world), _editor_data(world, **{"terms-physical_controls_pct": "5"}))
    assert answer.status_code == 200
    editor = answer.context["form"].terms_editor
    assert "physical_controls_reason" in editor.errors
    assert Facility.objects.get(pk=world.facility_x.pk).criteria_settings["physical_controls_pct"] == "0"


def test_two_rules_in_the_same_place_are_refused(client, world):
    client.force_login(world.advisor_a)
    answer = client.post(_edit_url(world), _editor_data(world, **{"terms-rule_wip_position": "1"}))
    assert answer.status_code == 200
    assert answer.context["form"].terms_editor.non_field_errors()


def test_try_other_terms_uses_the_same_tables(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-compare-terms", args=[world.facility_x.pk])
    assert 'data-rule="obsolete"' in client.get(url).content.decode()
    answer = client.post(url, _editor_data(world, **{"terms-rule_wip_enabled": None}))
    rows = {row.label: row for row in answer.context["rows"]}
    # WIP 6 000,00 made eligible: 82 000,13 × 75 % = 61 500,10; ÷ 150 % = 41 000,07
    assert rows["Financing"].after == Decimal("41000.07")
    assert Facility.objects.get(pk=world.facility_x.pk).eligibility_settings["rules"][7]["enabled"] is True


def test_the_dossier_says_the_ltv_cap_binds_with_example_b(client, world):
    """Example B: base 4,170,000, but the 65 % cap on NOLV 5,200,000 allows 3,380,000."""
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    client.force_login(world.advisor_a)
    page = client.get(run.facility.get_absolute_url()).content.decode()
    assert "€3,380,000.00" in page and "€4,170,000.00" in page
    assert "the loan-to-value caps" in page.split('id="binding-limit"')[1][:200]


def test_the_dossier_says_indicative_caps_do_not_bind(client, world):
    run = make_run(
        world, lines(["8000000"]), {**TERMS_B, "ltv_caps_indicative": True}, structure=Structure.BORROWING_BASE
    )
    Facility.objects.filter(pk=run.facility_id).update(ltv_caps_indicative=True)
    client.force_login(world.advisor_a)
    page = client.get(run.facility.get_absolute_url()).content.decode()
    assert "indicative" in page.split('id="ltv-caps"')[1][:300]
    assert "the NOLV leg" in page.split('id="binding-limit"')[1][:200]


def test_the_migration_keeps_unnamed_rules_on_and_notes_what_it_could_not_read(world):
    """Old JSON: a one-rule list (which switched ten rules off), a rule typed as a key of its own,
    a misspelt criteria key and a category name as a cap key."""
    from importlib import import_module

    migration = import_module("facilities.migrations.0004_complete_stored_terms")
    Facility.objects.filter(pk=world.facility_x.pk).update(
        eligibility_settings={
            "rules": [{"rule": "defective", "enabled": False}],
            "perishable": {"min_shelf_life_days": 60},
        },
        criteria_settings={"count_variance": "3", "obsolete_after_days": 200},
        ltv_caps={"Raw materials": 70, "low": "30"},
    )
    migration.complete_terms(django_apps, None)
    facility = Facility.objects.get(pk=world.facility_x.pk)
    rules = {r["rule"]: r for r in facility.eligibility_settings["rules"]}
    assert set(rules) == {str(rule) for rule in Rule}
    assert [code for code, r in rules.items() if not r["enabled"]] == ["defective"]
    assert rules["perishable"]["min_shelf_life_days"] == 60
    assert facility.criteria_settings["obsolete_after_days"] == 200
    assert facility.criteria_settings["count_variance_pct"] == "0"
    assert facility.ltv_caps == {"high": "85", "medium": "65", "low": "30"}
    note = AuditEvent.objects.get(action="migrate-terms", object_id=str(facility.pk))
    text = str(note.after)
    assert "count_variance" in text and "Raw materials" in text
