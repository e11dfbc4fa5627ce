"""The notification preferences form: one row per kind (inbox, e-mail) and the digest switch."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.common.notify import Preference
from borrowers.models import NotificationKind


class NotificationPreferencesForm(forms.Form):
    daily_digest = forms.BooleanField(
        label=_("Send me one daily summary instead of an e-mail for each notification"), required=False
    )

    def __init__(self, *args: Any, preferences: list[Preference], daily_digest: bool, **kwargs: Any) -> None:
        initial = {"daily_digest": daily_digest}
        for p in preferences:
            initial[f"{p.kind}__in_app"] = p.in_app
            initial[f"{p.kind}__email"] = p.email
        super().__init__(*args, initial=initial, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                label=_("%(kind)s in the inbox") % {"kind": label}, required=False
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                label=_("%(kind)s by e-mail") % {"kind": label}, required=False
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(kind label, inbox checkbox, e-mail checkbox) per kind, for the table."""
        return [(label, self[f"{kind}__in_app"], self[f"{kind}__email"]) for kind, label in NotificationKind.choices]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {kind: (data[f"{kind}__in_app"], data[f"{kind}__email"]) for kind in NotificationKind.values}
