"""Forms of the borrower's certificate pages; the rules live in reports.borrower_certificates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.common.labels import reason_label
from reports.borrower_certificates import LINE_LABELS
from valuation.engine import certificate_check as cc
from valuation.imports.certificate_sheet import MAX_BYTES, REASON_LABELS

# Lines that are deductions: entered as positive amounts.
DEDUCTIONS = frozenset({cc.INELIGIBLE, cc.RESERVES})


class _CertificateHeader(forms.Form):
    as_of = forms.DateField(label=_("Stock date"), widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not currency.isalpha():
            raise forms.ValidationError(_("Enter a three-letter currency code (EUR, USD, CNY…)."))
        return currency


def _amount(label: Any, *, deduction: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=18,
        decimal_places=2,
        localize=True,
        min_value=Decimal("0") if deduction else None,
    )


class CertificateForm(_CertificateHeader):
    """One field per certificate line; a line left empty is one the certificate does not give.
    The ineligible stock by reason is optional (``reason_<code>`` fields)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for code in cc.LINES:
            self.fields[code] = _amount(LINE_LABELS[code], deduction=code in DEDUCTIONS)
        for reason in REASON_LABELS:
            self.fields[f"reason_{reason}"] = _amount(reason_label(reason), deduction=True)

    def fieldset_groups(self) -> list[dict[str, Any]]:
        return [
            {
                "legend": _("Ineligible stock by reason (optional)"),
                "help": _("Only if your certificate breaks its ineligible stock down."),
                "fields": [self[f"reason_{reason}"] for reason in REASON_LABELS],
            }
        ]

    def ungrouped_fields(self) -> list[Any]:
        return [field for field in self.visible_fields() if not field.name.startswith("reason_")]

    def figures(self) -> dict[str, Decimal]:
        figures = {code: self.cleaned_data[code] for code in cc.LINES if self.cleaned_data.get(code) is not None}
        for reason in REASON_LABELS:
            amount = self.cleaned_data.get(f"reason_{reason}")
            if amount is not None:
                figures[cc.reason_code(reason)] = amount
        return figures


class CertificateFileForm(_CertificateHeader):
    file = forms.FileField(
        label=_("Certificate spreadsheet (CSV or Excel: one row per line, label; amount)"),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large for a certificate (at most 2 MB)."))
        return upload
