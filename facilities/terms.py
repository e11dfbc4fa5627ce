"""A facility's terms in the engine's own vocabulary (``valuation.engine.terms``).

The database keeps the terms as the advisor edits them; this module is the one translation into
the dict the engine validates (the same dict a `manage.py valuate --terms` file holds), so the
web, the API, the tasks and the command line value stock under exactly the same rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from borrowers.models import StockCategory
from valuation.engine.errors import TermsError
from valuation.engine.terms import FacilityTerms, terms_from_dict

# Where each engine setting is edited on the facility form, to put an error next to its field.
SETTING_FIELDS = {
    "pledge.fungibility_share_pct": "fungibility_share_pct",
    "pledge.over_collateralisation_pct": "over_collateralisation_pct",
    "pledge.committed_guarantee": "pledged_guarantee",
    "borrowing_base.nolv_advance_rate_pct": "nolv_advance_rate_pct",
    "borrowing_base.cost_advance_rate_pct": "cost_advance_rate_pct",
    "borrowing_base.reserves": "reserves",
    "borrowing_base.receivables_cap_pct": "receivables_cap_pct",
    "facility_limit": "facility_limit",
    "outstanding": "outstanding",
    "rules": "eligibility_settings",
    "accepted_locations": "eligibility_settings",
    "excluded_locations": "eligibility_settings",
    "criteria": "criteria_settings",
    "ltv_caps": "ltv_caps",
    "categories": "nolv_appraisal",
    "cost": "margin_pct",
    "day_basis": "day_basis",
    "target_days": "target_days_of_stock",
}


def _text(value: Decimal | int | None) -> str | None:
    return None if value is None else str(value)


def _categories(facility: Any) -> list[dict[str, Any]]:
    """One setting per base category: the firm's category of that kind (first by code) gives the
    liquidity class and default rates; the facility's appraisal gives NOLV percentages."""
    firm_categories = StockCategory.objects.filter(firm_id=facility.client.firm_id).order_by("code")
    by_base: dict[str, StockCategory] = {}
    for category in firm_categories:
        by_base.setdefault(category.base_category, category)
    settings = []
    for base in ("raw_material", "wip", "finished_good"):
        setting: dict[str, Any] = {"category": base}
        firm_category = by_base.get(base)
        if firm_category is not None:
            setting["liquidity_class"] = firm_category.liquidity_class
            if firm_category.default_recovery_pct is not None:
                setting["nrv_pct_of_cost"] = _text(firm_category.default_recovery_pct)
            if firm_category.selling_costs_pct is not None:
                setting["commission_pct"] = _text(firm_category.selling_costs_pct)
        appraisal = (facility.nolv_appraisal or {}).get(base)
        if appraisal is not None:
            setting["nolv_appraisal_pct"] = str(appraisal)
        settings.append(setting)
    return settings


def site_terms(client: Any) -> dict[str, Any]:
    """The client's declared sites and the facts the site rules read, codes trimmed as the
    readers trim the file's: stock anywhere else is "undeclared_site" (the engine's
    ``valuation.engine.sites``). Sorted, so the same declaration always gives the same terms."""
    warehouses = list(client.warehouses.all())
    return {
        "declared_locations": sorted(w.code.strip() for w in warehouses),
        "uninsured_locations": sorted(w.code.strip() for w in warehouses if not w.insured),
        "no_dispossession_locations": sorted(w.code.strip() for w in warehouses if not w.dispossession_possible),
    }


def engine_terms_dict(facility: Any) -> dict[str, Any]:
    """The facility's terms as the engine's JSON-able dict (decimals as text)."""
    client = facility.client
    eligibility = dict(facility.eligibility_settings or {})
    terms: dict[str, Any] = {
        "structure": facility.structure,
        "method": facility.method,
        "categories": _categories(facility),
        "borrower": {
            "business_model": client.business_model,
            "annual_cost_of_sales": _text(client.annual_cost_of_sales),
            "average_stock": _text(client.average_stock),
            "total_debt": _text(client.total_debt),
            "tangible_net_worth": _text(client.tangible_net_worth),
            "receivables_borrowing": _text(client.receivables_borrowing),
        },
        "cost": {
            "base_rate_pct": _text(facility.base_rate_pct),
            "margin_pct": _text(facility.margin_pct),
            "commitment_fee_pct": _text(facility.commitment_fee_pct),
            "collateral_monitoring_fee": _text(facility.monitoring_fee),
            "field_exam_fee": _text(facility.field_exam_fee),
            "servicing_fee": _text(facility.servicing_fee),
        },
        "facility_limit": _text(facility.facility_limit),
        "outstanding": _text(facility.outstanding),
        "day_basis": int(facility.day_basis),
        "target_days": _text(facility.target_days_of_stock),
    }
    if facility.structure == "borrowing_base":
        terms["borrowing_base"] = {
            "nolv_advance_rate_pct": _text(facility.nolv_advance_rate_pct),
            "cost_advance_rate_pct": None if facility.use_leverage_grid else _text(facility.cost_advance_rate_pct),
            "reserves": _text(facility.reserves),
            "receivables_cap_pct": _text(facility.receivables_cap_pct),
        }
    else:
        terms["pledge"] = {
            "fungibility_share_pct": _text(facility.fungibility_share_pct),
            "over_collateralisation_pct": _text(facility.over_collateralisation_pct),
            "committed_guarantee": _text(facility.pledged_guarantee),
        }
    for key in ("rules", "accepted_locations", "excluded_locations"):
        if key in eligibility:
            terms[key] = eligibility[key]
    if "accepted_locations" not in terms and "excluded_locations" not in terms and facility.client_id:
        # By default a funder refuses stock on a leased site without a landlord waiver.
        refused = [w.code for w in client.warehouses.all() if not w.acceptable_by_default]
        if refused:
            terms["excluded_locations"] = refused
    terms.update(site_terms(client) if facility.client_id else {})
    if facility.criteria_settings:
        terms["criteria"] = dict(facility.criteria_settings)
    if facility.ltv_caps:
        terms["ltv_caps"] = {k: str(v) for k, v in facility.ltv_caps.items()}
    return terms


def engine_terms(facility: Any) -> FacilityTerms:
    """The validated engine terms; raises ValidationError naming the facility field at fault."""
    try:
        return terms_from_dict(engine_terms_dict(facility))
    except TermsError as error:
        field = next(
            (f for prefix, f in SETTING_FIELDS.items() if error.setting.startswith(prefix)),
            None,
        )
        message = f"{error.setting}: {error.message}"
        raise ValidationError({field: [message]} if field else [message]) from error
