"""The "why availability moved" page: two valuations of a facility, the change in financing split
by ``valuation.engine.bridge`` into stock level, each ineligible reason, rates and terms, reserves
and currency, each part linked to what lies behind it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from borrowers.common.labels import reason_label
from facilities.models import Facility
from valuation.engine.bridge import (
    CURRENCY,
    RATES_AND_TERMS,
    REASON,
    RESERVES,
    STOCK_LEVEL,
    Bridge,
    BridgeError,
    bridge,
    snapshot,
)
from valuation.engine.money import to_decimal
from valuation.engine.terms import terms_from_dict
from valuation.models import ValuationRun
from valuation.workspace.charts import DECREASE, INCREASE, TOTAL, WaterfallBar, waterfall_svg
from valuation.workspace.dossier import lines_url
from valuation.workspace.line_compare import compare_url


@dataclass(frozen=True)
class BridgeRow:
    """One part of the bridge as the page and the API show it."""

    key: str  # "stock_level", "reason:obsolete", "rates_and_terms", "reserves", "currency"
    label: str
    change: Decimal  # the change in financing this part makes
    input_change: Decimal  # what moved in the inputs (see valuation.engine.bridge.BridgePart)
    financing_after: Decimal
    href: str


@dataclass(frozen=True)
class BridgePage:
    before: ValuationRun
    after: ValuationRun
    rows: tuple[BridgeRow, ...] = ()
    earlier_financing: Decimal | None = None
    later_financing: Decimal | None = None
    change: Decimal | None = None
    outstanding_change: Decimal | None = None  # more drawn: positive
    drawn_effect: Decimal | None = None  # − outstanding_change: what it does to availability
    availability_change: Decimal | None = None
    chart: str = ""
    error: str = ""


LABELS = {
    STOCK_LEVEL: lambda: _("Stock level"),
    RATES_AND_TERMS: lambda: _("Rates and terms"),
    RESERVES: lambda: _("Reserves"),
    CURRENCY: lambda: _("Currency"),
}
REFUSALS = {
    "currency": lambda: _("The two valuations are in different currencies: they cannot be bridged."),
    "not_reproducible": lambda: _(
        "One of the two valuations was computed by an earlier version of the engine and its financing "
        "cannot be rebuilt from its stored figures: value its stock file again to bridge it."
    ),
    "terms": lambda: _("The terms stored with one of the two valuations can no longer be read: value it again."),
}


def _href(facility: Facility, before: ValuationRun, after: ValuationRun, kind: str, reason: str) -> str:
    if kind == REASON:
        return lines_url(facility, after, reason=reason, sort="-ineligible")
    if kind == STOCK_LEVEL:
        # The lines behind a change of stock: new, gone, more or fewer units, other costs.
        return compare_url(facility, before, after)
    if kind in (RATES_AND_TERMS, RESERVES):
        query = urlencode({"a": before.pk, "b": after.pk})
        return f"{reverse('valuation:facility-compare', args=[facility.pk])}?{query}"
    return reverse("valuation:run-detail", args=[after.pk])


def compute(facility: Facility, before: ValuationRun, after: ValuationRun) -> Bridge:
    """The engine's bridge of two stored runs; raises BridgeError with a code when it cannot."""
    try:
        shots = [
            snapshot(run.result or {}, terms_from_dict(run.terms or {}), currency=run.currency)
            for run in (before, after)
        ]
    except (KeyError, TypeError, ValueError) as error:  # TermsError is a ValueError
        raise BridgeError("terms", str(error)) from error
    return bridge(*shots)


def bridge_page(facility: Facility, before: ValuationRun, after: ValuationRun) -> BridgePage:
    """The parts with their labels and links, the totals and the chart (earlier financing → each
    part that moved → later financing)."""
    try:
        result = compute(facility, before, after)
    except BridgeError as refused:
        return BridgePage(before, after, error=str(REFUSALS.get(refused.code, REFUSALS["terms"])()))
    rows = []
    for part in result.parts:
        key = f"reason:{part.reason}" if part.kind == REASON else part.kind
        label = reason_label(part.reason) if part.kind == REASON else str(LABELS[part.kind]())
        rows.append(
            BridgeRow(
                key=key,
                label=label,
                change=to_decimal(part.change),
                input_change=to_decimal(part.input_change),
                financing_after=to_decimal(part.financing_after),
                href=_href(facility, before, after, part.kind, part.reason),
            )
        )
    earlier, later = to_decimal(result.earlier_financing), to_decimal(result.later_financing)
    bars = [WaterfallBar(_("Financing at %(date)s") % {"date": date_format(before.as_of)}, earlier, TOTAL)]
    bars += [
        WaterfallBar(row.label, abs(row.change), INCREASE if row.change > 0 else DECREASE, href=row.href, key=row.key)
        for row in rows
        if row.change
    ]
    bars.append(WaterfallBar(_("Financing at %(date)s") % {"date": date_format(after.as_of)}, later, TOTAL))
    chart = waterfall_svg(bars, currency=after.currency, title=_("Why the financing moved"))
    return BridgePage(
        before,
        after,
        rows=tuple(rows),
        earlier_financing=earlier,
        later_financing=later,
        change=to_decimal(result.change),
        outstanding_change=to_decimal(result.outstanding_change),
        drawn_effect=-to_decimal(result.outstanding_change),
        availability_change=to_decimal(result.availability_change),
        chart=chart,
    )
