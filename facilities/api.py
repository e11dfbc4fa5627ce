"""API for lenders and facilities (structure and terms); writes go through the audited services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api import ScopedFieldsMixin, ScopedModelViewSet
from facilities import appraisals, services, terms_settings
from facilities.models import FACILITY_TERMS_FIELDS, Appraisal, AppraisalRate, Facility, Lender
from facilities.terms import engine_terms, reserve_problems
from valuation.engine.terms import Rule

JSON_SETTINGS: tuple[str, ...] = ()


# ------------------------------------------------------------------ typed terms (schema + checks)
# What the schema shows for the three settings; the values themselves are checked by
# facilities.terms_settings, like the web form: unknown rule / key / category → 400 naming it.


class RuleSettingSchema(serializers.Serializer):
    rule = serializers.ChoiceField(choices=[r.value for r in Rule])
    enabled = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, help_text="Order of the rule (all rules or none).")
    min_shelf_life_days = serializers.IntegerField(required=False, help_text="perishable: minimum shelf life, days")
    no_movement_days = serializers.IntegerField(required=False, help_text="obsolete: no movement for, days")
    min_turns = serializers.DecimalField(
        max_digits=9, decimal_places=4, required=False, help_text="slow_moving: minimum turns per year"
    )


class EligibilitySchema(serializers.Serializer):
    rules = RuleSettingSchema(
        many=True, required=False, help_text="Rules not listed keep their default (on), at their default place."
    )
    accepted_locations = serializers.ListField(
        child=serializers.CharField(), allow_null=True, required=False, help_text="Site codes; null or []: any site."
    )
    excluded_locations = serializers.ListField(child=serializers.CharField(), required=False)


class MixRangeSchema(serializers.Serializer):
    min_pct = serializers.DecimalField(max_digits=7, decimal_places=4)
    max_pct = serializers.DecimalField(max_digits=7, decimal_places=4)


class TurnoverBandSchema(serializers.Serializer):
    max_turns = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    discount_pct = serializers.DecimalField(max_digits=7, decimal_places=4)
    inclusive = serializers.BooleanField(required=False, default=True)


class CriteriaSchema(serializers.Serializer):
    mix_ranges = serializers.DictField(
        child=serializers.DictField(child=MixRangeSchema()),
        required=False,
        help_text="business model → category → range; what is not named keeps its default.",
    )
    turnover_bands = TurnoverBandSchema(many=True, required=False)
    obsolete_after_days = serializers.IntegerField(required=False)
    count_variance_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    physical_controls_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    physical_controls_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when physical_controls_pct is above 0."
    )


class LtvCapsSchema(serializers.Serializer):
    high = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    medium = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    low = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)


class _TermsSettingField(serializers.Field):
    """A terms setting, checked and completed by facilities.terms_settings (same as the form)."""

    cleaner: Any = None

    def to_internal_value(self, data: Any) -> Any:
        try:
            return type(self).cleaner(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def to_representation(self, value: Any) -> Any:
        try:
            return type(self).cleaner(value)
        except DjangoValidationError:
            return value


@extend_schema_field(EligibilitySchema)
class EligibilityField(_TermsSettingField):
    cleaner = staticmethod(terms_settings.clean_eligibility)


@extend_schema_field(CriteriaSchema)
class CriteriaField(_TermsSettingField):
    cleaner = staticmethod(terms_settings.clean_criteria)


@extend_schema_field(LtvCapsSchema)
class LtvCapsField(_TermsSettingField):
    cleaner = staticmethod(terms_settings.clean_ltv_caps)


class LenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lender
        fields = ["id", "name", "contact_email"]

    def validate_name(self, value: str) -> str:
        name = value.strip()
        user = self.context["request"].user
        clash = Lender.objects.filter(firm_id=user.firm_id, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("A lender with this name already exists."))
        return name


class LenderViewSet(ScopedModelViewSet):
    """The firm's lenders (banks, funds). A bank user sees its own lender."""

    serializer_class = LenderSerializer
    base_queryset = Lender.objects.all()

    def prepare_new(self, instance: Lender) -> None:
        instance.firm_id = self.request.user.firm_id


class FacilitySerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    scoped_fields = ("client", "lender")
    over_collateralisation_warning = serializers.CharField(read_only=True, allow_null=True)
    eligibility_settings = EligibilityField(required=False)
    criteria_settings = CriteriaField(required=False)
    ltv_caps = LtvCapsField(required=False)

    class Meta:
        model = Facility
        fields = ["id", "client", *FACILITY_TERMS_FIELDS, "over_collateralisation_warning", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha() or not value.isascii():
            raise serializers.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The JSON settings must be objects, and the engine validates every term; its complaint
        names the field concerned (the same check as the web form)."""
        errors: dict[str, list[str]] = {}
        if "reserves" in getattr(self, "initial_data", {}):
            # The single figure is gone: taking it silently would drop a reserve and over-finance.
            errors["reserves"] = [
                str(
                    _(
                        "There is no single reserves figure any more: use shrink_reserve_pct, "
                        "priority_payables_reserve, dilution_reserve or other_reserve with other_reserve_reason."
                    )
                )
            ]
        for name in JSON_SETTINGS:
            if name in attrs and not isinstance(attrs[name], dict):
                errors[name] = [str(_("Enter a JSON object, e.g. {}."))]
        if errors:
            raise serializers.ValidationError(errors)
        candidate = Facility(**{**self._current(), **attrs})
        problems = reserve_problems(candidate)
        if problems:
            raise serializers.ValidationError({field: [message] for field, message in problems.items()})
        try:
            engine_terms(candidate)
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise serializers.ValidationError(
                    {
                        field if field in self.fields else "non_field_errors": msgs
                        for field, msgs in error.message_dict.items()
                    }
                ) from error
            raise serializers.ValidationError({"non_field_errors": error.messages}) from error
        except (ValueError, TypeError, ArithmeticError, AttributeError) as error:
            # A JSON setting of the wrong shape the engine's validation did not anticipate.
            raise serializers.ValidationError(
                {"non_field_errors": [str(_("The JSON settings are not valid: %(error)s") % {"error": error})]}
            ) from error
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {name: getattr(self.instance, name) for name in ("client", *FACILITY_TERMS_FIELDS)}


FACILITY_FILTERS = [
    OpenApiParameter("client", int, description="Client company id"),
    OpenApiParameter("lender", int, description="Lender id"),
]


@extend_schema_view(list=extend_schema(parameters=FACILITY_FILTERS))
class FacilityViewSet(ScopedModelViewSet):
    """A client's facilities with all their terms. Changing the terms recomputes the latest
    valuation (a new run, queued)."""

    serializer_class = FacilitySerializer
    base_queryset = Facility.objects.select_related("client", "lender")
    id_filters = {"client": "client_id", "lender": "lender_id"}

    def perform_update(self, serializer: FacilitySerializer) -> None:
        facility = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(facility, key, value)
        services.save_facility(by=self.request.user, facility=facility)

    def perform_create(self, serializer: FacilitySerializer) -> None:
        self.check_create(serializer)
        serializer.instance = services.save_facility(
            by=self.request.user, facility=Facility(**serializer.validated_data)
        )


# ------------------------------------------------------------------------------------ appraisals


class AppraisalRateSerializer(serializers.Serializer):
    category = serializers.CharField(
        max_length=50,
        help_text="A base category (raw_material, wip, finished_good) or the code of one of the firm's categories.",
    )
    nolv_pct = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0, max_value=100)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, AppraisalRate):
            return {"category": instance.category_code, "nolv_pct": str(instance.nolv_pct)}
        return super().to_representation(instance)


class AppraisalSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    """An appraisal with its rates; the same checks as the page: every category must be a base
    category or one of the firm's, each once; the expiry defaults to 12 months after the
    effective date. The report file is sent to ``/report/`` (PDF only)."""

    scoped_fields = ("facility",)
    rates = AppraisalRateSerializer(many=True, required=False)
    expiry_date = serializers.DateField(required=False, help_text="Default: 12 months after the effective date.")
    status = serializers.SerializerMethodField(help_text="in_force, expired or future, today.")
    has_report = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "facility",
            "appraiser",
            "appraiser_firm",
            "effective_date",
            "expiry_date",
            "notes",
            "rates",
            "status",
            "has_report",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def get_status(self, appraisal: Appraisal) -> str:
        return appraisal.status(timezone.localdate())

    def get_has_report(self, appraisal: Appraisal) -> bool:
        return bool(appraisal.report_file)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        effective = attrs.get("effective_date", getattr(self.instance, "effective_date", None))
        expiry = attrs.get("expiry_date")
        if expiry is None and self.instance is not None and "effective_date" not in attrs:
            expiry = self.instance.expiry_date
        try:
            attrs["expiry_date"] = appraisals.check_dates(effective, expiry)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        if "rates" in attrs:
            firm_id = self.context["request"].user.firm_id
            parsed, errors = [], []
            for rate in attrs["rates"]:
                try:
                    base, category = appraisals.resolve_category(rate["category"], firm_id)
                except DjangoValidationError as error:
                    errors.extend(error.messages)
                    continue
                parsed.append(appraisals.RateInput(base, category, rate["nolv_pct"]))
            if not errors:
                try:
                    appraisals.check_rates(parsed)
                except DjangoValidationError as error:
                    errors.extend(error.messages)
            if errors:
                raise serializers.ValidationError({"rates": errors})
            attrs["rates"] = parsed
        return attrs


APPRAISAL_FILTERS = [OpenApiParameter("facility", int, description="Facility id")]


@extend_schema_view(list=extend_schema(parameters=APPRAISAL_FILTERS))
class AppraisalViewSet(ScopedModelViewSet):
    """A facility's appraisals (advisors only): appraiser, dates, NOLV % per category. Saving one
    recomputes the facility's latest valuation."""

    serializer_class = AppraisalSerializer
    base_queryset = Appraisal.objects.select_related("facility__client").prefetch_related("rates__stock_category")
    id_filters = {"facility": "facility_id"}

    def perform_create(self, serializer: AppraisalSerializer) -> None:
        self.check_create(serializer)
        data = dict(serializer.validated_data)
        rates = data.pop("rates", [])
        serializer.instance = appraisals.save_appraisal(by=self.request.user, appraisal=Appraisal(**data), rates=rates)

    def perform_update(self, serializer: AppraisalSerializer) -> None:
        appraisal = serializer.instance
        data = dict(serializer.validated_data)
        rates = data.pop("rates", None)
        for key, value in data.items():
            setattr(appraisal, key, value)
        appraisals.save_appraisal(by=self.request.user, appraisal=appraisal, rates=rates)

    def perform_destroy(self, instance: Appraisal) -> None:
        appraisals.delete_appraisal(by=self.request.user, appraisal=instance)

    @extend_schema(
        methods=["GET"],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report")},
        summary="Download the appraisal report",
    )
    @extend_schema(
        methods=["PUT"],
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={200: AppraisalSerializer},
        summary="Attach the appraisal report (PDF only)",
    )
    @action(detail=True, methods=["get", "put"], parser_classes=[MultiPartParser])
    def report(self, request: Request, pk: str | None = None) -> FileResponse | Response:
        appraisal = self.get_object()
        if request.method == "GET":
            if not appraisal.report_file:
                raise NotFound
            return FileResponse(
                appraisal.report_file.open("rb"),
                as_attachment=True,
                filename=f"appraisal-{appraisal.pk}.pdf",
                content_type="application/pdf",
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": [str(_("Attach the appraisal report as a PDF file."))]})
        try:
            appraisals.save_appraisal(by=request.user, appraisal=appraisal, rates=None, report_file=upload)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from error
        return Response(self.get_serializer(appraisal).data)
