"""The roll-forward forms: a period's inputs by hand, a ledger extract, the facility's tolerance."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import MONEY


def _money(label: str, *, help_text: str = "", signed: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        min_value=None if signed else Decimal("0"),
        initial=Decimal("0"),
        help_text=help_text,
    )


class PeriodField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})


class InputsForm(forms.Form):
    period_end = PeriodField(label=_("Period end (stock date)"))
    purchases = _money(_("Purchases"))
    production = _money(_("Production"), help_text=_("Stock produced in the period, at cost."))
    cost_of_goods_sold = _money(_("Cost of goods sold"))
    adjustments = _money(
        _("Adjustments"), signed=True, help_text=_("Signed: + adds to stock (a count gain), − takes from it.")
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class LedgerForm(forms.Form):
    period_end = PeriodField(label=_("Period end (stock date)"))
    file = forms.FileField(
        label=_("General-ledger extract"),
        help_text=_(
            "CSV or XLSX, one row per account with its number or label and an amount (e.g. 607 Achats de "
            "marchandises, 603 Variation de stocks, 71 Production stockée; Purchases, Cost of goods sold; 采购, "
            "主营业务成本)."
        ),
    )


class ToleranceForm(forms.Form):
    rollforward_tolerance_amount = forms.DecimalField(
        label=_("Tolerance (amount)"),
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        min_value=Decimal("0"),
    )
    rollforward_tolerance_pct = forms.DecimalField(
        label=_("Tolerance (% of closing stock)"),
        max_digits=7,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )
