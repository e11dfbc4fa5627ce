"""The API edits rules, criteria and LTV caps with the form's checks: unknown names are refused by
name (400, never ignored), a partial set never switches off what it does not name, and what is
stored is always the complete setting."""

from __future__ import annotations

import pytest

from facilities.models import Facility
from tests.api.test_crud import WRITER, body
from valuation.engine.terms import Rule


def _patch(as_persona, facility, data):
    return as_persona(WRITER).patch(f"/api/facilities/{facility.pk}/", data, content_type="application/json")


@pytest.mark.parametrize(
    ("data", "field", "named"),
    [
        ({"eligibility_settings": {"rules": [{"rule": "obsolete_stock"}]}}, "eligibility_settings", "obsolete_stock"),
        ({"eligibility_settings": {"rules": [{"rule": ["x"]}]}}, "eligibility_settings", "Unknown rule"),
        (
            {"eligibility_settings": {"rules": [{"rule": "obsolete", "no_movement": 90}]}},
            "eligibility_settings",
            "no_movement",
        ),
        ({"eligibility_settings": {"obsolete": {"no_movement_days": 90}}}, "eligibility_settings", "obsolete"),
        ({"criteria_settings": {"count_variance": "3"}}, "criteria_settings", "count_variance"),
        (
            {"criteria_settings": {"mix_ranges": {"make_to_stock": {"Raw materials": {"min_pct": 0, "max_pct": 70}}}}},
            "criteria_settings",
            "Raw materials",
        ),
        ({"criteria_settings": {"physical_controls_pct": "5"}}, "criteria_settings", "physical_controls_reason"),
        ({"ltv_caps": {"Raw materials": 70}}, "ltv_caps", "Raw materials"),
        ({"ltv_caps": {"high": "120"}}, "ltv_caps", "ltv_caps.high"),
        ({"ltv_caps": ["not", "an", "object"]}, "ltv_caps", "object"),
    ],
)
def test_unknown_or_invalid_settings_answer_400_naming_them(world, as_persona, data, field, named):
    answer = _patch(as_persona, world.facility_x, data)
    assert answer.status_code == 400, answer.content
    messages = " ".join(body(answer)["fields"][field])
    assert named in messages
    world.facility_x.refresh_from_db()
    assert world.facility_x.eligibility_settings["rules"][0]["rule"] == "not_owned"  # nothing stored


def test_a_partial_rules_list_keeps_every_other_rule_on(world, as_persona):
    """{"rules": [obsolete at 180 days]} once switched every other rule off; now the ten others
    stay on at their defaults and the stored setting is complete."""
    answer = _patch(
        as_persona,
        world.facility_x,
        {"eligibility_settings": {"rules": [{"rule": "obsolete", "no_movement_days": 180}]}},
    )
    assert answer.status_code == 200, answer.content
    stored = Facility.objects.get(pk=world.facility_x.pk).eligibility_settings
    assert [r["rule"] for r in stored["rules"]] == [str(rule) for rule in Rule]
    assert all(r["enabled"] for r in stored["rules"])
    assert next(r for r in stored["rules"] if r["rule"] == "obsolete")["no_movement_days"] == 180
    shown = body(answer)["eligibility_settings"]
    assert len(shown["rules"]) == len(Rule)


def test_positions_reorder_and_one_rule_switches_off(world, as_persona):
    rules = [{"rule": str(rule), "position": len(Rule) - i} for i, rule in enumerate(Rule)]
    rules[0]["enabled"] = False
    answer = _patch(as_persona, world.facility_x, {"eligibility_settings": {"rules": rules}})
    assert answer.status_code == 200, answer.content
    stored = Facility.objects.get(pk=world.facility_x.pk).eligibility_settings["rules"]
    assert [r["rule"] for r in stored] == [str(rule) for rule in reversed(Rule)]
    assert [r["rule"] for r in stored if not r["enabled"]] == ["not_owned"]


def test_partial_caps_keep_the_other_classes_and_indicative_is_a_field(world, as_persona):
    answer = _patch(as_persona, world.facility_x, {"ltv_caps": {"high": "80"}, "ltv_caps_indicative": False})
    assert answer.status_code == 200, answer.content
    facility = Facility.objects.get(pk=world.facility_x.pk)
    assert facility.ltv_caps == {"high": "80", "medium": "65", "low": "40"}
    assert facility.ltv_caps_indicative is False
    assert body(answer)["ltv_caps_indicative"] is False


def test_the_schema_describes_the_typed_settings(client, world):
    client.force_login(world.advisor_a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert "rule" in components["RuleSettingSchema"]["properties"]
    assert "rules" in components["EligibilitySchema"]["properties"]
    assert "physical_controls_reason" in components["CriteriaSchema"]["properties"]
    assert set(components["LtvCapsSchema"]["properties"]) == {"high", "medium", "low"}
    facility = components["Facility"]["properties"]
    assert "ltv_caps_indicative" in facility
