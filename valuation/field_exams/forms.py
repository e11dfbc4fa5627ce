"""The field-exam forms: planning a sample, counting a line, a finding, a photo, a decision."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from valuation.models import FindingDecision, FindingKind, SampleMethod

# Big, phone-friendly inputs: a decimal keypad on phones, no spinner, no autocomplete.
_QUANTITY = {"inputmode": "decimal", "autocomplete": "off", "class": "big-input"}


class PlanForm(forms.Form):
    counted_on = forms.DateField(label=_("Count date"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("Sample"), choices=SampleMethod.choices, widget=forms.RadioSelect)
    coverage_pct = forms.DecimalField(
        label=_("Value covered (%)"),
        required=False,
        min_value=Decimal("0.001"),
        max_value=Decimal("100"),
        decimal_places=3,
        help_text=_("Largest values: the lines that together make up this share of the stock's value."),
    )
    top_n = forms.IntegerField(
        label=_("Number of lines"),
        required=False,
        min_value=1,
        max_value=500,
        help_text=_("The N largest values, or N lines at random."),
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        max_value=2**53,
        help_text=_("Random: blank draws a new seed; the seed is kept, so the sample can be drawn again."),
    )
    skus = forms.CharField(
        label=_("Chosen lines (SKUs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Lines chosen by hand: their SKUs, separated by commas or new lines."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"counted_on": timezone.localdate(), "method": SampleMethod.VALUE_COVERAGE})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        method = data.get("method")
        if method == SampleMethod.VALUE_COVERAGE and data.get("coverage_pct") is None:
            self.add_error("coverage_pct", _("Give the share of the value to cover."))
        if method in (SampleMethod.TOP_N, SampleMethod.RANDOM) and data.get("top_n") is None:
            self.add_error("top_n", _("Give the number of lines to count."))
        data["sku_list"] = [s for s in re.split(r"[,\n\r;]+", data.get("skus") or "") if s.strip()]
        if method == SampleMethod.CHOSEN and not data["sku_list"]:
            self.add_error("skus", _("Name at least one SKU."))
        return data


class CountForm(forms.Form):
    counted_quantity = forms.DecimalField(
        label=_("Counted quantity"),
        min_value=Decimal("0"),
        max_digits=18,
        decimal_places=3,
        widget=forms.TextInput(attrs=_QUANTITY),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), choices=FindingKind.choices)
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0"),
        max_digits=18,
        decimal_places=2,
        widget=forms.TextInput(attrs=_QUANTITY),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"}),
    )
    latitude = forms.DecimalField(
        required=False, min_value=-90, max_value=90, decimal_places=6, max_digits=9, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        required=False, min_value=-180, max_value=180, decimal_places=6, max_digits=9, widget=forms.HiddenInput
    )


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FindingDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[c for c in FindingDecision.choices if c[0] != FindingDecision.PENDING]
    )


class WithdrawalForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=500)
