from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from valuation.engine.columns import COLUMNS
from valuation.pipeline import canonical

ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx", ".xls", ".ods")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Stock file"), help_text=_("CSV, XLSX, XLS or ODS, as your ERP exports it."))
    # A date input takes ISO dates whatever the language (the browser shows them localised).
    as_of = forms.DateField(label=_("Stock date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    sheet = forms.CharField(label=_("Sheet (optional)"), required=False, max_length=100)
    currency = forms.CharField(
        label=_("File currency"),
        required=False,
        max_length=3,
        help_text=_("ISO code of the lines that state no currency of their own (a currency column wins)."),
    )

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()
        # The client's currency by default: lines in another one are converted at the firm's rates.
        self.fields["currency"].initial = currency

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(
                _("Upload a CSV, XLSX, XLS or ODS file (this one is “%(name)s”).") % {"name": upload.name}
            )
        return upload

    def clean_as_of(self) -> Any:
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(_("The stock date cannot be in the future."))
        return as_of


def canonical_choices() -> list[tuple[str, Any]]:
    """ "Ignore" then every canonical column by its name in the active language."""
    return [("", _("— ignore this column —"))] + [(name, canonical.LABELS.get(name, name)) for name in COLUMNS]


class MappingForm(forms.Form):
    """One choice per source header: which canonical column it feeds (or none).

    ``samples`` (the column's first non-empty values, by header) are shown under each choice.
    """

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        current: dict[str, str | None],
        samples: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.samples = samples or {}
        for index, header in enumerate(headers):
            self.fields[f"h{index}"] = forms.ChoiceField(
                label=header, choices=canonical_choices(), required=False, initial=current.get(header) or ""
            )

    def rows(self) -> list[tuple[str, forms.BoundField, list[str]]]:
        """(header, its choice, its sample values) for each column of the file."""
        return [(h, self[f"h{i}"], self.samples.get(h, [])) for i, h in enumerate(self.headers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        seen: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            target = data.get(f"h{index}")
            if target and target in seen:
                self.add_error(
                    f"h{index}",
                    _("“%(column)s” is already fed by “%(other)s”.")
                    % {"column": canonical.label(target), "other": seen[target]},
                )
            elif target:
                seen[target] = header
        return data

    def columns(self) -> dict[str, str | None]:
        return {header: (self.cleaned_data.get(f"h{i}") or None) for i, header in enumerate(self.headers)}


class RejectUploadForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this file rejected?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail and shown to the client."),
    )


class AcceptSiteForm(forms.Form):
    """ "Accept this site": the code as the file writes it, and the site's facts, which start at
    the values that finance least (leased, no waiver, not insured, no dispossession possible)."""

    code = forms.CharField(label=_("Site code"), max_length=50, widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("Site name"), max_length=200, required=False, help_text=_("The code when left empty.")
    )
    tenure = forms.ChoiceField(label=_("tenure"), choices=(), initial="leased")
    landlord_waiver = forms.BooleanField(label=_("landlord waiver"), required=False)
    insured = forms.BooleanField(label=_("insured"), required=False)
    dispossession_possible = forms.BooleanField(label=_("dispossession possible"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from borrowers.models import Tenure

        super().__init__(*args, **kwargs)
        self.fields["tenure"].choices = Tenure.choices
