from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import ClientCompany, User
from facilities.models import FACILITY_TERMS_FIELDS, Facility, Lender


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
            for name in ("eligibility_settings", "criteria_settings", "ltv_caps")
        }

    def __init__(self, *args: Any, client: ClientCompany, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.client = client
        # Related-field choices are scoped like every queryset (a foreign lender id is "not a choice").
        self.fields["lender"].queryset = Lender.objects.filter(firm_id=user.firm_id)
        if not self.instance.pk:
            self.fields["currency"].initial = client.currency

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("eligibility_settings", "criteria_settings", "ltv_caps"):
            value = data.get(name)
            if value is not None and not isinstance(value, dict):
                self.add_error(name, _("Enter a JSON object, e.g. {}."))
        if not self.errors:
            self._check_with_the_engine()
        return data

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
