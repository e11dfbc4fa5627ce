"""A facility's terms in the engine's own vocabulary (``valuation.engine.terms``).

The database keeps the terms as the advisor edits them; this module is the one translation into
the dict the engine validates (the same dict a `manage.py valuate --terms` file holds), so the
web, the API, the tasks and the command line value stock under exactly the same rules.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.models import StockCategory
from facilities import terms_settings
from valuation.engine.columns import code_key
from valuation.engine.errors import TermsError
from valuation.engine.terms import FacilityTerms, terms_from_dict

# Where each engine setting is edited on the facility form, to put an error next to its field.
SETTING_FIELDS = {
    "pledge.fungibility_share_pct": "fungibility_share_pct",
    "pledge.over_collateralisation_pct": "over_collateralisation_pct",
    "pledge.committed_guarantee": "pledged_guarantee",
    "borrowing_base.nolv_advance_rate_pct": "nolv_advance_rate_pct",
    "borrowing_base.cost_advance_rate_pct": "cost_advance_rate_pct",
    "borrowing_base.receivables_cap_pct": "receivables_cap_pct",
    "facility_limit": "facility_limit",
    "outstanding": "outstanding",
    "rules": "eligibility_settings",
    "accepted_locations": "eligibility_settings",
    "excluded_locations": "eligibility_settings",
    "criteria": "criteria_settings",
    "ltv_caps_indicative": "ltv_caps_indicative",
    "ltv_caps": "ltv_caps",
    "cost": "margin_pct",
    "day_basis": "day_basis",
    "target_days": "target_days_of_stock",
}


def _text(value: Decimal | int | None) -> str | None:
    """A decimal as plain text without trailing zeros ("75", "0.5"): the same figure reads the same
    whether it comes from a form (75) or from the database (75.000), so the terms' hash, which says
    whether a valuation is current, changes only when a figure does."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


# From the least to the most liquid: the fallback for a base category takes the least liquid.
_LIQUIDITY_ORDER = ("low", "medium", "high")


def _fallback(base: str, own: list[StockCategory]) -> dict[str, Any]:
    """The setting for a base category's lines that name no (known) firm sub-category.

    The firm category whose code is the base category's own ("finished_good", "Finished good")
    when there is one; otherwise the most conservative of the firm's categories of that base,
    field by field: the least liquid class, the lowest recovery rate (none when any of them has
    none: such lines then have no liquidation value), the highest selling costs. Never more
    generous than any category the firm defined, so an unlabelled line cannot borrow the best
    sub-category's rates (the old "first category by code" could)."""
    setting: dict[str, Any] = {"category": base}
    if not own:
        return setting
    exact = [c for c in own if code_key(c.code) == code_key(base)]
    if exact:
        return {**setting, **_rates(exact[0])}
    setting["liquidity_class"] = min((c.liquidity_class for c in own), key=_LIQUIDITY_ORDER.index)
    recoveries = [c.default_recovery_pct for c in own]
    if all(r is not None for r in recoveries):
        setting["nrv_pct_of_cost"] = _text(min(recoveries))  # type: ignore[type-var]
    costs = [c.selling_costs_pct for c in own if c.selling_costs_pct is not None]
    if costs:
        setting["commission_pct"] = _text(max(costs))
    return setting


def _rates(category: StockCategory) -> dict[str, Any]:
    rates: dict[str, Any] = {"liquidity_class": category.liquidity_class}
    if category.default_recovery_pct is not None:
        rates["nrv_pct_of_cost"] = _text(category.default_recovery_pct)
    if category.selling_costs_pct is not None:
        rates["commission_pct"] = _text(category.selling_costs_pct)
    return rates


def appraisal_at(facility: Any, as_of: date | None) -> Any:
    """The facility's appraisal at the stock date (today when none is given), or None."""
    if not getattr(facility, "pk", None):
        return None
    from facilities.models import Appraisal

    return Appraisal.objects.filter(facility_id=facility.pk).at(as_of or timezone.localdate())


