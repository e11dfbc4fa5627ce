"""Forms of the report pages; the rules themselves live in reports.services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reports.models import DecisionKind, ReportKind


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ShareForm(forms.Form):
    lender = forms.ModelChoiceField(label=_("Lender"), queryset=None, empty_label=None)

    def __init__(self, *args, lenders=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = lenders


class ClientShareForm(forms.Form):
    include_levers = forms.BooleanField(label=_("Include the levers"), required=False)
    include_annex = forms.BooleanField(label=_("Include the annex of the largest ineligible lines"), required=False)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """A lender's decision: nothing is chosen for them, and approve or decline asks once more
    (``needs_confirmation``) before it is recorded with their name and date."""

    CONFIRMED_KINDS = (DecisionKind.APPROVE, DecisionKind.DECLINE)

    decision = forms.ChoiceField(label=_("Decision"), choices=())
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless you approve."),
    )

    def __init__(self, *args, certificate: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [c for c in DecisionKind.choices if certificate or c[0] != DecisionKind.WAIVE]
        self.fields["decision"].choices = [("", _("Choose a decision…")), *choices]

    @property
    def needs_confirmation(self) -> bool:
        return self.cleaned_data["decision"] in self.CONFIRMED_KINDS and not self.cleaned_data["confirmed"]


class CertificationForm(forms.Form):
    signatory_name = forms.CharField(label=_("Signatory name"), max_length=200)
    signatory_title = forms.CharField(label=_("Title"), max_length=200, required=False)
    statement = forms.CharField(
        label=_("Statement"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=_(
            "I certify, as an authorised signatory of the borrower, that the information in this "
            "borrowing base certificate is true, complete and drawn from our books as of the date shown."
        ),
    )
    confirm = forms.BooleanField(label=_("I am authorised to sign for the borrower and certify the above."))
