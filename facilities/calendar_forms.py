"""The reporting calendar's forms: a deliverable, and the advisor's waiver or manual receipt."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import Deliverable, Facility

EARLIEST_START = date(2000, 1, 1)
LATEST_START_YEARS = 5


class DeliverableForm(forms.ModelForm):
    class Meta:
        model = Deliverable
        fields = ["kind", "frequency", "due_days", "grace_days", "start", "active", "notes"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.facility = facility

    def clean_start(self) -> date:
        start = self.cleaned_data["start"]
        today = timezone.localdate()
        if start < EARLIEST_START:
            raise forms.ValidationError(_("The start cannot be before 1 January 2000."))
        if start.year > today.year + LATEST_START_YEARS:
            raise forms.ValidationError(_("The start is more than five years away."))
        return start

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        clash = Deliverable.objects.filter(facility=self.instance.facility, kind=kind).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This facility already has this deliverable: edit it instead."))
        return kind


class WaiveForm(forms.Form):
    period_end = forms.DateField(label=_("period end"))
    reason = forms.CharField(label=_("reason for the waiver"), max_length=500)


class ReceiveForm(forms.Form):
    period_end = forms.DateField(label=_("period end"))
    note = forms.CharField(label=_("note"), max_length=300, required=False)