def _categories(facility: Any, as_of: date | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The base categories' settings and one setting per firm (sub-)category, with the NOLV of
    the appraisal at ``as_of``: in force, its rates replace line estimates; expired, they may
    only lower them (``expired_appraisal_pct``)."""
    firm_categories = list(StockCategory.objects.filter(firm_id=facility.client.firm_id).order_by("code"))
    appraisal = appraisal_at(facility, as_of)
    by_base: dict[str, Decimal] = {}
    by_category: dict[int, Decimal] = {}
    nolv_key = "nolv_appraisal_pct"
    if appraisal is not None:
        on = as_of or timezone.localdate()
        if appraisal.status(on) == "expired":
            nolv_key = "expired_appraisal_pct"
        for rate in appraisal.rates.all():
            if rate.stock_category_id:
                by_category[rate.stock_category_id] = rate.nolv_pct
            else:
                by_base[rate.base_category] = rate.nolv_pct
    settings = []
    for base in ("raw_material", "wip", "finished_good"):
        setting = _fallback(base, [c for c in firm_categories if c.base_category == base])
        if base in by_base:
            setting[nolv_key] = _text(by_base[base])
        settings.append(setting)
    subs = []
    for category in firm_categories:
        sub: dict[str, Any] = {"code": category.code, "category": category.base_category, **_rates(category)}
        if category.pk in by_category:
            sub[nolv_key] = _text(by_category[category.pk])
        subs.append(sub)
    return settings, subs


# Where each kind of reserve is edited on the facility form.
RESERVE_KIND_FIELDS = {
    "shrink": "shrink_reserve_pct",
    "priority_payables": "priority_payables_reserve",
    "dilution": "dilution_reserve",
    "other": "other_reserve",
    "rent": "leased_site_treatment",
}


def _fixed_reserves(facility: Any) -> list[dict[str, Any]]:
    """The facility's named reserves that do not depend on sites; a zero one is left out."""
    reserves: list[dict[str, Any]] = []
    if facility.shrink_reserve_pct:
        reserves.append({"kind": "shrink", "pct": _text(facility.shrink_reserve_pct)})
    for kind, name in (("priority_payables", "priority_payables_reserve"), ("dilution", "dilution_reserve")):
        if getattr(facility, name):
            reserves.append({"kind": kind, "amount": _text(getattr(facility, name))})
    if facility.other_reserve or (facility.other_reserve_reason or "").strip():
        reserves.append(
            {"kind": "other", "amount": _text(facility.other_reserve), "reason": facility.other_reserve_reason or ""}
        )
    # Field exams: the findings of the applied exam that the advisor accepted as a reserve.
    if getattr(facility, "exam_findings_reserve", None):
        reserves.append(
            {
                "kind": "other",
                "amount": _text(facility.exam_findings_reserve),
                "reason": f"field exam {facility.exam_reference} findings",
            }
        )
    return reserves


def _leased_sites(facility: Any, terms: dict[str, Any], warehouses: list[Any], *, defaulted: bool) -> None:
    """A leased site without a landlord waiver: for a borrowing base set to "rent_reserve", its
    stock stays eligible behind a rent reserve (months × the warehouse's monthly rent; a site with
    no rent entered stays excluded, the engine says so); otherwise its stock is excluded. A pledge
    has no reserves in its formula, so there such a site is always excluded."""
    if facility.structure != "borrowing_base" or facility.leased_site_treatment != "rent_reserve":
        return
    leased = [w for w in warehouses if not w.acceptable_by_default]
    codes = {w.code for w in leased}
    if defaulted:
        # The sites engine_terms_dict excluded by default move to a rent reserve.
        kept = [code for code in terms.get("excluded_locations", ()) if code not in codes]
        if kept:
            terms["excluded_locations"] = kept
        else:
            terms.pop("excluded_locations", None)
    still_excluded = set(terms.get("excluded_locations") or ())
    for warehouse in leased:
        if warehouse.code in still_excluded:
            continue  # the advisor excluded it outright: nothing of it is financed
        terms["borrowing_base"]["reserves"].append(
            {
                "kind": "rent",
                "site": warehouse.code,
                "monthly_rent": _text(warehouse.monthly_rent),
                "months": int(facility.rent_reserve_months),
            }
        )


def site_terms(client: Any, warehouses: list[Any] | None = None) -> dict[str, Any]:
    """The client's declared sites and the facts the site rules read, codes trimmed as the
    readers trim the file's: stock anywhere else is "undeclared_site" (the engine's
    ``valuation.engine.sites``). Sorted, so the same declaration always gives the same terms."""
    warehouses = list(client.warehouses.all()) if warehouses is None else warehouses
    return {
        "declared_locations": sorted(w.code.strip() for w in warehouses),
        "uninsured_locations": sorted(w.code.strip() for w in warehouses if not w.insured),
        "no_dispossession_locations": sorted(w.code.strip() for w in warehouses if not w.dispossession_possible),
    }


def _field_exam(facility: Any, terms: dict[str, Any]) -> None:
    """Field exams (issue 16): the count variance measured by the facility's latest accepted exam
    replaces the typed figure, even when lower — it is measured on site and accepted by an
    advisor — and both stay visible: the discount's basis names the exam, its date and the typed
    figure (docs/domain.md, "Field exams"). The run's stored terms thus record which exam fed it."""
    _line_exclusions(facility, terms)
    measured = getattr(facility, "exam_count_variance_pct", None)
    if measured is None:
        return
    criteria = terms["criteria"]
    typed = criteria["count_variance_pct"]
    criteria["count_variance_pct"] = _text(measured)
    criteria["count_variance_source"] = (
        f"field exam {facility.exam_reference} of {facility.exam_counted_on:%Y-%m-%d}; typed figure {typed} %"
    )


def _line_exclusions(facility: Any, terms: dict[str, Any]) -> None:
    """Field exams: the lines advisors excluded after a finding (written on the facility, in
    finding order, by valuation.field_exams.services while in force) go into the terms, each
    naming its exam, its finding and their dates, so the run's stored terms say which finding
    excluded what. Passed as stored: a damaged entry stops the valuation with its name
    (engine terms validation) rather than being dropped, which would finance the stock. None: the
    key is left out, and a facility without exclusions keeps the terms (and runs) it had."""
    exclusions = getattr(facility, "exam_line_exclusions", None)
    if exclusions:
        terms["line_exclusions"] = list(exclusions)


def engine_terms_dict(facility: Any, *, as_of: date | None = None) -> dict[str, Any]:
    """The facility's terms as the engine's JSON-able dict (decimals as text), for stock dated
    ``as_of`` (which appraisal applies; today when not given)."""
    client = facility.client
    eligibility = dict(facility.eligibility_settings or {})
    categories, sub_categories = _categories(facility, as_of)
    terms: dict[str, Any] = {
        "structure": facility.structure,
        "method": facility.method,
        "categories": categories,
        "sub_categories": sub_categories,
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
            "average_drawn": _text(facility.average_drawn),
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
            "reserves": _fixed_reserves(facility),
            "receivables_cap_pct": _text(facility.receivables_cap_pct),
        }
    else:
        terms["pledge"] = {
            "fungibility_share_pct": _text(facility.fungibility_share_pct),
            "over_collateralisation_pct": _text(facility.over_collateralisation_pct),
            "committed_guarantee": _text(facility.pledged_guarantee),
        }
    # Stored settings are complete, but read them through the same checks as every write: an old or
    # hand-altered value with an unknown key stops the valuation with its name, never half-applies.
    eligibility = terms_settings.clean_eligibility(eligibility)
    terms["rules"] = eligibility["rules"]
    for key in ("accepted_locations", "excluded_locations"):
        if eligibility[key]:
            terms[key] = eligibility[key]
    # No site lists set by the advisor: by default a funder refuses stock on a leased site without
    # a landlord waiver (or, per facility, takes a rent reserve for it: `_leased_sites`).
    defaulted = "accepted_locations" not in terms and "excluded_locations" not in terms
    # Read once, here: the three uses below must see the same sites.
    warehouses = list(client.warehouses.all()) if facility.client_id else []
    if defaulted and facility.client_id:
        refused = [w.code for w in warehouses if not w.acceptable_by_default]
        if refused:
            terms["excluded_locations"] = refused
    terms["criteria"] = terms_settings.clean_criteria(facility.criteria_settings)
    _field_exam(facility, terms)
    terms["ltv_caps"] = terms_settings.clean_ltv_caps(facility.ltv_caps)
    terms["ltv_caps_indicative"] = bool(getattr(facility, "ltv_caps_indicative", False))
    _leased_sites(facility, terms, warehouses, defaulted=defaulted)
    terms.update(site_terms(client, warehouses) if facility.client_id else {})
    return terms


def reserve_problems(facility: Any) -> dict[str, str]:
    """What the form and the API refuse about reserves, by field: a pledge's formula has no
    reserves (docs/domain.md), so a reserve set on one would be silently left out of its financing."""
    if facility.structure == "borrowing_base":
        return {}
    problems = {}
    for name in ("shrink_reserve_pct", "priority_payables_reserve", "dilution_reserve", "other_reserve"):
        if getattr(facility, name):
            problems[name] = str(
                _("Reserves are deducted from a borrowing base only; a stock pledge has none: set this to zero.")
            )
    return problems


def _reserve_field(setting: str, facility: Any) -> str | None:
    """The form field of a reserve the engine refused ("borrowing_base.reserves[2].reason")."""
    match = re.match(r"borrowing_base\.reserves\[(\d+)\](?:\.(\w+))?", setting)
    if match is None:
        return None
    try:
        reserve = engine_terms_dict(facility)["borrowing_base"]["reserves"][int(match.group(1))]
    except (KeyError, IndexError, TypeError):
        return "other_reserve"
    if reserve["kind"] == "other" and match.group(2) == "reason":
        return "other_reserve_reason"
    return RESERVE_KIND_FIELDS.get(reserve["kind"])


def engine_terms(facility: Any, *, as_of: date | None = None) -> FacilityTerms:
    """The validated engine terms; raises ValidationError naming the facility field at fault."""
    try:
        return terms_from_dict(engine_terms_dict(facility, as_of=as_of))
    except TermsError as error:
        field = _reserve_field(error.setting, facility) or next(
            (f for prefix, f in SETTING_FIELDS.items() if error.setting.startswith(prefix)),
            None,
        )
        message = f"{error.setting}: {error.message}"
        raise ValidationError({field: [message]} if field else [message]) from error
