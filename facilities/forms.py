from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import ClientCompany, StockCategory, User
from facilities.models import FACILITY_TERMS_FIELDS, RESERVE_FIELDS, Appraisal, Facility, Lender


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
        # The rules, criteria and caps are edited in ``terms_editor`` (tables of typed fields).
        fields = tuple(
            name
            for name in FACILITY_TERMS_FIELDS
            if name not in ("eligibility_settings", "criteria_settings", "ltv_caps")
        )

    def __init__(self, *args: Any, client: ClientCompany, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.client = client
        # A post without the editor's fields at all (a script, an older page) leaves the stored
        # rules, criteria and caps as they are; a real page always posts each rule's order.
        posted = self.is_bound and any(str(key).startswith("terms-") for key in self.data)
        self.terms_editor = TermsEditorForm(self.data if posted else None, facility=self.instance, client=client)
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
        for name in ():
            value = data.get(name)
            if value is not None and not isinstance(value, dict):
                self.add_error(name, _("Enter a JSON object, e.g. {}."))
        if not self.terms_editor.is_bound:
            pass
        elif not self.terms_editor.is_valid():
            self.add_error(None, _("Check the eligibility rules, criteria and LTV caps below."))
        else:
            for name, value in self.terms_editor.settings().items():
                setattr(self.instance, name, value)
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


# ---------------------------------------------------------------- the terms editor (no JSON typed)

EDITOR_FIELDS = ("eligibility_settings", "criteria_settings", "ltv_caps")
BAND_ROWS_MIN = 5


def _stored(cleaner: Any, value: Any) -> Any:
    """A stored setting in its complete shape; one that no longer passes (hand-altered) shows the
    defaults, and saving writes them: never a half-read value."""
    from django.core.exceptions import ValidationError

    try:
        return cleaner(value)
    except ValidationError:
        return cleaner({})


def _pct_field(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_value=100, max_digits=7, decimal_places=4
    )


class TermsEditorForm(forms.Form):
    """Eligibility rules (one row per engine rule: order, on/off, threshold), accepted and excluded
    sites, criteria settings and LTV caps, as typed fields; ``settings()`` gives the three complete
    stored values (through ``facilities.terms_settings``, like the API)."""

    def __init__(self, *args: Any, facility: Facility, client: ClientCompany, **kwargs: Any) -> None:
        from borrowers.common.labels import category_label, liquidity_label, reason_label
        from borrowers.models import BusinessModel as ModelChoices
        from facilities import terms_settings as ts
        from valuation.engine.terms import BusinessModel, LiquidityClass, Rule

        kwargs.setdefault("prefix", "terms")
        super().__init__(*args, **kwargs)
        eligibility = _stored(ts.clean_eligibility, facility.eligibility_settings)
        criteria = _stored(ts.clean_criteria, facility.criteria_settings)
        caps = _stored(ts.clean_ltv_caps, facility.ltv_caps)
        self.rule_codes = [str(rule) for rule in Rule]
        stored_rules = {item["rule"]: (i, item) for i, item in enumerate(eligibility["rules"])}
        count = len(self.rule_codes)
        self._rules: list[dict[str, Any]] = []
        for code in self.rule_codes:
            position, item = stored_rules[code]
            label = reason_label(code)
            self.fields[f"rule_{code}_position"] = forms.IntegerField(
                label=_("Order of %(rule)s") % {"rule": label}, min_value=1, max_value=count, initial=position + 1
            )
            self.fields[f"rule_{code}_enabled"] = forms.BooleanField(
                label=_("%(rule)s applies") % {"rule": label}, required=False, initial=item["enabled"]
            )
            threshold = ts.RULE_THRESHOLDS.get(code)
            if threshold is not None:
                name, unit = threshold
                if name == "min_turns":
                    field: forms.Field = forms.DecimalField(
                        label=unit, min_value=0, max_value=1000, max_digits=9, decimal_places=4
                    )
                else:
                    field = forms.IntegerField(label=unit, min_value=0, max_value=36500)
                field.initial = item[name]
                self.fields[f"rule_{code}_{name}"] = field
            self._rules.append({"code": code, "label": label, "threshold": threshold, "position": position})
        codes = list(client.warehouses.order_by("code").values_list("code", flat=True)) if client.pk else []
        for key, label in (
            ("accepted_locations", _("Accepted sites (none ticked: every site)")),
            ("excluded_locations", _("Excluded sites")),
        ):
            stored = eligibility[key] or []
            choices = [(c, c) for c in dict.fromkeys([*codes, *stored])]
            self.fields[key] = forms.MultipleChoiceField(
                label=label, required=False, choices=choices, initial=stored, widget=forms.CheckboxSelectMultiple
            )
        model_labels = dict(ModelChoices.choices)
        self._mix: list[dict[str, Any]] = []
        for model in BusinessModel:
            for category, mix in criteria["mix_ranges"][str(model)].items():
                where = {"model": model_labels.get(str(model), str(model)), "category": category_label(category)}
                for end in ("min_pct", "max_pct"):
                    text = (
                        _("%(model)s · %(category)s: minimum (%%)")
                        if end == "min_pct"
                        else _("%(model)s · %(category)s: maximum (%%)")
                    )
                    self.fields[f"mix_{model}_{category}_{end}"] = _pct_field(text % where)
                    self.fields[f"mix_{model}_{category}_{end}"].initial = mix[end]
                self._mix.append(
                    {
                        "model": str(model),
                        "category": category,
                        "model_label": where["model"],
                        "category_label": where["category"],
                    }
                )
        bands = criteria["turnover_bands"]
        self.band_count = max(len(bands) + 2, BAND_ROWS_MIN)
        for i in range(self.band_count):
            band = bands[i] if i < len(bands) else None
            self.fields[f"band_{i}_max_turns"] = forms.DecimalField(
                label=_("Band %(n)s: turns up to (empty: any)") % {"n": i + 1},
                required=False,
                min_value=0,
                max_digits=9,
                decimal_places=4,
                initial=band["max_turns"] if band else None,
            )
            self.fields[f"band_{i}_discount_pct"] = _pct_field(
                _("Band %(n)s: discount (%%)") % {"n": i + 1}, required=False
            )
            self.fields[f"band_{i}_discount_pct"].initial = band["discount_pct"] if band else None
            self.fields[f"band_{i}_inclusive"] = forms.BooleanField(
                label=_("Band %(n)s: inclusive (≤)") % {"n": i + 1},
                required=False,
                initial=band["inclusive"] if band else True,
            )
        self.fields["obsolete_after_days"] = forms.IntegerField(
            label=_("Obsolete after (days without movement)"),
            min_value=0,
            max_value=36500,
            initial=criteria["obsolete_after_days"],
        )
        self.fields["count_variance_pct"] = _pct_field(_("Count variance (%)"))
        self.fields["count_variance_pct"].initial = criteria["count_variance_pct"]
        # Field exams: while an accepted exam applies, its measured figure replaces this one.
        if getattr(facility, "exam_count_variance_pct", None) is not None:
            self.fields["count_variance_pct"].help_text = _(
                "Replaced by the variance measured by field exam %(ref)s of %(date)s (%(pct)s %%) in the valuations."
            ) % {
                "ref": facility.exam_reference,
                "date": f"{facility.exam_counted_on:%Y-%m-%d}",
                "pct": format(facility.exam_count_variance_pct.normalize(), "f"),
            }
        self.fields["physical_controls_pct"] = _pct_field(_("Physical controls discount (%)"))
        self.fields["physical_controls_pct"].initial = criteria["physical_controls_pct"]
        self.fields["physical_controls_reason"] = forms.CharField(
            label=_("Reason for the physical controls discount"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            initial=criteria["physical_controls_reason"],
        )
        self._caps = []
        for klass in LiquidityClass:
            self.fields[f"ltv_cap_{klass}"] = _pct_field(
                _("LTV cap, %(class)s liquidity (%%)") % {"class": liquidity_label(str(klass))}
            )
            self.fields[f"ltv_cap_{klass}"].initial = caps[str(klass)]
            self._caps.append(str(klass))

    # The rows the template lays out as tables (bound fields, so values and errors come along).
    def rule_rows(self) -> list[dict[str, Any]]:
        rows = []
        for rule in self._rules:
            threshold = rule["threshold"]
            rows.append(
                {
                    **rule,
                    "position_field": self[f"rule_{rule['code']}_position"],
                    "enabled_field": self[f"rule_{rule['code']}_enabled"],
                    "threshold_field": self[f"rule_{rule['code']}_{threshold[0]}"] if threshold else None,
                }
            )
        return sorted(rows, key=lambda row: row["position"])

    def mix_rows(self) -> list[dict[str, Any]]:
        return [
            {
                **row,
                "min": self[f"mix_{row['model']}_{row['category']}_min_pct"],
                "max": self[f"mix_{row['model']}_{row['category']}_max_pct"],
            }
            for row in self._mix
        ]

    def band_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "n": i + 1,
                "max_turns": self[f"band_{i}_max_turns"],
                "discount_pct": self[f"band_{i}_discount_pct"],
                "inclusive": self[f"band_{i}_inclusive"],
            }
            for i in range(self.band_count)
        ]

    def cap_rows(self) -> list[Any]:
        return [self[f"ltv_cap_{klass}"] for klass in self._caps]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        positions = [data[f"rule_{code}_position"] for code in self.rule_codes]
        if len(set(positions)) != len(positions):
            self.add_error(None, _("Two rules have the same order: give each rule its own place."))
        pct = data.get("physical_controls_pct") or 0
        if pct > 0 and not (data.get("physical_controls_reason") or "").strip():
            self.add_error(
                "physical_controls_reason", _("A physical-controls discount must come with a written reason.")
            )
        if not self.errors:
            self._settings = self._assemble(data)
        return data

    def _assemble(self, data: dict[str, Any]) -> dict[str, Any] | None:
        from django.core.exceptions import ValidationError

        from facilities import terms_settings as ts

        rules = []
        for code in self.rule_codes:
            item: dict[str, Any] = {
                "rule": code,
                "enabled": bool(data[f"rule_{code}_enabled"]),
                "position": data[f"rule_{code}_position"],
            }
            threshold = ts.RULE_THRESHOLDS.get(code)
            if threshold is not None:
                value = data[f"rule_{code}_{threshold[0]}"]
                item[threshold[0]] = str(value) if threshold[0] == "min_turns" else value
            rules.append(item)
        bands = []
        for i in range(self.band_count):
            turns, discount = data.get(f"band_{i}_max_turns"), data.get(f"band_{i}_discount_pct")
            if turns is None and discount is None:
                continue
            if discount is None:
                self.add_error(f"band_{i}_discount_pct", _("Give the band's discount."))
                return None
            bands.append(
                {
                    "max_turns": None if turns is None else str(turns),
                    "discount_pct": str(discount),
                    "inclusive": bool(data.get(f"band_{i}_inclusive")),
                }
            )
        mix: dict[str, dict[str, Any]] = {}
        for row in self._mix:
            mix.setdefault(row["model"], {})[row["category"]] = {
                end: str(data[f"mix_{row['model']}_{row['category']}_{end}"]) for end in ("min_pct", "max_pct")
            }
        raw = {
            "eligibility_settings": (
                ts.clean_eligibility,
                {
                    "rules": rules,
                    "accepted_locations": list(data.get("accepted_locations") or []) or None,
                    "excluded_locations": list(data.get("excluded_locations") or []),
                },
            ),
            "criteria_settings": (
                ts.clean_criteria,
                {
                    "mix_ranges": mix,
                    "turnover_bands": bands,
                    "obsolete_after_days": data["obsolete_after_days"],
                    "count_variance_pct": str(data["count_variance_pct"]),
                    "physical_controls_pct": str(data["physical_controls_pct"]),
                    "physical_controls_reason": data.get("physical_controls_reason") or "",
                },
            ),
            "ltv_caps": (ts.clean_ltv_caps, {klass: str(data[f"ltv_cap_{klass}"]) for klass in self._caps}),
        }
        settings: dict[str, Any] = {}
        for name, (cleaner, value) in raw.items():
            try:
                settings[name] = cleaner(value)
            except ValidationError as error:
                self.add_error(None, error.messages)
        return None if self.errors else settings

    def settings(self) -> dict[str, Any]:
        """The three complete settings, once the form is valid."""
        return self._settings


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
