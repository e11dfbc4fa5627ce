"""The named reserves of a stored borrowing base, as rows with their basis in the reader's language.

The dossier, the financing report and the borrowing base certificate all show the same rows:
each reserve (rent per site, shrink, priority payables, dilution, other) with what it rests on,
and the total the formula subtracts. A run stored before reserves were named shows its single
figure as one row saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from borrowers.common import formatting
from valuation.engine.terms import CARRIED_OVER_REASON

# The reason the facilities migration wrote when it carried the old single figure over.
MIGRATED_REASON = "Carried over from the former single reserves figure."


@dataclass(frozen=True)
class ReserveRow:
    """One reserve: its name, its basis in words, its amount; ``excluded`` when a rent reserve
    could not be taken (no rent) and the site's stock was excluded instead."""

    kind: str
    label: str
    basis: str
    amount: Decimal
    excluded: bool = False


def reserve_label(kind: str) -> str:
    """The name of a kind of reserve."""
    labels = {
        "rent": _("Rent reserve"),
        "shrink": _("Shrink reserve"),
        "priority_payables": _("Priority payables reserve"),
        "dilution": _("Dilution reserve"),
        "other": _("Other reserve"),
    }
    return labels.get(kind, kind)


def _reason(text: str) -> str:
    if text.strip() in (CARRIED_OVER_REASON, MIGRATED_REASON):
        return _("carried over from the former single reserves figure")
    return text


def _basis(item: dict[str, Any], currency: str, language: str) -> str:
    kind = item.get("kind", "")
    site = item.get("site") or ""
    if kind == "rent":
        if item.get("site_excluded"):
            return _("no monthly rent entered for site %(site)s: its stock is excluded instead") % {"site": site}
        months = int(item.get("months") or 0)
        return ngettext(
            "%(months)s month × %(rent)s monthly rent, site %(site)s",
            "%(months)s months × %(rent)s monthly rent, site %(site)s",
            months,
        ) % {
            "months": months,
            "rent": formatting.money(Decimal(item.get("basis_amount") or 0), currency, language),
            "site": site,
        }
    if kind == "shrink":
        return _("%(pct)s of eligible stock at cost (%(eligible)s)") % {
            "pct": formatting.percent(Decimal(item.get("pct") or 0), language),
            "eligible": formatting.money(Decimal(item.get("basis_amount") or 0), currency, language),
        }
    reason = _reason(item.get("reason") or "")
    if kind == "priority_payables":
        return reason or _("taxes, wages and other debts ranking before the bank")
    if kind == "dilution":
        return reason or _("credit notes, returns and discounts expected to erode the collateral")
    return reason


def reserve_rows(borrowing_base: dict[str, Any] | None, currency: str = "EUR") -> list[ReserveRow]:
    """The rows of a stored ``BorrowingBase`` (its dict), in the active language."""
    if not borrowing_base:
        return []
    language = translation.get_language() or "en"
    named = borrowing_base.get("named_reserves")
    if named is None:
        total = Decimal(str(borrowing_base.get("reserves") or 0))
        if not total:
            return []
        return [ReserveRow("other", _("Reserves"), _("recorded before reserves were named"), total)]
    return [
        ReserveRow(
            kind=str(item.get("kind", "")),
            label=reserve_label(str(item.get("kind", ""))),
            basis=_basis(item, currency, language),
            amount=Decimal(str(item.get("amount") or 0)),
            excluded=bool(item.get("site_excluded")),
        )
        for item in named
    ]
