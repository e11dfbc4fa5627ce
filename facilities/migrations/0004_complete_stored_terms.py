"""Rewrite every facility's eligibility rules, criteria settings and LTV caps in their complete shape.

Old JSON was typed by hand: a partial ``rules`` list switched off every rule it did not name, and
unknown keys were silently ignored. Here:
- a partial ``rules`` list keeps the rules it does not name ON, at their defaults;
- a rule written as a key of its own (``{"obsolete": {"no_movement_days": 180}}``) becomes that rule;
- anything else unknown, or a setting the engine refuses, is not silently dropped: the default (on,
  docs/domain.md's figures) is kept for it, the old value is printed and kept in an audit note
  (action ``migrate-terms``) on the facility, so an advisor can see and re-enter it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import migrations


def _split_eligibility(old: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from facilities.terms_settings import ELIGIBILITY_KEYS, RULE_KEYS
    from valuation.engine.terms import Rule

    known, unknown = {}, {}
    rule_names = {rule.value for rule in Rule}
    rules = list(old.get("rules") or []) if isinstance(old.get("rules"), list) else []
    if "rules" in old and not isinstance(old.get("rules"), list):
        unknown["rules"] = old["rules"]
    named = {item.get("rule") for item in rules if isinstance(item, dict)}
    for key, value in old.items():
        if key in ELIGIBILITY_KEYS:
            if key != "rules":
                known[key] = value
        elif key in rule_names and isinstance(value, dict) and key not in named:
            rules.append({"rule": key, **{k: v for k, v in value.items() if k in RULE_KEYS - {"rule"}}})
            extra = {k: v for k, v in value.items() if k not in RULE_KEYS}
            if extra:
                unknown[key] = extra
        else:
            unknown[key] = value
    kept_rules = []
    for item in rules:
        if isinstance(item, dict) and item.get("rule") in rule_names:
            extra = {k: v for k, v in item.items() if k not in RULE_KEYS}
            kept_rules.append({k: v for k, v in item.items() if k in RULE_KEYS})
            if extra:
                unknown[f"rules.{item['rule']}"] = extra
        else:
            unknown.setdefault("rules (unknown)", []).append(item)
    known["rules"] = kept_rules
    return known, unknown


def _split(old: dict[str, Any], known_keys: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        {k: v for k, v in old.items() if k in known_keys},
        {k: v for k, v in old.items() if k not in known_keys},
    )


def complete_terms(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from facilities import terms_settings as ts
    from valuation.engine.terms import LiquidityClass

    Facility = apps.get_model("facilities", "Facility")
    AuditEvent = apps.get_model("borrowers", "AuditEvent")
    for facility in Facility.objects.select_related("client").iterator():
        notes: dict[str, Any] = {}
        before = {
            "eligibility_settings": facility.eligibility_settings,
            "criteria_settings": facility.criteria_settings,
            "ltv_caps": facility.ltv_caps,
        }
        splits = {
            "eligibility_settings": (
                _split_eligibility(facility.eligibility_settings)
                if isinstance(facility.eligibility_settings, dict)
                else ({}, {"value": facility.eligibility_settings})
            ),
            "criteria_settings": (
                _split(facility.criteria_settings, ts.CRITERIA_KEYS)
                if isinstance(facility.criteria_settings, dict)
                else ({}, {"value": facility.criteria_settings})
            ),
            "ltv_caps": (
                _split(facility.ltv_caps, {k.value for k in LiquidityClass})
                if isinstance(facility.ltv_caps, dict)
                else ({}, {"value": facility.ltv_caps})
            ),
        }
        cleaners = {
            "eligibility_settings": ts.clean_eligibility,
            "criteria_settings": ts.clean_criteria,
            "ltv_caps": ts.clean_ltv_caps,
        }
        for name, (known, unknown) in splits.items():
            if unknown:
                notes[name] = {"not understood, default kept": unknown}
            try:
                setattr(facility, name, cleaners[name](known))
            except ValidationError as error:
                notes[name] = {"refused, default kept": known, "reason": error.messages, **notes.get(name, {})}
                setattr(facility, name, cleaners[name]({}))
        facility.save(update_fields=["eligibility_settings", "criteria_settings", "ltv_caps"])
        if notes:
            print(f"\n  facility {facility.pk} ({facility.name}): terms not carried over, defaults kept: {notes}")
            AuditEvent.objects.create(
                firm_id=facility.client.firm_id,
                client_id=facility.client_id,
                actor=None,
                action="migrate-terms",
                object_type="facilities.Facility",
                object_id=str(facility.pk),
                object_repr=str(facility.name)[:300],
                before=before,
                after={"not carried over": notes},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0003_ltv_caps_indicative_and_complete_terms"),
        ("borrowers", "0003_client_view_and_reporting_period"),
    ]

    operations = [migrations.RunPython(complete_terms, migrations.RunPython.noop)]
