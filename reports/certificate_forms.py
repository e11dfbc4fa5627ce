"""Forms of the borrower's certificate pages; the rules live in reports.borrower_certificates."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.borrower_certificates import LINE_LABELS
from valuation.engine import certificate_check as cc
from valuation.imports.certificate_sheet import MAX_BYTES


class _CertificateHeader(forms.Form):
    as_of = forms.DateField(label=_("Stock date"), widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not currency.isalpha():
            raise forms.ValidationError(_("Enter a three-letter currency code (EUR, USD, CNY…)."))
        return currency


class CertificateForm(_CertificateHeader):
    """One field per certificate line; a line left empty is one the certificate does not give."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for code in cc.LINES:
            self.fields[code] = forms.DecimalField(
                label=LINE_LABELS[code], required=False, max_digits=18, decimal_places=2, localize=True
            )

    def figures(self) -> dict[str, Decimal]:
        return {code: self.cleaned_data[code] for code in cc.LINES if self.cleaned_data.get(code) is not None}


class CertificateFileForm(_CertificateHeader):
    file = forms.FileField(
        label=_("Certificate spreadsheet (CSV or Excel: one row per line, label; amount)"),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large for a certificate (at most 2 MB)."))
        return upload
