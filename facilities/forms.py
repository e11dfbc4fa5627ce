from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import ClientCompany, User
from facilities.models import FACILITY_TERMS_FIELDS, RESERVE_FIELDS, Facility, Lender


class LenderForm(forms.ModelForm):
    class Meta:
        model = Lender
        fields = ["name", "contact_email"]

    def __init__(self, *args: Any, firm_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.firm_id = firm_id

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Lender.objects.filter(firm_id=self.instance.firm_id, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A lender with this name already exists."))
        return name


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = FACILITY_TERMS_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 4, "class": "mono"})
            for name in ("eligibility_settings", "criteria_settings", "nolv_appraisal", "ltv_caps")
        }

    def __init__(self, *args: Any, client: ClientCompany, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.client = client
        # Related-field choices are scoped like every queryset (a foreign lender id is "not a choice").
        self.fields["lender"].queryset = Lender.objects.filter(firm_id=user.firm_id)
        if not self.instance.pk:
            self.fields["currency"].initial = client.currency

    # Grouped on the page (includes/form_fields.html): each group with its legend and help.
    FIELDSETS = (
        (
            _("Reserves"),
            _(
                "Borrowing base only. Each reserve is shown with its basis; their sum is subtracted "
                "from the lower of the cost and NOLV legs."
            ),
            RESERVE_FIELDS,
        ),
        (
            _("Cost of the financing"),
            "",
            (
                "base_rate_pct",
                "margin_pct",
                "commitment_fee_pct",
                "monitoring_fee",
                "field_exam_fee",
                "servicing_fee",
                "average_drawn",
            ),
        ),
    )

    def fieldset_groups(self) -> list[dict[str, Any]]:
        """The fieldsets with their bound fields (only fields this form has)."""
        return [
            {"legend": legend, "help": help_text, "fields": [self[name] for name in names if name in self.fields]}
            for legend, help_text, names in self.FIELDSETS
        ]

    def ungrouped_fields(self) -> list[Any]:
        grouped = {name for _legend, _help, names in self.FIELDSETS for name in names}
        return [field for field in self.visible_fields() if field.name not in grouped]

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            self._check_reserves()
        for name in ("eligibility_settings", "criteria_settings", "nolv_appraisal", "ltv_caps"):
            value = data.get(name)
            if value is not None and not isinstance(value, dict):
                self.add_error(name, _("Enter a JSON object, e.g. {}."))
        if not self.errors:
            self._check_with_the_engine()
        return data

    def _check_reserves(self) -> None:
        from facilities.terms import reserve_problems

        candidate = self.instance
        for name in ("structure", *RESERVE_FIELDS):
            if name in self.cleaned_data:
                setattr(candidate, name, self.cleaned_data[name])
        for field, message in reserve_problems(candidate).items():
            self.add_error(field, message)

    def _check_with_the_engine(self) -> None:
        """The engine validates every setting; its complaint lands next to the field concerned."""
        from django.core.exceptions import ValidationError

        from facilities.terms import engine_terms

        candidate = self.instance
        for name, value in self.cleaned_data.items():
            setattr(candidate, name, value)
        try:
            engine_terms(candidate)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                self.add_error(None, error.messages)
                return
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
