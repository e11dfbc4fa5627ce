from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from borrowers.auth import client_ip, is_locked_out
from borrowers.models import (
    CLIENT_FACT_FIELDS,
    WAREHOUSE_FIELDS,
    ClientCompany,
    ControlFirm,
    Firm,
    Invitation,
    Role,
    StockCategory,
    User,
    Warehouse,
)


class LoginForm(AuthenticationForm):
    """Django's log-in form, telling a locked-out user why, without saying whether the e-mail exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _("Too many failed log-ins. Try again in a few minutes or reset your password."),
    }

    def clean(self) -> dict[str, Any]:
        email = (self.data.get("username") or "").strip().lower()
        if email and is_locked_out(email, client_ip(self.request)):
            raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out")
        return super().clean()


class ClientForm(forms.ModelForm):
    class Meta:
        model = ClientCompany
        fields = [
            *CLIENT_FACT_FIELDS,
            "reporting_period_days",
            "client_sees_figures",
            "client_sees_waterfall",
            "client_sees_ineligibles",
            "internal_notes",
        ]
        widgets = {"internal_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, firm_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.firm_id = firm_id

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise forms.ValidationError(_("Use the two-letter ISO country code, e.g. FR."))
        return value

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
        return value


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = WAREHOUSE_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, client: ClientCompany, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.client = client

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        clash = Warehouse.objects.filter(client=self.instance.client, code__iexact=code)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This client already has a warehouse with this code."))
        return code


class StockCategoryForm(forms.ModelForm):
    class Meta:
        model = StockCategory
        fields = ["code", "name", "base_category", "liquidity_class", "default_recovery_pct", "selling_costs_pct"]

    def __init__(self, *args: Any, firm_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.firm_id = firm_id

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        clash = StockCategory.objects.filter(firm_id=self.instance.firm_id, code__iexact=code)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A category with this code already exists."))
        return code


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role", "client", "lender", "control_firm", "facilities"]

    # Field exams: a controller's control firm may be named here when it is not listed yet.
    new_control_firm = forms.CharField(
        label=_("New control firm"),
        max_length=200,
        required=False,
        help_text=_("A stock controller of a control firm not listed yet: its name."),
    )

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inviter = inviter
        self.fields["client"].queryset = ClientCompany.objects.visible_to(inviter)
        lender = self.fields["lender"]
        lender.queryset = lender.queryset.filter(firm_id=inviter.firm_id)  # type: ignore[attr-defined]
        # Field exams: the control firms and facilities of the inviter's firm only.
        self.fields["control_firm"].queryset = ControlFirm.objects.filter(firm_id=inviter.firm_id)
        self.fields["control_firm"].help_text = _("Blank for one of your firm's own staff.")
        facilities = self.fields["facilities"]
        facilities.queryset = facilities.queryset.filter(  # type: ignore[attr-defined]
            client__firm_id=inviter.firm_id
        ).select_related("client")
        facilities.help_text = _("A stock controller: the facilities it counts stock for.")
        facilities.required = False
        if not inviter.is_firm_admin:
            self.fields["role"].choices = [
                (Role.CLIENT, Role.CLIENT.label),
                (Role.BANK, Role.BANK.label),
                (Role.CONTROLLER, Role.CONTROLLER.label),
            ]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("A user with this e-mail address already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        role, client, lender = data.get("role"), data.get("client"), data.get("lender")
        if role == Role.CLIENT and client is None:
            self.add_error("client", _("Choose the company this client user belongs to."))
        if role == Role.BANK and lender is None:
            self.add_error("lender", _("Choose the lender this bank user belongs to."))
        if role == Role.CONTROLLER:
            if not data.get("facilities"):
                self.add_error("facilities", _("Choose the facilities this stock controller is assigned to."))
            if data.get("control_firm") and (data.get("new_control_firm") or "").strip():
                self.add_error("new_control_firm", _("Choose a listed control firm or name a new one, not both."))
        else:
            data["control_firm"], data["new_control_firm"] = None, ""
            data["facilities"] = []
        if role == Role.ADVISOR:
            data["client"] = data["lender"] = None
        elif role == Role.CLIENT:
            data["lender"] = None
        elif role == Role.BANK:
            data["client"] = None
        return data


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(email=self.invitation.email, first_name=data.get("first_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=User._meta.get_field("language").choices)


class FirmSettingsForm(forms.ModelForm):
    """The firm's own thresholds (a firm administrator's): for now, when a new stock file's
    figures count as a jump from the previous file's."""

    class Meta:
        model = Firm
        fields = ["jump_threshold_pct"]
