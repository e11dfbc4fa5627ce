"""The words people read for the engine's codes, in the active language: one vocabulary for the
dossier pages, the charts, the exports, the API and the PDF reports (docs/domain.md's terms)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from borrowers.common import formatting

# Waterfall rules and criteria discounts (docs/domain.md, "Ineligible stock" and "The criteria method").
REASON_LABELS: dict[str, Promise] = {
    "not_owned": _("Not owned (consignment)"),
    "retention_of_title": _("Unpaid under retention of title"),
    "reverse_factoring": _("Reverse factoring"),
    "defective": _("Defective or damaged"),
    "perishable": _("Short shelf life"),
    "in_transit": _("In transit"),
    "customer_return": _("Customer returns"),
    "wip": _("Work in progress"),
    "obsolete": _("Obsolete"),
    "slow_moving": _("Slow-moving"),
    "location": _("Location not accepted"),
    "undeclared_site": _("Undeclared site"),
    "uninsured": _("Uninsured site"),
    "dispossession_impossible": _("Dispossession impossible at the site"),
    # field exams (issue 16): a line an advisor excluded after a finding (valuation.engine.exclusions)
    "field_exam_finding": _("Excluded after a field exam"),
    "mix": _("Mix above the business model"),
    "turnover": _("Low turnover"),
    "obsolescence": _("Obsolescence"),
    "record_accuracy": _("Record accuracy"),
    "physical_controls": _("Physical controls"),
}
CATEGORY_LABELS: dict[str, Promise] = {
    "raw_material": _("Raw materials"),
    "wip": _("Work in progress"),
    "finished_good": _("Finished goods"),
}
# Which limit sets the financing (Financing.binding; docs/domain.md, "Loan-to-value caps").
BINDING_LABELS: dict[str, Promise] = {
    "cost_leg": _("the cost leg (cost advance rate × eligible cost)"),
    "nolv_leg": _("the NOLV leg (NOLV advance rate × eligible NOLV)"),
    "ltv_cap": _("the loan-to-value caps (Σ cap × liquidation value of each class)"),
    "facility_limit": _("the facility limit"),
    "receivables_cap": _("the receivables cap"),
    "guarantee": _("guarantee ÷ over-collateralisation"),
}

LIQUIDITY_LABELS: dict[str, Promise] = {
    "high": _("high"),
    "medium": _("medium"),
    "low": _("low"),
}
STRUCTURE_LABELS: dict[str, Promise] = {
    "borrowing_base": _("Asset-based borrowing base"),
    "pledge_with_dispossession": _("Stock pledge with dispossession"),
    "pledge_without_dispossession": _("Stock pledge without dispossession"),
}
RULE_STATUS_LABELS: dict[str, Promise] = {
    "applied": _("applied"),
    "disabled": _("disabled"),
    "not_assessed": _("not assessed (data missing)"),
}


def _label(labels: dict[str, Promise], code: str) -> str:
    """The translated word for ``code``; the code itself when it has none (a firm's own code)."""
    label = labels.get(code)
    return str(label) if label is not None else code


def reason_label(code: str) -> str:
    return _label(REASON_LABELS, code)


def category_label(code: str) -> str:
    return _label(CATEGORY_LABELS, code)


def binding_label(code: str) -> str:
    """The limit that binds, in words; "" for results stored before it was recorded."""
    return _label(BINDING_LABELS, code) if code else ""


def liquidity_label(code: str) -> str:
    return _label(LIQUIDITY_LABELS, code)


def structure_label(code: str) -> str:
    return _label(STRUCTURE_LABELS, code)


def rule_status_label(code: str) -> str:
    return _label(RULE_STATUS_LABELS, code) if code else ""


# An English message the engine or the readers wrote, matched by a pattern whose groups are named
# by `fields` ("name:kind"): the kind says how the captured figure is shown in the reader's language
# (reason, money, pct, num, int; anything else as captured). Numbers may carry "," thousands.
Pattern = tuple[re.Pattern[str], Promise, tuple[str, ...]]


def _field_text(kind: str, raw: str, currency: str, language: str) -> str:
    plain = raw.replace(",", "")
    if kind == "reason":
        return reason_label(raw)
    if kind == "money":
        return formatting.money(Decimal(plain), currency, language)
    if kind == "pct":
        return formatting.percent(Decimal(plain), language)
    if kind == "num":
        return formatting.number(Decimal(plain), language)
    if kind == "int":
        return formatting.number(Decimal(plain), language, places=0)
    if kind == "site":
        return raw if raw else str(_("every site"))
    if kind == "category":
        return category_label(raw)
    if kind == "categories":
        return ", ".join(category_label(part) for part in raw.split(", "))
    return raw


def translate_pattern(text: str, patterns: list[Pattern], *, currency: str = "EUR") -> str | None:
    """`text` rewritten by the first pattern it matches, in the active language; None when none does."""
    language = translation.get_language() or "en"
    for pattern, template, fields in patterns:
        match = pattern.match(text)
        if match is None:
            continue
        values = {}
        for field, raw in zip(fields, match.groups(), strict=True):
            name, _sep, kind = field.partition(":")
            values[name] = _field_text(kind, raw or "", currency, language)  # an optional group: ""
        return str(template) % values
    return None


# The engine writes its warnings in English (it is pure and serves the command line too); pages,
# the API's readers and the PDFs show them in the reader's language. Each pattern below mirrors
# one message of valuation/engine (run.py, terms.py, structures.py); tests/dossier/test_warnings.py
# keeps them in step by running the engine into its warnings.
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
_WARNINGS: list[Pattern] = [
    (
        re.compile(r"rule (\w+) not assessed: no (.+) column$"),
        _("“%(rule)s” not assessed: the stock file has no %(columns)s column"),
        ("rule:reason", "columns"),
    ),
    (
        re.compile(r"discount (\w+) not assessed: (.+)$"),
        _("“%(rule)s” discount not assessed: %(basis)s"),
        ("rule:reason", "basis"),
    ),
    (
        re.compile(rf"over-collateralisation {_NUMBER} % is outside the usual {_NUMBER}-{_NUMBER} % .*$"),
        _(
            "Over-collateralisation of %(rate)s is outside the usual %(low)s–%(high)s "
            "(about 120 %% for a healthy borrower, 150–200 %% in turnaround)"
        ),
        ("rate:pct", "low:pct", "high:pct"),
    ),
    (
        re.compile(r"tangible net worth is not positive: no inventory line$"),
        _("Tangible net worth is not positive: no inventory line"),
        (),
    ),
    (
        re.compile(rf"debt ÷ tangible net worth is {_NUMBER}:1, above {_NUMBER}:1: no inventory line$"),
        _("Debt ÷ tangible net worth is %(leverage)s:1, above %(top)s:1: no inventory line"),
        ("leverage:num", "top:num"),
    ),
    (
        re.compile(rf"over-advance: availability is {_NUMBER}$"),
        _("Over-advance: availability is %(amount)s"),
        ("amount:money",),
    ),
    (
        re.compile(rf"replenishment clause breached: {_NUMBER} of stock to restore$"),
        _("Replenishment clause breached: %(amount)s of stock to restore"),
        ("amount:money",),
    ),
    (
        re.compile(rf"financing {_NUMBER} rests on no liquidation value of eligible stock$"),
        _("Financing of %(amount)s rests on no liquidation value of eligible stock"),
        ("amount:money",),
    ),
    (
        re.compile(rf"loan-to-value {_NUMBER} % is above the liquidity cap {_NUMBER} %$"),
        _("Loan-to-value of %(ltv)s is above the liquidity cap of %(cap)s"),
        ("ltv:pct", "cap:pct"),
    ),
    (
        re.compile(rf"financing capped by the loan-to-value caps at {_NUMBER} \(structure gives {_NUMBER}\)$"),
        _("Financing capped by the loan-to-value caps at %(amount)s (the structure alone gives %(before)s)"),
        ("amount:money", "before:money"),
    ),
    (
        re.compile(rf"stock at undeclared site (.+): ([0-9]+) line\(s\), book value {_NUMBER}, not eligible$"),
        _(
            "Stock at the undeclared site %(site)s: %(count)s line(s), book value %(amount)s, "
            "not eligible until the site is accepted"
        ),
        ("site", "count:int", "amount:money"),
    ),
    (
        re.compile(rf"stock at uninsured site (.+): ([0-9]+) line\(s\), book value {_NUMBER}, not eligible$"),
        _("Stock at the uninsured site %(site)s: %(count)s line(s), book value %(amount)s, not eligible"),
        ("site", "count:int", "amount:money"),
    ),
    (
        re.compile(
            rf"pledge with dispossession: dispossession is impossible at site (.+): ([0-9]+) line\(s\), "
            rf"book value {_NUMBER}, not eligible$"
        ),
        _(
            "Pledge with dispossession: dispossession is impossible at the site %(site)s: "
            "%(count)s line(s), book value %(amount)s, not eligible"
        ),
        ("site", "count:int", "amount:money"),
    ),
    # field exams' line exclusions (valuation/engine/exclusions.py)
    (
        re.compile(
            rf"field exam (\S+) finding ([0-9]+): SKU (.+) at (?:site (.+)|any site) excluded: ([0-9]+) line\(s\), "
            rf"book value {_NUMBER}$"
        ),
        _(
            "Field exam %(exam)s, finding %(finding)s: SKU %(sku)s at %(site)s excluded: %(count)s line(s), "
            "book value %(amount)s"
        ),
        ("exam", "finding", "sku", "site:site", "count:int", "amount:money"),
    ),
    (
        re.compile(
            r"field exam (\S+) finding ([0-9]+): SKU (.+) at (?:site (.+)|any site) is not in the stock file: .*$"
        ),
        _(
            "Field exam %(exam)s, finding %(finding)s: SKU %(sku)s at %(site)s is not in the stock file: "
            "nothing excluded"
        ),
        ("exam", "finding", "sku", "site:site"),
    ),
    (
        re.compile(r"([0-9]+) line\(s\) have no resale price and no category rate: .*$"),
        _("%(count)s line(s) have no resale price and no category rate: no liquidation value counted for them"),
        ("count:int",),
    ),
    (
        re.compile(r"site (.+) has a rent reserve but no monthly rent: its stock is excluded$"),
        _("Site %(site)s has a rent reserve but no monthly rent: its stock is excluded"),
        ("site",),
    ),
    (
        re.compile(r"([0-9]+) (\w+) line\(s\) name sub-category ['\"](.*)['\"], which the terms do not define .*$"),
        _(
            "%(count)s line(s) of %(category)s name the sub-category “%(code)s”, which the firm does not "
            "have there: valued on the base category's settings"
        ),
        ("count:int", "category:category", "code"),
    ),
    (
        re.compile(r"the appraisal has expired at the stock date: its NOLV only lowers line estimates \((.+)\)$"),
        _(
            "The appraisal has expired at the stock date: its NOLV is used only to lower line "
            "estimates (%(categories)s)"
        ),
        ("categories:categories",),
    ),
]


def warning_text(warning: str, *, currency: str = "EUR") -> str:
    """An engine warning in the active language, its figures formatted for it; a warning this
    module does not know is shown as the engine wrote it."""
    translated = translate_pattern(warning, _WARNINGS, currency=currency)
    return warning if translated is None else translated


JUMP_METRICS: dict[str, Promise] = {
    "book_value": _("Book value"),
    "eligible_value": _("Eligible stock"),
    "line_count": _("Line count"),
}


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return None


def jump_text(jump: dict[str, str | None], *, currency: str = "EUR") -> str:
    """A stored jump (valuation.engine.jumps.Jump.to_dict) as a sentence in the active language."""
    metric = jump.get("metric") or ""
    if metric == "line_count":
        before, after = (formatting.number(jump.get(k), places=0) for k in ("previous", "current"))
    else:
        before, after = (formatting.money(jump.get(k), currency) for k in ("previous", "current"))
    change = jump.get("change_pct")
    values = {
        "metric": JUMP_METRICS.get(metric, metric),
        "before": before,
        "after": after,
        "date": formatting.day(_date(jump.get("previous_as_of"))),
    }
    if change is None:
        return str(_("%(metric)s: %(after)s, against %(before)s in the file of %(date)s.")) % values
    sign = "+" if Decimal(change) > 0 else ""
    values["change"] = sign + formatting.percent(Decimal(change), places=1)
    return str(_("%(metric)s moved %(change)s: %(after)s, against %(before)s in the file of %(date)s.")) % values
