"""The covenant form (advisors) and the financial statement form (the client and its advisors)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borrowers.models import MONEY
from facilities import covenant_services
from facilities.covenant_models import Covenant, FinancialStatement
from facilities.models import Facility

EARLIEST_PERIOD = date(2000, 1, 1)


class CovenantForm(forms.ModelForm):
    class Meta:
        model = Covenant
        fields = ["name", "metric", "threshold", "direction", "formula", "frequency", "headroom_pct", "active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.facility = facility
        self.fields["direction"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for name in ("metric", "direction", "formula"):
            setattr(self.instance, name, cleaned.get(name) or "")
        try:
            covenant_services.clean_covenant(self.instance)
        except ValidationError as error:
            self._update_errors(error)
        else:
            cleaned["direction"] = self.instance.direction
        return cleaned


def parse_other_lines(text: str) -> dict[str, str]:
    """``name;amount`` per row (``=`` or ``,`` also separate), as typed."""
    lines: dict[str, str] = {}
    for number, row in enumerate(text.splitlines(), start=1):
        row = row.strip()
        if not row:
            continue
        for separator in (";", "=", "\t"):
            if separator in row:
                name, _sep, amount = row.partition(separator)
                break
        else:
            raise ValidationError(_("Row %(n)s: write name;amount.") % {"n": number})
        lines[name.strip().lower()] = amount.strip().replace(" ", "").replace("\u00a0", "")
    return lines


class StatementForm(forms.Form):
    """A period's figures: one field per line the facility's covenants read, the other lines as
    ``name;amount`` rows, or a small CSV file of such rows."""

    period_end = forms.DateField(label=_("period end"), widget=forms.DateInput(attrs={"type": "date"}))
    other_lines = forms.CharField(
        label=_("other lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per row as name;amount, e.g. ebitda;1250000.00"),
    )
    file = forms.FileField(
        label=_("or a CSV file of name;amount rows"),
        required=False,
        help_text=_("At most 256 KB; a header row is allowed."),
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args: Any, facility: Facility, statement: FinancialStatement | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.required_names = covenant_services.required_inputs(facility)
        existing = statement.inputs() if statement else {}
        for name in self.required_names:
            self.fields[f"line_{name}"] = forms.DecimalField(
                label=name, required=False, initial=existing.get(name), **MONEY
            )
        if statement is not None:
            # A correction keeps its period: another period end is another statement.
            self.fields["period_end"].initial = statement.period_end
            self.fields["period_end"].disabled = True
            self.fields["notes"].initial = statement.notes
            others = {k: v for k, v in existing.items() if k not in self.required_names}
            self.fields["other_lines"].initial = "\n".join(f"{k};{v}" for k, v in sorted(others.items()))

    def clean_period_end(self) -> date:
        period_end = self.cleaned_data["period_end"]
        if period_end < EARLIEST_PERIOD:
            raise forms.ValidationError(_("The period end cannot be before 1 January 2000."))
        if period_end > timezone.localdate():
            raise forms.ValidationError(_("The period end is in the future."))
        return period_end

    def clean_other_lines(self) -> dict[str, str]:
        try:
            return parse_other_lines(self.cleaned_data.get("other_lines") or "")
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        lines: dict[str, Any] = {}
        upload = cleaned.get("file")
        if upload is not None:
            try:
                lines.update(covenant_services.read_statement_file(upload.read()))
            except ValidationError as error:
                self.add_error("file", error.message_dict.get("file", error.messages))
        lines.update(cleaned.get("other_lines") or {})
        for name in self.required_names:
            amount: Decimal | None = cleaned.get(f"line_{name}")
            if amount is not None:
                lines[name] = amount
        if not lines and not self.errors:
            raise forms.ValidationError(_("Enter at least one line."))
        cleaned["lines"] = lines
        return cleaned
