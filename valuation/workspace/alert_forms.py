"""The alert forms: thresholds (typed Decimal fields, validated by the model) and a note."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from valuation.models import AlertThresholds
from valuation.pipeline.alerting import THRESHOLD_FIELDS
from valuation.workspace.alert_services import NOTE_MAX


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = AlertThresholds
        fields = list(THRESHOLD_FIELDS)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))
