from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import ClientCompany, StockCategory, User
from facilities.models import FACILITY_TERMS_FIELDS, Appraisal, Facility, Lender


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


# ------------------------------------------------------------------------------------ appraisals


class AppraisalForm(forms.ModelForm):
    """Who appraised, when, until when, and the report; the rates are the formset below."""

    class Meta:
        model = Appraisal
        fields = ["appraiser", "appraiser_firm", "effective_date", "expiry_date", "report_file", "notes"]
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expiry_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "report_file": forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.facility = facility
        self.fields["expiry_date"].required = False
        self.fields["expiry_date"].help_text = _("Left empty: 12 months after the effective date.")

    def clean_report_file(self) -> Any:
        from django.core.files.uploadedfile import UploadedFile

        from facilities.appraisals import check_report_file

        value = self.cleaned_data.get("report_file")
        if isinstance(value, UploadedFile):
            check_report_file(value)
        return value

    def clean(self) -> dict[str, Any]:
        from facilities.appraisals import check_dates

        data = super().clean()
        try:
            data["expiry_date"] = check_dates(data.get("effective_date"), data.get("expiry_date"))
        except forms.ValidationError as error:
            self.add_error(None, error)
        if data.get("expiry_date") is not None:
            self.instance.expiry_date = data["expiry_date"]
        return data


class AppraisalRateForm(forms.Form):
    """One NOLV %: the category is picked from the firm's own, so no unknown name can be typed."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    nolv_pct = forms.DecimalField(
        label=_("NOLV (% of cost)"), required=False, min_value=0, max_value=100, decimal_places=3, max_digits=7
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], firm_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.firm_id = firm_id
        self.fields["category"].choices = [("", "—"), *choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("category") and data.get("nolv_pct") is None:
            self.add_error("nolv_pct", _("Enter the NOLV percentage for this category."))
        if data.get("nolv_pct") is not None and not data.get("category"):
            self.add_error("category", _("Pick the category this rate is for."))
        return data

    def rate(self) -> Any:
        """The rate entered, or None for an empty row."""
        from facilities.appraisals import RateInput

        choice = self.cleaned_data.get("category")
        if not choice or self.cleaned_data.get("DELETE"):
            return None
        kind, _sep, value = choice.partition(":")
        category = StockCategory.objects.get(pk=int(value), firm_id=self.firm_id) if kind == "cat" else None
        return RateInput(value if kind == "base" else "", category, self.cleaned_data["nolv_pct"])


class BaseRateFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        from facilities.appraisals import check_rates

        if any(form.errors for form in self.forms):
            return
        try:
            check_rates(self.rates())
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error

    def rates(self) -> list[Any]:
        return [r for r in (form.rate() for form in self.forms) if r is not None]


AppraisalRateFormSet = forms.formset_factory(AppraisalRateForm, formset=BaseRateFormSet, extra=3, can_delete=False)


def rate_choices(firm_id: int) -> list[tuple[str, str]]:
    """Base categories ("All finished goods") then the firm's own categories, by base."""
    from borrowers.models import BaseCategory

    choices = [(f"base:{value}", _("All %(category)s") % {"category": label}) for value, label in BaseCategory.choices]
    for category in StockCategory.objects.filter(firm_id=firm_id).order_by("base_category", "code"):
        choices.append((f"cat:{category.pk}", f"{category.code} – {category.name}"))
    return choices


def rate_initial(appraisal: Any) -> list[dict[str, Any]]:
    if appraisal is None or appraisal.pk is None:
        return []
    return [
        {
            "category": f"cat:{r.stock_category_id}" if r.stock_category_id else f"base:{r.base_category}",
            "nolv_pct": r.nolv_pct,
        }
        for r in appraisal.rates.all()
    ]
