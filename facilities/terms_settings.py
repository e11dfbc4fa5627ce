"""The facility's eligibility rules, criteria settings and LTV caps, in their stored (complete) form.

The facility keeps these three as JSON, but nobody types JSON: the form and the API send typed
values, and every write goes through ``clean_eligibility`` / ``clean_criteria`` / ``clean_ltv_caps``
here. Each checks the keys against the engine's vocabulary (an unknown rule, key or category is
refused by name: a misspelt setting must never be silently ignored), lets the engine validate the
values, and returns the COMPLETE setting: every rule of ``Rule`` (a rule left out keeps its default,
on), every business model × category mix range, every liquidity class's cap. So what is stored is
always whole and valid, and a partial set can never switch off what it does not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from valuation.engine.columns import Category
from valuation.engine.errors import TermsError
from valuation.engine.terms import (
    DEFAULT_LTV_CAPS,
    DEFAULT_MIX_RANGES,
    BusinessModel,
    CriteriaTerms,
    LiquidityClass,
    MixRange,
    Rule,
    RuleSetting,
    TurnoverBand,
    terms_from_dict,
    terms_to_dict,
)

# The threshold each rule reads (RuleSetting's docstring) and its unit; a rule absent here has none.
RULE_THRESHOLDS: dict[str, tuple[str, Any]] = {
    Rule.PERISHABLE.value: ("min_shelf_life_days", gettext_lazy("minimum shelf life (days)")),
    Rule.OBSOLETE.value: ("no_movement_days", gettext_lazy("no movement for (days)")),
    Rule.SLOW_MOVING.value: ("min_turns", gettext_lazy("minimum turns per year")),
}
THRESHOLD_FIELDS = tuple(f.name for f in fields(RuleSetting) if f.name not in ("rule", "enabled"))
RULE_KEYS = {"rule", "enabled", "position", *THRESHOLD_FIELDS}
ELIGIBILITY_KEYS = {"rules", "accepted_locations", "excluded_locations"}
CRITERIA_KEYS = {f.name for f in fields(CriteriaTerms)}
MIX_KEYS = {f.name for f in fields(MixRange)}
BAND_KEYS = {f.name for f in fields(TurnoverBand)}

# A pledge with defaults: the smallest terms the engine accepts, to validate one setting at a time.
_PROBE = {"structure": "pledge_without_dispossession", "pledge": {}}


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _unknown_keys(field: str, data: Mapping[str, Any], known: set[str], where: str = "") -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise _refuse(
            field,
            _("Unknown setting %(names)s%(where)s; known: %(known)s.")
            % {"names": ", ".join(unknown), "where": where, "known": ", ".join(sorted(known))},
        )


def _object(field: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _refuse(field, _("Expected an object of settings."))
    return value


def _engine(field: str, data: dict[str, Any]) -> Any:
    try:
        return terms_from_dict({**_PROBE, **data})
    except TermsError as error:
        raise _refuse(field, f"{error.setting}: {error.message}") from error


# ----------------------------------------------------------------------------- eligibility


def clean_eligibility(value: Any) -> dict[str, Any]:
    """The complete eligibility settings: every rule in order (given order, or ``position``), with
    ``enabled`` and all thresholds, and the accepted (None: any) and excluded location codes."""
    field = "eligibility_settings"
    data = _object(field, value)
    _unknown_keys(field, data, ELIGIBILITY_KEYS)
    rules_in = data.get("rules") or []
    if not isinstance(rules_in, list | tuple):
        raise _refuse(field, _("“rules” must be a list of rules."))
    known_rules = {rule.value for rule in Rule}
    rules: list[dict[str, Any]] = []
    for i, item in enumerate(rules_in):
        if not isinstance(item, Mapping):
            raise _refuse(field, _("Rule %(n)s must be an object.") % {"n": i + 1})
        name = item.get("rule")
        if not isinstance(name, str) or name not in known_rules:
            raise _refuse(
                field,
                _("Unknown rule %(name)s; known rules: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(known_rules))},
            )
        _unknown_keys(field, item, RULE_KEYS, _(" in rule %(name)s") % {"name": name})
        rules.append(dict(item))
    if any("position" in item for item in rules):
        positions = [item.get("position") for item in rules]
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in positions):
            raise _refuse(field, _("Every rule needs a whole-number position when one has it."))
        rules.sort(key=lambda item: item["position"])
    for item in rules:
        item.pop("position", None)
    locations: dict[str, Any] = {}
    for key in ("accepted_locations", "excluded_locations"):
        if key in data and data[key] is not None:
            locations[key] = _location_codes(field, key, data[key])
    if not locations.get("accepted_locations"):
        locations.pop("accepted_locations", None)  # no list, or an empty one: no site restriction
    terms = _engine(field, {"rules": rules, **locations})
    dumped = terms_to_dict(terms)
    return {
        "rules": dumped["rules"],
        "accepted_locations": dumped["accepted_locations"],
        "excluded_locations": dumped["excluded_locations"],
    }


def _location_codes(field: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise _refuse(field, _("“%(key)s” must be a list of site codes.") % {"key": key})
    codes = [code.strip() for code in value if code.strip()]
    return list(dict.fromkeys(codes))  # no duplicates, first order kept


# -------------------------------------------------------------------------------- criteria


def clean_criteria(value: Any) -> dict[str, Any]:
    """The complete criteria settings: mix ranges for every business model and category,
    turnover bands, obsolete-after days, count variance and physical controls (with its reason)."""
    field = "criteria_settings"
    data = dict(_object(field, value))
    _unknown_keys(field, data, CRITERIA_KEYS)
    ranges = data.get("mix_ranges")
    if ranges is not None:
        ranges = _object(field, ranges)
        models = {m.value for m in BusinessModel}
        categories = {c.value for c in Category}
        for model, by_category in ranges.items():
            if model not in models:
                raise _refuse(
                    field,
                    _("Unknown business model %(name)s; known: %(known)s.")
                    % {"name": model, "known": ", ".join(sorted(models))},
                )
            for category, mix in _object(field, by_category).items():
                if category not in categories:
                    raise _refuse(
                        field,
                        _("Unknown category %(name)s; known: %(known)s.")
                        % {"name": category, "known": ", ".join(sorted(categories))},
                    )
                _unknown_keys(field, _object(field, mix), MIX_KEYS, f" ({model} · {category})")
    bands = data.get("turnover_bands")
    if bands is not None:
        if not isinstance(bands, list | tuple):
            raise _refuse(field, _("“turnover_bands” must be a list of bands."))
        for band in bands:
            _unknown_keys(field, _object(field, band), BAND_KEYS)
    if isinstance(data.get("physical_controls_reason"), str):
        data["physical_controls_reason"] = data["physical_controls_reason"].strip()
    # Field exams: the source of a measured variance is set by engine_terms_dict from the accepted
    # exam, never stored with the typed settings (nor part of their hash when there is none).
    data.pop("count_variance_source", None)
    criteria = _engine(field, {"criteria": data}).criteria
    dumped = terms_to_dict(criteria)
    dumped.pop("count_variance_source", None)
    if dumped["mix_ranges"] is None:
        dumped["mix_ranges"] = terms_to_dict(DEFAULT_MIX_RANGES)
    return dumped


# -------------------------------------------------------------------------------- LTV caps


def clean_ltv_caps(value: Any) -> dict[str, str]:
    """The cap of every liquidity class, in %; a class not given keeps its default."""
    field = "ltv_caps"
    data = _object(field, value)
    _unknown_keys(field, data, {k.value for k in LiquidityClass})
    caps = _engine(field, {"ltv_caps": dict(data)}).ltv_caps
    return {str(klass): str(caps[klass]) for klass in LiquidityClass}


def default_eligibility() -> dict[str, Any]:
    return clean_eligibility({})


def default_criteria() -> dict[str, Any]:
    return clean_criteria({})


def default_ltv_caps() -> dict[str, str]:
    return {str(klass): str(cap) for klass, cap in DEFAULT_LTV_CAPS.items()}
