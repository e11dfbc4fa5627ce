"""Forms of the firm's rate table: a rate typed by hand, an ECB file to import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borrowers.models import ExchangeRate

ECB_MAX_BYTES = 32 * 1024 * 1024


def clean_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise forms.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
    return code


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["day", "base", "quote", "rate"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, firm_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.firm_id = firm_id
        if not self.instance.pk:
            self.fields["day"].initial = timezone.localdate()

    def clean_base(self) -> str:
        return clean_code(self.cleaned_data["base"])

    def clean_quote(self) -> str:
        return clean_code(self.cleaned_data["quote"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("base") and data.get("base") == data.get("quote"):
            self.add_error("quote", _("The base and quote currencies must differ."))
        return data

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("A rate cannot be dated in the future."))
        return day


class EcbImportForm(forms.Form):
    file = forms.FileField(
        label=_("ECB reference rates"),
        help_text=_("eurofxref-hist.csv or eurofxref.csv as the ECB publishes them, or their zip."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > ECB_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 32 MB; the ECB's history is about 2 MB."))
        return upload
