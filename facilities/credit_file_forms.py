"""The credit file's forms: filing a document (advisor or client user), correcting its dates,
renewing it. The checks are the service's (facilities/credit_file.py), shown under their field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from borrowers.models import ClientCompany, User, Warehouse
from facilities import credit_file
from facilities.models import CreditDocument, CreditDocumentKind, Facility

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT = ".pdf,.png,.jpg,.jpeg,.xlsx,.docx"
DATE_FIELDS = ("signed_on", "expires_on", "registered_on")


def attach_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's error under its field when the form shows that field, else for the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class _DatesMixin:
    def check_dates(self, kind: str) -> None:
        data = self.cleaned_data  # type: ignore[attr-defined]
        try:
            credit_file.check_dates(
                kind=kind,
                signed_on=data.get("signed_on"),
                expires_on=data.get("expires_on"),
                registered_on=data.get("registered_on"),
            )
        except ValidationError as error:
            attach_errors(self, error)  # type: ignore[arg-type]


class DocumentForm(_DatesMixin, forms.ModelForm):
    """A new document for a client's credit file. A client user chooses only among the kinds it
    provides, and neither a site nor who sees the document."""

    file = forms.FileField(label=_("file"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    class Meta:
        model = CreditDocument
        fields = [
            "kind",
            "facility",
            "warehouse",
            "title",
            "signed_on",
            "expires_on",
            "registered_on",
            "visible_to_client",
            "visible_to_bank",
            "notes",
        ]
        widgets = {name: DATE for name in DATE_FIELDS} | {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, client: ClientCompany, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.user = user
        self.fields["facility"].queryset = Facility.objects.filter(client=client)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(client=client)
        self.fields["title"].required = False
        self.fields["file"].help_text = _("PDF, PNG, JPEG, Excel (.xlsx) or Word (.docx); at most %(limit)s MB.") % {
            "limit": credit_file.max_bytes() // (1024 * 1024)
        }
        if not user.is_advisor:
            self.fields["kind"].choices = [(k.value, k.label) for k in credit_file.CLIENT_KINDS]
            for name in ("warehouse", "registered_on", "visible_to_client", "visible_to_bank"):
                del self.fields[name]

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            credit_file.check_file(upload)  # a ValidationError lands under the file field
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind"):
            self.check_dates(data["kind"])
        return data

    def save_document(self) -> CreditDocument | None:
        """File the document through the service; None (errors on the form) when it refuses."""
        data = self.cleaned_data
        try:
            return credit_file.add_document(
                by=self.user,
                client=self.client,
                kind=data["kind"],
                title=data.get("title") or "",
                file=data["file"],
                facility=data.get("facility"),
                warehouse=data.get("warehouse"),
                signed_on=data.get("signed_on"),
                expires_on=data.get("expires_on"),
                registered_on=data.get("registered_on"),
                visible_to_client=data.get("visible_to_client", True),
                visible_to_bank=data.get("visible_to_bank", True),
                notes=data.get("notes") or "",
            )
        except ValidationError as error:
            attach_errors(self, error)
            return None


class DocumentEditForm(_DatesMixin, forms.Form):
    """An advisor's correction of a document's title, dates, facility, site and visibility."""

    title = forms.CharField(label=_("title"), max_length=200)
    facility = forms.ModelChoiceField(label=_("facility"), queryset=Facility.objects.none(), required=False)
    warehouse = forms.ModelChoiceField(label=_("warehouse"), queryset=Warehouse.objects.none(), required=False)
    signed_on = forms.DateField(label=_("signed or effective on"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_("expires on"), required=False, widget=DATE)
    registered_on = forms.DateField(label=_("registered on"), required=False, widget=DATE)
    visible_to_client = forms.BooleanField(label=_("visible to the client"), required=False)
    visible_to_bank = forms.BooleanField(label=_("visible to the bank"), required=False)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, document: CreditDocument, **kwargs: Any) -> None:
        initial = {name: getattr(document, name) for name in credit_file.EDITABLE}
        super().__init__(*args, initial=initial, **kwargs)
        self.document = document
        self.fields["facility"].queryset = Facility.objects.filter(client_id=document.client_id)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(client_id=document.client_id)
        if document.kind not in credit_file.SITE_KINDS:
            del self.fields["warehouse"]
        if document.kind == CreditDocumentKind.REGISTRATION:
            del self.fields["expires_on"]
        else:
            del self.fields["registered_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_dates(self.document.kind)
        return data


class RenewForm(_DatesMixin, forms.Form):
    """The next version of a document: its new dates and, when there is one, its new file."""

    signed_on = forms.DateField(label=_("signed or effective on"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_("expires on"), required=False, widget=DATE)
    registered_on = forms.DateField(
        label=_("renewed on"),
        required=False,
        widget=DATE,
        help_text=_("The date the renewal was entered at the registry: the pledge holds five years from it."),
    )
    file = forms.FileField(
        label=_("file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("Blank: the new version keeps the current file."),
    )
    title = forms.CharField(label=_("title"), max_length=200, required=False)

    def __init__(self, *args: Any, document: CreditDocument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        if document.kind == CreditDocumentKind.REGISTRATION:
            del self.fields["expires_on"]
            self.fields["registered_on"].required = True
        else:
            del self.fields["registered_on"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            credit_file.check_file(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_dates(self.document.kind)
        return data
